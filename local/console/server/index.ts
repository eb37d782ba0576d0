/**
 * The server side of the operator console (docs/console.md; the HTTP contract:
 * ../contract.ts), mounted on the local Step Functions endpoint of `txc local serve`:
 *
 *   handler.ts      the request handler: checks, the files, the API routes, named errors
 *   routes.ts       the API routes by path and method
 *   executions.ts   list, detail, start, stop, redrive
 *   history.ts      history events for display; visited and current states
 *   run-lookup.ts   each list row's run record, bounded and kept once final
 *   transactions.ts backlog, FAILED, requeue, a transaction by id, the schedule
 *   fields.ts       request field checks
 *   security.ts     token, Host, Origin
 *   shell.ts        the HTML shell and its Content-Security-Policy
 *   assets.ts       the bundle (esbuild), the style sheet, the graph
 *   graph.ts        the state-machine SVG (tools/diagrams) with data-state marks
 *   context.ts      the per-process state: token, Target, assets
 *   wire.ts         JSON answers, errors, bodies
 */
export {
  type ConsoleDeps,
  type ConsoleOptions,
  createConsole,
  type OperatorConsole,
} from './context';
export { handleConsoleRequest, isConsolePath } from './handler';
