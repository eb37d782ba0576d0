/**
 * Executions: the list (newest first, filtered by status; polled every second while one runs),
 * each with its run's totals, Stop / Redrive per row, and the Start form.
 */
import type { VNode } from 'preact';
import { useCallback, useState } from 'preact/hooks';
import type { ExecutionRow, ExecutionsAnswer } from '../../contract';
import { get } from '../api';
import { elapsed, totalsLine } from '../format';
import { html } from '../html';
import { IDLE_POLL_MS, LIVE_POLL_MS, usePoll } from '../poll';
import { executionHref } from '../router';
import { type ActionResult, ActionResultNote, ExecutionActions } from './actions';
import { LimitSelect, polled, StatusBadge, Time, useNow } from './common';
import { StartForm } from './start-form';

/**
 * The statuses the list filters on: the server's (LIST_STATUSES of local/console/server/
 * executions.ts, which refuses any other; PENDING_REDRIVE is for Map Run children only). The
 * browser tests check that the server takes every one offered here.
 */
const STATUSES = ['RUNNING', 'SUCCEEDED', 'FAILED', 'TIMED_OUT', 'ABORTED'] as const;
/** Up to the server's MAX_LIST_LIMIT (200). */
const LIMITS = [50, 100, 200] as const;

export function ExecutionsView(): VNode {
  const [status, setStatus] = useState('');
  const [limit, setLimit] = useState<number>(100);
  const [result, setResult] = useState<ActionResult | null>(null);
  const query = `?${new URLSearchParams({ ...(status === '' ? {} : { status }), limit: String(limit) }).toString()}`;
  const poll = usePoll(
    `executions${query}`,
    (signal) => get<ExecutionsAnswer>(`/executions${query}`, signal),
    (data) =>
      data?.executions.some((e) => e.status === 'RUNNING') === true ? LIVE_POLL_MS : IDLE_POLL_MS,
  );
  const { refresh } = poll;
  const onResult = useCallback(
    (r: ActionResult) => {
      setResult(r);
      refresh();
    },
    [refresh],
  );

  return html`<div class="view" data-testid="executions-view">
    <h1>Executions</h1>
    <${StartForm} onStarted=${refresh} />
    <section class="panel" aria-labelledby="list-title">
      <div class="panel-head">
        <h2 id="list-title">Executions, newest first</h2>
        <div class="filters">
          <label for="status-filter">Status</label>
          <select
            id="status-filter"
            data-testid="status-filter"
            value=${status}
            onChange=${(e: Event) => setStatus((e.currentTarget as HTMLSelectElement).value)}
          >
            <option value="">all</option>
            ${STATUSES.map((s) => html`<option key=${s} value=${s}>${s}</option>`)}
          </select>
          <${LimitSelect}
            id="limit-filter"
            label="Show"
            limits=${LIMITS}
            limit=${limit}
            onChange=${setLimit}
          />
        </div>
      </div>
      <${ActionResultNote} result=${result} />
      ${polled(
        poll,
        'executions',
        (data) =>
          html`<${ExecutionsTable}
            rows=${data.executions}
            onResult=${onResult}
          />`,
      )}
    </section>
  </div>`;
}

function ExecutionsTable(props: {
  rows: readonly ExecutionRow[];
  onResult: (r: ActionResult) => void;
}): VNode {
  const now = useNow(1000);
  if (props.rows.length === 0) {
    return html`<p class="muted" data-testid="executions-empty">No executions.</p>`;
  }
  return html`<div class="table-wrap">
    <table class="list" data-testid="executions-table">
      <thead>
        <tr>
          <th scope="col">Name</th>
          <th scope="col">Status</th>
          <th scope="col">Started</th>
          <th scope="col">Stopped</th>
          <th scope="col">Duration</th>
          <th scope="col">Run totals</th>
          <th scope="col"><span class="visually-hidden">Actions</span></th>
        </tr>
      </thead>
      <tbody>
        ${props.rows.map(
          (row) =>
            html`<tr
              key=${row.executionArn}
              data-testid="execution-row"
              data-name=${row.name}
              data-status=${row.status}
            >
              <td class="name">
                <a href=${executionHref(row.name)} data-testid="execution-link">${row.name}</a>
                ${
                  row.redriveCount !== undefined && row.redriveCount > 0
                    ? html`<span class="muted small"> (redriven ×${row.redriveCount})</span>`
                    : null
                }
              </td>
              <td><${StatusBadge} status=${row.status} testid="execution-status" /></td>
              <td class="time"><${Time} iso=${row.startDate} testid="execution-start" /></td>
              <td class="time"><${Time} iso=${row.stopDate} testid="execution-stop" /></td>
              <td class="num" data-testid="execution-duration">
                ${elapsed(row.startDate, row.stopDate, now)}
              </td>
              <td class="totals-cell" data-testid="execution-totals">
                <${RunCell} run=${row.run} status=${row.status} />
              </td>
              <td class="row-actions">
                <${ExecutionActions}
                  name=${row.name}
                  status=${row.status}
                  onResult=${props.onResult}
                />
              </td>
            </tr>`,
        )}
      </tbody>
    </table>
  </div>`;
}

function RunCell(props: { run: ExecutionRow['run']; status: string }): VNode {
  const { run } = props;
  if (run === undefined) return html`<span class="muted">no run record</span>`;
  return html`${
    run.status === props.status
      ? null
      : html`<span class="run-status"
          >run <${StatusBadge} status=${run.status} testid="run-status" />
        </span>`
  }
  ${
    run.totals === undefined
      ? html`<span class="muted">no totals yet</span>`
      : html`<span>${totalsLine(run.totals)}</span>`
  }`;
}
