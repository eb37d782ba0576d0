/** The execution's history events: filterable by type or state, payloads collapsible, as text. */
import type { VNode } from 'preact';
import { useState } from 'preact/hooks';
import type { HistoryEventView } from '../../contract';
import { prettyJson } from '../format';
import { html } from '../html';
import { Time } from './common';

/** Rows rendered at first (a long run has thousands of events); "Show all" renders the rest. */
const ROWS_SHOWN = 300;

export function HistoryEvents(props: { events: readonly HistoryEventView[] }): VNode {
  const [filter, setFilter] = useState('');
  const [all, setAll] = useState(false);
  const needle = filter.trim().toLowerCase();
  const matching = props.events
    .filter(
      (e) =>
        needle === '' ||
        e.type.toLowerCase().includes(needle) ||
        (e.stateName ?? '').toLowerCase().includes(needle),
    )
    .slice()
    .sort((a, b) => b.id - a.id);
  const shown = all ? matching : matching.slice(0, ROWS_SHOWN);
  return html`<section class="panel" aria-labelledby="history-title" data-testid="history">
    <div class="panel-head">
      <h2 id="history-title">History events</h2>
      <div class="filters">
        <label for="history-filter">Filter by type or state</label>
        <input
          id="history-filter"
          type="search"
          data-testid="history-filter"
          value=${filter}
          placeholder="e.g. Failed, FetchPage, MapRun"
          onInput=${(e: Event) => setFilter((e.currentTarget as HTMLInputElement).value)}
        />
      </div>
    </div>
    <p class="muted small" data-testid="history-count" aria-live="polite">
      ${matching.length} of ${props.events.length} event(s), newest first
    </p>
    <div class="table-wrap">
      <table class="list history-table" data-testid="history-table">
        <thead>
          <tr>
            <th scope="col" class="num">#</th>
            <th scope="col">Time</th>
            <th scope="col">Type</th>
            <th scope="col">State</th>
            <th scope="col">Details</th>
          </tr>
        </thead>
        <tbody>
          ${shown.map(
            (e) =>
              html`<tr
                key=${e.id}
                data-testid="history-event"
                data-type=${e.type}
                class=${/Failed|TimedOut|Aborted/.test(e.type) ? 'event-failed' : undefined}
              >
                <td class="num">${e.id}</td>
                <td class="time"><${Time} iso=${e.timestamp} /></td>
                <td class="event-type">${e.type}</td>
                <td>${e.stateName ?? ''}</td>
                <td class="event-details">
                  ${
                    e.error === undefined
                      ? null
                      : html`<div class="event-error" data-testid="history-error">${e.error}</div>`
                  }
                  ${
                    e.cause === undefined
                      ? null
                      : html`<${Collapsible}
                          label="cause"
                          text=${e.cause}
                          testid="history-cause"
                        />`
                  }
                  ${
                    e.payload === undefined
                      ? null
                      : html`<${Collapsible}
                          label="payload"
                          text=${e.payload}
                          testid="history-payload"
                        />`
                  }
                </td>
              </tr>`,
          )}
        </tbody>
      </table>
    </div>
    ${
      shown.length < matching.length
        ? html`<button type="button" data-testid="history-show-all" onClick=${() => setAll(true)}>
            Show all ${matching.length} events
          </button>`
        : null
    }
  </section>`;
}

/** A <details> whose text (pretty-printed JSON when it is JSON) is rendered only while open. */
export function Collapsible(props: { label: string; text: string; testid: string }): VNode {
  const [open, setOpen] = useState(false);
  return html`<details
    class="collapsible"
    data-testid=${props.testid}
    onToggle=${(e: Event) => setOpen((e.currentTarget as HTMLDetailsElement).open)}
  >
    <summary>${props.label} <span class="muted small">(${props.text.length} chars)</span></summary>
    ${open ? html`<pre class="payload">${prettyJson(props.text)}</pre>` : null}
  </details>`;
}
