/**
 * ListMapRuns and DescribeMapRun: the Map Runs the engine tracks for each Distributed Map of a
 * top-level execution. A Map Run is redriven with its execution (RedriveExecution): its
 * redriveCount and redriveDate say so. `failuresNotRedrivable` and `pendingRedrive` are 0: a
 * redrive starts the failed children at once, and every child can be redriven.
 */
import type { MapRunRecord } from '../../engine';
import { newestFirst, pageAfter } from './paging';
import {
  executionArnField,
  LONG_ARN,
  optionalString,
  PAGE_TOKEN,
  pageSize,
  requiredString,
  validArn,
} from './request-fields';
import type { OperationContext } from './state-machines';
import { type Body, epochSeconds } from './wire';

export function listMapRuns(context: OperationContext, body: Body): Body {
  const executionArn = executionArnField(body);
  const maxResults = pageSize(body);
  const nextToken = optionalString(body, 'nextToken', PAGE_TOKEN);
  const mapRuns = context.engine
    .listMapRuns(executionArn)
    .sort(newestFirst((mapRun) => mapRun.mapRunArn));
  const page = pageAfter(mapRuns, nextToken, maxResults, 'mapRuns', (mapRun) => [
    mapRun.startDate.getTime(),
    mapRun.mapRunArn,
  ]);
  return {
    mapRuns: page.items.map((mapRun) => ({
      executionArn: mapRun.executionArn,
      mapRunArn: mapRun.mapRunArn,
      stateMachineArn: mapRun.stateMachineArn,
      startDate: epochSeconds(mapRun.startDate),
      ...(mapRun.stopDate ? { stopDate: epochSeconds(mapRun.stopDate) } : {}),
    })),
    ...(page.nextToken ? { nextToken: page.nextToken } : {}),
  };
}

export function describeMapRun(context: OperationContext, body: Body): Body {
  const mapRunArn = validArn(requiredString(body, 'mapRunArn', LONG_ARN), 'mapRunArn', ['mapRun']);
  const mapRun: MapRunRecord = context.engine.describeMapRun(mapRunArn);
  return {
    mapRunArn: mapRun.mapRunArn,
    executionArn: mapRun.executionArn,
    status: mapRun.status,
    startDate: epochSeconds(mapRun.startDate),
    ...(mapRun.stopDate ? { stopDate: epochSeconds(mapRun.stopDate) } : {}),
    maxConcurrency: mapRun.maxConcurrency,
    toleratedFailurePercentage: mapRun.toleratedFailurePercentage,
    toleratedFailureCount: mapRun.toleratedFailureCount,
    itemCounts: { ...mapRun.itemCounts, failuresNotRedrivable: 0, pendingRedrive: 0 },
    executionCounts: { ...mapRun.executionCounts, failuresNotRedrivable: 0, pendingRedrive: 0 },
    redriveCount: mapRun.redriveCount,
    ...(mapRun.redriveDate ? { redriveDate: epochSeconds(mapRun.redriveDate) } : {}),
  };
}
