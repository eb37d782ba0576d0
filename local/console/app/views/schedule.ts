/** Schedule: its state, expression and next fire time; Pause / Resume. */
import type { VNode } from 'preact';
import { useState } from 'preact/hooks';
import type { ScheduleAnswer } from '../../contract';
import { errorText, get, post } from '../api';
import { html } from '../html';
import { usePoll } from '../poll';
import { ErrorNote, Fields, StaleNote, StatusBadge, Time } from './common';

const SCHEDULE_POLL_MS = 5_000;

export function ScheduleView(): VNode {
  const poll = usePoll(
    'schedule',
    (signal) => get<ScheduleAnswer>('/schedule', signal),
    () => SCHEDULE_POLL_MS,
  );
  const [busy, setBusy] = useState(false);
  const [result, setResult] = useState<{ kind: 'ok' | 'error'; text: string } | null>(null);

  const switchTo = async (state: 'ENABLED' | 'DISABLED') => {
    setBusy(true);
    setResult(null);
    try {
      await post<ScheduleAnswer>('/schedule', { state });
      setResult({
        kind: 'ok',
        text: state === 'DISABLED' ? 'Schedule paused.' : 'Schedule resumed.',
      });
    } catch (err) {
      setResult({ kind: 'error', text: errorText(err) });
    } finally {
      setBusy(false);
      poll.refresh();
    }
  };

  const data = poll.data;
  const schedule = data?.schedule;
  return html`<div class="view" data-testid="schedule-view">
    <h1>Schedule</h1>
    <section class="panel" aria-labelledby="schedule-title">
      <h2 id="schedule-title">The schedule that starts the workflow</h2>
      ${
        data === undefined
          ? poll.error === undefined
            ? html`<p class="muted">Loading…</p>`
            : html`<${ErrorNote} error=${poll.error} testid="schedule-load-error" />`
          : schedule === null || schedule === undefined
            ? html`<p class="muted" data-testid="schedule-none">
                No schedule (the runtime was started with --no-schedule).
              </p>`
            : html`<${StaleNote} error=${poll.error} testid="schedule-stale" />
                <${Fields}
                  rows=${[
                    [
                      'state',
                      html`<${StatusBadge} status=${schedule.state} testid="schedule-state" />`,
                    ],
                    ['name', schedule.name, 'schedule-name'],
                    [
                      'expression',
                      html`<code>${schedule.expression}</code>`,
                      'schedule-expression',
                    ],
                    ['time zone', schedule.timezone ?? 'UTC', 'schedule-timezone'],
                    [
                      'next fire time',
                      schedule.nextFireTime !== undefined
                        ? html`<${Time} iso=${schedule.nextFireTime} />`
                        : schedule.state === 'DISABLED'
                          ? '- (paused)'
                          : '- (not known)',
                      'schedule-next',
                    ],
                  ]}
                />
                <div class="form-actions">
                  <button
                    type="button"
                    class="danger"
                    data-testid="schedule-pause"
                    disabled=${busy || schedule.state === 'DISABLED'}
                    onClick=${() => void switchTo('DISABLED')}
                  >
                    Pause
                  </button>
                  <button
                    type="button"
                    class="primary"
                    data-testid="schedule-resume"
                    disabled=${busy || schedule.state === 'ENABLED'}
                    onClick=${() => void switchTo('ENABLED')}
                  >
                    Resume
                  </button>
                </div>`
      }
      ${
        result === null
          ? null
          : html`<p
              class=${result.kind === 'ok' ? 'ok-note' : 'error-note'}
              role=${result.kind === 'ok' ? 'status' : 'alert'}
              data-testid=${result.kind === 'ok' ? 'schedule-result' : 'schedule-error'}
            >
              ${result.text}
            </p>`
      }
    </section>
  </div>`;
}
