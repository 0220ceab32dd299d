/**
 * Errors of the Databricks engine. None of them ever carries the access token: messages are built from the
 * method, path, status and Databricks' own error code/message (scrubbed of the token, in case a proxy echoes it).
 */

/** Moved to ../errors (the runtime reacts to it for any engine); re-exported for existing imports. */
export { EngineUnavailableError } from '../errors';

/** Databricks answered with a definitive (non-retryable) error, e.g. 400 INVALID_PARAMETER_VALUE or 403. */
export class DatabricksApiError extends Error {
  override readonly name = 'DatabricksApiError';
  constructor(
    message: string,
    readonly status: number,
    /** Databricks' `error_code`, e.g. RESOURCE_ALREADY_EXISTS; undefined when the body had none. */
    readonly errorCode: string | undefined,
  ) {
    super(message);
  }
}

/** Input that must never reach Databricks (hostile identifier, location, path); refused before any request. */
export class DatabricksInputError extends Error {
  override readonly name = 'DatabricksInputError';
}

/** The content-addressed notebook path already holds different content; we never overwrite it. */
export class NotebookConflictError extends Error {
  override readonly name = 'NotebookConflictError';
  constructor(readonly path: string) {
    super(
      `The workspace notebook ${path} already exists with different content than the approved code. ` +
        'The runtime never overwrites approved code: remove that workspace object by hand after checking who wrote it.',
    );
  }
}

/** A SQL statement on the clean room warehouse ended FAILED, CANCELED or CLOSED. */
export class SqlStatementError extends Error {
  override readonly name = 'SqlStatementError';
  constructor(
    message: string,
    readonly statementId: string,
    readonly state: string,
    readonly errorCode?: string,
  ) {
    super(message);
  }
}
