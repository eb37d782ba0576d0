/**
 * The Start form: the execution input contract (lambdas/domain/execution-input.ts) as `txc start`
 * takes it. Sent as typed: the server checks it with the workflow's own schema and names the
 * offending field (a StartRequest field), shown next to that field.
 */
import type { VNode } from 'preact';
import { useState } from 'preact/hooks';
import type { StartAnswer, StartRequest } from '../../contract';
import { ApiError, errorText, post } from '../api';
import { html } from '../html';
import { executionHref } from '../router';

type FieldName = keyof StartRequest;
type TextFieldName = Exclude<FieldName, 'dryRun'>;
type Values = { dryRun: boolean } & Record<TextFieldName, string>;

interface FieldSpec {
  readonly name: FieldName;
  readonly label: string;
  readonly hint: string;
  readonly testid: string;
  /** More attributes of the input (placeholder, inputmode). */
  readonly attrs?: Readonly<Record<string, string>>;
}

/** The form's fields, in order: the dry-run checkbox, then text inputs. */
const FIELDS: readonly FieldSpec[] = [
  {
    name: 'dryRun',
    label: 'Dry run',
    hint: 'Report what would be sent; change nothing.',
    testid: 'start-dry-run',
  },
  {
    name: 'ids',
    label: 'Transaction ids',
    hint: 'Comma-separated; empty pages the pending index.',
    testid: 'start-ids',
  },
  {
    name: 'maxItems',
    label: 'Max items',
    hint: 'Stop after this many transactions.',
    testid: 'start-max-items',
    attrs: { inputmode: 'numeric' },
  },
  {
    name: 'createdBefore',
    label: 'Created before',
    hint: 'ISO-8601 with a time zone.',
    testid: 'start-created-before',
    attrs: { placeholder: '2024-01-31T00:00:00Z' },
  },
  {
    name: 'name',
    label: 'Name',
    hint: 'Optional; a unique one is made up.',
    testid: 'start-name',
  },
];

const EMPTY: Values = { dryRun: false, ids: '', maxItems: '', createdBefore: '', name: '' };

interface Problem {
  /** The form field it is about (the server's `field`), when the form has one of that name. */
  readonly field?: FieldName;
  readonly text: string;
}

function fieldOf(field: string | undefined): FieldName | undefined {
  return FIELDS.find((f) => f.name === field)?.name;
}

export function StartForm(props: { onStarted: () => void }): VNode {
  const [values, setValues] = useState<Values>(EMPTY);
  const [busy, setBusy] = useState(false);
  const [problem, setProblem] = useState<Problem | null>(null);
  const [started, setStarted] = useState<StartAnswer | null>(null);

  const submit = async (event: Event) => {
    event.preventDefault();
    setBusy(true);
    setProblem(null);
    setStarted(null);
    // A blank text field is not sent.
    const request: StartRequest = Object.fromEntries(
      Object.entries(values).filter(([, v]) => typeof v === 'boolean' || v.trim() !== ''),
    );
    try {
      const answer = await post<StartAnswer>('/executions', request);
      setStarted(answer);
      props.onStarted();
    } catch (err) {
      const field = err instanceof ApiError ? fieldOf(err.field) : undefined;
      setProblem({ ...(field === undefined ? {} : { field }), text: errorText(err) });
      if (field !== undefined) document.getElementById(`start-${field}`)?.focus();
    } finally {
      setBusy(false);
    }
  };

  return html`<section class="panel start" aria-labelledby="start-title">
    <h2 id="start-title">Start an execution</h2>
    <form data-testid="start-form" onSubmit=${submit} novalidate>
      <div class="form-grid">
        ${FIELDS.map(
          (spec) =>
            html`<${Field}
              key=${spec.name}
              spec=${spec}
              value=${values[spec.name]}
              error=${problem?.field === spec.name ? problem.text : undefined}
              onChange=${(value: string | boolean) => setValues((v) => ({ ...v, [spec.name]: value }))}
            />`,
        )}
      </div>
      <div class="form-actions">
        <button type="submit" class="primary" data-testid="start-submit" disabled=${busy}>
          ${values.dryRun ? 'Start dry run' : 'Start execution'}
        </button>
        ${
          problem !== null && problem.field === undefined
            ? html`<p class="error-note" role="alert" data-testid="start-error">${problem.text}</p>`
            : null
        }
        ${
          problem !== null && problem.field !== undefined
            ? html`<p class="visually-hidden" role="alert">${problem.text}</p>`
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

/**
 * One field: its label, input, hint and (when the server named it) error, the input pointing at
 * both with aria-describedby. A boolean value is a checkbox (before its label), else a text input.
 */
function Field(props: {
  spec: FieldSpec;
  value: string | boolean;
  error: string | undefined;
  onChange: (value: string | boolean) => void;
}): VNode {
  const { spec, value, error } = props;
  const id = `start-${spec.name}`;
  const checkbox = typeof value === 'boolean';
  const changed = (e: Event) => {
    const input = e.currentTarget as HTMLInputElement;
    props.onChange(checkbox ? input.checked : input.value);
  };
  const control = checkbox
    ? { type: 'checkbox', checked: value, onChange: changed }
    : { type: 'text', value, autocomplete: 'off', spellcheck: false, onInput: changed };
  const input = html`<input
    id=${id}
    data-testid=${spec.testid}
    ...${control}
    ...${spec.attrs ?? {}}
    aria-invalid=${error === undefined ? undefined : 'true'}
    aria-describedby=${error === undefined ? `${id}-hint` : `${id}-hint ${id}-error`}
  />`;
  const label = html`<label for=${id}>${spec.label}</label>`;
  return html`<div class=${checkbox ? 'form-field checkbox-field' : 'form-field'}>
    ${checkbox ? input : label}
    ${checkbox ? label : input}
    <p class="hint" id=${`${id}-hint`}>${spec.hint}</p>
    ${
      error === undefined
        ? null
        : html`<p class="field-error" id=${`${id}-error`} data-testid=${`start-error-${spec.name}`}>
            ${error}
          </p>`
    }
  </div>`;
}
