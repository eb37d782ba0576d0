import { Annotations, ArnFormat, type RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import type { Construct } from 'constructs';

export interface AlarmTopicProps {
  readonly stage: string;
  /** `txconfirm-<stage>`: the topic is `<prefix>-alarms`. */
  readonly prefix: string;
  /** Each subscribed to the topic by email. */
  readonly alarmEmails: readonly string[];
  /**
   * The stage's customer-managed key: encrypts the topic instead of a key of its own, and gets the
   * statement CloudWatch needs. @default a key of the topic's own
   */
  readonly encryptionKey?: kms.IKey;
  /** Of the topic's own KMS key (unused with `encryptionKey`). */
  readonly removalPolicy: RemovalPolicy;
}

export interface AlarmTopic {
  readonly topic: sns.Topic;
  /** The topic's own key, or the stage's `encryptionKey`. */
  readonly key: kms.IKey;
  readonly topicName: string;
}

/**
 * The SNS topic every alarm notifies: encrypted with a customer-managed KMS key (the stage's, or
 * one of its own), TLS only, publishable by this account's CloudWatch alarms only, and subscribed
 * by each of `alarmEmails`. Created directly in `scope` (the ConfirmationMonitoring), so the
 * resources keep its logical ids.
 */
export function createAlarmTopic(scope: Construct, props: AlarmTopicProps): AlarmTopic {
  const stack = Stack.of(scope);
  const topicName = `${props.prefix}-alarms`;
  // A customer-managed key, not alias/aws/sns: CloudWatch cannot publish to a topic encrypted
  // with the AWS-managed key, whose policy no one can extend to cloudwatch.amazonaws.com.
  const key =
    props.encryptionKey === undefined
      ? ownKey(scope, props)
      : sharedKey(scope, props.encryptionKey, topicName);
  const fromOurAlarms = {
    StringEquals: { 'aws:SourceAccount': stack.account },
    ArnLike: {
      'aws:SourceArn': stack.formatArn({
        service: 'cloudwatch',
        resource: 'alarm',
        resourceName: '*',
        arnFormat: ArnFormat.COLON_RESOURCE_NAME,
      }),
    },
  };
  const topic = new sns.Topic(scope, 'AlarmTopic', {
    topicName,
    displayName: `txconfirm ${props.stage} alarms`,
    masterKey: key,
    // Denies every request that does not use TLS (cdk-nag AwsSolutions-SNS3).
    enforceSSL: true,
  });
  // The topic policy replaces SNS's default one, so the alarms' publisher is named explicitly.
  topic.addToResourcePolicy(
    new iam.PolicyStatement({
      sid: 'AllowCloudWatchAlarmsToPublish',
      principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
      actions: ['sns:Publish'],
      resources: [topic.topicArn],
      conditions: fromOurAlarms,
    }),
  );
  for (const email of props.alarmEmails) {
    topic.addSubscription(new subscriptions.EmailSubscription(email));
  }
  return { topic, key, topicName };
}

/** What CloudWatch alarms need of the key of an encrypted topic they publish to. */
const CLOUDWATCH_KEY_ACCESS = {
  sid: 'AllowCloudWatchAlarmsToPublishEncrypted',
  principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
  actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
  resources: ['*'],
};

/** The topic's own key (no `encryptionKey`): the alarm topic is all it encrypts. */
function ownKey(scope: Construct, props: AlarmTopicProps): kms.Key {
  const key = new kms.Key(scope, 'AlarmTopicKey', {
    description: `${props.prefix}: encrypts the alarm topic`,
    enableKeyRotation: true,
    removalPolicy: props.removalPolicy,
  });
  // The statement AWS documents for alarms on an encrypted topic ("*" in a key policy is this
  // key). Who may publish is decided by the topic policy.
  key.addToResourcePolicy(new iam.PolicyStatement(CLOUDWATCH_KEY_ACCESS));
  return key;
}

/**
 * The stage's key, which also encrypts the tables and the log groups: CloudWatch gets the same
 * statement, narrowed to data keys for this topic's messages (SNS names the topic in the
 * encryption context of every data key it asks for). The topic's ARN is spelled out, not
 * referenced: the key policy referencing the topic that references the key would be a cycle.
 */
function sharedKey(scope: Construct, key: kms.IKey, topicName: string): kms.IKey {
  const topicArn = Stack.of(scope).formatArn({ service: 'sns', resource: topicName });
  const { statementAdded } = key.addToResourcePolicy(
    new iam.PolicyStatement({
      ...CLOUDWATCH_KEY_ACCESS,
      conditions: { StringEquals: { 'kms:EncryptionContext:aws:sns:topicArn': topicArn } },
    }),
  );
  if (!statementAdded) {
    // An imported key's policy cannot be changed from here: say what it needs, or the alarms
    // fail to publish without a word.
    Annotations.of(scope).addWarningV2(
      'txconfirm:alarmTopicKeyPolicy',
      `The key policy of encryptionKey must allow cloudwatch.amazonaws.com kms:Decrypt and kms:GenerateDataKey* (with kms:EncryptionContext:aws:sns:topicArn = ${topicName}'s ARN), or CloudWatch alarms cannot publish to the alarm topic.`,
    );
  }
  return key;
}
