/**
 * The Start form: the execution input contract (lambdas/domain/execution-input.ts) as `txc start`
 * takes it. Sent as typed: the server checks it with the workflow's own schema and names the
 * offending field, shown next to that field.
 */
import type { VNode } from 'preact';
import { useState } from 'preact/hooks';
import type { StartAnswer, StartRequest } from '../../contract';
import { ApiError, errorText, post } from '../api';
import { html } from '../html';
import { executionHref } from '../router';

type FieldName = 'dryRun' | 'ids' | 'maxItems' | 'createdBefore' | 'name';

const FIELD_NAMES: readonly FieldName[] = ['dryRun', 'ids', 'maxItems', 'createdBefore', 'name'];

/** The server's `field` → the form's field: `transactionIds[3]` is the ids field. */
export function formField(field: string | undefined): FieldName | undefined {
  if (field === undefined) return undefined;
  const head = field.replace(/^input\./, '').split(/[.[]/)[0] ?? '';
  const name = head === 'transactionIds' ? 'ids' : head;
  return (FIELD_NAMES as readonly string[]).includes(name) ? (name as FieldName) : undefined;
}

interface Errors {
  readonly field?: FieldName;
  readonly text: string;
}

export function StartForm(props: { onStarted: () => void }): VNode {
  const [dryRun, setDryRun] = useState(false);
  const [ids, setIds] = useState('');
  const [maxItems, setMaxItems] = useState('');
  const [createdBefore, setCreatedBefore] = useState('');
  const [name, setName] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<Errors | null>(null);
  const [started, setStarted] = useState<StartAnswer | null>(null);

  const submit = async (event: Event) => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    setStarted(null);
    const request: StartRequest = {
      dryRun,
      ...(ids.trim() === '' ? {} : { ids }),
      ...(maxItems.trim() === '' ? {} : { maxItems }),
      ...(createdBefore.trim() === '' ? {} : { createdBefore }),
      ...(name.trim() === '' ? {} : { name }),
    };
    try {
      const answer = await post<StartAnswer>('/executions', request);
      setStarted(answer);
      props.onStarted();
    } catch (err) {
      const field = err instanceof ApiError ? formField(err.field) : undefined;
      setError({ ...(field === undefined ? {} : { field }), text: errorText(err) });
      if (field !== undefined) {
        document.getElementById(`start-${field}`)?.focus();
      }
    } finally {
      setBusy(false);
    }
  };

  /** A field's error, next to it; the input points at it with aria-describedby. */
  const fieldError = (field: FieldName) =>
    error?.field === field
      ? html`<p
          class="field-error"
          id=${`start-${field}-error`}
          data-testid=${`start-error-${field}`}
        >
          ${error.text}
        </p>`
      : null;
  const invalid = (field: FieldName) => (error?.field === field ? 'true' : undefined);
  const describedBy = (field: FieldName, hint: boolean) =>
    [hint ? `start-${field}-hint` : '', error?.field === field ? `start-${field}-error` : '']
      .filter((s) => s !== '')
      .join(' ') || undefined;

  return html`<section class="panel start" aria-labelledby="start-title">
    <h2 id="start-title">Start an execution</h2>
    <form data-testid="start-form" onSubmit=${submit} novalidate>
      <div class="form-grid">
        <div class="form-field checkbox-field">
          <input
            id="start-dryRun"
            type="checkbox"
            data-testid="start-dry-run"
            checked=${dryRun}
            aria-invalid=${invalid('dryRun')}
            aria-describedby=${describedBy('dryRun', true)}
            onChange=${(e: Event) => setDryRun((e.currentTarget as HTMLInputElement).checked)}
          />
          <label for="start-dryRun">Dry run</label>
          <p class="hint" id="start-dryRun-hint">Report what would be sent; change nothing.</p>
          ${fieldError('dryRun')}
        </div>
        <div class="form-field wide">
          <label for="start-ids">Transaction ids</label>
          <input
            id="start-ids"
            type="text"
            data-testid="start-ids"
            value=${ids}
            autocomplete="off"
            spellcheck=${false}
            aria-invalid=${invalid('ids')}
            aria-describedby=${describedBy('ids', true)}
            onInput=${(e: Event) => setIds((e.currentTarget as HTMLInputElement).value)}
          />
          <p class="hint" id="start-ids-hint">Comma-separated; empty pages the pending index.</p>
          ${fieldError('ids')}
        </div>
        <div class="form-field">
          <label for="start-maxItems">Max items</label>
          <input
            id="start-maxItems"
            type="text"
            inputmode="numeric"
            data-testid="start-max-items"
            value=${maxItems}
            aria-invalid=${invalid('maxItems')}
            aria-describedby=${describedBy('maxItems', true)}
            onInput=${(e: Event) => setMaxItems((e.currentTarget as HTMLInputElement).value)}
          />
          <p class="hint" id="start-maxItems-hint">Stop after this many transactions.</p>
          ${fieldError('maxItems')}
        </div>
        <div class="form-field">
          <label for="start-createdBefore">Created before</label>
          <input
            id="start-createdBefore"
            type="text"
            data-testid="start-created-before"
            placeholder="2024-01-31T00:00:00Z"
            value=${createdBefore}
            autocomplete="off"
            aria-invalid=${invalid('createdBefore')}
            aria-describedby=${describedBy('createdBefore', true)}
            onInput=${(e: Event) => setCreatedBefore((e.currentTarget as HTMLInputElement).value)}
          />
          <p class="hint" id="start-createdBefore-hint">ISO-8601 with a time zone.</p>
          ${fieldError('createdBefore')}
        </div>
        <div class="form-field">
          <label for="start-name">Name</label>
          <input
            id="start-name"
            type="text"
            data-testid="start-name"
            value=${name}
            autocomplete="off"
            aria-invalid=${invalid('name')}
            aria-describedby=${describedBy('name', true)}
            onInput=${(e: Event) => setName((e.currentTarget as HTMLInputElement).value)}
          />
          <p class="hint" id="start-name-hint">Optional; a unique one is made up.</p>
          ${fieldError('name')}
        </div>
      </div>
      <div class="form-actions">
        <button type="submit" class="primary" data-testid="start-submit" disabled=${busy}>
          ${dryRun ? 'Start dry run' : 'Start execution'}
        </button>
        ${
          error !== null && error.field === undefined
            ? html`<p class="error-note" role="alert" data-testid="start-error">${error.text}</p>`
            : null
        }
        ${
          error !== null && error.field !== undefined
            ? html`<p class="visually-hidden" role="alert">${error.text}</p>`
            : null
        }
        ${
          started === null
            ? null
            : html`<p class="ok-note" role="status" data-testid="start-result">
                Started <a href=${executionHref(started.name)} data-testid="start-result-link">${started.name}</a>
              </p>`
        }
      </div>
    </form>
  </section>`;
}
