/**
 * Strict validation and quoting of everything participant-controlled that ends up in SQL text or a workspace path.
 * Pure functions: hostile values are refused here, before any request is sent.
 */
import type { ApprovedCode, DatasetFormat, DatasetRef } from '../engine';
import { DatabricksInputError } from './errors';

/** docs/protocol.md, Control tables: participant names are also their database (schema) names. */
const PARTICIPANT = /^[a-z][a-z0-9_]{1,30}$/;
/** Table names: a plain SQL identifier (the metastore is case-insensitive; no quoting tricks needed). */
const TABLE = /^[A-Za-z_][A-Za-z0-9_]{0,127}$/;
/** Code names become one workspace path segment: no slashes, cannot be "." or "..". */
const CODE_NAME = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;
const SHA256_HEX = /^[0-9a-f]{64}$/;
/** gs://bucket[/path]: GCS bucket rules, and a path without quotes, backslashes, backticks, whitespace or controls. */
const GS_URI = /^gs:\/\/[a-z0-9][a-z0-9._-]{1,220}[a-z0-9](\/[A-Za-z0-9!#$%&()*+,\-./:;=?@[\]^_{|}~]*)?$/;

const FORMAT_SQL: Record<DatasetFormat, string> = {
  delta: 'DELTA',
  parquet: 'PARQUET',
  json: 'JSON',
  avro: 'AVRO',
  csv: 'CSV',
};

export function assertParticipant(name: string): void {
  if (!PARTICIPANT.test(name)) {
    throw new DatabricksInputError(
      `Participant name ${JSON.stringify(name)} is not allowed: expected ^[a-z][a-z0-9_]{1,30}$`,
    );
  }
}

export function assertTableName(name: string): void {
  if (!TABLE.test(name)) {
    throw new DatabricksInputError(
      `Table name ${JSON.stringify(name)} is not allowed: use letters, digits and underscores (max 128), not starting with a digit`,
    );
  }
}

export function assertCodeName(name: string): void {
  if (!CODE_NAME.test(name)) {
    throw new DatabricksInputError(
      `Code name ${JSON.stringify(name)} is not allowed: use letters, digits, "_", "-" and "." (max 128), no slashes`,
    );
  }
}

export function assertSha256Hex(hash: string): void {
  if (!SHA256_HEX.test(hash)) {
    throw new DatabricksInputError(`Code hash ${JSON.stringify(hash)} is not a lowercase sha256 hex digest`);
  }
}

/** Validates a dataset location as gs://bucket/path with no character that could escape a SQL string literal. */
export function assertGsLocation(location: string): void {
  const segments = location.slice('gs://'.length).split('/');
  if (!GS_URI.test(location) || segments.some((segment, i) => i > 0 && (segment === '.' || segment === '..'))) {
    throw new DatabricksInputError(
      `Dataset location ${JSON.stringify(location)} is not allowed: expected gs://<bucket>/<path> without quotes, ` +
        'backslashes, whitespace or "." / ".." segments',
    );
  }
}

export function assertDatasetFormat(format: string): asserts format is DatasetFormat {
  if (!Object.prototype.hasOwnProperty.call(FORMAT_SQL, format)) {
    throw new DatabricksInputError(
      `Dataset format ${JSON.stringify(format)} is not supported: use one of ${Object.keys(FORMAT_SQL).join(', ')}`,
    );
  }
}

export function assertDataset(dataset: DatasetRef): void {
  assertParticipant(dataset.participant);
  assertTableName(dataset.table);
  assertGsLocation(dataset.location);
  assertDatasetFormat(dataset.format);
}

export function assertApprovedCode(code: ApprovedCode): void {
  assertParticipant(code.participant);
  assertCodeName(code.name);
  assertSha256Hex(code.hash);
  if (!['SQL', 'PYTHON', 'SCALA', 'R'].includes(code.language)) {
    throw new DatabricksInputError(`Code language ${JSON.stringify(code.language)} is not one of SQL, PYTHON, SCALA, R`);
  }
}

/** Backtick-quotes an identifier (doubling backticks, although validated names never contain one). */
export function quoteIdentifier(name: string): string {
  return '`' + name.replace(/`/g, '``') + '`';
}

/** A single-quoted SQL string literal (escaping backslash and quote, although validated locations hold neither). */
export function sqlStringLiteral(value: string): string {
  return "'" + value.replace(/\\/g, '\\\\').replace(/'/g, "\\'") + "'";
}

export function formatKeyword(format: DatasetFormat): string {
  return FORMAT_SQL[format];
}
