import { Duration } from 'aws-cdk-lib';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import type { Construct } from 'constructs';
import { STATE } from '../../lambdas/contracts';
import type { ConfirmBatchRetry } from '../config';
import type { TxconfirmFunction } from '../txconfirm-function';
import { handlerTask, TRANSIENT_ERRORS } from './tasks';

export interface ConfirmPageProps {
  /** The confirm-batch function. */
  readonly fn: TxconfirmFunction;
  /** Where FetchPage put the page's ids (`$.page.manifest.key`). */
  readonly manifestBucket: s3.IBucket;
  /** Ids per child (ItemBatcher MaxItemsPerBatch). */
  readonly batchSize: number;
  readonly maxConcurrency: number;
  readonly toleratedFailurePercentage: number;
  readonly retry: ConfirmBatchRetry;
}

/**
 * ConfirmPage: a Distributed Map over the page's ids, read from the page's manifest in S3
 * (ItemReader), one EXPRESS child (ConfirmBatch) per batch; its results land in `$.pageResults`
 * for FetchPage to fold into the totals.
 */
export function confirmPageMap(scope: Construct, props: ConfirmPageProps): sfn.DistributedMap {
  const confirmBatch = handlerTask(scope, 'ConfirmBatch', {
    stateName: STATE.ConfirmBatch,
    fn: props.fn,
    payload: sfn.TaskInput.fromJsonPathAt('$'),
  });
  const retry = props.retry;
  if (retry.maxAttempts > 0) {
    // Safe to repeat: every provider call carries the idempotency key and every terminal write
    // is conditional on status = PENDING (docs/architecture.md §4).
    confirmBatch.addRetry({
      errors: [...TRANSIENT_ERRORS],
      interval: Duration.seconds(retry.intervalSeconds),
      maxAttempts: retry.maxAttempts,
      backoffRate: retry.backoffRate,
      maxDelay: Duration.seconds(retry.maxDelaySeconds),
      jitterStrategy: sfn.JitterType.FULL,
    });
  }

  const confirmPage = new sfn.DistributedMap(scope, 'ConfirmPage', {
    stateName: STATE.ConfirmPage,
    comment: 'One EXPRESS child per batch of ids; failed batches leave their items PENDING.',
    itemReader: new sfn.S3JsonItemReader({
      bucket: props.manifestBucket,
      key: sfn.JsonPath.stringAt('$.page.manifest.key'),
    }),
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
  return confirmPage;
}
