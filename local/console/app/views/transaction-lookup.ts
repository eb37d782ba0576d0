/** Look up one transaction by id: the stored item, as formatted JSON text. */
import type { VNode } from 'preact';
import { useState } from 'preact/hooks';
import type { TransactionAnswer } from '../../contract';
import { ApiError, errorText, get, seg } from '../api';
import { html } from '../html';

type Found =
  | { readonly kind: 'item'; readonly id: string; readonly item: Record<string, unknown> }
  | { readonly kind: 'none'; readonly id: string }
  | { readonly kind: 'error'; readonly text: string };

export function TransactionLookup(): VNode {
  const [id, setId] = useState('');
  const [busy, setBusy] = useState(false);
  const [found, setFound] = useState<Found | null>(null);

  const lookup = async (event: Event) => {
    event.preventDefault();
    const wanted = id.trim();
    if (wanted === '') {
      setFound({ kind: 'error', text: 'Type a transaction id.' });
      return;
    }
    setBusy(true);
    try {
      const answer = await get<TransactionAnswer>(`/transactions/${seg(wanted)}`);
      setFound({ kind: 'item', id: wanted, item: answer.item });
    } catch (err) {
      setFound(
        err instanceof ApiError && err.status === 404 && err.field === undefined
          ? { kind: 'none', id: wanted }
          : { kind: 'error', text: errorText(err) },
      );
    } finally {
      setBusy(false);
    }
  };

  return html`<section
    class="panel"
    aria-labelledby="lookup-title"
    data-testid="transaction-lookup"
  >
    <h2 id="lookup-title">Look up a transaction</h2>
    <form class="inline-form" onSubmit=${lookup} data-testid="lookup-form">
      <label for="lookup-id">Transaction id</label>
      <input
        id="lookup-id"
        type="text"
        data-testid="lookup-id"
        value=${id}
        autocomplete="off"
        spellcheck=${false}
        onInput=${(e: Event) => setId((e.currentTarget as HTMLInputElement).value)}
      />
      <button type="submit" data-testid="lookup-submit" disabled=${busy}>Look up</button>
    </form>
    ${
      found === null
        ? null
        : found.kind === 'item'
          ? html`<div data-testid="lookup-result">
              <p class="muted small">
                Transaction <span class="break" data-testid="lookup-result-id">${found.id}</span>
              </p>
              <pre class="payload" data-testid="lookup-item">
${JSON.stringify(found.item, null, 2)}</pre>
            </div>`
          : found.kind === 'none'
            ? html`<p class="muted" role="status" data-testid="lookup-none">
                No transaction <span class="break">${found.id}</span>.
              </p>`
            : html`<p class="error-note" role="alert" data-testid="lookup-error">${found.text}</p>`
    }
  </section>`;
}
