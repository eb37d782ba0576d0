/**
 * An execution's history for the console: GetExecutionHistory, paged oldest first as `txc`
 * reads it, each event reduced to a HistoryEventView, and the states it went through (the
 * StateEntered events of the top-level states: the graph's visited and current states).
 */
import { GetExecutionHistoryCommand, type HistoryEvent } from '@aws-sdk/client-sfn';
import { isStateEntered } from '../../../ops/commands/redrive';
import type { Target } from '../../../ops/target';
import type { HistoryEventView } from '../contract';

/** Events per GetExecutionHistory page (the API's maximum). */
const PAGE_EVENTS = 1000;
/** Pages read at most: an execution with more events shows its first 20,000 (ContinueAsNew keeps them far fewer). */
const MAX_PAGES = 20;
/** Events answered at most: the newest ones (their ids say where they start). */
export const MAX_HISTORY_EVENTS = 2000;
/** A payload longer than this is cut (the app shows it as text; the API has it whole). */
const MAX_PAYLOAD_CHARS = 32 * 1024;

/** Every event of the execution, oldest first, up to MAX_PAGES pages. */
export async function readHistory(target: Target, executionArn: string): Promise<HistoryEvent[]> {
  const events: HistoryEvent[] = [];
  let nextToken: string | undefined;
  for (let page = 0; page < MAX_PAGES; page += 1) {
    const answer = await target.sfn.send(
      new GetExecutionHistoryCommand({
        executionArn,
        maxResults: PAGE_EVENTS,
        ...(nextToken === undefined ? {} : { nextToken }),
      }),
    );
    events.push(...(answer.events ?? []));
    nextToken = answer.nextToken;
    if (nextToken === undefined) break;
  }
  return events;
}

/** The `…EventDetails` of an event (each event has at most one). */
function detailsOf(event: HistoryEvent): Record<string, unknown> | undefined {
  for (const [key, value] of Object.entries(event)) {
    if (key.endsWith('EventDetails') && typeof value === 'object' && value !== null) {
      return value as Record<string, unknown>;
    }
  }
  return undefined;
}

function cut(text: string): string {
  return text.length <= MAX_PAYLOAD_CHARS
    ? text
    : `${text.slice(0, MAX_PAYLOAD_CHARS)}… (cut: ${text.length} characters in all)`;
}

/** Detail fields shown apart from the payload. */
const NOT_PAYLOAD = new Set(['error', 'cause', 'name', 'inputDetails', 'outputDetails']);

/**
 * One event for display: the state it belongs to (StateEntered / StateExited), its input,
 * output or parameters as JSON text (or, without those, its other details as JSON), its error
 * and cause.
 */
export function historyEventView(event: HistoryEvent): HistoryEventView {
  const details = detailsOf(event) ?? {};
  const type = event.type ?? 'Unknown';
  const text = (key: string) => (typeof details[key] === 'string' ? details[key] : undefined);
  let payload = text('input') ?? text('output') ?? text('parameters');
  if (payload === undefined) {
    const rest = Object.entries(details).filter(([key]) => !NOT_PAYLOAD.has(key));
    if (rest.length > 0) payload = JSON.stringify(Object.fromEntries(rest));
  }
  const stateName =
    type.endsWith('StateEntered') || type.endsWith('StateExited') ? text('name') : undefined;
  const error = text('error');
  const cause = text('cause');
  return {
    id: event.id ?? 0,
    type,
    timestamp: event.timestamp === undefined ? '' : new Date(event.timestamp).toISOString(),
    ...(stateName === undefined ? {} : { stateName }),
    ...(payload === undefined ? {} : { payload: cut(payload) }),
    ...(error === undefined ? {} : { error }),
    ...(cause === undefined ? {} : { cause: cut(cause) }),
  };
}

/** The top-level states entered, oldest first (repeats kept). */
export function visitedStates(
  events: readonly HistoryEvent[],
  topLevel: ReadonlySet<string>,
): string[] {
  const visited: string[] = [];
  for (const event of events) {
    const name = event.stateEnteredEventDetails?.name;
    if (isStateEntered(event) && name !== undefined && topLevel.has(name)) {
      visited.push(name);
    }
  }
  return visited;
}

/**
 * Where the execution is: the last top-level state entered while it runs (or waits for a
 * redrive), or the one it stopped in when it did not succeed; none once it succeeded.
 */
export function currentState(status: string, visited: readonly string[]): string | undefined {
  if (status === 'SUCCEEDED') return undefined;
  return visited[visited.length - 1];
}
