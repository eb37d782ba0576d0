/**
 * GetExecutionHistory: the engine's events (oldest first, Step Functions' own shapes) paged in
 * either direction, with or without the data fields. A token carries the id of the next event to
 * return, the direction and the execution it was issued for: event ids never change, so a page
 * boundary stays put while the execution goes on adding events.
 */
import type { HistoryEvent } from '../../engine';
import { decodeToken, encodeToken } from './paging';
import {
  executionArnField,
  optionalBoolean,
  optionalString,
  PAGE_TOKEN,
  pageSize,
} from './request-fields';
import type { OperationContext } from './state-machines';
import { ApiError, type Body, epochSeconds } from './wire';

/** The fields `includeExecutionData: false` leaves out. */
const DATA_FIELDS = new Set(['input', 'inputDetails', 'output', 'outputDetails', 'parameters']);

export function getExecutionHistory(context: OperationContext, body: Body): Body {
  const executionArn = executionArnField(body);
  const maxResults = pageSize(body);
  const reverseOrder = optionalBoolean(body, 'reverseOrder') ?? false;
  const includeExecutionData = optionalBoolean(body, 'includeExecutionData') ?? true;
  const nextToken = optionalString(body, 'nextToken', PAGE_TOKEN);
  const events = context.engine.getExecutionHistory(executionArn);
  // Tokens carry the id of the next event to return and the direction they were issued for.
  let start = reverseOrder ? events.length : 1;
  if (nextToken !== undefined) {
    const token = decodeToken(nextToken, 'history');
    const [id, reverse, arn] = token as [number, boolean, string];
    // An event id is a whole number: a forged 1.5 would index between two events.
    if (
      !Number.isInteger(id) ||
      reverse !== reverseOrder ||
      arn !== executionArn ||
      id < 1 ||
      id > events.length
    ) {
      throw new ApiError('InvalidToken', `Invalid Token: '${nextToken}'`);
    }
    start = id;
  }
  const page: HistoryEvent[] = [];
  let id = start;
  while (page.length < maxResults && id >= 1 && id <= events.length) {
    page.push(events[id - 1]);
    id += reverseOrder ? -1 : 1;
  }
  const more = id >= 1 && id <= events.length;
  return {
    events: page.map((event) => historyEvent(event, includeExecutionData)),
    ...(more ? { nextToken: encodeToken('history', [id, reverseOrder, executionArn]) } : {}),
  };
}

/** A history event on the wire: timestamps in epoch seconds; without data if asked so. */
function historyEvent(event: HistoryEvent, includeExecutionData: boolean): Body {
  const wire: Body = {};
  for (const [key, value] of Object.entries(event)) {
    if (key === 'timestamp') {
      wire.timestamp = epochSeconds(value as Date);
    } else if (!includeExecutionData && key.endsWith('EventDetails') && value) {
      const details: Body = {};
      for (const [field, fieldValue] of Object.entries(value as Body)) {
        if (!DATA_FIELDS.has(field)) details[field] = fieldValue;
      }
      wire[key] = details;
    } else {
      wire[key] = value;
    }
  }
  return wire;
}
