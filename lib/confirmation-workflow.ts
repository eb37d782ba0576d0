import {
  ArnFormat,
  Aws,
  type CfnElement,
  Duration,
  type RemovalPolicy,
  Stack,
  Validations,
} from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { Construct } from 'constructs';
import { ERROR, STATE } from '../lambdas/contracts';
import { type ConfirmBatchRetry, STAGE_NAME_PATTERN } from './config';
import type { TxconfirmFunction } from './txconfirm-function';
import { Problems } from './validation';

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
  readonly removalPolicy: RemovalPolicy;
  /** Log execution input/output (ids, totals). @default false */
  readonly includeExecutionData?: boolean;
  /** Where lock-release events go when the release-lock function cannot be reached. */
  readonly releaseLockDeadLetterQueue: sqs.IQueue;
}

/**
 * Errors worth another attempt: our handlers' SystemicFault (DynamoDB unreachable, throttled, ...)
 * and the transient faults of the Lambda service and of the task itself (crash, OOM, timeout). Never States.ALL:
 * InvalidExecutionInput, LockLost and InvalidConfiguration must fail at once.
 */
export const TRANSIENT_ERRORS = [
  ERROR.SystemicFault,
  'Lambda.ServiceException',
  'Lambda.AWSLambdaException',
  'Lambda.SdkClientException',
  'Lambda.TooManyRequestsException',
  'Lambda.ClientExecutionTimeoutException',
  sfn.Errors.TIMEOUT,
  // A function that crashed, ran out of memory or hit its own timeout: every handler is safe to
  // run again (conditional writes, replayed provider keys), so a crash costs a retry, not a run.
  'Lambda.Unknown',
  'Sandbox.Timedout',
] as const;

/**
 * The confirmation run (DESIGN.md §3, flow at the top of lambdas/contracts.ts): a STANDARD state
 * machine that pages the pending index, confirms each page with a Distributed Map of EXPRESS
 * children, continues as a new execution after K pages, and releases the run lock on every way
 * out: Catch → ReleaseLockAfterFailure, and an EventBridge rule for executions that end without
 * running their Catch (aborted, timed out).
 *
 * Owns its defaults: log group `/aws/vendedlogs/states/txconfirm-<stage>` at level ALL, X-Ray
 * tracing, an execution timeout, and alarms on failed / timed-out / aborted executions.
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
    const { functions: fn } = props;

    // A fixed name: ContinueAsNew's IAM policy names this ARN without referencing the state
    // machine resource (which would be a circular dependency: role policy -> state machine -> role).
    this.stateMachineName = `txconfirm-${props.stage}`;

    // ---- states ------------------------------------------------------------------------------
    const startRun = new tasks.LambdaInvoke(this, 'StartRun', {
      stateName: STATE.StartRun,
      comment:
        'Validate the input, take the run lock, fix the cutoff. No Catch: no lock is held if it fails.',
      lambdaFunction: fn.startRun,
      payload: sfn.TaskInput.fromObject({
        input: sfn.JsonPath.objectAt('$$.Execution.Input'),
        executionArn: sfn.JsonPath.stringAt('$$.Execution.Id'),
        executionName: sfn.JsonPath.stringAt('$$.Execution.Name'),
        startTime: sfn.JsonPath.stringAt('$$.Execution.StartTime'),
      }),
      outputPath: '$.Payload',
      retryOnServiceExceptions: false,
      taskTimeout: sfn.Timeout.duration(fn.startRun.taskTimeout),
    });
    addControlRetry(startRun);

    const skipped = new sfn.Succeed(this, 'Skipped', {
      stateName: STATE.Skipped,
      comment: 'Another live run holds the lock (its holder is in the output).',
    });

    const fetchPage = new tasks.LambdaInvoke(this, 'FetchPage', {
      stateName: STATE.FetchPage,
      comment:
        'Renew the lease, fold the last page results into the totals, read the next page of ids.',
      lambdaFunction: fn.fetchPage,
      payload: sfn.TaskInput.fromJsonPathAt('$'),
      outputPath: '$.Payload',
      retryOnServiceExceptions: false,
      taskTimeout: sfn.Timeout.duration(fn.fetchPage.taskTimeout),
    });
    addControlRetry(fetchPage);

    const confirmBatch = new tasks.LambdaInvoke(this, 'ConfirmBatch', {
      stateName: STATE.ConfirmBatch,
      lambdaFunction: fn.confirmBatch,
      payload: sfn.TaskInput.fromJsonPathAt('$'),
      outputPath: '$.Payload',
      retryOnServiceExceptions: false,
      taskTimeout: sfn.Timeout.duration(fn.confirmBatch.taskTimeout),
    });
    const retry = props.confirmBatchRetry;
    if (retry.maxAttempts > 0) {
      // Safe to repeat: every provider call carries the idempotency key and every terminal write
      // is conditional on status = PENDING (DESIGN.md §4).
      confirmBatch.addRetry({
        errors: [...TRANSIENT_ERRORS],
        interval: Duration.seconds(retry.intervalSeconds),
        maxAttempts: retry.maxAttempts,
        backoffRate: retry.backoffRate,
        maxDelay: Duration.seconds(retry.maxDelaySeconds),
        jitterStrategy: sfn.JitterType.FULL,
      });
    }

    const confirmPage = new sfn.DistributedMap(this, 'ConfirmPage', {
      stateName: STATE.ConfirmPage,
      comment: 'One EXPRESS child per batch of ids; failed batches leave their items PENDING.',
      itemsPath: '$.page.items',
      itemBatcher: new sfn.ItemBatcher({
        maxItemsPerBatch: props.batchSize,
        batchInput: { 'runId.$': '$.run.runId', 'dryRun.$': '$.run.dryRun' },
      }),
      maxConcurrency: props.maxConcurrency,
      toleratedFailurePercentage: props.toleratedFailurePercentage,
      mapExecutionType: sfn.StateMachineType.EXPRESS,
      resultPath: '$.pageResults',
    });
    confirmPage.itemProcessor(confirmBatch);

    // The optimized startExecution integration, fire-and-forget: the new execution takes over the
    // lock from the one named in AWS_STEP_FUNCTIONS_STARTED_BY_EXECUTION_ID.
    const continueAsNew = new sfn.CustomState(this, STATE.ContinueAsNew, {
      stateJson: {
        Type: 'Task',
        Comment:
          'After maxPagesPerExecution pages: hand the cursor and the lock to a fresh execution.',
        Resource: `arn:${Aws.PARTITION}:states:::states:startExecution`,
        Parameters: {
          'StateMachineArn.$': '$$.StateMachine.Id',
          Input: {
            'resume.$': '$.resume',
            'AWS_STEP_FUNCTIONS_STARTED_BY_EXECUTION_ID.$': '$$.Execution.Id',
          },
        },
        ResultSelector: { 'nextExecutionArn.$': '$.ExecutionArn' },
      },
    });
    // Only an error that proves no execution was started is retried (a retry after an unknown
    // outcome could start two executions).
    continueAsNew.addRetry({
      errors: ['StepFunctions.ExecutionLimitExceededException'],
      interval: Duration.seconds(5),
      maxAttempts: 5,
      backoffRate: 2,
      maxDelay: Duration.seconds(60),
      jitterStrategy: sfn.JitterType.FULL,
    });
    const handedOver = new sfn.Succeed(this, 'HandedOver', { stateName: STATE.HandedOver });

    const finishRun = new tasks.LambdaInvoke(this, 'FinishRun', {
      stateName: STATE.FinishRun,
      comment: 'Write the run summary, emit metrics, release the lock.',
      lambdaFunction: fn.finishRun,
      payload: sfn.TaskInput.fromObject({
        run: sfn.JsonPath.objectAt('$.run'),
        totals: sfn.JsonPath.objectAt('$.totals'),
        executionArn: sfn.JsonPath.stringAt('$$.Execution.Id'),
        outcome: 'SUCCEEDED',
      }),
      outputPath: '$.Payload',
      retryOnServiceExceptions: false,
      taskTimeout: sfn.Timeout.duration(fn.finishRun.taskTimeout),
    });
    addControlRetry(finishRun);
    const succeeded = new sfn.Succeed(this, 'RunSucceeded', { stateName: STATE.Succeeded });

    const releaseLockAfterFailure = new tasks.LambdaInvoke(this, 'ReleaseLockAfterFailure', {
      stateName: STATE.ReleaseLockAfterFailure,
      comment: 'Write the FAILED summary and release the lock, then fail with the original error.',
      lambdaFunction: fn.finishRun,
      payload: sfn.TaskInput.fromObject({
        run: sfn.JsonPath.objectAt('$.run'),
        totals: sfn.JsonPath.objectAt('$.totals'),
        executionArn: sfn.JsonPath.stringAt('$$.Execution.Id'),
        outcome: 'FAILED',
        error: sfn.JsonPath.objectAt('$.failure'),
      }),
      resultPath: sfn.JsonPath.DISCARD,
      retryOnServiceExceptions: false,
      taskTimeout: sfn.Timeout.duration(fn.finishRun.taskTimeout),
    });
    addControlRetry(releaseLockAfterFailure);
    const runFailed = new sfn.Fail(this, 'RunFailed', {
      stateName: STATE.Failed,
      errorPath: '$.failure.Error',
      causePath: '$.failure.Cause',
    });
    // If even the release fails, still fail with the original error; the release rule
    // (execution FAILED) releases the lock.
    releaseLockAfterFailure.addCatch(runFailed, {
      errors: [sfn.Errors.ALL],
      resultPath: '$.releaseFailure',
    });
    releaseLockAfterFailure.next(runFailed);

    const onFailure = { errors: [sfn.Errors.ALL], resultPath: '$.failure' };
    fetchPage.addCatch(releaseLockAfterFailure, onFailure);
    confirmPage.addCatch(releaseLockAfterFailure, onFailure);
    continueAsNew.addCatch(releaseLockAfterFailure, onFailure);
    finishRun.addCatch(releaseLockAfterFailure, onFailure);

    // ---- wiring ------------------------------------------------------------------------------
    const nextStep = new sfn.Choice(this, 'NextStep', { stateName: STATE.NextStep })
      .when(sfn.Condition.stringEquals('$.next', 'CONFIRM'), confirmPage.next(fetchPage))
      .when(sfn.Condition.stringEquals('$.next', 'CONTINUE'), continueAsNew.next(handedOver))
      .when(sfn.Condition.stringEquals('$.next', 'FINISH'), finishRun.next(succeeded));
    const runSkipped = new sfn.Choice(this, 'RunSkipped', { stateName: STATE.RunSkipped })
      .when(sfn.Condition.stringEquals('$.status', 'SKIPPED'), skipped)
      .otherwise(fetchPage.next(nextStep));

    // ---- state machine -----------------------------------------------------------------------
    this.logGroup = new logs.LogGroup(this, 'LogGroup', {
      logGroupName: `/aws/vendedlogs/states/${this.stateMachineName}`,
      retention: props.logRetention,
      removalPolicy: props.removalPolicy,
    });
    this.stateMachine = new sfn.StateMachine(this, 'StateMachine', {
      stateMachineName: this.stateMachineName,
      stateMachineType: sfn.StateMachineType.STANDARD,
      definitionBody: sfn.DefinitionBody.fromChainable(startRun.next(runSkipped)),
      timeout: props.executionTimeout,
      tracingEnabled: true,
      logs: {
        destination: this.logGroup,
        level: sfn.LogLevel.ALL,
        includeExecutionData: props.includeExecutionData ?? false,
      },
    });
    // ContinueAsNew starts this very state machine. (The Distributed Map's own policy also grants
    // this, for its children; stated here so ContinueAsNew does not depend on that detail.)
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

    // ---- the lock-release rule ---------------------------------------------------------------
    // Executions that end without running their Catch (aborted, timed out, or a failure outside a
    // Catch) would otherwise strand the lock until its lease expires.
    this.releaseLockRule = new events.Rule(this, 'ReleaseLockRule', {
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
        new targets.LambdaFunction(fn.releaseLock, {
          deadLetterQueue: props.releaseLockDeadLetterQueue,
          retryAttempts: 8,
          maxEventAge: Duration.hours(6),
        }),
      ],
    });

    // ---- alarms ------------------------------------------------------------------------------
    // Actions (the alarm topic) are added by ConfirmationMonitoring (lib/observability.ts).
    const alarm = (
      alarmId: string,
      name: string,
      metric: cloudwatch.Metric,
      what: string,
    ): cloudwatch.Alarm =>
      new cloudwatch.Alarm(this, alarmId, {
        alarmName: `${this.stateMachineName}-${name}`,
        alarmDescription: `${this.stateMachineName}: an execution ${what} in the last 5 minutes. The release rule frees its lock; read the execution history for the error, fix the cause, then start a run (its PENDING items are picked up again). Runbook: README.md § Runbook → ${name}.`,
        metric: metric.with({ statistic: cloudwatch.Stats.SUM, period: Duration.minutes(5) }),
        threshold: 1,
        evaluationPeriods: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      });
    this.alarms = [
      alarm(
        'ExecutionsFailedAlarm',
        'executions-failed',
        this.stateMachine.metricFailed(),
        'failed',
      ),
      alarm(
        'ExecutionsTimedOutAlarm',
        'executions-timed-out',
        this.stateMachine.metricTimedOut(),
        'timed out',
      ),
      alarm(
        'ExecutionsAbortedAlarm',
        'executions-aborted',
        this.stateMachine.metricAborted(),
        'was aborted',
      ),
    ];

    this.addNagSuppressions(props.functions);
  }

  private addNagSuppressions(fn: WorkflowFunctions): void {
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
    const executionArn = `arn:<AWS::Partition>:states:<AWS::Region>:<AWS::AccountId>:execution:${name}`;
    const childReason =
      'The Distributed Map describes, stops and redrives its own child executions, whose names are generated at run time; the ARN is scoped to executions of this state machine.';
    acknowledge(`Resource::${executionArn}:*`, childReason);
    acknowledge(`Resource::${executionArn}/*:*`, childReason);
    acknowledge(
      'Resource::*',
      'Vended log delivery (logs:CreateLogDelivery, logs:PutResourcePolicy, ...) and X-Ray (xray:PutTraceSegments, ...) do not support resource-level permissions.',
    );
  }
}

/** StartRun, FetchPage, FinishRun, ReleaseLockAfterFailure: a few quick retries on transient faults. */
function addControlRetry(task: tasks.LambdaInvoke): void {
  task.addRetry({
    errors: [...TRANSIENT_ERRORS],
    interval: Duration.seconds(1),
    maxAttempts: 3,
    backoffRate: 2,
    maxDelay: Duration.seconds(10),
    jitterStrategy: sfn.JitterType.FULL,
  });
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
