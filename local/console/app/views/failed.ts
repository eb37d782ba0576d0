/**
 * FAILED transactions (most recently failed first) with reason, attempts and time; selectable;
 * Requeue of the selected ones with a reason (checked here, and by the server).
 */
import type { VNode } from 'preact';
import { useState } from 'preact/hooks';
import type { FailedAnswer, RequeueAnswer, RequeueRequest } from '../../contract';
import { ApiError, errorText, get, post } from '../api';
import { html } from '../html';
import { IDLE_POLL_MS, usePoll } from '../poll';
import { LimitSelect, polled, Time } from './common';

/** Up to the server's MAX_FAILED_LIMIT (1000). */
const LIMITS = [100, 500, 1000] as const;

export function FailedTransactions(props: { onRequeued: () => void }): VNode {
  const [limit, setLimit] = useState<number>(100);
  const poll = usePoll(
    `failed:${limit}`,
    (signal) => get<FailedAnswer>(`/failed?limit=${limit}`, signal),
    () => IDLE_POLL_MS,
  );
  const [selected, setSelected] = useState<ReadonlySet<string>>(new Set());
  const [reason, setReason] = useState('');
  const [problem, setProblem] = useState<{ field: 'reason' | 'ids' | null; text: string } | null>(
    null,
  );
  const [busy, setBusy] = useState(false);
  const [report, setReport] = useState<RequeueAnswer | null>(null);

  const items = poll.data?.items ?? [];
  const listed = new Set(items.map((i) => i.id));
  // Only what is still listed counts as selected (a requeued id leaves the list).
  const chosen = [...selected].filter((id) => listed.has(id));
  const allChosen = items.length > 0 && chosen.length === items.length;

  const toggle = (id: string, on: boolean) => {
    const next = new Set(chosen);
    if (on) next.add(id);
    else next.delete(id);
    setSelected(next);
  };

  const requeue = async (event: Event) => {
    event.preventDefault();
    setReport(null);
    if (chosen.length === 0) {
      setProblem({ field: 'ids', text: 'Select the transactions to requeue.' });
      return;
    }
    if (reason.trim() === '') {
      setProblem({ field: 'reason', text: 'A reason is required (it is recorded on each item).' });
      document.getElementById('requeue-reason')?.focus();
      return;
    }
    setProblem(null);
    setBusy(true);
    try {
      const request: RequeueRequest = { ids: chosen, reason };
      const answer = await post<RequeueAnswer>('/requeue', request);
      setReport(answer);
      setSelected(new Set());
      setReason('');
      poll.refresh();
      props.onRequeued();
    } catch (err) {
      const field =
        err instanceof ApiError && (err.field === 'reason' || err.field === 'ids')
          ? err.field
          : null;
      setProblem({ field, text: errorText(err) });
    } finally {
      setBusy(false);
    }
  };

  return html`<section class="panel" aria-labelledby="failed-title" data-testid="failed">
    <div class="panel-head">
      <h2 id="failed-title">FAILED transactions</h2>
      <div class="filters">
        <${LimitSelect}
          id="failed-limit"
          label="Show at most"
          limits=${LIMITS}
          limit=${limit}
          onChange=${setLimit}
        />
      </div>
    </div>
    <form class="requeue" data-testid="requeue-form" onSubmit=${requeue} novalidate>
      <div class="form-field">
        <label for="requeue-reason">Reason for the requeue (required)</label>
        <input
          id="requeue-reason"
          type="text"
          data-testid="requeue-reason"
          value=${reason}
          required
          aria-required="true"
          aria-invalid=${problem?.field === 'reason' ? 'true' : undefined}
          aria-describedby=${problem?.field === 'reason' ? 'requeue-reason-error' : undefined}
          onInput=${(e: Event) => setReason((e.currentTarget as HTMLInputElement).value)}
        />
        ${
          problem?.field === 'reason'
            ? html`<p
                class="field-error"
                id="requeue-reason-error"
                data-testid="requeue-error-reason"
              >
                ${problem.text}
              </p>`
            : null
        }
      </div>
      <button type="submit" class="primary" data-testid="requeue-button" disabled=${busy}>
        Requeue ${chosen.length} selected
      </button>
      <p class="muted small">
        Sets each one back to PENDING if it is still FAILED (others are skipped, with the reason);
        the next run confirms them.
      </p>
    </form>
    ${
      problem !== null && problem.field !== 'reason'
        ? html`<p class="error-note" role="alert" data-testid="requeue-error">${problem.text}</p>`
        : null
    }
    ${
      problem?.field === 'reason'
        ? html`<p class="visually-hidden" role="alert">${problem.text}</p>`
        : null
    }
    ${report === null ? null : html`<${RequeueResult} report=${report} />`}
    ${polled(
      poll,
      'failed',
      (data) =>
        html`<p class="muted small" data-testid="failed-count">
          ${items.length} FAILED transaction(s)${
            data.truncated ? `, more exist (showing at most ${limit})` : ''
          }; ${chosen.length} selected
        </p>
        ${
          items.length === 0
            ? html`<p class="muted" data-testid="failed-empty">No FAILED transactions.</p>`
            : html`<div class="table-wrap">
                <table class="list" data-testid="failed-table">
                  <thead>
                    <tr>
                      <th scope="col" class="check">
                        <input
                          type="checkbox"
                          data-testid="failed-select-all"
                          aria-label="Select all listed FAILED transactions"
                          checked=${allChosen}
                          indeterminate=${chosen.length > 0 && !allChosen}
                          onChange=${(e: Event) =>
                            setSelected(
                              (e.currentTarget as HTMLInputElement).checked
                                ? new Set(items.map((i) => i.id))
                                : new Set(),
                            )}
                        />
                      </th>
                      <th scope="col">Transaction id</th>
                      <th scope="col">Reason (last error)</th>
                      <th scope="col" class="num">Attempts</th>
                      <th scope="col" class="num">Requeued</th>
                      <th scope="col">Failed at</th>
                      <th scope="col">Created</th>
                    </tr>
                  </thead>
                  <tbody>
                    ${items.map(
                      (item) =>
                        html`<tr
                          key=${item.id}
                          data-testid="failed-row"
                          data-id=${item.id}
                          class=${selected.has(item.id) ? 'selected' : undefined}
                        >
                          <td class="check">
                            <input
                              type="checkbox"
                              data-testid="failed-select"
                              aria-label=${`Select ${item.id}`}
                              checked=${selected.has(item.id)}
                              onChange=${(e: Event) =>
                                toggle(item.id, (e.currentTarget as HTMLInputElement).checked)}
                            />
                          </td>
                          <td class="break" data-testid="failed-id">${item.id}</td>
                          <td class="break reason" data-testid="failed-reason">
                            ${item.lastError ?? '(no lastError)'}
                          </td>
                          <td class="num" data-testid="failed-attempts">
                            ${item.attempts ?? '-'}
                          </td>
                          <td class="num">${item.requeueCount ?? 0}</td>
                          <td class="time">
                            <${Time} iso=${item.updatedAt} testid="failed-time" />
                          </td>
                          <td class="time"><${Time} iso=${item.createdAt} /></td>
                        </tr>`,
                    )}
                  </tbody>
                </table>
              </div>`
        }`,
    )}
  </section>`;
}

function RequeueResult(props: { report: RequeueAnswer }): VNode {
  const { requeued, skipped, errors } = props.report;
  return html`<div class="requeue-result" role="status" data-testid="requeue-result">
    <p>
      <strong data-testid="requeue-summary"
        >requeued ${requeued.length}, skipped ${skipped.length}, errors ${errors.length}</strong
      >
      ${requeued.length > 0 ? ' — the next run confirms them.' : ''}
    </p>
    ${
      requeued.length === 0
        ? null
        : html`<details data-testid="requeue-requeued" open=${requeued.length <= 10}>
            <summary>Requeued (${requeued.length})</summary>
            <ul>
              ${requeued.map(
                (r) =>
                  html`<li key=${r.id} data-id=${r.id}>
                    <span class="break">${r.id}</span>: shard ${r.pendingShard}, requeue
                    #${r.requeueCount}${
                      r.lastErrorBeforeRequeue === null ? '' : `, was: ${r.lastErrorBeforeRequeue}`
                    }
                  </li>`,
              )}
            </ul>
          </details>`
    }
    ${
      skipped.length === 0
        ? null
        : html`<details data-testid="requeue-skipped" open>
            <summary>Skipped (${skipped.length})</summary>
            <ul>
              ${skipped.map(
                (s) =>
                  html`<li key=${s.id} data-id=${s.id}>
                    <span class="break">${s.id}</span> (${s.status ?? 'missing'}): ${s.reason}
                  </li>`,
              )}
            </ul>
          </details>`
    }
    ${
      errors.length === 0
        ? null
        : html`<details data-testid="requeue-errors" open>
            <summary>Errors (${errors.length})</summary>
            <ul>
              ${errors.map(
                (e) =>
                  html`<li key=${e.id} data-id=${e.id}>
                    <span class="break">${e.id}</span>: ${e.error}
                  </li>`,
              )}
            </ul>
          </details>`
    }
  </div>`;
}
