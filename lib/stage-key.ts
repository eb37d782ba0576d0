import { ArnFormat, Lazy, type RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';

export interface StageKeyProps {
  readonly stage: string;
  /** RETAIN whenever the tables are retained: a retained table is unreadable without its key. */
  readonly removalPolicy: RemovalPolicy;
}

/**
 * Actions CloudWatch Logs uses on the key of an encrypted log group: AWS documents them as
 * `kms:Encrypt*`, `kms:Decrypt*`, `kms:ReEncrypt*`, `kms:GenerateDataKey*`, `kms:Describe*`;
 * spelled out here, without the asymmetric data-key-pair actions a log group never uses.
 */
const LOGS_KEY_ACTIONS = [
  'kms:Encrypt',
  'kms:Decrypt',
  'kms:ReEncryptFrom',
  'kms:ReEncryptTo',
  'kms:GenerateDataKey',
  'kms:GenerateDataKeyWithoutPlaintext',
  'kms:DescribeKey',
];

/**
 * One customer-managed KMS key per stage (`customerManagedKey`, on by default in production
 * stages; docs/security.md, "The stage key"): it encrypts both tables, every log group, the alarm
 * topic and a provider secret the stack creates. Rotation is on.
 *
 * The key policy keeps CDK's default statement (the account may delegate use of the key with IAM
 * policies; without it the key could not be managed or granted at all) and adds one service
 * statement: CloudWatch Logs may use the key only for this stage's log groups, named one by one
 * ({@link allowLogGroup}, called by lib/log-groups.ts for each log group it names). Functions get
 * their DynamoDB and Secrets Manager use of the key from IAM (lib/txconfirm-function.ts), always
 * through the service (`kms:ViaService`); the alarm topic adds CloudWatch's statement itself
 * (lib/monitoring/alarm-topic.ts).
 */
export class StageKey extends Construct {
  readonly key: kms.Key;
  private readonly logGroupArns: string[] = [];

  constructor(scope: Construct, id: string, props: StageKeyProps) {
    super(scope, id);
    const stack = Stack.of(this);
    this.key = new kms.Key(this, 'Key', {
      description: `txconfirm ${props.stage}: encrypts the tables, the log groups, the alarm topic and a created provider secret`,
      enableKeyRotation: true,
      removalPolicy: props.removalPolicy,
    });
    // CloudWatch Logs' regional principal, limited by the encryption context it sends (the log
    // group's ARN) to the log groups of this stage. Lazy: the list is complete only once every
    // log group is named, which happens after the key exists.
    this.key.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'AllowCloudWatchLogsForThisStagesLogGroups',
        principals: [new iam.ServicePrincipal(`logs.${stack.region}.amazonaws.com`)],
        actions: LOGS_KEY_ACTIONS,
        // In a key policy "*" is this key.
        resources: ['*'],
        conditions: {
          ArnEquals: {
            'kms:EncryptionContext:aws:logs:arn': Lazy.list({ produce: () => this.logGroupArns }),
          },
        },
      }),
    );
  }

  /** Lets CloudWatch Logs use the key for the log group named `logGroupName` (and no other). */
  allowLogGroup(logGroupName: string): void {
    this.logGroupArns.push(
      Stack.of(this).formatArn({
        service: 'logs',
        resource: 'log-group',
        resourceName: logGroupName,
        arnFormat: ArnFormat.COLON_RESOURCE_NAME,
      }),
    );
  }

  /** The log group ARNs named in the key policy so far (tests, docs). */
  get allowedLogGroupArns(): readonly string[] {
    return [...this.logGroupArns];
  }
}

/**
 * Server-side encryption of a txconfirm table: the stage's customer-managed key when there is one,
 * else the AWS-managed key aws/dynamodb. Functions get what they need of the key from
 * TxconfirmFunction.bindTable.
 */
export function tableEncryption(
  key: kms.IKey | undefined,
): Pick<dynamodb.TableProps, 'encryption' | 'encryptionKey'> {
  return key === undefined
    ? { encryption: dynamodb.TableEncryption.AWS_MANAGED }
    : { encryption: dynamodb.TableEncryption.CUSTOMER_MANAGED, encryptionKey: key };
}
