/**
 * Loading and compiling the state machine for aws-local-stepfunctions: the load-time checks and
 * the mechanical transform (definition.ts), asl-validator, then one library StateMachine per
 * planned machine (the top level and each Distributed Map's ItemProcessor) with every Task
 * compiled into a handler. Compiling once at construction means an unsupported feature fails
 * `new LocalStepFunctions()` rather than an execution, and runs reuse the library instance.
 */
import { StateMachine } from 'aws-local-stepfunctions';
import type { AslDefinition } from '../stack/synthesized-definition';
import { type MachinePlan, planStateMachine } from './definition';
import {
  DistributedMapRunner,
  type MapChildCompleted,
  type MapRunObserver,
} from './distributed-map';
import { InvalidAslDefinition, cancelledError } from './errors';
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
  readonly retryIntervalScale?: number;
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
    retryIntervalScale: options.retryIntervalScale,
  });
  if (options.validate) validateAsl(definition);
  return { plan, transformedDefinition: deepFreeze(structuredClone(plan.definition)) };
}

/** The library options the engine passes through. */
export interface CompileOptions {
  readonly onMapChildCompleted?: (event: MapChildCompleted) => void;
  readonly retryIntervalOverrides?: Readonly<Record<string, number | number[]>>;
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
        (input, run) => ({ result: processor.run(input, run).result }),
        options.onMapChildCompleted,
        readObject,
      );
      handlers.push({
        name: task.stateName,
        distributedMap: true,
        serve: async (input, run, observer) => runner.run(input, run, observer),
      });
    } else {
      const serve: TaskHandler = createTaskHandler(task.stateName, task.state, deps);
      handlers.push({ name: task.stateName, distributedMap: false, serve });
    }
  }
  return new CompiledMachine(plan, handlers, options.retryIntervalOverrides);
}

/** What a Task state of a planned machine is served by. */
interface CompiledHandler {
  readonly name: string;
  /** The stand-in of a DISTRIBUTED Map (served by the Distributed Map runner). */
  readonly distributedMap: boolean;
  readonly serve: (input: unknown, run: RunScope, observer?: MapRunObserver) => Promise<unknown>;
}

/** One planned machine, ready to run many times (the library instance is reused). */
export class CompiledMachine {
  private readonly machine: StateMachine;

  constructor(
    plan: MachinePlan,
    private readonly handlers: readonly CompiledHandler[],
    private readonly retryIntervalOverrides:
      Readonly<Record<string, number | number[]>> | undefined,
  ) {
    // The synthesized definition was validated (loadDefinition, unless turned off); the
    // transform's output is not validated again.
    this.machine = new StateMachine(plan.definition as never, {
      validationOptions: { noValidate: true },
    });
  }

  /**
   * Runs once in `run`'s scope; aborting the scope aborts the run. Rejects once aborted.
   * With a `recorder` (top-level executions) the library's event log is consumed as it grows
   * into the execution's history (a long execution would otherwise keep every state's input and
   * output in the library until it ends) and the task handlers are wrapped to record their task
   * events; `events` settles when the log closed. A short-lived Distributed Map child's log is
   * simply dropped with it.
   */
  run(
    input: unknown,
    run: RunScope,
    options: { recorder?: ExecutionRecorder } = {},
  ): { result: Promise<unknown>; events?: Promise<void> } {
    const recorder = options.recorder;
    const taskResourceLocalHandlers: Record<string, (input: unknown) => Promise<unknown>> = {};
    for (const handler of this.handlers) {
      const { name, serve } = handler;
      if (!recorder) {
        taskResourceLocalHandlers[name] = (taskInput) => serve(taskInput, run);
      } else if (handler.distributedMap) {
        taskResourceLocalHandlers[name] = (taskInput) =>
          recorder.distributedMap(name, (observer) => serve(taskInput, run, observer));
      } else {
        taskResourceLocalHandlers[name] = (taskInput) =>
          recorder.task(name, taskInput, () => serve(taskInput, run));
      }
    }
    const execution = this.machine.run(input as never, {
      overrides: {
        taskResourceLocalHandlers: taskResourceLocalHandlers as never,
        ...(this.retryIntervalOverrides
          ? { retryIntervalOverrides: { ...this.retryIntervalOverrides } }
          : {}),
      },
      context: run.context,
      noThrowOnAbort: true,
    });
    const events = recorder
      ? recorder.consume(execution.eventLogs).catch(() => undefined)
      : undefined;
    const unsubscribe = run.cancellation.whenAborted(() => execution.abort());
    const result = execution.result.then(
      (output) => {
        unsubscribe();
        if (run.cancellation.aborted) throw cancelledError(run.cancellation.reason ?? 'aborted');
        return output as unknown;
      },
      (error: unknown) => {
        unsubscribe();
        throw error;
      },
    );
    return { result, events };
  }
}

function validateAsl(definition: AslDefinition): void {
  try {
    new StateMachine(definition as never, {
      validationOptions: { checkArn: true, checkPaths: true },
    });
  } catch (error) {
    throw new InvalidAslDefinition((error as Error).message);
  }
}

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object') {
    for (const child of Object.values(value)) deepFreeze(child);
    Object.freeze(value);
  }
  return value;
}
