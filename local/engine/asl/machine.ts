/**
 * The ASL interpreter (docs/local-engine.md "Interpreter"): a machine is compiled once from the
 * definition (every path, template, intrinsic and JSONata expression parsed; a definition the
 * engine cannot run fails here, naming the state and field) and then run any number of times.
 *
 * One run walks from StartAt (or from another state, for a redrive) to a Succeed, a Fail, or a
 * state with End, emitting StateEntered / StateExited events. A state that fails with an error
 * no Catch handles ends the run with that error. The work of Task, Parallel and Map states is
 * wrapped in Retry and Catch (error-handling.ts); the fan-out states live in fan-out.ts.
 */
import type { AslState } from '../../stack/synthesized-definition';
import { InvalidAslDefinition, TaskFailure, errorOutput } from '../errors';
import { compileRetriers, findCatcher, type Retrier, RetryCounter } from './error-handling';
import { compileFanOut, type FanOut, runFanOut } from './fan-out';
import { type JsonataEnv, compileJsonataTemplate } from './jsonata';
import type { PathEnv } from './json-path';
import { compileSimpleState, runSimpleState, type SimpleState } from './simple-states';
import {
  type ContextBase,
  emit,
  type RunContext,
  type RunProgress,
  sleep,
  throwIfStopped,
} from './run-context';
import {
  type FieldEnv,
  type Finished,
  type JsonataEvaluator,
  type QueryLanguage,
  type StateFields,
  applyResultPath,
  checkResultPath,
  compileAssignJsonata,
  compileAssignPath,
  compileStateFields,
  effectiveInput,
  finishState,
  stateLanguage,
  workInput,
} from './state-fields';
import type { Evaluator } from './payload';
import { compileTaskTimeout, type TaskTimeout, invokeTask } from './task';

export interface MachineDocument {
  readonly StartAt: string;
  readonly States: Record<string, AslState>;
  readonly QueryLanguage?: string;
  readonly [key: string]: unknown;
}

export interface MachineOptions {
  /** Multiplies every Retry interval and MaxDelaySeconds (fast tests). @default 1 */
  readonly retryIntervalScale?: number;
  /** The query language states inherit. @default the document's, else JSONPath */
  readonly language?: QueryLanguage;
}

export interface Catcher {
  readonly errorEquals: readonly string[];
  readonly next: string;
  readonly resultPath?: string | null;
  readonly assignPath?: Evaluator;
  readonly output?: JsonataEvaluator;
  readonly assignJsonata?: JsonataEvaluator;
}

interface StateBase {
  readonly name: string;
  readonly type: string;
  readonly fields: StateFields;
  readonly next?: string;
}

/** A state whose work Retry and Catch wrap. */
interface GuardedState extends StateBase {
  readonly retriers: readonly Retrier[];
  readonly catchers: readonly Catcher[];
}

type CompiledState =
  | (GuardedState & { readonly kind: 'task'; readonly timeout: TaskTimeout })
  | (GuardedState & { readonly kind: 'fanOut'; readonly fanOut: FanOut })
  | (StateBase & { readonly kind: 'simple'; readonly simple: SimpleState });

/** Where a run enters a state: for the context object and error texts. */
export interface StateEntry {
  readonly enteredTime: string;
  readonly eventId: number;
}

/** A compiled state machine (the top level, a Parallel branch or a Map's ItemProcessor). */
export class Machine {
  readonly startAt: string;
  private readonly states = new Map<string, CompiledState>();

  constructor(document: MachineDocument, options: MachineOptions = {}) {
    if (document === null || typeof document !== 'object') {
      throw new InvalidAslDefinition('A state machine must be a JSON object');
    }
    const language = options.language ?? documentLanguage(document);
    if (
      typeof document.StartAt !== 'string' ||
      !document.States ||
      typeof document.States !== 'object'
    ) {
      throw new InvalidAslDefinition('A state machine needs StartAt and States');
    }
    if (!(document.StartAt in document.States)) {
      throw new InvalidAslDefinition(`StartAt names "${document.StartAt}", which is not a state`);
    }
    this.startAt = document.StartAt;
    for (const [name, state] of Object.entries(document.States)) {
      this.states.set(name, compileState(name, state, language, options));
    }
    for (const state of this.states.values()) {
      for (const target of transitions(state)) {
        if (!this.states.has(target)) {
          throw new InvalidAslDefinition(
            `State "${state.name}": Next names "${target}", which is not a state`,
          );
        }
      }
    }
  }

  /**
   * Runs from StartAt and resolves with the output; rejects with the failure. With `resume` (a
   * redrive) it starts at the state the earlier run stopped in, with that state's input, and the
   * state's work picks up what the earlier attempt left (`resume.work`). `run.progress`, when
   * given, follows the run (run-context.ts).
   */
  async run(input: unknown, run: RunContext, resume?: RunProgress): Promise<unknown> {
    let name = resume?.stateName ?? this.startAt;
    let current = resume?.stateName === undefined ? input : resume.input;
    let previousWork = resume?.work;
    for (;;) {
      if (run.progress) {
        run.progress.stateName = name;
        run.progress.input = current;
        run.progress.work = undefined;
      }
      throwIfStopped(run);
      const state = this.states.get(name);
      if (!state) throw new InvalidAslDefinition(`No state named "${name}"`);
      const enteredTime = new Date().toISOString();
      const eventId = emit(run, {
        type: 'StateEntered',
        stateName: name,
        stateType: state.type,
        input: current,
      });
      let step: { output: unknown; next?: string };
      try {
        step = await this.execute(state, current, run, { enteredTime, eventId }, previousWork);
      } catch (error) {
        throw located(error, name, eventId);
      }
      previousWork = undefined;
      emit(run, {
        type: 'StateExited',
        stateName: name,
        stateType: state.type,
        output: step.output,
      });
      if (step.next === undefined) return step.output;
      name = step.next;
      current = step.output;
    }
  }

  /** `previousWork`: what the state's last attempt left, when a redrive resumes at it. */
  private async execute(
    state: CompiledState,
    input: unknown,
    run: RunContext,
    entry: StateEntry,
    previousWork: unknown,
  ): Promise<{ output: unknown; next?: string }> {
    if (state.kind === 'simple') {
      const env = fieldEnv(run, state.name, entry, 0);
      const step = await runSimpleState(state.simple, state.fields, input, env, run, state.next);
      if (step.assigned) run.variables.assign(step.assigned);
      return { output: step.output, next: step.next ?? undefined };
    }
    const counter = new RetryCounter(state.retriers);
    // Only the first attempt after a redrive picks up the earlier work; a Retry starts afresh.
    let previous = previousWork;
    for (;;) {
      const env = fieldEnv(run, state.name, entry, counter.total);
      const work = previous;
      previous = undefined;
      try {
        const finished =
          state.kind === 'task'
            ? await this.runTask(state, input, env, run, work)
            : await runFanOut(state.fanOut, state.fields, input, env, run, state.name, work);
        if (finished.assigned) run.variables.assign(finished.assigned);
        return { output: finished.output, next: state.next };
      } catch (error) {
        throwIfStopped(run);
        const delay = counter.next(error);
        if (delay !== undefined) {
          await sleep(delay, run);
          continue;
        }
        const index = findCatcher(state.catchers, error);
        if (index < 0) throw error;
        const caught = await catchOutput(state, state.catchers[index], input, error, env);
        if (caught.assigned) run.variables.assign(caught.assigned);
        return { output: caught.output, next: state.catchers[index].next };
      }
    }
  }

  private async runTask(
    state: GuardedState & { readonly timeout: TaskTimeout },
    input: unknown,
    env: FieldEnv,
    run: RunContext,
    previousWork: unknown,
  ): Promise<Finished> {
    const effective = effectiveInput(state.fields, input, env);
    const timeoutSeconds = await state.timeout(effective, input, env);
    const taskInput = await workInput(state.fields, input, effective, env);
    const progress = run.progress;
    const result = await invokeTask(
      state.name,
      taskInput,
      timeoutSeconds,
      run,
      {
        previous: previousWork,
        record: (work) => {
          if (progress) progress.work = work;
        },
      },
      env,
    );
    return finishState(state.fields, input, effective, { value: result }, env);
  }
}

function documentLanguage(document: MachineDocument): QueryLanguage {
  const language = document.QueryLanguage;
  if (language === undefined || language === 'JSONPath') return 'JSONPath';
  if (language === 'JSONata') return 'JSONata';
  throw new InvalidAslDefinition(
    `QueryLanguage must be "JSONPath" or "JSONata", got ${JSON.stringify(language)}`,
  );
}

/** The context object a state sees: the run's, plus `State`; and the run's inspection hook. */
function fieldEnv(run: RunContext, name: string, entry: StateEntry, retryCount: number): FieldEnv {
  const context: ContextBase = {
    ...run.context,
    State: { Name: name, EnteredTime: entry.enteredTime, RetryCount: retryCount },
  };
  return { context, variables: run.variables, inspect: run.inspect };
}

const RUNTIME_PREFIX = 'An error occurred while executing the state';

/** JavaScript's own errors: never reported under their names as a Step Functions error. */
const JAVASCRIPT_ERRORS = new Set([
  'TypeError',
  'RangeError',
  'SyntaxError',
  'ReferenceError',
  'EvalError',
  'URIError',
  'AggregateError',
]);

/**
 * States.Runtime raised by a state's own fields: AWS names the state and where it was entered.
 * A JavaScript error escaping the interpreter itself (not a handler's: those are TaskFailures)
 * becomes States.Runtime too.
 */
function located(error: unknown, stateName: string, eventId: number): unknown {
  let detail: string | undefined;
  if (error instanceof TaskFailure) {
    if (error.name === 'States.Runtime' && !error.message.startsWith(RUNTIME_PREFIX)) {
      detail = error.message;
    }
  } else if (error instanceof Error && JAVASCRIPT_ERRORS.has(error.name)) {
    detail = `${error.name}: ${error.message}`;
  }
  if (detail === undefined) return error;
  return new TaskFailure(
    'States.Runtime',
    `${RUNTIME_PREFIX} '${stateName}' (entered at the event id #${eventId}). ${detail}`,
    { retryable: false, catchable: false },
  );
}

async function catchOutput(
  state: GuardedState,
  catcher: Catcher,
  input: unknown,
  error: unknown,
  env: FieldEnv,
): Promise<Finished> {
  const failure = errorOutput(error);
  const errorValue: Record<string, unknown> = { Error: failure.Error };
  if (failure.Cause !== undefined) errorValue.Cause = failure.Cause;
  if (state.fields.language === 'JSONata') {
    const jsonataEnv: JsonataEnv = {
      states: { input, context: env.context, errorOutput: errorValue },
      variables: env.variables,
    };
    const output = catcher.output ? await catcher.output(jsonataEnv) : errorValue;
    const assigned = catcher.assignJsonata
      ? ((await catcher.assignJsonata(jsonataEnv)) as Record<string, unknown>)
      : undefined;
    return { output, assigned };
  }
  const pathEnv: PathEnv = { input: errorValue, context: env.context, variables: env.variables };
  const assigned = catcher.assignPath
    ? (catcher.assignPath(pathEnv) as Record<string, unknown>)
    : undefined;
  return { output: applyResultPath(catcher.resultPath, input, errorValue), assigned };
}

function transitions(state: CompiledState): string[] {
  const out: string[] = [];
  if (state.next !== undefined) out.push(state.next);
  if (state.kind !== 'simple') for (const c of state.catchers) out.push(c.next);
  if (state.kind === 'simple') out.push(...state.simple.transitions);
  return out;
}

// ---- compiling -----------------------------------------------------------------------------

function compileState(
  name: string,
  state: AslState,
  inherited: QueryLanguage,
  options: MachineOptions,
): CompiledState {
  if (state === null || typeof state !== 'object') {
    throw new InvalidAslDefinition(`State "${name}" must be an object`);
  }
  if (name.length === 0 || name.length > 80) {
    throw new InvalidAslDefinition(`State name ${JSON.stringify(name)} must be 1 to 80 characters`);
  }
  const record = state as Record<string, unknown>;
  const language = stateLanguage(name, record, inherited);
  const type = String(record.Type);
  const next = nextOf(name, record, type);
  // Task, Parallel and Map: their work is wrapped in Retry and Catch.
  const guarded = () => ({
    name,
    type,
    next,
    retriers: compileRetriers(record.Retry, options.retryIntervalScale ?? 1),
    catchers: compileCatchers(name, record.Catch, language),
  });
  switch (type) {
    case 'Task':
      return {
        ...guarded(),
        kind: 'task',
        fields: compileStateFields(name, record, language, { parameters: true }),
        timeout: compileTaskTimeout(name, record, language),
      };
    case 'Parallel':
    case 'Map':
      return {
        ...guarded(),
        kind: 'fanOut',
        // A Map's legacy Parameters is its ItemSelector (fan-out.ts), not the input of its work.
        fields: compileStateFields(name, record, language, { parameters: type === 'Parallel' }),
        fanOut: compileFanOut(
          name,
          record,
          language,
          (document) => new Machine(document, { ...options, language }),
        ),
      };
    case 'Pass':
    case 'Wait':
    case 'Choice':
    case 'Succeed':
    case 'Fail': {
      const fields = compileStateFields(name, record, language, { parameters: type === 'Pass' });
      return {
        kind: 'simple',
        name,
        type,
        fields,
        next,
        simple: compileSimpleState(name, record, language),
      };
    }
    default:
      throw new InvalidAslDefinition(
        `State "${name}": unknown Type ${JSON.stringify(record.Type)}`,
      );
  }
}

function nextOf(name: string, state: Record<string, unknown>, type: string): string | undefined {
  if (type === 'Choice' || type === 'Succeed' || type === 'Fail') return undefined;
  if (state.End === true) {
    if (state.Next !== undefined)
      throw new InvalidAslDefinition(`State "${name}": Next and End cannot be used together`);
    return undefined;
  }
  if (typeof state.Next !== 'string') {
    throw new InvalidAslDefinition(`State "${name}": a ${type} state needs Next or "End": true`);
  }
  return state.Next;
}

function compileCatchers(
  stateName: string,
  catchField: unknown,
  language: QueryLanguage,
): Catcher[] {
  if (catchField === undefined) return [];
  if (!Array.isArray(catchField))
    throw new InvalidAslDefinition(`State "${stateName}": Catch must be an array`);
  return (catchField as Record<string, unknown>[]).map((catcher, i) => {
    const field = `Catch[${i}]`;
    if (!Array.isArray(catcher.ErrorEquals) || typeof catcher.Next !== 'string') {
      throw new InvalidAslDefinition(`State "${stateName}": ${field} needs ErrorEquals and Next`);
    }
    const where = (f: string) => ({ stateName, field: `${field}.${f}` });
    if (language === 'JSONata') {
      if ('ResultPath' in catcher) {
        throw new InvalidAslDefinition(
          `State "${stateName}": ${field}.ResultPath is a JSONPath field; use Output in a JSONata state`,
        );
      }
      return {
        errorEquals: catcher.ErrorEquals as string[],
        next: catcher.Next,
        output:
          'Output' in catcher ? compileJsonataTemplate(catcher.Output, where('Output')) : undefined,
        assignJsonata:
          'Assign' in catcher ? compileAssignJsonata(catcher.Assign, where('Assign')) : undefined,
      };
    }
    const resultPath = checkResultPath(stateName, `${field}.ResultPath`, catcher.ResultPath);
    return {
      errorEquals: catcher.ErrorEquals as string[],
      next: catcher.Next,
      resultPath,
      assignPath:
        'Assign' in catcher ? compileAssignPath(catcher.Assign, where('Assign')) : undefined,
    };
  });
}
