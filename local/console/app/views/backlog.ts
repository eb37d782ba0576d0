/**
 * Backlog & transactions: pending per shard and the oldest age against the freshness SLO; the
 * FAILED transactions, selectable, with Requeue (a reason is required: the same conditional
 * requeue `txc requeue` does); a lookup of one transaction by id.
 */
import type { VNode } from 'preact';
import { useState } from 'preact/hooks';
import type { BacklogAnswer } from '../../contract';
import { get } from '../api';
import { duration } from '../format';
import { html } from '../html';
import { IDLE_POLL_MS, usePoll } from '../poll';
import { Fields, polled, Time } from './common';
import { FailedTransactions } from './failed';
import { TransactionLookup } from './transaction-lookup';

export function BacklogView(): VNode {
  const backlog = usePoll(
    'backlog',
    (signal) => get<BacklogAnswer>('/backlog', signal),
    () => IDLE_POLL_MS,
  );
  return html`<div class="view" data-testid="backlog-view">
    <h1>Backlog & transactions</h1>
    <div class="columns">
      <section class="panel" aria-labelledby="backlog-title" data-testid="backlog">
        <h2 id="backlog-title">Pending backlog</h2>
        ${polled(backlog, 'backlog', (report) => html`<${Backlog} report=${report} />`)}
      </section>
      <${TransactionLookup} />
    </div>
    <${FailedTransactions} onRequeued=${backlog.refresh} />
  </div>`;
}

function Backlog(props: { report: BacklogAnswer }): VNode {
  const { report } = props;
  // The stack's freshness SLO (null or absent: it has none).
  const slo = report.oldestPendingAgeSloSeconds ?? undefined;
  const age = report.oldestAgeMs;
  const breach = slo !== undefined && age !== null && age > slo * 1000;
  const [all, setAll] = useState(false);
  const nonEmpty = report.shards.filter((s) => s.count > 0);
  const shards = all ? report.shards : nonEmpty;
  return html`<${Fields}
      rows=${[
        ['pending', report.total, 'backlog-total'],
        [
          'oldest age',
          html`<span data-testid="backlog-oldest-age"
              >${age === null ? '- (empty)' : duration(age)}</span
            >${' '}${
              slo === undefined
                ? html`<span class="muted small" data-testid="backlog-slo">(no SLO set)</span>`
                : html`<span
                    class=${breach ? 'slo slo-breach' : 'slo slo-ok'}
                    data-testid="backlog-slo"
                    data-breach=${breach ? 'true' : 'false'}
                    >${breach ? 'over' : 'within'} the SLO of ${duration(slo * 1000)}</span
                  >`
            }`,
        ],
        [
          'oldest created',
          html`<${Time} iso=${report.oldestCreatedAt} testid="backlog-oldest-created" />`,
        ],
        ['oldest id', report.oldestId ?? '-', 'backlog-oldest-id'],
      ]}
    />
    <div class="table-wrap shards">
      <table class="list" data-testid="shards-table">
        <caption>
          Per shard
          (${
            all
              ? `all ${report.shards.length}`
              : `${nonEmpty.length} of ${report.shards.length} with pending items`
          })
        </caption>
        <thead>
          <tr>
            <th scope="col">Shard</th>
            <th scope="col" class="num">Pending</th>
            <th scope="col">Oldest created</th>
            <th scope="col">Oldest id</th>
          </tr>
        </thead>
        <tbody>
          ${shards.map(
            (s) =>
              html`<tr key=${s.shard} data-testid="shard-row" data-shard=${s.shard}>
                <td>${s.shard}</td>
                <td class="num">${s.count}</td>
                <td class="time"><${Time} iso=${s.oldestCreatedAt} /></td>
                <td class="break">${s.oldestId ?? '-'}</td>
              </tr>`,
          )}
        </tbody>
      </table>
    </div>
    <label class="inline-check">
      <input
        type="checkbox"
        data-testid="shards-show-all"
        checked=${all}
        onChange=${(e: Event) => setAll((e.currentTarget as HTMLInputElement).checked)}
      />
      Show empty shards too
    </label>`;
}
