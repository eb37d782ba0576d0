/**
 * Loading and compiling the state machine: the load-time checks and the mechanical transform
 * (definition.ts), asl-validator, then one interpreter Machine (asl/machine.ts) per planned
 * machine (the top level and each Distributed Map's ItemProcessor) with every Task compiled into
 * a handler. Compiling once at construction means an unsupported feature fails
 * `new LocalStepFunctions()` rather than an execution, and runs reuse the compiled machine.
 */
import aslValidator from 'asl-validator';
import { Machine, type MachineDocument } from './asl/machine';
import type { InterpreterEvent, RunProgress, TaskProgress } from './asl/run-context';
import { VariableScope } from './asl/variables';
import type { AslDefinition } from '../stack/synthesized-definition';
import { type MachinePlan, planStateMachine } from './definition';
import {
  DistributedMapRunner,
  type MapChildCompleted,
  type MapRunObserver,
} from './distributed-map';
import { DistributedMapConfig } from './distributed-map-config';
import { InvalidAslDefinition, UnsupportedAslFeature, cancelledError } from './errors';
import type { ExecutionRecorder } from './execution-recorder';
import {
  type AdapterDependencies,
  type RunScope,
  type TaskHandler,
  createTaskHandler,
  s3ObjectReader,
} from './resources';

export interface LoadOptions {
  /** Whether a DynamoDBClient was given (DynamoDB resources need one). */
  readonly dynamoDbClientConfigured: boolean;
  /** Runs the definition through asl-validator. */
  readonly validate: boolean;
}

/** The synthesized definition, checked and planned; `transformedDefinition` is a frozen copy. */
export function loadDefinition(
  definition: AslDefinition,
  options: LoadOptions,
): { plan: MachinePlan; transformedDefinition: AslDefinition } {
  // Our checks first, so an unsupported feature is reported as UnsupportedAslFeature (naming the
  // state and field) rather than as whatever asl-validator makes of it.
  const plan = planStateMachine(definition, {
    dynamoDbClientConfigured: options.dynamoDbClientConfigured,
  });
  // The interpreter's checks next (they name the state and field), then asl-validator's.
  compiles(plan);
  if (options.validate) validateAsl(definition);
  return { plan, transformedDefinition: deepFreeze(structuredClone(plan.definition)) };
}

/** What compiling takes besides the plan. */
export interface CompileOptions {
  readonly onMapChildCompleted?: (event: MapChildCompleted) => void;
  /** Multiplies every Retry interval (fast tests). @default 1 */
  readonly retryIntervalScale?: number;
}

/** Compiles a planned machine; a Distributed Map's ItemProcessor is compiled the same way. */
export function compileMachine(
  plan: MachinePlan,
  deps: AdapterDependencies,
  options: CompileOptions,
): CompiledMachine {
  const handlers: CompiledHandler[] = [];
  // A Distributed Map's ItemReader reads through the caller's S3Client (none: it fails the Map).
  const readObject = deps.s3Client ? s3ObjectReader(deps.s3Client) : undefined;
  for (const task of plan.tasks) {
    if (task.distributedMap) {
      const processor = compileMachine(task.distributedMap.processor, deps, options);
      const runner = new DistributedMapRunner(
        task.stateName,
        task.distributedMap.mapState,
        (input, run, childRun) => ({ result: processor.run(input, run, childRun).result }),
        options.onMapChildCompleted,
        readObject,
      );
      handlers.push({
        name: task.stateName,
        distributedMap: true,
        serve: async (input, run, observer, progress) => runner.run(input, run, observer, progress),
      });
    } else {
      const serve: TaskHandler = createTaskHandler(task.stateName, task.state, deps);
      handlers.push({ name: task.stateName, distributedMap: false, serve });
    }
  }
  return new CompiledMachine(plan, handlers, options.retryIntervalScale ?? 1);
}

/** What a Task state of a planned machine is served by. */
interface CompiledHandler {
  readonly name: string;
  /** The stand-in of a DISTRIBUTED Map (served by the Distributed Map runner). */
  readonly distributedMap: boolean;
  readonly serve: (
    input: unknown,
    run: RunScope,
    observer?: MapRunObserver,
    progress?: TaskProgress,
  ) => Promise<unknown>;
}

/** One planned machine, ready to run many times. */
export class CompiledMachine {
  private readonly machine: Machine;
  private readonly byName: Map<string, CompiledHandler>;

  constructor(plan: MachinePlan, handlers: readonly CompiledHandler[], retryIntervalScale: number) {
    this.machine = new Machine(plan.definition as unknown as MachineDocument, {
      retryIntervalScale,
    });
    this.byName = new Map(handlers.map((h) => [h.name, h]));
  }

  /**
   * Runs once in `run`'s scope; aborting the scope aborts the run. Rejects once aborted. With a
   * `recorder` (top-level executions) the run's events and task invocations are recorded into the
   * execution's history; a Distributed Map child keeps none. `progress` follows the run;
   * `resume` and `variables` (the earlier run's progress and scope) make it a redrive.
   */
  run(
    input: unknown,
    run: RunScope,
    options: {
      recorder?: ExecutionRecorder;
      progress?: RunProgress;
      resume?: RunProgress;
      variables?: VariableScope;
    } = {},
  ): { result: Promise<unknown> } {
    const recorder = options.recorder;
    const byName = this.byName;
    const result = this.machine.run(
      input,
      {
        context: run.context as never,
        variables: options.variables ?? new VariableScope(),
        cancellation: run.cancellation,
        counter: { events: 1 },
        progress: options.progress,
        hooks: {
          task: (stateName, taskInput, scope, progress, taskState) => {
            const handler = byName.get(stateName);
            if (!handler) throw new Error(`No handler for the Task state "${stateName}"`);
            const invocation: RunScope = { ...run, cancellation: scope, taskState };
            if (!recorder) return handler.serve(taskInput, invocation, undefined, progress);
            if (handler.distributedMap) {
              return recorder.distributedMap(stateName, (observer) =>
                handler.serve(taskInput, invocation, observer, progress),
              );
            }
            return recorder.task(stateName, taskInput, () => handler.serve(taskInput, invocation));
          },
          onEvent: recorder ? (event: InterpreterEvent) => recorder.onEvent(event) : undefined,
        },
      },
      options.resume,
    );
    return {
      result: result.then((output) => {
        if (run.cancellation.aborted) throw cancelledError(run.cancellation.reason ?? 'aborted');
        return output;
      }),
    };
  }
}

/**
 * Compiles every planned machine and Distributed Map configuration once, so that the
 * interpreter's checks and the Distributed Map's fail here (and in ValidateStateMachineDefinition),
 * not in a run.
 */
function compiles(plan: MachinePlan): void {
  try {
    new Machine(plan.definition as unknown as MachineDocument);
  } catch (error) {
    if (error instanceof InvalidAslDefinition || error instanceof UnsupportedAslFeature)
      throw error;
    throw new InvalidAslDefinition(
      `The definition cannot be compiled: ${(error as Error).message}`,
    );
  }
  for (const task of plan.tasks) {
    if (!task.distributedMap) continue;
    new DistributedMapConfig(task.stateName, task.distributedMap.mapState);
    compiles(task.distributedMap.processor);
  }
}

/** asl-validator's schema and transition checks (it annotates its input: it gets a copy). */
function validateAsl(definition: AslDefinition): void {
  const { isValid, errorsText } = aslValidator(structuredClone(definition) as never, {
    checkArn: true,
    checkPaths: true,
  });
  if (!isValid) {
    throw new InvalidAslDefinition(
      `State machine definition is invalid, see error(s) below:\n ${errorsText('\n')}`,
    );
  }
}

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object') {
    for (const child of Object.values(value)) deepFreeze(child);
    Object.freeze(value);
  }
  return value;
}
