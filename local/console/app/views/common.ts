/**
 * Small pieces shared by the views: status badges, times, field lists, errors, a polled answer, a
 * modal dialog.
 */
import type { ComponentChildren, VNode } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { errorText } from '../api';
import { isoSeconds, totalsEntries, counterLabel } from '../format';
import { html } from '../html';
import type { PollState } from '../poll';

/** An execution's, run's or map run's status: its text, coloured by a class. */
export function StatusBadge(props: { status: string; testid?: string }): VNode {
  const kind = props.status.toLowerCase().replace(/[^a-z_]/g, '');
  return html`<span class=${`status status-${kind}`} data-testid=${props.testid ?? 'status'}
    >${props.status}</span
  >`;
}

/** A time as `2024-05-01T12:34:56Z`, machine-readable in `datetime`. */
export function Time(props: { iso: string | null | undefined; testid?: string }): VNode {
  const { iso } = props;
  if (iso === undefined || iso === null || iso === '') {
    return html`<span data-testid=${props.testid}>-</span>`;
  }
  return html`<time datetime=${iso} data-testid=${props.testid}>${isoSeconds(iso)}</time>`;
}

type FieldRow = readonly [label: string, value: ComponentChildren, testid?: string];

/** A definition list of label / value pairs (rows whose value is undefined are left out). */
export function Fields(props: { rows: readonly FieldRow[]; testid?: string }): VNode {
  return html`<dl class="fields" data-testid=${props.testid}>
    ${props.rows
      .filter(([, value]) => value !== undefined && value !== null && value !== '')
      .map(
        ([label, value, testid]) =>
          html`<div class="field-row" key=${label}>
            <dt>${label}</dt>
            <dd data-testid=${testid}>${value}</dd>
          </div>`,
      )}
  </dl>`;
}

/** A run's totals: every counter, as a table. */
export function TotalsTable(props: {
  totals: Readonly<Record<string, unknown>>;
  testid?: string;
}): VNode {
  const entries = totalsEntries(props.totals);
  return html`<table class="totals" data-testid=${props.testid ?? 'totals'}>
    <caption class="visually-hidden">
      Run totals
    </caption>
    <tbody>
      ${entries.map(
        ([key, value]) =>
          html`<tr key=${key} data-counter=${key}>
            <th scope="row">${counterLabel(key)}</th>
            <td class="num">${value}</td>
          </tr>`,
      )}
    </tbody>
  </table>`;
}

/** An error, announced to screen readers. Nothing when there is none. */
export function ErrorNote(props: { error: unknown; testid?: string }): VNode | null {
  if (props.error === undefined || props.error === null) return null;
  return html`<p class="error-note" role="alert" data-testid=${props.testid ?? 'error'}>
    ${errorText(props.error)}
  </p>`;
}

/** "Could not refresh" under data that is still shown (the previous answer stays). */
export function StaleNote(props: { error: unknown; testid?: string }): VNode | null {
  if (props.error === undefined) return null;
  return html`<p class="stale-note" data-testid=${props.testid ?? 'stale'}>
    Not refreshed: ${errorText(props.error)}
  </p>`;
}

/**
 * A polled answer as the views show it: "Loading…" until the first answer, the error while there
 * is nothing to show, else the data (under a note when the latest refresh failed: the data stays).
 * The notes' data-testids are `<testid>-error` and `<testid>-stale`.
 */
export function polled<T>(poll: PollState<T>, testid: string, render: (data: T) => VNode): VNode {
  if (poll.data === undefined) {
    return poll.error === undefined
      ? html`<p class="muted">Loading…</p>`
      : html`<${ErrorNote} error=${poll.error} testid=${`${testid}-error`} />`;
  }
  return html`<${StaleNote} error=${poll.error} testid=${`${testid}-stale`} />
    ${render(poll.data)}`;
}

let dialogIds = 0;

/**
 * A modal dialog (`<dialog>` shown with showModal: focus moves into it, Escape closes it).
 * Rendered only while open; `onClose` is called when it closes by Escape.
 */
export function Dialog(props: {
  title: string;
  testid: string;
  onClose: () => void;
  children: ComponentChildren;
}): VNode {
  const ref = useRef<HTMLDialogElement>(null);
  const [titleId] = useState(() => `dialog-title-${(dialogIds += 1)}`);
  useEffect(() => {
    const dialog = ref.current;
    if (dialog !== null && !dialog.open) dialog.showModal();
    return () => {
      if (dialog?.open === true) dialog.close();
    };
  }, []);
  return html`<dialog
    ref=${ref}
    class="dialog"
    aria-labelledby=${titleId}
    data-testid=${props.testid}
    onClose=${props.onClose}
  >
    <h2 id=${titleId}>${props.title}</h2>
    ${props.children}
  </dialog>`;
}

/** The current time, ticking every `ms` (durations of running executions). */
export function useNow(ms: number): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const timer = window.setInterval(() => setNow(Date.now()), ms);
    return () => window.clearInterval(timer);
  }, [ms]);
  return now;
}

/** A labelled choice of how many rows to show (its id is also its data-testid). */
export function LimitSelect(props: {
  id: string;
  label: string;
  limits: readonly number[];
  limit: number;
  onChange: (limit: number) => void;
}): VNode {
  return html`<label for=${props.id}>${props.label}</label>
    <select
      id=${props.id}
      data-testid=${props.id}
      value=${String(props.limit)}
      onChange=${(e: Event) => props.onChange(Number((e.currentTarget as HTMLSelectElement).value))}
    >
      ${props.limits.map((n) => html`<option key=${n} value=${String(n)}>${n}</option>`)}
    </select>`;
}
