/**
 * The Step Functions operations the local endpoint answers, by their `X-Amz-Target` name. Every
 * other name is unknown (the server answers UnknownOperationException naming it), so a script
 * using an operation the local runtime lacks fails loudly instead of getting an empty answer.
 */
import type { LocalRuntime } from '../../runtime/local-runtime';
import {
  describeExecution,
  listExecutions,
  redriveExecution,
  startExecution,
  stopExecution,
} from './executions';
import { getExecutionHistory } from './history';
import { describeMapRun, listMapRuns } from './map-runs';
import {
  describeStateMachine,
  describeStateMachineForExecution,
  listStateMachines,
  type OperationContext,
  stateMachineDescription,
  validateStateMachineDefinition,
} from './state-machines';
import { testState } from './test-state';
import type { Body } from './wire';

export type Operation = (body: Body) => Body | Promise<Body>;

type Handler = (context: OperationContext, body: Body) => Body | Promise<Body>;

const HANDLERS: Readonly<Record<string, Handler>> = {
  StartExecution: startExecution,
  DescribeExecution: describeExecution,
  ListExecutions: listExecutions,
  StopExecution: stopExecution,
  RedriveExecution: redriveExecution,
  GetExecutionHistory: getExecutionHistory,
  DescribeStateMachine: describeStateMachine,
  DescribeStateMachineForExecution: describeStateMachineForExecution,
  ListStateMachines: listStateMachines,
  ValidateStateMachineDefinition: validateStateMachineDefinition,
  TestState: testState,
  ListMapRuns: listMapRuns,
  DescribeMapRun: describeMapRun,
};

export class SfnApi {
  private readonly context: OperationContext;

  constructor(runtime: LocalRuntime) {
    // The template is read once: the state machine does not change while the runtime runs.
    this.context = { engine: runtime.engine, stateMachine: stateMachineDescription(runtime) };
  }

  /** The operation of that name; undefined for any other (own keys only: no `toString`). */
  operation(name: string): Operation | undefined {
    if (!Object.prototype.hasOwnProperty.call(HANDLERS, name)) return undefined;
    const handler = HANDLERS[name];
    return (body) => handler(this.context, body);
  }
}
