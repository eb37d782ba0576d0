/**
 * Polling with backoff that survives a restart of the runtime.
 *
 * - After an answer, the next request waits `interval(data)` (short while something runs).
 * - No answer (NetworkError: the runtime is down or restarting): retried after 0.5 s, 1 s, 2 s,
 *   4 s, then every 5 s (with jitter), forever; the data shown so far stays. As soon as any
 *   request reaches the runtime again (the connection store says so), a poll waiting out its
 *   backoff goes at once.
 * - An error answer (400/404/500): shown, and polled again at the normal pace (it may clear).
 * - A 403 (stale token after a restart) is handled by api.ts: it re-reads the token from GET
 *   session and retries once.
 * A poll restarts from scratch when its `key` changes (another execution, another filter).
 */
import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { isAbort, NetworkError } from './api';
import { connection } from './connection';

export interface PollState<T> {
  readonly data: T | undefined;
  /** The latest failure (cleared by the next answer). */
  readonly error: unknown;
}

export interface Poll<T> extends PollState<T> {
  /** Poll now (after an action that changed something). */
  refresh(): void;
}

/** The pace of a view's poll: every second while something runs, else every few seconds. */
export const LIVE_POLL_MS = 1_000;
export const IDLE_POLL_MS = 5_000;

const BACKOFF_FIRST_MS = 500;
const BACKOFF_MAX_MS = 5_000;

function backoffMs(failures: number): number {
  const base = Math.min(BACKOFF_MAX_MS, BACKOFF_FIRST_MS * 2 ** Math.max(0, failures - 1));
  return Math.round(base * (0.8 + Math.random() * 0.4));
}

export function usePoll<T>(
  key: string,
  load: (signal: AbortSignal) => Promise<T>,
  interval: (data: T | undefined) => number,
): Poll<T> {
  const [state, setState] = useState<PollState<T>>({ data: undefined, error: undefined });
  const loadRef = useRef(load);
  const intervalRef = useRef(interval);
  loadRef.current = load;
  intervalRef.current = interval;
  const kick = useRef<() => void>(() => undefined);

  useEffect(() => {
    let stopped = false;
    let timer: number | undefined;
    let controller: AbortController | undefined;
    let data: T | undefined;
    let failures = 0;
    setState({ data: undefined, error: undefined });

    const run = async (): Promise<void> => {
      window.clearTimeout(timer);
      controller?.abort();
      const mine = new AbortController();
      controller = mine;
      let delay: number;
      try {
        const answer = await loadRef.current(mine.signal);
        if (stopped || mine.signal.aborted) return;
        data = answer;
        failures = 0;
        setState({ data: answer, error: undefined });
        delay = intervalRef.current(answer);
      } catch (err) {
        if (stopped || mine.signal.aborted || isAbort(err)) return;
        if (err instanceof NetworkError) {
          failures += 1;
          delay = backoffMs(failures);
        } else {
          delay = intervalRef.current(data);
        }
        setState((s) => ({ data: s.data, error: err }));
      }
      if (!stopped) timer = window.setTimeout(() => void run(), delay);
    };

    // The runtime is back: a poll waiting out its backoff need not wait any longer.
    const unsubscribe = connection.store.subscribe(() => {
      if (failures > 0 && connection.store.get().state === 'connected') void run();
    });
    kick.current = () => void run();
    void run();
    return () => {
      stopped = true;
      unsubscribe();
      window.clearTimeout(timer);
      controller?.abort();
      kick.current = () => undefined;
    };
  }, [key]);

  const refresh = useCallback(() => kick.current(), []);
  return { ...state, refresh };
}
