/** The embedded Step Functions engine (docs/architecture.md §6). */

export { LocalStepFunctions } from './local-step-functions';
export type {
  ListExecutionsRequest,
  LocalStepFunctionsOptions,
  StartExecutionRequest,
  StopExecutionRequest,
} from './local-step-functions';
export {
  type ExecutionRecord,
  type ExecutionStatus,
  type ExecutionStore,
  FileExecutionStore,
  InMemoryExecutionStore,
} from './execution-store';
export { type LocalLambda, type LocalLambdaContext, lambdaContext } from './resources';
export type { MapChildCompleted, MapRunStatus } from './distributed-map';
export { type HistoryEvent, MAX_HISTORY_EVENTS } from './history';
export type { MapRunCounts, MapRunRecord } from './map-runs';
export { DISTRIBUTED_MAP_RESOURCE } from './definition';
export {
  type ErrorOutput,
  InvalidAslDefinition,
  StepFunctionsApiError,
  TaskFailure,
  UnsupportedAslFeature,
} from './errors';
