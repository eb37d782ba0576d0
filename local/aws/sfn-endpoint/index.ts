/**
 * A Step Functions-compatible HTTP endpoint for the embedded local runtime: the AWS SDK
 * (`new SFNClient({ endpoint })`), the AWS CLI (`--endpoint-url`) and `txc --local` drive the
 * local state machine as they drive the deployed one (docs/architecture.md §6).
 *
 * Protocol: AWS JSON 1.0, as @aws-sdk/client-sfn sends it — `POST /`, `X-Amz-Target:
 * AWSStepFunctions.<Operation>`, a JSON body; answers `application/x-amz-json-1.0` with
 * timestamps as epoch seconds. Errors are HTTP 400 with `{"__type":
 * "com.amazonaws.stepfunctions#<Code>","message":"…"}` (the SDK takes the part after `#` as the
 * error's name, e.g. `ExecutionAlreadyExists`); anything unexpected is a 500 `InternalFailure`
 * and the server goes on. Requests are not authenticated (SigV4 is ignored): bind it to loopback.
 *
 * Operations: StartExecution, DescribeExecution, ListExecutions, StopExecution,
 * GetExecutionHistory, DescribeStateMachine, DescribeStateMachineForExecution, ListStateMachines,
 * ValidateStateMachineDefinition, ListMapRuns, DescribeMapRun. Request fields are checked against
 * the API reference's constraints (request-fields.ts). Every other operation answers `UnknownOperationException` naming it. Plus four txconfirm routes
 * for the operator CLI: `GET /txconfirm/target`, `POST /txconfirm/schedule`,
 * `GET|POST /txconfirm/provider` (the simulated provider's fault modes) and
 * `GET /txconfirm/metrics` (the metrics the handlers emitted, the alarms on them). With
 * `console: true` (`txc local serve`), every path under /console is the operator console
 * (local/console/server/, docs/console.md).
 *
 * Files: server.ts (HTTP server, routing), wire.ts (AWS JSON 1.0 bodies and errors),
 * request-fields.ts (field validation), paging.ts (tokens), operations.ts (the operation table),
 * executions.ts / history.ts / map-runs.ts / state-machines.ts (the operations, by resource),
 * txconfirm-routes.ts (the operator CLI's routes).
 *
 * Deviations from AWS are listed in docs/local-engine.md ("The Step Functions endpoint").
 */
export {
  SFN_TARGET_PREFIX,
  type SfnEndpoint,
  type SfnEndpointOptions,
  startSfnEndpoint,
} from './server';
export { type LocalSchedulerControl, targetInfo } from './txconfirm-routes';
