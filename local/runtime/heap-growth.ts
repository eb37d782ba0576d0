/**
 * How far V8 lets the JavaScript heap grow past what is live. By default it may grow to up to
 * about 4x the live set while a process allocates fast, and a local run allocates fast for its
 * whole length (every page, batch, provider call and store request), so its peak RSS grew with the
 * backlog although the live set hardly did. Capping the growth factor at 2x bounds the heap by
 * what is live, without a hard limit that a large in-memory store could hit (measured, with the
 * alternatives tried: docs/performance.md, "Memory of a local run").
 */
import * as v8 from 'node:v8';

/** The heap may grow to (1 + percent / 100) × the live set after each full collection. */
export const HEAP_GROWING_PERCENT = 100;

/** Applies {@link HEAP_GROWING_PERCENT} to this process (the local CLI's long runs). */
export function boundHeapGrowth(): void {
  v8.setFlagsFromString(`--heap-growing-percent=${HEAP_GROWING_PERCENT}`);
}
