/** Map Runs: item and child-execution counts, with a progress bar (done / total, failures in red). */
import type { VNode } from 'preact';
import type { MapRunView } from '../../contract';
import { counterLabel } from '../format';
import { html } from '../html';
import { StatusBadge, Time } from './common';

const FAILED_KEYS = ['failed', 'timedOut', 'aborted'] as const;

function count(counts: Readonly<Record<string, number>>, key: string): number {
  const n = counts[key];
  return typeof n === 'number' && Number.isFinite(n) ? n : 0;
}

/** Succeeded, failed (with timed out and aborted), done and total of a counts record. */
function progressOf(counts: Readonly<Record<string, number>>): {
  succeeded: number;
  failed: number;
  total: number;
} {
  const failed = FAILED_KEYS.reduce((sum, key) => sum + count(counts, key), 0);
  return { succeeded: count(counts, 'succeeded'), failed, total: count(counts, 'total') };
}

export function ProgressBar(props: {
  counts: Readonly<Record<string, number>>;
  label: string;
  testid: string;
}): VNode {
  const { succeeded, failed, total } = progressOf(props.counts);
  const done = succeeded + failed;
  const pct = (n: number) => (total === 0 ? 0 : Math.min(100, (n / total) * 100));
  const text = `${done} of ${total} done (${succeeded} succeeded, ${failed} failed)`;
  return html`<div class="progress" data-testid=${props.testid}>
    <div class="progress-label">
      <span>${props.label}</span>
      <span data-testid=${`${props.testid}-text`}>${text}</span>
    </div>
    <div
      class="progress-track"
      role="progressbar"
      aria-label=${`${props.label}: ${text}`}
      aria-valuemin="0"
      aria-valuemax=${total}
      aria-valuenow=${done}
      data-succeeded=${succeeded}
      data-failed=${failed}
      data-total=${total}
    >
      <div class="progress-ok" style=${{ width: `${pct(succeeded)}%` }}></div>
      <div class="progress-failed" style=${{ width: `${pct(failed)}%` }}></div>
    </div>
  </div>`;
}

/** Item and child-execution counts side by side: a row per counter (every key either holds). */
function CountsTable(props: {
  items: Readonly<Record<string, number>>;
  executions: Readonly<Record<string, number>>;
}): VNode {
  const keys = [...new Set([...Object.keys(props.items), ...Object.keys(props.executions)])];
  const cell = (counts: Readonly<Record<string, number>>, key: string) =>
    typeof counts[key] === 'number' ? counts[key] : '-';
  return html`<table class="counts" data-testid="map-run-counts">
    <thead>
      <tr>
        <th scope="col"><span class="visually-hidden">Counter</span></th>
        <th scope="col" class="num">Items</th>
        <th scope="col" class="num">Child executions</th>
      </tr>
    </thead>
    <tbody>
      ${keys.map(
        (key) => html`<tr key=${key} data-counter=${key}>
          <th scope="row">${counterLabel(key)}</th>
          <td class="num" data-testid="map-run-item-count">${cell(props.items, key)}</td>
          <td class="num" data-testid="map-run-execution-count">${cell(props.executions, key)}</td>
        </tr>`,
      )}
    </tbody>
  </table>`;
}

export function MapRuns(props: { mapRuns: readonly MapRunView[] }): VNode {
  const runs = props.mapRuns
    .slice()
    .sort((a, b) => Date.parse(b.startDate) - Date.parse(a.startDate));
  return html`<section class="panel" aria-labelledby="maprun-title" data-testid="map-runs">
    <h2 id="maprun-title">
      Map Runs <span class="muted small">(${runs.length}, newest first)</span>
    </h2>
    ${
      runs.length === 0
        ? html`<p class="muted" data-testid="map-runs-empty">No Map Run yet.</p>`
        : runs.map(
            (run, i) =>
              html`<article
                class="map-run"
                key=${run.mapRunArn}
                data-testid="map-run"
                data-status=${run.status}
                aria-label=${`Map Run ${runs.length - i}`}
              >
                <div class="map-run-head">
                  <strong>Map Run ${runs.length - i}</strong>
                  <${StatusBadge} status=${run.status} testid="map-run-status" />
                  <span class="muted small">
                    <${Time} iso=${run.startDate} /> → <${Time} iso=${run.stopDate} />
                    ${
                      run.redriveCount !== undefined && run.redriveCount > 0
                        ? ` · redriven ×${run.redriveCount}`
                        : ''
                    }
                  </span>
                </div>
                <${ProgressBar} counts=${run.itemCounts} label="Items" testid="map-run-items" />
                <${ProgressBar}
                  counts=${run.executionCounts}
                  label="Child executions"
                  testid="map-run-executions"
                />
                <details class="counts-details" open=${i === 0}>
                <summary>Counts</summary>
                <${CountsTable} items=${run.itemCounts} executions=${run.executionCounts} />
              </details>
                <p class="muted small break" title="Map Run ARN">${run.mapRunArn}</p>
              </article>`,
          )
    }
  </section>`;
}
