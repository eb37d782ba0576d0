/**
 * The stack's Lambda functions, run in-process: each handler module is loaded with the
 * environment the synthesized template gives the functions, and wrapped so that the runtime knows
 * which invocations are still running and the fault hooks can stand between the engine and it.
 */
import { Console } from 'node:console';
import type * as fs from 'node:fs';
import * as path from 'node:path';
import type { LocalLambda, LocalLambdaContext } from '../engine';
import type { LocalStack } from '../stack/stack-template';

export const PROJECT_ROOT = path.resolve(__dirname, '..', '..');

/** One function invocation, as the interceptInvoke hook sees it. */
export interface InvocationCall {
  /** The handler's file name without extension (`confirm-batch`, `fetch-page`, ...). */
  readonly handler: string;
  readonly functionName: string;
  readonly event: unknown;
  readonly context: LocalLambdaContext;
  /** Runs the real handler with this event and context; may be called any number of times. */
  invoke(event?: unknown): Promise<unknown>;
}

export interface LoadLambdasOptions {
  /** Where handler logs and EMF metrics go (never over the progress bar). */
  readonly logStream: fs.WriteStream;
  /** Loads the modules in isolation (tests pass jest.isolateModules). */
  readonly isolateModules?: (load: () => void) => void;
  /** Fault injection: every invocation goes through this hook. */
  readonly interceptInvoke?: (call: InvocationCall) => Promise<unknown>;
  /** Every running invocation is in this set until it settles. */
  readonly inFlight: Set<Promise<unknown>>;
}

/** The union of every function's environment; a variable two functions set differently is an error. */
export function mergedFunctionEnvironment(stack: LocalStack): Record<string, string> {
  const merged: Record<string, string> = {};
  const setBy: Record<string, string> = {};
  for (const fn of Object.values(stack.definition.functionsByArn)) {
    for (const [name, value] of Object.entries(fn.environment)) {
      // Lambda-only settings that would change this whole process.
      if (name === 'NODE_OPTIONS') continue;
      if (name in merged && merged[name] !== value) {
        throw new Error(
          `Functions ${setBy[name]} and ${fn.logicalId} set ${name} differently (${merged[name]} vs ${value}); the local runtime runs them in one process`,
        );
      }
      merged[name] = value;
      setBy[name] = fn.logicalId;
    }
  }
  return merged;
}

/**
 * Loads every function of the stack that has a handler entry. Handlers read their environment at
 * module load, so the modules are loaded fresh (isolated, or after clearing lambdas/ from the
 * require cache) once the process environment is set.
 */
export function loadLocalLambdas(stack: LocalStack, options: LoadLambdasOptions): LocalLambda[] {
  const lambdas: LocalLambda[] = [];
  const load = () => {
    for (const fn of Object.values(stack.definition.functionsByArn)) {
      if (!fn.entry) continue;
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const mod = require(path.join(PROJECT_ROOT, fn.entry)) as Record<string, unknown>;
      const handler = mod[fn.handlerExport ?? 'handler'];
      if (typeof handler !== 'function') {
        throw new Error(`${fn.entry} does not export ${fn.handlerExport ?? 'handler'}`);
      }
      const run = tracked(
        handler as (e: unknown, c: unknown) => Promise<unknown>,
        options.inFlight,
      );
      const name = path.basename(fn.entry).replace(/\.[cm]?[jt]s$/, '');
      const intercept = options.interceptInvoke;
      lambdas.push({
        functionName: fn.functionName,
        arn: fn.arn,
        timeoutSeconds: fn.timeoutSeconds ?? 3,
        invoke: intercept
          ? (event, context) =>
              intercept({
                handler: name,
                functionName: fn.functionName,
                event,
                context,
                invoke: (override) => run(override === undefined ? event : override, context),
              })
          : (event, context) => run(event, context),
      });
    }
    routeToolsToLogFile(options.logStream);
  };
  if (options.isolateModules) {
    options.isolateModules(load);
  } else {
    for (const key of Object.keys(require.cache)) {
      if (key.startsWith(path.join(PROJECT_ROOT, 'lambdas') + path.sep)) delete require.cache[key];
    }
    load();
  }
  return lambdas;
}

/** Wraps a handler so that each running invocation is in `inFlight` until it settles. */
function tracked(
  handler: (e: unknown, c: unknown) => Promise<unknown>,
  inFlight: Set<Promise<unknown>>,
): (e: unknown, c: unknown) => Promise<unknown> {
  return (e, c) => {
    const running = handler(e, c);
    inFlight.add(running);
    const forget = () => inFlight.delete(running);
    running.then(forget, forget);
    return running;
  };
}

/** Handler logs and EMF metrics go to the log file, never over the progress bar. */
function routeToolsToLogFile(logStream: fs.WriteStream): void {
  const fileConsole = new Console({ stdout: logStream, stderr: logStream });
  // Required here, not imported: it must be the module instance the handlers just loaded.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const tools = require(path.join(PROJECT_ROOT, 'lambdas/shared/powertools')) as Record<
    string,
    unknown
  >;
  for (const tool of [tools.logger, tools.metrics]) {
    if (tool && typeof tool === 'object') (tool as { console: Console }).console = fileConsole;
  }
}
