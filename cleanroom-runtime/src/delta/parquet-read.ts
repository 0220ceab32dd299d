/**
 * Reads Parquet (data files and checkpoints) with hyparquet, keeping values exact:
 * - timestamps (INT64 MILLIS/MICROS/NANOS and INT96) become bigint microseconds through custom parsers,
 *   so year-9999 INT96 values (beyond 2^53 µs, beyond int64 ns) stay exact;
 * - dates become 'YYYY-MM-DD';
 * - decimals are read as their raw unscaled integers (hyparquet would convert them to inexact floats), by
 *   removing the DECIMAL annotation from the parsed footer before decoding; the scale is returned alongside.
 * Byte arrays are only decoded to text where annotated as UTF8/STRING (`utf8: false`), so binary stays binary.
 */
import { checkAfterDecoding, checkBeforeDecoding, isBounded, type ParquetLimits } from './parquet-bounds';
import { compressors, hyparquet } from './parquet-lib';
import type { FileMetaData, ParquetParsers } from './parquet-lib';
import { describeFields, type ParquetField } from './parquet-fields';
import { floorDiv, formatDate } from './values';

/** What the reader knows of a column of the file (see ParquetField). */
export type ParquetColumnInfo = ParquetField;

export interface ParquetContents {
  rows: Array<Record<string, unknown>>;
  /** Top-level columns in the file, by name. */
  columns: Map<string, ParquetColumnInfo>;
  /** Top-level fields in file order, with their nested fields. */
  fields: ParquetField[];
  numRows: number;
}

export interface ParquetReadOptions {
  /** Decode maps as `{ <repeated group>: [{ key, value }] }` instead of a JS object with string keys (see parquet-fields.ts). */
  exactMaps?: boolean;
  /** Files from a participant's bucket: a file above these throws ParquetLimitError before it is decoded. */
  limits?: ParquetLimits;
}

const PARSERS: Partial<ParquetParsers> = {
  timestampFromMilliseconds: (millis: bigint) => BigInt(millis) * 1000n,
  timestampFromMicroseconds: (micros: bigint) => BigInt(micros),
  timestampFromNanoseconds: (nanos: bigint) => floorDiv(BigInt(nanos), 1000n),
  dateFromDays: (days: number) => formatDate(Number(days)),
};

/**
 * Decodes a whole Parquet file; `columns` limits decoding to those top-level columns when given (a function
 * chooses them from the file's fields, e.g. by field id).
 */
export async function readParquet(bytes: Uint8Array, columns?: string[] | ((fields: ParquetField[]) => string[]), options: ParquetReadOptions = {}): Promise<ParquetContents> {
  const buffer = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
  const metadata: FileMetaData = hyparquet.parquetMetadata(buffer, { parsers: PARSERS });
  const fields = describeFields(metadata.schema, options);
  const info = new Map(fields.map((f) => [f.name, f]));
  const chosen = typeof columns === 'function' ? columns(fields) : columns;
  const wanted = chosen?.filter((c) => info.has(c));
  if (isBounded(options.limits)) checkBeforeDecoding(buffer, metadata, wanted, options.limits);
  if (wanted && wanted.length === 0) {
    return { rows: Array.from({ length: Number(metadata.num_rows) }, () => ({})), columns: info, fields, numRows: Number(metadata.num_rows) };
  }
  const rows = (await hyparquet.parquetReadObjects({
    file: buffer,
    metadata,
    columns: wanted,
    compressors,
    utf8: false,
    parsers: PARSERS,
  })) as Array<Record<string, unknown>>;
  if (options.limits) checkAfterDecoding(rows, options.limits);
  return { rows, columns: info, fields, numRows: Number(metadata.num_rows) };
}
