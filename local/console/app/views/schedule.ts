/** Schedule: its state, expression and next fire time; Pause / Resume. */
import type { VNode } from 'preact';
import { useState } from 'preact/hooks';
import type { ScheduleAnswer } from '../../contract';
import { errorText, get, post } from '../api';
import { html } from '../html';
import { IDLE_POLL_MS, usePoll } from '../poll';
import { type ActionResult, ActionResultNote } from './actions';
import { Fields, polled, StatusBadge, Time } from './common';

export function ScheduleView(): VNode {
  const poll = usePoll(
    'schedule',
    (signal) => get<ScheduleAnswer>('/schedule', signal),
    () => IDLE_POLL_MS,
  );
  const [busy, setBusy] = useState(false);
  const [result, setResult] = useState<ActionResult | null>(null);

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

  return html`<div class="view" data-testid="schedule-view">
    <h1>Schedule</h1>
    <section class="panel" aria-labelledby="schedule-title">
      <h2 id="schedule-title">The schedule that starts the workflow</h2>
      ${polled(poll, 'schedule-load', ({ schedule }) =>
        schedule === null
          ? html`<p class="muted" data-testid="schedule-none">
              No schedule (the runtime was started with --no-schedule).
            </p>`
          : html`<${Fields}
              rows=${[
                [
                  'state',
                  html`<${StatusBadge} status=${schedule.state} testid="schedule-state" />`,
                ],
                ['name', schedule.name, 'schedule-name'],
                ['expression', html`<code>${schedule.expression}</code>`, 'schedule-expression'],
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
            </div>`,
      )}
      <${ActionResultNote} result=${result} testid="schedule" />
    </section>
  </div>`;
}
