import * as path from 'node:path';
import { Duration, type RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import { ENV, METRICS_NAMESPACE, SERVICE_NAME } from '../lambdas/contracts';
import { CONTROL_FUNCTION_TIMEOUT_SECONDS, TASK_TIMEOUT_HEADROOM_SECONDS } from './config';
import { HANDLER_METADATA_KEY, type HandlerMetadata } from './handler-metadata';
import type { StageLogGroups } from './log-groups';
import { nagArnPrefix } from './nag-findings';
import type { ProviderSecret } from './provider-secret';

/** The project root: where package-lock.json and lambdas/ live. */
export const PROJECT_ROOT = path.resolve(__dirname, '..');
/** Where handler entry files live, relative to {@link PROJECT_ROOT}. */
export const HANDLERS_DIR = 'lambdas/handlers';

/** DynamoDB data-plane actions a handler may be granted; see {@link TxconfirmFunction.bindTable}. */
export type DynamoDbAction =
  | 'dynamodb:GetItem'
  | 'dynamodb:BatchGetItem'
  | 'dynamodb:PutItem'
  | 'dynamodb:UpdateItem'
  | 'dynamodb:DeleteItem'
  | 'dynamodb:BatchWriteItem'
  | 'dynamodb:Query'
  | 'dynamodb:Scan'
  | 'dynamodb:ConditionCheckItem';

/** Actions that read an index rather than the base table. */
const INDEX_ACTIONS: ReadonlySet<DynamoDbAction> = new Set(['dynamodb:Query', 'dynamodb:Scan']);
/** Actions that change items (CDK's WRITE_DATA_ACTIONS); the others only read. */
const WRITE_ACTIONS: ReadonlySet<DynamoDbAction> = new Set([
  'dynamodb:PutItem',
  'dynamodb:UpdateItem',
  'dynamodb:DeleteItem',
  'dynamodb:BatchWriteItem',
]);
/**
 * What a principal needs of the KMS key of a customer-managed-key table: the sets CDK's
 * `grantReadData` (KEY_READ_ACTIONS) and `grantWriteData` (+ KEY_WRITE_ACTIONS) give, with their
 * wildcards (`kms:ReEncrypt*`, `kms:GenerateDataKey*`) spelled out for a symmetric key.
 */
const TABLE_KEY_READ_ACTIONS = ['kms:Decrypt', 'kms:DescribeKey'];
const TABLE_KEY_WRITE_ACTIONS = [
  ...TABLE_KEY_READ_ACTIONS,
  'kms:Encrypt',
  'kms:ReEncryptFrom',
  'kms:ReEncryptTo',
  'kms:GenerateDataKey',
  'kms:GenerateDataKeyWithoutPlaintext',
];

/** Where a function runs in a VPC (lib/network.ts). */
export interface FunctionNetwork {
  readonly vpc: ec2.IVpc;
  /** The private subnets (with egress) the function's network interfaces go in. */
  readonly subnets: readonly ec2.ISubnet[];
  readonly securityGroup: ec2.ISecurityGroup;
}

export interface TxconfirmFunctionProps {
  /** File name in lambdas/handlers without `.ts` (`start-run`); the file exports `handler`. */
  readonly handlerName: string;
  readonly description: string;
  readonly logRetention: logs.RetentionDays;
  /** Of the log group (RETAIN in stateful stages). */
  readonly removalPolicy: RemovalPolicy;
  /**
   * Names the log group (unique per stack creation) and encrypts it with the stage key.
   * @default a name CloudFormation generates, AWS-owned encryption
   */
  readonly logGroups?: StageLogGroups;
  /** Runs the function in these private subnets. @default no VPC */
  readonly network?: FunctionNetwork;
  /** @default 30 seconds */
  readonly timeout?: Duration;
  /** @default 256 */
  readonly memorySize?: number;
  /** Settings beyond the ones set by bindTable / bindSecret. */
  readonly environment?: Record<string, string>;
  /** Asynchronous invocations only: where events go after `retryAttempts` failed attempts. */
  readonly deadLetterQueue?: sqs.IQueue;
  readonly retryAttempts?: number;
}

/**
 * Every txconfirm Lambda: one place owning runtime, architecture, tracing, source maps, logging,
 * local (Docker-free) bundling and least-privilege grants. Stacks never repeat these props.
 */
export class TxconfirmFunction extends nodejs.NodejsFunction {
  /** For the Step Functions task: a little longer than the function's own timeout. */
  readonly taskTimeout: Duration;
  /** What bindTable granted, per call (the VPC's DynamoDB endpoint admits their union). */
  readonly dynamoDbGrants: { readonly actions: DynamoDbAction[]; readonly resources: string[] }[] =
    [];

  constructor(scope: Construct, id: string, props: TxconfirmFunctionProps) {
    const entry = path.join(PROJECT_ROOT, HANDLERS_DIR, `${props.handlerName}.ts`);
    const timeout = props.timeout ?? Duration.seconds(CONTROL_FUNCTION_TIMEOUT_SECONDS);
    // Created beside the function (not inside it: a construct cannot own children before super()).
    const logGroup = new logs.LogGroup(scope, `${id}LogGroup`, {
      retention: props.logRetention,
      removalPolicy: props.removalPolicy,
      ...props.logGroups?.forFunction(props.handlerName),
    });
    // Our own role instead of AWSLambdaBasicExecutionRole (which may write to any log group):
    // this function may only write to its own log group. (A CMK-encrypted log group needs no KMS
    // grant here: CloudWatch Logs itself uses the key, see lib/stage-key.ts.)
    const role = new iam.Role(scope, `${id}Role`, {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: `txconfirm ${props.handlerName}: its log group, X-Ray${props.network ? ', its VPC network interfaces' : ''} and the grants of bindTable/bindSecret`,
      inlinePolicies: {
        Logs: new iam.PolicyDocument({
          statements: [
            new iam.PolicyStatement({
              actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
              resources: [logGroup.logGroupArn],
            }),
          ],
        }),
        // Inline (part of the role itself), not added later: Lambda checks these permissions
        // when the function is created, before a separate policy would be attached.
        ...(props.network ? { Vpc: vpcAccessPolicy(scope, props.network) } : {}),
      },
    });

    super(scope, id, {
      entry,
      handler: 'handler',
      description: props.description,
      // The newest Node.js runtime (cdk-nag AwsSolutions-L1); the bundle targets node20 so that it
      // also runs on the Node 20 of the offline machine.
      runtime: lambda.Runtime.NODEJS_24_X,
      architecture: lambda.Architecture.ARM_64,
      tracing: lambda.Tracing.ACTIVE,
      timeout,
      memorySize: props.memorySize ?? 256,
      role,
      logGroup,
      ...(props.network
        ? {
            vpc: props.network.vpc,
            vpcSubnets: { subnets: [...props.network.subnets] },
            securityGroups: [props.network.securityGroup],
          }
        : {}),
      deadLetterQueue: props.deadLetterQueue,
      retryAttempts: props.retryAttempts,
      projectRoot: PROJECT_ROOT,
      depsLockFilePath: path.join(PROJECT_ROOT, 'package-lock.json'),
      bundling: {
        forceDockerBundling: false,
        target: 'node20',
        format: nodejs.OutputFormat.CJS,
        minify: true,
        sourceMap: true,
        sourceMapMode: nodejs.SourceMapMode.DEFAULT,
        sourcesContent: false,
        // Bundle the SDK: production runs the exact versions the tests ran (package-lock.json).
        bundleAwsSDK: true,
      },
      environment: {
        NODE_OPTIONS: '--enable-source-maps',
        POWERTOOLS_SERVICE_NAME: SERVICE_NAME,
        POWERTOOLS_METRICS_NAMESPACE: METRICS_NAMESPACE,
        ...props.environment,
      },
    });

    this.taskTimeout = Duration.seconds(timeout.toSeconds() + TASK_TIMEOUT_HEADROOM_SECONDS);

    const metadata: HandlerMetadata = {
      entry: path.relative(PROJECT_ROOT, entry).split(path.sep).join('/'),
      export: 'handler',
    };
    (this.node.defaultChild as lambda.CfnFunction).addMetadata(HANDLER_METADATA_KEY, metadata);

    Validations.of(role).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason: props.network
        ? 'Tracing.ACTIVE: xray:PutTraceSegments and xray:PutTelemetryRecords, and for the VPC ec2:DescribeNetworkInterfaces and ec2:DescribeSubnets, do not support resource-level permissions, so they need Resource "*".'
        : 'Tracing.ACTIVE: xray:PutTraceSegments and xray:PutTelemetryRecords do not support resource-level permissions, so they need Resource "*".',
    });
    if (props.network) {
      Validations.of(role).acknowledge({
        id: `AwsSolutions-IAM5[Resource::${nagArnPrefix(role, 'ec2')}network-interface/*]`,
        reason:
          'Lambda creates, re-addresses and deletes the function network interfaces (Hyperplane ENIs) itself, with ids assigned at run time; creation is further limited to the private subnets and the function security group, named exactly.',
      });
    }
  }

  /**
   * Grants exactly `actions` on `table` and sets `envName` to its name, in one call. With `index`,
   * Query/Scan are granted on that index only (never on the base table) and `index.envName` is set
   * to the index name. With `partitions`, the grant holds only for items whose partition key is
   * one of them (the `dynamodb:LeadingKeys` condition). No wildcard: every ARN is named.
   *
   * A table encrypted with a customer-managed key also needs that key: the read set for a table the
   * function only reads, the write set for one it writes (see TABLE_KEY_*_ACTIONS), usable only
   * through DynamoDB (`kms:ViaService`) and only for this table (DynamoDB's encryption context
   * names it; `IfExists` because DescribeKey carries no context).
   */
  bindTable(
    table: dynamodb.ITable,
    envName: string,
    actions: readonly DynamoDbAction[],
    options: {
      readonly index?: { readonly name: string; readonly envName: string };
      readonly partitions?: readonly string[];
    } = {},
  ): void {
    const { index, partitions } = options;
    const tableActions = actions.filter((a) => !index || !INDEX_ACTIONS.has(a));
    const indexActions = actions.filter((a) => index && INDEX_ACTIONS.has(a));
    if (tableActions.length > 0) {
      this.addToRolePolicy(
        new iam.PolicyStatement({
          actions: [...tableActions],
          resources: [table.tableArn],
          ...(partitions === undefined
            ? {}
            : {
                conditions: {
                  'ForAllValues:StringEquals': { 'dynamodb:LeadingKeys': [...partitions] },
                },
              }),
        }),
      );
      this.dynamoDbGrants.push({ actions: tableActions, resources: [table.tableArn] });
    }
    if (index) {
      if (indexActions.length > 0) {
        const indexArn = `${table.tableArn}/index/${index.name}`;
        this.addToRolePolicy(
          new iam.PolicyStatement({ actions: [...indexActions], resources: [indexArn] }),
        );
        this.dynamoDbGrants.push({ actions: indexActions, resources: [indexArn] });
      }
      this.addEnvironment(index.envName, index.name);
    }
    const key = table.encryptionKey;
    if (key !== undefined) {
      const writes = actions.some((a) => WRITE_ACTIONS.has(a));
      this.addToRolePolicy(
        new iam.PolicyStatement({
          actions: writes ? TABLE_KEY_WRITE_ACTIONS : TABLE_KEY_READ_ACTIONS,
          resources: [key.keyArn],
          conditions: {
            StringEquals: { 'kms:ViaService': `dynamodb.${Stack.of(this).region}.amazonaws.com` },
            StringEqualsIfExists: {
              'kms:EncryptionContext:aws:dynamodb:tableName': table.tableName,
            },
          },
        }),
      );
    }
    this.addEnvironment(envName, table.tableName);
  }

  /**
   * Grants `secretsmanager:GetSecretValue` (nothing else) on exactly `secret` and sets `envName` to
   * what GetSecretValue is called with (its name, or its ARN when configured by ARN). A secret
   * encrypted with the stage key also gets `kms:Decrypt`, only through Secrets Manager and only for
   * this secret (Secrets Manager's encryption context names its ARN); one under the AWS-managed
   * `aws/secretsmanager` key needs no KMS grant.
   */
  bindSecret(secret: ProviderSecret, envName: string = ENV.PROVIDER_SECRET_ID): void {
    this.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['secretsmanager:GetSecretValue'],
        resources: [secret.grantArn],
      }),
    );
    if (secret.encryptionKey !== undefined) {
      this.addToRolePolicy(
        new iam.PolicyStatement({
          actions: ['kms:Decrypt'],
          resources: [secret.encryptionKey.keyArn],
          conditions: {
            StringEquals: {
              'kms:ViaService': secret.viaService,
              'kms:EncryptionContext:SecretARN': secret.secretArn,
            },
          },
        }),
      );
    }
    this.addEnvironment(envName, secret.secretId);
  }
}

/**
 * What Lambda needs to attach a function to a VPC (the actions of the AWS-managed
 * AWSLambdaVPCAccessExecutionRole, without its logs:* on every log group), scoped as far as EC2
 * allows: the two Describe actions have no resource-level permissions; creating an interface is
 * limited to the function's subnets and security group; the interface ids themselves only exist
 * at run time.
 */
function vpcAccessPolicy(scope: Construct, network: FunctionNetwork): iam.PolicyDocument {
  const stack = Stack.of(scope);
  const ec2Arn = (resource: string, resourceName: string) =>
    stack.formatArn({ service: 'ec2', resource, resourceName });
  const networkInterfaces = ec2Arn('network-interface', '*');
  return new iam.PolicyDocument({
    statements: [
      new iam.PolicyStatement({
        actions: ['ec2:DescribeNetworkInterfaces', 'ec2:DescribeSubnets'],
        resources: ['*'],
      }),
      new iam.PolicyStatement({
        actions: ['ec2:CreateNetworkInterface'],
        resources: [
          networkInterfaces,
          ...network.subnets.map((subnet) => ec2Arn('subnet', subnet.subnetId)),
          ec2Arn('security-group', network.securityGroup.securityGroupId),
        ],
      }),
      new iam.PolicyStatement({
        actions: [
          'ec2:DeleteNetworkInterface',
          'ec2:AssignPrivateIpAddresses',
          'ec2:UnassignPrivateIpAddresses',
        ],
        resources: [networkInterfaces],
      }),
    ],
  });
}
