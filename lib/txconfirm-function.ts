import * as path from 'node:path';
import { Duration, type RemovalPolicy, Validations } from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import { ENV } from '../lambdas/contracts';
import { CONTROL_FUNCTION_TIMEOUT_SECONDS, TASK_TIMEOUT_HEADROOM_SECONDS } from './config';
import { HANDLER_METADATA_KEY, type HandlerMetadata } from './handler-metadata';

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

export interface TxconfirmFunctionProps {
  /** File name in lambdas/handlers without `.ts` (`start-run`); the file exports `handler`. */
  readonly handlerName: string;
  readonly description: string;
  readonly logRetention: logs.RetentionDays;
  /** Of the log group (RETAIN in stateful stages). */
  readonly removalPolicy: RemovalPolicy;
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

  constructor(scope: Construct, id: string, props: TxconfirmFunctionProps) {
    const entry = path.join(PROJECT_ROOT, HANDLERS_DIR, `${props.handlerName}.ts`);
    const timeout = props.timeout ?? Duration.seconds(CONTROL_FUNCTION_TIMEOUT_SECONDS);
    // Created beside the function (not inside it: a construct cannot own children before super()).
    const logGroup = new logs.LogGroup(scope, `${id}LogGroup`, {
      retention: props.logRetention,
      removalPolicy: props.removalPolicy,
    });
    // Our own role instead of AWSLambdaBasicExecutionRole (which may write to any log group):
    // this function may only write to its own log group.
    const role = new iam.Role(scope, `${id}Role`, {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: `txconfirm ${props.handlerName}: its log group, X-Ray and the grants of bindTable/bindSecret`,
      inlinePolicies: {
        Logs: new iam.PolicyDocument({
          statements: [
            new iam.PolicyStatement({
              actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
              resources: [logGroup.logGroupArn],
            }),
          ],
        }),
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
        POWERTOOLS_SERVICE_NAME: 'txconfirm',
        POWERTOOLS_METRICS_NAMESPACE: 'txconfirm',
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
      reason:
        'Tracing.ACTIVE: xray:PutTraceSegments and xray:PutTelemetryRecords do not support resource-level permissions, so they need Resource "*".',
    });
  }

  /**
   * Grants exactly `actions` on `table` and sets `envName` to its name, in one call. With `index`,
   * Query/Scan are granted on that index only (never on the base table) and `index.envName` is set
   * to the index name. No wildcard: every ARN is named.
   */
  bindTable(
    table: dynamodb.ITable,
    envName: string,
    actions: readonly DynamoDbAction[],
    index?: { readonly name: string; readonly envName: string },
  ): void {
    const tableActions = actions.filter((a) => !index || !INDEX_ACTIONS.has(a));
    const indexActions = actions.filter((a) => index && INDEX_ACTIONS.has(a));
    if (tableActions.length > 0) {
      this.addToRolePolicy(
        new iam.PolicyStatement({ actions: [...tableActions], resources: [table.tableArn] }),
      );
    }
    if (index) {
      if (indexActions.length > 0) {
        this.addToRolePolicy(
          new iam.PolicyStatement({
            actions: [...indexActions],
            resources: [`${table.tableArn}/index/${index.name}`],
          }),
        );
      }
      this.addEnvironment(index.envName, index.name);
    }
    this.addEnvironment(envName, table.tableName);
  }

  /**
   * Grants `secretsmanager:GetSecretValue` (nothing else) on `secret` and sets
   * `ENV.PROVIDER_SECRET_ID` to the secret NAME. A secret encrypted with the default
   * `aws/secretsmanager` key needs no KMS grant.
   */
  bindSecret(secret: secretsmanager.ISecret, envName: string = ENV.PROVIDER_SECRET_ID): void {
    // A secret imported by name has a partial ARN: the real one ends in "-" and 6 random characters.
    this.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['secretsmanager:GetSecretValue'],
        resources: [secret.secretFullArn ?? `${secret.secretArn}-??????`],
      }),
    );
    this.addEnvironment(envName, secret.secretName);
  }
}
