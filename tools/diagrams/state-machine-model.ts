/**
 * The state-machine diagram model: the graph of a synthesized ASL document (states, transitions,
 * Choice conditions, Catch edges, Retry notes), with Map item processors as nested graphs. The
 * renderers are in mermaid.ts and dot.ts.
 */
import type { AslDefinition, AslState } from '../../local/stack/synthesized-definition';

export interface SmState {
  /** Unique across nested scopes (item processor states are prefixed with their Map's id). */
  readonly id: string;
  readonly name: string;
  readonly type: string;
  readonly lines: readonly string[];
  /** The item processor / iterator of a Map state. */
  readonly children?: SmGraph;
}

export interface SmEdge {
  readonly from: string;
  readonly to: string;
  readonly label: string;
  readonly kind: 'next' | 'choice' | 'default' | 'catch';
}

export interface SmGraph {
  /** Id prefix of the scope: '' at the top, `<MapId>__` inside a Map. */
  readonly scope: string;
  readonly startAt: string;
  readonly states: readonly SmState[];
  readonly edges: readonly SmEdge[];
  /** Ids of the states that end the scope (End: true, Succeed, Fail). */
  readonly ends: readonly string[];
}

/** Every state name of an ASL document, recursively (Map item processors, Parallel branches). */
export function aslStateNames(definition: { States: Record<string, AslState> }): string[] {
  const names: string[] = [];
  for (const [name, state] of Object.entries(definition.States)) {
    names.push(name);
    for (const sub of subDefinitions(state)) names.push(...aslStateNames(sub));
  }
  return names;
}

/** The nested ASL documents of a state: a Map's item processor, a Parallel's branches. */
export function subDefinitions(state: AslState): AslDefinition[] {
  const subs: AslDefinition[] = [];
  const processor = (state.ItemProcessor ?? state.Iterator) as AslDefinition | undefined;
  if (processor) subs.push(processor);
  for (const branch of (state.Branches ?? []) as AslDefinition[]) subs.push(branch);
  return subs;
}

function stateId(scope: string, name: string): string {
  return scope + name.replace(/[^A-Za-z0-9_]/g, '_');
}

/** The diagram model of an ASL document. `functionNames` maps a Lambda ARN to a display name. */
export function stateMachineModel(
  definition: AslDefinition,
  functionNames: Readonly<Record<string, string>> = {},
  scope = '',
): SmGraph {
  const ids = new Map<string, string>();
  for (const name of Object.keys(definition.States)) {
    const id = stateId(scope, name);
    if ([...ids.values()].includes(id)) {
      throw new Error(`State names collide once made diagram ids: ${name} (${id})`);
    }
    ids.set(name, id);
  }
  const idOf = (name: string): string => {
    const id = ids.get(name);
    if (!id) throw new Error(`ASL transition to unknown state ${name}`);
    return id;
  };

  const states: SmState[] = [];
  const edges: SmEdge[] = [];
  const ends: string[] = [];
  for (const [name, state] of Object.entries(definition.States)) {
    const id = idOf(name);
    const subs = subDefinitions(state);
    if (subs.length > 1) {
      throw new Error(`${name}: Parallel branches are not drawn yet (extend tools/diagrams/)`);
    }
    states.push({
      id,
      name,
      type: state.Type,
      lines: describeState(state, functionNames),
      ...(subs.length === 1
        ? { children: stateMachineModel(subs[0], functionNames, `${id}__`) }
        : {}),
    });
    if (typeof state.Next === 'string') {
      edges.push({ from: id, to: idOf(state.Next), label: '', kind: 'next' });
    }
    for (const choice of (state.Choices ?? []) as Record<string, unknown>[]) {
      edges.push({
        from: id,
        to: idOf(String(choice.Next)),
        label: conditionText(choice),
        kind: 'choice',
      });
    }
    if (typeof state.Default === 'string') {
      edges.push({ from: id, to: idOf(state.Default), label: 'Default', kind: 'default' });
    }
    for (const c of (state.Catch ?? []) as Record<string, unknown>[]) {
      const errors = ((c.ErrorEquals ?? []) as string[]).join(', ');
      const resultPath = typeof c.ResultPath === 'string' ? ` → ${c.ResultPath}` : '';
      edges.push({
        from: id,
        to: idOf(String(c.Next)),
        label: `Catch ${errors}${resultPath}`,
        kind: 'catch',
      });
    }
    if (state.End === true || state.Type === 'Succeed' || state.Type === 'Fail') ends.push(id);
  }
  return { scope, startAt: idOf(definition.StartAt), states, edges, ends };
}

const COMPARATORS: Record<string, string> = {
  StringEquals: '==',
  NumericEquals: '==',
  BooleanEquals: '==',
  TimestampEquals: '==',
  StringLessThan: '<',
  NumericLessThan: '<',
  TimestampLessThan: '<',
  StringGreaterThan: '>',
  NumericGreaterThan: '>',
  TimestampGreaterThan: '>',
  StringLessThanEquals: '<=',
  NumericLessThanEquals: '<=',
  TimestampLessThanEquals: '<=',
  StringGreaterThanEquals: '>=',
  NumericGreaterThanEquals: '>=',
  TimestampGreaterThanEquals: '>=',
  StringMatches: 'matches',
};

/** A Choice rule as text: `$.next == "CONFIRM"`, `$.a is present and not ($.b > 3)`. */
export function conditionText(rule: Record<string, unknown>): string {
  if (typeof rule.Condition === 'string') return rule.Condition; // JSONata
  if (Array.isArray(rule.And)) {
    return rule.And.map((r) => `(${conditionText(r as Record<string, unknown>)})`).join(' and ');
  }
  if (Array.isArray(rule.Or)) {
    return rule.Or.map((r) => `(${conditionText(r as Record<string, unknown>)})`).join(' or ');
  }
  if (rule.Not) return `not (${conditionText(rule.Not as Record<string, unknown>)})`;
  const variable = String(rule.Variable ?? '?');
  for (const [key, value] of Object.entries(rule)) {
    if (key === 'Variable' || key === 'Next') continue;
    if (key === 'IsPresent') return `${variable} ${value ? 'is present' : 'is absent'}`;
    if (key.startsWith('Is')) return `${variable} ${value ? '' : 'not '}${key.slice(2)}`;
    const isPath = key.endsWith('Path');
    const op = COMPARATORS[isPath ? key.slice(0, -4) : key] ?? key;
    return `${variable} ${op} ${isPath ? String(value) : JSON.stringify(value)}`;
  }
  return variable;
}

function describeState(state: AslState, functionNames: Readonly<Record<string, string>>): string[] {
  const lines: string[] = [];
  switch (state.Type) {
    case 'Task': {
      const resource = String(state.Resource ?? '');
      const integration = resource.replace(/^arn:[^:]+:states:::/, '');
      const params = (state.Parameters ?? state.Arguments ?? {}) as Record<string, unknown>;
      const fn =
        typeof params.FunctionName === 'string'
          ? params.FunctionName
          : integration === resource
            ? resource
            : undefined;
      const target = fn ? ` → ${functionNames[fn] ?? fn}` : '';
      lines.push(`Task: ${integration}${target}`);
      break;
    }
    case 'Map': {
      const processor = (state.ItemProcessor ?? state.Iterator ?? {}) as Record<string, unknown>;
      const config = (processor.ProcessorConfig ?? {}) as Record<string, unknown>;
      const mode = String(config.Mode ?? 'INLINE');
      const children = config.ExecutionType ? `, ${String(config.ExecutionType)} children` : '';
      lines.push(`Map: ${mode}${children}`);
      const details: string[] = [];
      if (state.ItemsPath) details.push(`items ${String(state.ItemsPath)}`);
      const batcher = state.ItemBatcher as Record<string, unknown> | undefined;
      if (batcher?.MaxItemsPerBatch) details.push(`batches of ${String(batcher.MaxItemsPerBatch)}`);
      if (state.MaxConcurrency !== undefined) {
        details.push(`concurrency ${String(state.MaxConcurrency)}`);
      }
      if (state.ToleratedFailurePercentage !== undefined) {
        details.push(`tolerated failure ${String(state.ToleratedFailurePercentage)}%`);
      }
      if (details.length > 0) lines.push(details.join(', '));
      break;
    }
    case 'Fail': {
      const error = state.Error ?? state.ErrorPath;
      lines.push(error ? `Fail: error ${String(error)}` : 'Fail');
      break;
    }
    default:
      lines.push(state.Type);
  }
  if (typeof state.TimeoutSeconds === 'number') lines.push(`timeout ${state.TimeoutSeconds} s`);
  for (const retrier of (state.Retry ?? []) as Record<string, unknown>[]) {
    const parts = [`Retry ×${String(retrier.MaxAttempts ?? 3)}`];
    parts.push(`every ${String(retrier.IntervalSeconds ?? 1)} s`);
    parts.push(`backoff ${String(retrier.BackoffRate ?? 2)}`);
    if (retrier.MaxDelaySeconds !== undefined) {
      parts.push(`max ${String(retrier.MaxDelaySeconds)} s`);
    }
    if (retrier.JitterStrategy) parts.push(`jitter ${String(retrier.JitterStrategy)}`);
    lines.push(parts.join(', '));
    lines.push(...wrap(`on ${((retrier.ErrorEquals ?? []) as string[]).join(', ')}`, 64));
  }
  return lines;
}

/** Splits a comma-separated text into lines of at most `width` characters (at the commas). */
function wrap(text: string, width: number): string[] {
  const lines: string[] = [];
  let line = '';
  for (const part of text.split(', ')) {
    const next = line ? `${line}, ${part}` : part;
    if (line && next.length > width) {
      lines.push(`${line},`);
      line = `  ${part}`;
    } else {
      line = next;
    }
  }
  if (line) lines.push(line);
  return lines;
}

/** Visits every state of a graph, depth first (Map item processors included). */
export function walkStates(graph: SmGraph, visit: (state: SmState) => void): void {
  for (const state of graph.states) {
    visit(state);
    if (state.children) walkStates(state.children, visit);
  }
}
