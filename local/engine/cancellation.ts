/**
 * A tree of cancellation scopes: execution → Distributed Map → child execution → task
 * invocation. Aborting a scope aborts everything below it; a task handler sees its own scope's
 * AbortSignal. Scopes register in their parent's set (no AbortSignal listeners, so thousands of
 * short-lived invocations on one execution neither leak nor trip Node's listener warning), and a
 * finished scope detaches itself with dispose().
 */
export class CancellationScope {
  private controller: AbortController | undefined;
  private readonly onAbort = new Set<(reason: string) => void>();
  private abortReason: string | undefined;
  private detach: (() => void) | undefined;

  /** A scope aborted when this one is (at once, if this one already is). */
  child(): CancellationScope {
    const child = new CancellationScope();
    if (this.abortReason !== undefined) {
      child.abort(this.abortReason);
      return child;
    }
    const abortChild = (reason: string) => child.abort(reason);
    this.onAbort.add(abortChild);
    child.detach = () => this.onAbort.delete(abortChild);
    return child;
  }

  /** Calls `callback` when this scope is aborted; returns the unsubscribe function. */
  whenAborted(callback: (reason: string) => void): () => void {
    if (this.abortReason !== undefined) {
      callback(this.abortReason);
      return () => undefined;
    }
    this.onAbort.add(callback);
    return () => this.onAbort.delete(callback);
  }

  get aborted(): boolean {
    return this.abortReason !== undefined;
  }

  get reason(): string | undefined {
    return this.abortReason;
  }

  /** The signal handed to task handlers (created on first use). */
  get signal(): AbortSignal {
    if (!this.controller) {
      this.controller = new AbortController();
      if (this.abortReason !== undefined) this.controller.abort(this.abortReason);
    }
    return this.controller.signal;
  }

  abort(reason: string): void {
    if (this.abortReason !== undefined) return;
    this.abortReason = reason;
    this.controller?.abort(reason);
    const callbacks = [...this.onAbort];
    this.onAbort.clear();
    for (const callback of callbacks) callback(reason);
  }

  /** Detaches from the parent: a finished scope is no longer reachable from it. */
  dispose(): void {
    this.detach?.();
    this.detach = undefined;
    this.onAbort.clear();
  }
}
