/**
 * The two ways the front says no. A `Refusal` means local rehearsal does not reproduce the construct (it runs on
 * Databricks); a `SparkSqlError` means the statement fails as it fails on Databricks (a parse or analysis error).
 */

export class Refusal extends Error {
  constructor(readonly construct: string, detail?: string) {
    super(`${construct} is not available in local rehearsal${detail ? ` (${detail})` : ''}; it runs on Databricks`);
    this.name = 'Refusal';
  }
}

export class SparkSqlError extends Error {
  constructor(readonly errorClass: string, message: string) {
    super(`[${errorClass}] ${message}`);
    this.name = 'SparkSqlError';
  }
}

export function parseError(message: string): SparkSqlError {
  return new SparkSqlError('PARSE_SYNTAX_ERROR', message);
}
