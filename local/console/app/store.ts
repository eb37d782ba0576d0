/** A tiny observable value and the hook that re-renders a component when it changes. */
import { useEffect, useReducer } from 'preact/hooks';

export interface Store<T> {
  get(): T;
  set(value: T): void;
  subscribe(listener: () => void): () => void;
}

export function createStore<T>(initial: T): Store<T> {
  let value = initial;
  const listeners = new Set<() => void>();
  return {
    get: () => value,
    set(next) {
      if (Object.is(next, value)) return;
      value = next;
      for (const listener of [...listeners]) listener();
    },
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}

export function useStore<T>(store: Store<T>): T {
  const [, changed] = useReducer((n: number) => n + 1, 0);
  useEffect(() => store.subscribe(() => changed(undefined)), [store]);
  return store.get();
}
