import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';

/** The two tables of the stage and the pending index, as ConfirmationMonitoringProps.tables. */
export interface MonitoredTables {
  readonly transactions: dynamodb.ITable;
  readonly runs: dynamodb.ITable;
  /** The sparse GSI of Transactions that fetch-page queries (`pending-by-shard`). */
  readonly pendingIndexName: string;
}

/**
 * The operations the handlers call on each table (lambdas/adapters/dynamo-*.ts), which are the
 * values of DynamoDB's `Operation` dimension: ThrottledRequests, SystemErrors and
 * SuccessfulRequestLatency are published per table AND operation, so a widget or an alarm must
 * name each one. test/infra/dynamodb-monitoring.test.ts checks them against the IAM actions the
 * stack grants on each table.
 */
export const TABLE_OPERATIONS = {
  // confirm-batch reads its batch and writes each outcome; fetch-page queries the pending index
  // (a Query on an index is published under the table's name).
  transactions: [
    dynamodb.Operation.BATCH_GET_ITEM,
    dynamodb.Operation.UPDATE_ITEM,
    dynamodb.Operation.QUERY,
  ],
  // The run lock and the run records: start-run, fetch-page (lease), finish-run, release-lock.
  runs: [
    dynamodb.Operation.PUT_ITEM,
    dynamodb.Operation.GET_ITEM,
    dynamodb.Operation.UPDATE_ITEM,
    dynamodb.Operation.DELETE_ITEM,
  ],
} as const satisfies Record<'transactions' | 'runs', readonly dynamodb.Operation[]>;

export type TableKey = keyof typeof TABLE_OPERATIONS;

/** The thresholds of the DynamoDB alarms (lib/monitoring/alarms.ts), each with its reason. */
export const DYNAMODB_ALARM_SETTINGS = {
  /**
   * Throttling pages when throttle events occur in 3 of 5 one-minute windows. Both tables are
   * on-demand: a burst past twice the previous peak (the first big run after a quiet night) can
   * throttle for a minute while DynamoDB adapts, and the SDK's retries absorb it. Throttling in 3
   * minutes out of 5 means the retries no longer keep up: batches fail as SystemicFault and their
   * items stay PENDING, or the lease renewal of a run fails.
   */
  throttleEvaluationPeriods: 5,
  throttleDatapointsToAlarm: 3,
  /**
   * p99 of SuccessfulRequestLatency of UpdateItem on Transactions (one conditional write per
   * transaction, after its provider call), in ms. DynamoDB serves such writes in single-digit
   * milliseconds; 100 ms at the 99th percentile is ten times that, which is a degraded partition
   * or service and not noise (it is measured inside DynamoDB, without our network). Windows of
   * the monitoring period (5 minutes); 3 in a row (15 minutes, the default freshness SLO window)
   * so that one slow window does not page; windows with too few writes for a meaningful p99
   * leave the alarm as it is.
   */
  updateLatencyThresholdMs: 100,
  updateLatencyEvaluationPeriods: 3,
} as const;

/**
 * DynamoDB aggregates its request metrics (throttles, errors, latency, consumed capacity) per
 * minute; a one-minute period shows a throttling burst as what it is instead of averaging it away.
 */
export const DYNAMODB_PERIOD = Duration.minutes(1);

/** What a metric is about: a table, or the pending index of Transactions. */
export interface Target {
  /** In labels: `Transactions`, `Runs`, `pending-by-shard`. */
  readonly label: string;
  readonly dimensions: Record<string, string>;
}

/**
 * The AWS/DynamoDB metrics of the two tables and the pending index, with the dimensions DynamoDB
 * publishes them under:
 * - ReadThrottleEvents, WriteThrottleEvents, ConsumedRead/WriteCapacityUnits: `TableName` (the
 *   table alone, its indexes excluded) or `TableName` + `GlobalSecondaryIndexName` (one index);
 * - ThrottledRequests, SystemErrors, SuccessfulRequestLatency: `TableName` + `Operation`.
 */
export class DynamoDbMetrics {
  readonly tables: MonitoredTables;
  /** Transactions, its pending index, Runs: what throttle events and capacity are shown for. */
  readonly targets: {
    readonly transactions: Target;
    readonly pendingIndex: Target;
    readonly runs: Target;
  };

  constructor(tables: MonitoredTables) {
    this.tables = tables;
    this.targets = {
      transactions: {
        label: 'Transactions',
        dimensions: { TableName: tables.transactions.tableName },
      },
      pendingIndex: {
        label: tables.pendingIndexName,
        dimensions: {
          TableName: tables.transactions.tableName,
          GlobalSecondaryIndexName: tables.pendingIndexName,
        },
      },
      runs: { label: 'Runs', dimensions: { TableName: tables.runs.tableName } },
    };
  }

  /** Read or write requests (events) throttled on a table or an index, per minute. */
  throttleEvents(kind: 'Read' | 'Write', target: Target): cloudwatch.Metric {
    return this.metric(
      `${kind}ThrottleEvents`,
      target.dimensions,
      cloudwatch.Stats.SUM,
      `${target.label} ${kind.toLowerCase()}s`,
    );
  }

  /** Capacity units consumed by a table or an index, per minute. */
  consumedCapacity(kind: 'Read' | 'Write', target: Target): cloudwatch.Metric {
    return this.metric(
      `Consumed${kind}CapacityUnits`,
      target.dimensions,
      cloudwatch.Stats.SUM,
      target.label,
    );
  }

  /** A per-operation metric of every operation the handlers call on `table`. */
  perOperation(
    table: TableKey,
    metricName: 'ThrottledRequests' | 'SystemErrors' | 'SuccessfulRequestLatency',
    statistic: string,
  ): cloudwatch.Metric[] {
    return TABLE_OPERATIONS[table].map((operation) =>
      this.operation(table, operation, metricName, statistic),
    );
  }

  /**
   * One table's metric for one operation. `labelled: false` for an alarm of its own: a label
   * would make CloudFormation render it as a metric query, and a percentile alarm keeps its
   * low-sample-count rule only in the plain form.
   */
  operation(
    table: TableKey,
    operation: dynamodb.Operation,
    metricName: 'ThrottledRequests' | 'SystemErrors' | 'SuccessfulRequestLatency',
    statistic: string,
    { labelled = true }: { labelled?: boolean } = {},
  ): cloudwatch.Metric {
    const target = this.targets[table];
    return this.metric(
      metricName,
      { TableName: this.tables[table].tableName, Operation: operation },
      statistic,
      labelled ? `${target.label} ${operation}` : undefined,
    );
  }

  private metric(
    metricName: string,
    dimensionsMap: Record<string, string>,
    statistic: string,
    label: string | undefined,
  ): cloudwatch.Metric {
    return new cloudwatch.Metric({
      namespace: 'AWS/DynamoDB',
      metricName,
      dimensionsMap,
      statistic,
      period: DYNAMODB_PERIOD,
      label,
    });
  }
}
