/**
 * Whether the runtime answers, and which process it is. Every request reports here (api.ts): an
 * answer (any status) means connected, no answer means reconnecting. The session (GET session,
 * polled by the header) carries the process's `startedAt`: when it changes, the runtime restarted.
 */
import type { SessionAnswer } from '../contract';
import { createStore } from './store';

export type ConnectionState = 'connecting' | 'connected' | 'reconnecting';

export interface ConnectionSnapshot {
  readonly state: ConnectionState;
  readonly session: SessionAnswer | null;
  /** Restarts of the runtime seen since the page loaded. */
  readonly restarts: number;
}

const store = createStore<ConnectionSnapshot>({ state: 'connecting', session: null, restarts: 0 });

export const connection = {
  store,
  /** An answer arrived. */
  reached(): void {
    const now = store.get();
    if (now.state !== 'connected') store.set({ ...now, state: 'connected' });
  },
  /** A request got no answer. */
  lost(): void {
    const now = store.get();
    if (now.state !== 'reconnecting') store.set({ ...now, state: 'reconnecting' });
  },
  /** The latest GET session. */
  session(session: SessionAnswer): void {
    const now = store.get();
    const previous = now.session;
    if (
      previous !== null &&
      previous.startedAt === session.startedAt &&
      previous.token === session.token
    ) {
      return;
    }
    const restarted = previous !== null && previous.startedAt !== session.startedAt;
    store.set({ ...now, session, restarts: now.restarts + (restarted ? 1 : 0) });
  },
};
