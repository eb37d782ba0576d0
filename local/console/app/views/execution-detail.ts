/**
 * One execution: its status and failure, the state-machine graph with the visited and current
 * states, the run record (totals, SKIPPED holder, lock), its Map Runs, and the history events.
 * Polled every second while it runs, every few seconds after (a redrive can make it run again).
 */
import type { VNode } from 'preact';
import { useCallback, useState } from 'preact/hooks';
import type { ExecutionDetail } from '../../contract';
import { ApiError, get, seg } from '../api';
import { elapsed, isUnsuccessful, nameOfArn } from '../format';
import { html } from '../html';
import { IDLE_POLL_MS, LIVE_POLL_MS, usePoll } from '../poll';
import { executionHref, hrefOf } from '../router';
import { type ActionResult, ActionResultNote, ExecutionActions } from './actions';
import { Fields, polled, StatusBadge, Time, TotalsTable, useNow } from './common';
import { StateGraph } from './graph';
import { Collapsible, HistoryEvents } from './history';
import { MapRuns, ProgressBar } from './map-runs';

export function ExecutionDetailView(props: { name: string }): VNode {
  const { name } = props;
  const [result, setResult] = useState<ActionResult | null>(null);
  const poll = usePoll(
    `execution:${name}`,
    (signal) => get<ExecutionDetail>(`/executions/${seg(name)}`, signal),
    (data) => (data?.report.execution.status === 'RUNNING' ? LIVE_POLL_MS : IDLE_POLL_MS),
  );
  const { refresh } = poll;
  const onResult = useCallback(
    (r: ActionResult) => {
      setResult(r);
      refresh();
    },
    [refresh],
  );
  const notFound =
    poll.data === undefined && poll.error instanceof ApiError && poll.error.status === 404;

  return html`<div class="view" data-testid="execution-detail">
    <p class="crumbs"><a href=${hrefOf({ view: 'executions' })}>← Executions</a></p>
    <h1 class="break" data-testid="detail-name">${name}</h1>
    <${ActionResultNote} result=${result} />
    ${
      notFound
        ? html`<p class="error-note" role="alert" data-testid="detail-not-found">
            No execution named ${name} (a restart of the runtime without --data-dir forgets its
            executions).
          </p>`
        : polled(
            poll,
            'detail',
            (detail) =>
              html`<${Detail}
                detail=${detail}
                onResult=${onResult}
              />`,
          )
    }
  </div>`;
}

function Detail(props: { detail: ExecutionDetail; onResult: (r: ActionResult) => void }): VNode {
  const { detail } = props;
  const { report } = detail;
  const e = report.execution;
  const now = useNow(1000);
  const running = e.status === 'RUNNING';
  const failed = isUnsuccessful(e.status);
  return html`<section class="panel summary" aria-label="Execution" data-testid="detail-summary">
      <div class="panel-head">
        <div class="summary-status">
          <${StatusBadge} status=${e.status} testid="detail-status" />
          ${
            report.outcome === 'other'
              ? null
              : html`<span class="muted" data-testid="detail-outcome"
                  >outcome: ${report.outcome}</span
                >`
          }
        </div>
        <${ExecutionActions}
          name=${e.name}
          status=${e.status}
          onResult=${props.onResult}
        />
      </div>
      <${Fields}
        rows=${[
          ['started', html`<${Time} iso=${e.startDate} />`, 'detail-start'],
          [
            'stopped',
            e.stopDate === undefined ? undefined : html`<${Time} iso=${e.stopDate} />`,
            'detail-stop',
          ],
          ['duration', elapsed(e.startDate, e.stopDate, now), 'detail-duration'],
          ['current state', detail.current, 'detail-current'],
          [
            'redrive',
            detail.redrive === undefined
              ? undefined
              : `${detail.redrive.status}${detail.redrive.reason === undefined ? '' : ` (${detail.redrive.reason})`}`,
            'detail-redrive',
          ],
          [
            'handed over to',
            report.handedOverTo === undefined
              ? undefined
              : html`<a href=${executionHref(nameOfArn(report.handedOverTo))}
                  >${nameOfArn(report.handedOverTo)}</a
                >`,
            'detail-handed-over',
          ],
        ]}
      />
      ${
        failed || e.error !== undefined || e.cause !== undefined
          ? html`<div
              class="failure"
              data-testid="detail-failure"
              role="group"
              aria-label="Failure"
            >
              <h2>Failure</h2>
              <p>
                <span class="label">error</span>
                <strong class="break" data-testid="failure-error">${e.error ?? '(none)'}</strong>
              </p>
              <p class="label">cause</p>
              <pre class="cause" data-testid="failure-cause">${e.cause ?? '(none)'}</pre>
            </div>`
          : null
      }
      <div class="io">
        ${
          e.input === undefined
            ? null
            : html`<${Collapsible}
                label="input"
                text=${JSON.stringify(e.input)}
                testid="detail-input"
              />`
        }
        ${
          e.output === undefined
            ? null
            : html`<${Collapsible}
                label="output"
                text=${JSON.stringify(e.output)}
                testid="detail-output"
              />`
        }
      </div>
    </section>
    <section class="panel" aria-labelledby="graph-title">
      <h2 id="graph-title">State machine</h2>
      <${StateGraph}
        visited=${detail.visited}
        current=${detail.current}
        failed=${failed}
        running=${running}
      />
    </section>
    <div class="columns">
      <${RunRecordPanel} detail=${detail} />
      <${MapRuns} mapRuns=${detail.mapRuns} />
    </div>
    <${HistoryEvents} events=${detail.history} />`;
}

function RunRecordPanel(props: { detail: ExecutionDetail }): VNode {
  const { report } = props.detail;
  const run = report.run;
  const lock = report.lock;
  const unavailable = Object.entries(report.unavailable ?? {});
  return html`<section class="panel" aria-labelledby="run-title" data-testid="run-record">
    <h2 id="run-title">Run record</h2>
    ${
      run === undefined
        ? html`<p class="muted" data-testid="run-none">No run record for this execution.</p>`
        : html`<${Fields}
              rows=${[
                ['run', html`<span class="break">${run.runId}</span>`, 'run-id'],
                ['status', html`<${StatusBadge} status=${run.status} testid="run-status" />`],
                ['started', html`<${Time} iso=${run.startedAt} />`, 'run-started'],
                [
                  'finished',
                  run.finishedAt === undefined
                    ? undefined
                    : html`<${Time} iso=${run.finishedAt} />`,
                  'run-finished',
                ],
                [
                  'latest execution',
                  run.executionArn === report.execution.executionArn
                    ? undefined
                    : html`<a href=${executionHref(nameOfArn(run.executionArn))}
                        >${nameOfArn(run.executionArn)}</a
                      >`,
                  'run-latest-execution',
                ],
                ['dry run', run.dryRun ? 'yes' : 'no', 'run-dry-run'],
                [
                  'cutoff',
                  run.cutoff === undefined ? undefined : html`<${Time} iso=${run.cutoff} />`,
                ],
                ['max items', run.maxItems],
                ['explicit ids', run.transactionIdCount],
                ['error', run.error, 'run-error'],
                [
                  'totals written',
                  run.progressAt === undefined
                    ? undefined
                    : html`<${Time} iso=${run.progressAt} />`,
                ],
              ]}
            />
            <h3>Totals</h3>
            <${TotalsTable} totals=${run.totals} testid="run-totals" />`
    }
    <${Holder} holder=${run?.holder ?? report.skippedBy} />
    ${
      report.progress === undefined
        ? null
        : html`<h3>Current page</h3>
            <p class="muted small">
              Map Run ${report.progress.mapRuns} of this
              execution${report.progress.status === undefined ? '' : `, ${report.progress.status}`}
            </p>
            <${ProgressBar}
              counts=${report.progress.items}
              label="Transaction ids of the page"
              testid="current-page-progress"
            />`
    }
    <h3>Lock</h3>
    ${
      report.unavailable?.lock !== undefined
        ? null
        : lock === null
          ? html`<p data-testid="lock">free</p>`
          : html`<${Fields}
              testid="lock"
              rows=${[
                ['held by run', html`<span class="break">${lock.runId}</span>`, 'lock-run'],
                [
                  'execution',
                  html`<a href=${executionHref(nameOfArn(lock.executionArn))}
                    >${nameOfArn(lock.executionArn)}</a
                  >`,
                  'lock-execution',
                ],
                ['acquired', html`<${Time} iso=${lock.acquiredAt} />`],
                [
                  'expires',
                  html`<${Time} iso=${lock.expiresAt} />${
                    lock.expired ? ' (expired: the next run takes it over)' : ''
                  }`,
                  'lock-expires',
                ],
              ]}
            />`
    }
    ${unavailable.map(
      ([part, error]) =>
        html`<p class="stale-note" key=${part} data-testid="unavailable">
          ${part === 'progress' ? 'map-run progress' : part} unavailable: ${error}
        </p>`,
    )}
  </section>`;
}

/** The lock holder that made this execution's run SKIPPED. */
function Holder(props: { holder: ExecutionDetail['report']['skippedBy'] }): VNode | null {
  const { holder } = props;
  if (holder === undefined) return null;
  return html`<div class="holder" data-testid="skipped-holder">
    <h3>SKIPPED: another run held the lock</h3>
    <${Fields}
      rows=${[
        ['holder run', html`<span class="break">${holder.runId}</span>`, 'holder-run'],
        [
          'holder execution',
          html`<a href=${executionHref(nameOfArn(holder.executionArn))}
            >${nameOfArn(holder.executionArn)}</a
          >`,
          'holder-execution',
        ],
        ['lock expires', html`<${Time} iso=${holder.expiresAt} />`],
      ]}
    />
  </div>`;
}
