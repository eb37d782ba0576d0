/**
 * The stack's EventBridge rule on Step Functions execution status changes, emulated: when an
 * execution ends FAILED / TIMED_OUT / ABORTED, the rule's target (release-lock) is invoked with
 * the event shape EventBridge delivers on AWS. The rule's pattern and target are read from the
 * synthesized template, never re-declared.
 */
import { randomBytes } from 'node:crypto';
import { type ExecutionRecord, type LocalLambda, lambdaContext } from '../engine';
import { type CfnTemplate, resolveIntrinsics } from '../stack/synthesized-definition';

interface ExecutionStatusRule {
  readonly statuses: readonly string[];
  readonly stateMachineArns: readonly string[];
  readonly targetArn: string;
}

/**
 * A listener for the engine's execution status changes that delivers each matching change to the
 * rules' targets. A failing target is reported to `onTargetError`, never thrown: on AWS the event
 * would go to the rule's dead-letter queue, and the lock's lease expires by itself.
 */
export function executionStatusRules(
  template: CfnTemplate,
  lambdas: readonly LocalLambda[],
  onTargetError: (error: unknown) => void,
): (record: ExecutionRecord) => Promise<void> {
  const rules = rulesFromTemplate(template);
  const lambdaByArn = new Map(lambdas.map((l) => [l.arn, l]));
  return async (record) => {
    for (const rule of rules) {
      if (!rule.statuses.includes(record.status)) continue;
      if (!rule.stateMachineArns.includes(record.stateMachineArn)) continue;
      const target = lambdaByArn.get(rule.targetArn);
      if (!target) continue;
      await target
        .invoke(executionStatusChangeEvent(record), lambdaContext(target))
        .catch(onTargetError);
    }
  };
}

/** The template's EventBridge rules on Step Functions execution status changes, resolved. */
function rulesFromTemplate(template: CfnTemplate): ExecutionStatusRule[] {
  const rules: ExecutionStatusRule[] = [];
  for (const resource of Object.values(template.Resources)) {
    if (resource.Type !== 'AWS::Events::Rule') continue;
    const props = resolveIntrinsics(template, resource.Properties ?? {}) as {
      EventPattern?: {
        source?: string[];
        'detail-type'?: string[];
        detail?: { status?: string[]; stateMachineArn?: string[] };
      };
      Targets?: { Arn: string }[];
    };
    const pattern = props.EventPattern;
    if (!pattern?.source?.includes('aws.states')) continue;
    if (!pattern['detail-type']?.includes('Step Functions Execution Status Change')) continue;
    for (const target of props.Targets ?? []) {
      rules.push({
        statuses: pattern.detail?.status ?? [],
        stateMachineArns: pattern.detail?.stateMachineArn ?? [],
        targetArn: target.Arn,
      });
    }
  }
  return rules;
}

function executionStatusChangeEvent(record: ExecutionRecord) {
  return {
    version: '0',
    id: randomBytes(16).toString('hex'),
    'detail-type': 'Step Functions Execution Status Change',
    source: 'aws.states',
    time: (record.stopDate ?? new Date()).toISOString(),
    region: process.env.AWS_REGION ?? 'us-east-1',
    resources: [record.executionArn],
    detail: {
      executionArn: record.executionArn,
      stateMachineArn: record.stateMachineArn,
      name: record.name,
      status: record.status,
      startDate: record.startDate.getTime(),
      stopDate: record.stopDate?.getTime(),
    },
  };
}
