/**
 * Stop and Redrive for one execution (a row of the list, or the detail's header): the buttons,
 * their dialogs, and the request. What came of it is handed to `onResult` for the view to show.
 */
import type { VNode } from 'preact';
import { useState } from 'preact/hooks';
import type { RedriveAnswer, StopAnswer } from '../../contract';
import { errorText, post, seg } from '../api';
import { isUnsuccessful } from '../format';
import { html } from '../html';
import { hrefOf } from '../router';
import { Dialog } from './common';

export interface ActionResult {
  readonly kind: 'ok' | 'error';
  readonly text: string;
}

type Open = null | 'stop' | { readonly advice: RedriveAnswer };

export function ExecutionActions(props: {
  name: string;
  status: string;
  onResult: (result: ActionResult) => void;
}): VNode | null {
  const { name, status, onResult } = props;
  const [open, setOpen] = useState<Open>(null);
  const [busy, setBusy] = useState(false);
  const running = status === 'RUNNING';
  const redrivable = isUnsuccessful(status);
  if (!running && !redrivable) return null;

  const stop = async () => {
    setBusy(true);
    try {
      const answer = await post<StopAnswer>(`/executions/${seg(name)}/stop`, {});
      onResult({ kind: 'ok', text: `Stopped ${name}: ${answer.status}` });
    } catch (err) {
      onResult({ kind: 'error', text: `Stop ${name}: ${errorText(err)}` });
    } finally {
      setBusy(false);
      setOpen(null);
    }
  };

  const redrive = async (force: boolean) => {
    setBusy(true);
    try {
      const report = await post<RedriveAnswer>(
        `/executions/${seg(name)}/redrive`,
        force ? { force: true } : {},
      );
      if (report.redriven) {
        setOpen(null);
        const from = report.stoppedIn === undefined ? '' : ` from ${report.stoppedIn}`;
        onResult({ kind: 'ok', text: `Redriven ${name}${from}` });
      } else if (report.advice === 'new-run') {
        // The runbook's rule: stopped after StartRun, a new run is the recovery (unless forced).
        setOpen({ advice: report });
      } else {
        setOpen(null);
        onResult({ kind: 'error', text: `Redrive ${name}: nothing was redriven` });
      }
    } catch (err) {
      setOpen(null);
      onResult({ kind: 'error', text: `Redrive ${name}: ${errorText(err)}` });
    } finally {
      setBusy(false);
    }
  };

  /** To the Executions view's Start form (at its top). */
  const newRun = () => {
    setOpen(null);
    window.setTimeout(() => document.getElementById('start-dryRun')?.focus(), 50);
  };

  return html`<span class="actions">
    ${
      running
        ? html`<button
            type="button"
            class="danger"
            data-testid="stop-button"
            aria-label=${`Stop ${name}`}
            disabled=${busy}
            onClick=${() => setOpen('stop')}
          >
            Stop
          </button>`
        : null
    }
    ${
      redrivable
        ? html`<button
            type="button"
            data-testid="redrive-button"
            aria-label=${`Redrive ${name}`}
            disabled=${busy}
            onClick=${() => void redrive(false)}
          >
            Redrive
          </button>`
        : null
    }
    ${
      open === 'stop'
        ? html`<${Dialog}
            title="Stop this execution?"
            testid="stop-dialog"
            onClose=${() => setOpen(null)}
          >
            <p>
              <strong class="break">${name}</strong> ends ABORTED. The lock-release rule frees its
              run lock and the run is recorded; start a new run to confirm what is still PENDING.
            </p>
            <div class="dialog-buttons">
              <button
                type="button"
                class="danger"
                data-testid="stop-confirm"
                disabled=${busy}
                onClick=${() => void stop()}
              >
                Stop execution
              </button>
              <button type="button" data-testid="stop-cancel" autofocus onClick=${() => setOpen(null)}>
                Cancel
              </button>
            </div>
          <//>`
        : null
    }
    ${
      open !== null && open !== 'stop'
        ? html`<${Dialog}
            title="A new run is the recovery"
            testid="redrive-dialog"
            onClose=${() => setOpen(null)}
          >
            <${RedriveAdvice} name=${name} report=${open.advice} />
            <div class="dialog-buttons">
              <a
                class="button"
                href=${hrefOf({ view: 'executions' })}
                data-testid="redrive-new-run"
                onClick=${newRun}
                >Start a new run instead</a
              >
              <button
                type="button"
                class="danger"
                data-testid="redrive-force"
                disabled=${busy}
                onClick=${() => void redrive(true)}
              >
                Redrive anyway (force)
              </button>
              <button type="button" data-testid="redrive-cancel" autofocus onClick=${() => setOpen(null)}>
                Cancel
              </button>
            </div>
          <//>`
        : null
    }
  </span>`;
}

/** docs/runbook.md#redrive-or-a-new-run, for this execution (as `txc redrive` says it). */
function RedriveAdvice(props: { name: string; report: RedriveAnswer }): VNode {
  const { name, report } = props;
  return html`<div class="advice" data-testid="redrive-advice">
    <p><strong class="break">${name}</strong>: <span data-testid="redrive-reason">${report.reason ?? ''}</span></p>
    <p>Stopped in <strong data-testid="redrive-stopped-in">${report.stoppedIn ?? 'an unknown state'}</strong>. Nothing was redriven.</p>
  </div>`;
}

/**
 * What the last action (Stop, Redrive, a schedule switch) did, as a note (a status or an alert),
 * its data-testid `<testid>-result` or `<testid>-error`.
 */
export function ActionResultNote(props: {
  result: ActionResult | null;
  testid?: string;
}): VNode | null {
  const { result } = props;
  if (result === null) return null;
  const testid = props.testid ?? 'action';
  return html`<p
    class=${result.kind === 'ok' ? 'ok-note' : 'error-note'}
    role=${result.kind === 'ok' ? 'status' : 'alert'}
    data-testid=${`${testid}-${result.kind === 'ok' ? 'result' : 'error'}`}
  >
    ${result.text}
  </p>`;
}
