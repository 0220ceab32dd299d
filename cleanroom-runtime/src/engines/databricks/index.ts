export { DatabricksEngine, type DatabricksEngineOptions } from './databricks-engine';
export { DatabricksClient, type DatabricksClientOptions, type TokenProvider, type RetryNotice } from './databricks-client';
export {
  EngineUnavailableError,
  DatabricksApiError,
  DatabricksInputError,
  NotebookConflictError,
  SqlStatementError,
} from './errors';
export { shouldPollRun } from './run-state';
export type { PolicyIdForCompute } from './submit-request';
