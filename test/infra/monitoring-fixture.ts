// A ConfirmationMonitoring with every optional prop set (not a test file itself): alarm routing to
// two addresses and an existing topic, and a stage key, which the shipped dev stage does not set.
// Added next to the stack's own monitoring, under another stage name (two monitorings of one
// stage would share every name). Build once per test file: synthesizing costs seconds.
import { RemovalPolicy } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as kms from 'aws-cdk-lib/aws-kms';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { oldestPendingAgeSloSeconds } from '../../lib/config';
import { ConfirmationMonitoring } from '../../lib/monitoring/confirmation-monitoring';
import { buildTxconfirmApp } from '../../lib/txconfirm-app';
import type { CfnTemplate } from '../../local/stack/synthesized-definition';
import { dev } from '../support/stages';
import { NO_BUNDLING } from './synth';

export const ROUTED = {
  stage: 'staging',
  emails: ['oncall@example.com', 'payments-team@example.com'],
  topicArn: 'arn:aws:sns:eu-west-1:123456789012:pager',
} as const;

export function routedMonitoring() {
  const { stack } = buildTxconfirmApp({ config: dev, appProps: { context: NO_BUNDLING } });
  const stageKey = new kms.Key(stack, 'FixtureStageKey', { enableKeyRotation: true });
  const monitoring = new ConfirmationMonitoring(stack, 'RoutedMonitoring', {
    stage: ROUTED.stage,
    workflow: stack.workflow,
    functions: stack.functions,
    schedule: stack.schedule,
    scheduleEnabled: dev.scheduleEnabled,
    scheduleDeadLetterQueue: stack.node.findChild('ScheduleDeadLetterQueue') as sqs.IQueue,
    releaseLockDeadLetterQueue: stack.node.findChild('ReleaseLockDeadLetterQueue') as sqs.IQueue,
    oldestPendingAgeSloSeconds: oldestPendingAgeSloSeconds(dev)!,
    alarmEmails: ROUTED.emails,
    alarmTopicArn: ROUTED.topicArn,
    encryptionKey: stageKey,
    tables: {
      transactions: stack.transactionsTable,
      runs: stack.runsTable,
      pendingIndexName: stack.transactionsTable.pendingIndexName,
    },
    removalPolicy: RemovalPolicy.DESTROY,
  });
  const template = Template.fromStack(stack);
  return { stack, stageKey, monitoring, template, json: template.toJSON() as CfnTemplate };
}
