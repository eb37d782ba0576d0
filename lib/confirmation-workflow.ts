import {
  ArnFormat,
  type CfnElement,
  Duration,
  type RemovalPolicy,
  Stack,
  Validations,
} from 'aws-cdk-lib';
import type * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { type ConfirmBatchRetry, STAGE_NAME_PATTERN } from './config';
import { StageLogGroups } from './log-groups';
import { nagArnPrefix } from './nag-findings';
import type { PageManifestBucket } from './page-manifest-bucket';
import type { TxconfirmFunction } from './txconfirm-function';
import { Problems } from './validation';
import { confirmationRun } from './workflow/definition';
import { executionAlarms } from './workflow/execution-alarms';

/** The five handlers of the workflow (lambdas/handlers/*.ts). */
export interface WorkflowFunctions {
  readonly startRun: TxconfirmFunction;
  readonly fetchPage: TxconfirmFunction;
  readonly confirmBatch: TxconfirmFunction;
  readonly finishRun: TxconfirmFunction;
  /** Target of the rule on FAILED / TIMED_OUT / ABORTED executions. */
  readonly releaseLock: TxconfirmFunction;
}

export interface ConfirmationWorkflowProps {
  /** Names the state machine `txconfirm-<stage>` and its log group. */
  readonly stage: string;
  readonly functions: WorkflowFunctions;
  /** Where FetchPage writes each page's ids and ConfirmPage's ItemReader reads them. */
  readonly manifestBucket: PageManifestBucket;
  /** Ids per confirm-batch child (ItemBatcher MaxItemsPerBatch), 1..1000. */
  readonly batchSize: number;
  /** Concurrent child workflows, 1..10000. */
  readonly maxConcurrency: number;
  /** Failed batches a page tolerates, 0..100 (%). */
  readonly toleratedFailurePercentage: number;
  readonly confirmBatchRetry: ConfirmBatchRetry;
  /** Timeout of each execution (ContinueAsNew starts a fresh one). */
  readonly executionTimeout: Duration;
  readonly logRetention: logs.RetentionDays;
  /** Of the log group (RETAIN in stateful stages). */
  readonly removalPolicy: RemovalPolicy;
  /**
   * Names the log group and encrypts it with the stage key.
   * @default `/aws/vendedlogs/states/txconfirm-<stage>-<stack suffix>`, AWS-owned encryption
   */
  readonly logGroups?: StageLogGroups;
  /** Log execution input/output (ids, totals). @default false */
  readonly includeExecutionData?: boolean;
  /** Where lock-release events go when the release-lock function cannot be reached. */
  readonly releaseLockDeadLetterQueue: sqs.IQueue;
}

/**
 * The confirmation run (docs/architecture.md §3, flow at the top of lambdas/contracts.ts): a
 * STANDARD state machine that pages the pending index, confirms each page with a Distributed Map
 * of EXPRESS children, continues as a new execution after K pages, and releases the run lock on
 * every way out: Catch → ReleaseLockAfterFailure, and an EventBridge rule for executions that end
 * without running their Catch (aborted, timed out).
 *
 * Owns its defaults: log group `/aws/vendedlogs/states/txconfirm-<stage>-<suffix unique to the
 * stack's creation>` (lib/log-groups.ts: a RETAINed group of an earlier stack never collides) at level ALL, X-Ray
 * tracing, an execution timeout, and alarms on failed / timed-out / aborted executions. The states
 * are built by lib/workflow/definition.ts (tasks.ts, confirm-page.ts), the alarms by
 * lib/workflow/execution-alarms.ts; all of them in this construct, so logical ids stay put.
 */
export class ConfirmationWorkflow extends Construct {
  readonly stateMachine: sfn.StateMachine;
  readonly stateMachineName: string;
  readonly logGroup: logs.LogGroup;
  readonly releaseLockRule: events.Rule;
  readonly alarms: readonly cloudwatch.Alarm[];

  constructor(scope: Construct, id: string, props: ConfirmationWorkflowProps) {
    super(scope, id);
    validateProps(props);

    // A fixed name: ContinueAsNew's IAM policy names this ARN without referencing the state
    // machine resource (which would be a circular dependency: role policy -> state machine -> role).
    this.stateMachineName = `txconfirm-${props.stage}`;
    // The state machine's role needs nothing for a CMK-encrypted log group: vended log delivery
    // hands the events to CloudWatch Logs, which uses the key (lib/stage-key.ts).
    const logGroups = props.logGroups ?? new StageLogGroups({ stage: props.stage });
    this.logGroup = new logs.LogGroup(this, 'LogGroup', {
      retention: props.logRetention,
      removalPolicy: props.removalPolicy,
      ...logGroups.forStateMachine(this.stateMachineName),
    });
    this.stateMachine = new sfn.StateMachine(this, 'StateMachine', {
      stateMachineName: this.stateMachineName,
      stateMachineType: sfn.StateMachineType.STANDARD,
      definitionBody: sfn.DefinitionBody.fromChainable(confirmationRun(this, props)),
      timeout: props.executionTimeout,
      tracingEnabled: true,
      logs: {
        destination: this.logGroup,
        level: sfn.LogLevel.ALL,
        includeExecutionData: props.includeExecutionData ?? false,
      },
    });
    this.allowContinueAsNew();
    props.manifestBucket.grantManifestDecrypt(this.stateMachine);
    this.releaseLockRule = this.createReleaseLockRule(props);
    // Actions (the alarm topic) are added by ConfirmationMonitoring (lib/monitoring/).
    this.alarms = executionAlarms(this, this.stateMachine, this.stateMachineName);
    this.addNagSuppressions(props);
  }

  /**
   * ContinueAsNew starts this very state machine. (The Distributed Map's own policy also grants
   * this, for its children; stated here so ContinueAsNew does not depend on that detail.)
   */
  private allowContinueAsNew(): void {
    this.stateMachine.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['states:StartExecution'],
        resources: [
          Stack.of(this).formatArn({
            service: 'states',
            resource: 'stateMachine',
            resourceName: this.stateMachineName,
            arnFormat: ArnFormat.COLON_RESOURCE_NAME,
          }),
        ],
      }),
    );
  }

  /**
   * The lock-release rule: executions that end without running their Catch (aborted, timed out,
   * or a failure outside a Catch) would otherwise strand the lock until its lease expires.
   */
  private createReleaseLockRule(props: ConfirmationWorkflowProps): events.Rule {
    return new events.Rule(this, 'ReleaseLockRule', {
      description: `Release the txconfirm run lock when an execution of ${this.stateMachineName} ends FAILED, TIMED_OUT or ABORTED`,
      eventPattern: {
        source: ['aws.states'],
        detailType: ['Step Functions Execution Status Change'],
        detail: {
          status: ['FAILED', 'TIMED_OUT', 'ABORTED'],
          stateMachineArn: [this.stateMachine.stateMachineArn],
        },
      },
      targets: [
        new targets.LambdaFunction(props.functions.releaseLock, {
          deadLetterQueue: props.releaseLockDeadLetterQueue,
          retryAttempts: 8,
          maxEventAge: Duration.hours(6),
        }),
      ],
    });
  }

  private addNagSuppressions(props: ConfirmationWorkflowProps): void {
    const fn = props.functions;
    const stack = Stack.of(this);
    const acknowledge = (finding: string, reason: string): void =>
      Validations.of(this.stateMachine).acknowledge({
        id: `AwsSolutions-IAM5[${finding}]`,
        reason,
      });
    for (const f of [fn.startRun, fn.fetchPage, fn.confirmBatch, fn.finishRun]) {
      const logicalId = stack.getLogicalId(f.node.defaultChild as CfnElement);
      acknowledge(
        `Resource::<${logicalId}.Arn>:*`,
        `LambdaInvoke grants lambda:InvokeFunction on the versions and aliases of ${f.node.id} ("<ARN>:*") beside its unqualified ARN; the function itself is named exactly.`,
      );
    }
    // The Distributed Map's policy: describe/stop its child executions ("execution:<name>:*") and
    // redrive (".../*:*"); cdk-nag renders the state machine name as its Fn::Select of the ARN.
    const name = `{"Fn::Select":[6,{"Fn::Split":[":",{"Ref":"${stack.getLogicalId(
      this.stateMachine.node.defaultChild as CfnElement,
    )}"}]}]}`;
    // (With the stage's account and region set, cdk-nag spells them out: nagArnPrefix.)
    const executionArn = `${nagArnPrefix(this, 'states')}execution:${name}`;
    const childReason =
      'The Distributed Map describes, stops and redrives its own child executions, whose names are generated at run time; the ARN is scoped to executions of this state machine.';
    acknowledge(`Resource::${executionArn}:*`, childReason);
    acknowledge(`Resource::${executionArn}/*:*`, childReason);
    acknowledge(
      `Resource::arn:<AWS::Partition>:s3:::<${props.manifestBucket.logicalId()}>/*`,
      "ConfirmPage's ItemReader reads the page manifest FetchPage names at run time (CDK grants s3:GetObject on the objects of this one bucket, which holds nothing else).",
    );
    acknowledge(
      'Resource::*',
      'Vended log delivery (logs:CreateLogDelivery, logs:PutResourcePolicy, ...) and X-Ray (xray:PutTraceSegments, ...) do not support resource-level permissions.',
    );
  }
}

function validateProps(props: ConfirmationWorkflowProps): void {
  const p = new Problems();
  if (!STAGE_NAME_PATTERN.test(props.stage)) {
    p.add(
      `stage must match ${STAGE_NAME_PATTERN.source} (it names the state machine), got ${JSON.stringify(props.stage)}`,
    );
  }
  p.integerInRange('batchSize', props.batchSize, 1, 1000);
  p.integerInRange('maxConcurrency', props.maxConcurrency, 1, 10000);
  p.numberInRange('toleratedFailurePercentage', props.toleratedFailurePercentage, 0, 100);
  p.integerInRange('confirmBatchRetry.maxAttempts', props.confirmBatchRetry.maxAttempts, 0, 10);
  p.throwIfAny();
}
