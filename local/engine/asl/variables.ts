/**
 * Workflow variables (`Assign`, `$name`): docs/local-engine.md "Variables".
 *
 * The top-level states of a machine share one scope. Each Parallel branch and each inline Map
 * iteration runs in a scope of its own that reads the scopes around it; a Distributed Map child
 * execution starts from an empty scope (on AWS it is an execution of its own). A state's Assign
 * is evaluated against the values at the state's entry and applied when the state finishes, so
 * `{"a": "$b", "b": "$a"}` swaps two variables.
 */

/** `$name` of a variable: a letter or `_`, then letters, digits and `_`. */
export const VARIABLE_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Names a state may not assign (`$states` is the JSONata reserved variable). */
export const RESERVED_VARIABLE_NAMES: ReadonlySet<string> = new Set(['states']);

export class VariableScope {
  private readonly values = new Map<string, unknown>();

  constructor(readonly parent?: VariableScope) {}

  /** A scope for a Parallel branch or an inline Map iteration: reads this one, writes its own. */
  child(): VariableScope {
    return new VariableScope(this);
  }

  /** Whether `name` is visible from this scope. */
  has(name: string): boolean {
    return this.values.has(name) || (this.parent?.has(name) ?? false);
  }

  /** The value of `name` as seen from this scope (undefined when it has none). */
  get(name: string): unknown {
    if (this.values.has(name)) return this.values.get(name);
    return this.parent?.get(name);
  }

  /** Applies one state's assignments (already evaluated) to this scope. */
  assign(values: Readonly<Record<string, unknown>>): void {
    for (const [name, value] of Object.entries(values)) this.values.set(name, value);
  }

  /** Every variable visible from this scope, inner ones shadowing outer ones (JSONata binds these). */
  visible(): Record<string, unknown> {
    const out: Record<string, unknown> = this.parent ? this.parent.visible() : {};
    // defineProperty: a variable named __proto__ is a value, not the object's prototype.
    for (const [name, value] of this.values) {
      Object.defineProperty(out, name, {
        value,
        enumerable: true,
        writable: true,
        configurable: true,
      });
    }
    return out;
  }
}
