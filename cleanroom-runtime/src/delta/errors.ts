/** Errors the Delta layer raises; each names the table location and what the caller can do. */

/** No Delta log (no commit and no checkpoint) at the location. */
export class DeltaTableNotFoundError extends Error {
  constructor(readonly location: string, detail = '') {
    super(`no Delta table at ${location}: _delta_log/ holds no commit or checkpoint${detail ? ` (${detail})` : ''}`);
    this.name = 'DeltaTableNotFoundError';
  }
}

/** A table already exists where one was to be created. */
export class DeltaTableExistsError extends Error {
  constructor(readonly location: string) {
    super(`a Delta table already exists at ${location}; open it instead of creating it`);
    this.name = 'DeltaTableExistsError';
  }
}

/** The table needs a protocol feature this implementation does not have; reading/writing it would give wrong results. `detail` says what to do. */
export class UnsupportedDeltaFeatureError extends Error {
  constructor(readonly location: string, readonly feature: string, detail: string) {
    super(`Delta table at ${location} uses unsupported feature "${feature}": ${detail}`);
    this.name = 'UnsupportedDeltaFeatureError';
  }
}

/** The log is damaged or inconsistent (missing commits, unparsable JSON, ...). */
export class CorruptDeltaLogError extends Error {
  constructor(readonly location: string, detail: string) {
    super(`Delta log at ${location} is unreadable: ${detail}`);
    this.name = 'CorruptDeltaLogError';
  }
}

/** A data file's deletion vector cannot be used (malformed descriptor, missing or corrupt file): its rows are not read. */
export class InvalidDeletionVectorError extends CorruptDeltaLogError {
  constructor(location: string, readonly path: string, detail: string) {
    super(
      location,
      `the deletion vector of data file ${path} is invalid: ${detail}. Rows cannot be read without it; ` +
        'rewrite the affected files in Databricks (REORG TABLE <table> APPLY (PURGE)) or restore the vector file',
    );
    this.name = 'InvalidDeletionVectorError';
  }
}

/** A write was refused (appendOnly table, bad rows, lost race after all retries, ...). */
export class DeltaWriteError extends Error {
  constructor(readonly location: string, detail: string) {
    super(`cannot write Delta table at ${location}: ${detail}`);
    this.name = 'DeltaWriteError';
  }
}

/** A data file is above the reader's size limit: it is not read (holding it whole could exhaust memory). */
export class DataFileTooLargeError extends Error {
  constructor(readonly location: string, readonly path: string, readonly size: number, readonly limit: number) {
    super(`data file ${path} of the Delta table at ${location} is ${size} bytes, above the limit of ${limit} bytes: it is not read; write smaller files`);
    this.name = 'DataFileTooLargeError';
  }
}

/**
 * Reading the table would go over a read limit (commits to replay, log size, a file's rows or decoded size): it is
 * not read, so one participant's table cannot exhaust the runtime's memory or time.
 */
export class ReadLimitError extends Error {
  constructor(readonly location: string, detail: string) {
    super(`Delta table at ${location} is not read: ${detail}`);
    this.name = 'ReadLimitError';
  }
}
