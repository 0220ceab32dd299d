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
import { floorDiv, formatDate } from './values';

export interface ParquetColumnInfo {
  /** Physical type of a top-level primitive column (undefined for groups). */
  physicalType?: string;
  /** Present when the column was annotated DECIMAL; its values are then raw unscaled integers. */
  decimalScale?: number;
  /** True when the column holds INT64 timestamps written without UTC adjustment (timestamp_ntz). */
  timestampWithoutZone?: boolean;
}

export interface ParquetContents {
  rows: Array<Record<string, unknown>>;
  /** Top-level columns in the file, by name. */
  columns: Map<string, ParquetColumnInfo>;
  numRows: number;
}

const PARSERS: Partial<ParquetParsers> = {
  timestampFromMilliseconds: (millis: bigint) => BigInt(millis) * 1000n,
  timestampFromMicroseconds: (micros: bigint) => BigInt(micros),
  timestampFromNanoseconds: (nanos: bigint) => floorDiv(BigInt(nanos), 1000n),
  dateFromDays: (days: number) => formatDate(Number(days)),
};

/**
 * Decodes a whole Parquet file; `columns` limits decoding to those top-level columns when given. With `limits`
 * (files from a participant's bucket) a file above them throws ParquetLimitError before it is decoded.
 */
export async function readParquet(bytes: Uint8Array, columns?: string[], limits?: ParquetLimits): Promise<ParquetContents> {
  const buffer = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
  const metadata: FileMetaData = hyparquet.parquetMetadata(buffer, { parsers: PARSERS });
  const info = describeColumns(metadata);
  const wanted = columns?.filter((c) => info.has(c));
  if (isBounded(limits)) checkBeforeDecoding(buffer, metadata, wanted, limits);
  if (wanted && wanted.length === 0) {
    return { rows: Array.from({ length: Number(metadata.num_rows) }, () => ({})), columns: info, numRows: Number(metadata.num_rows) };
  }
  const rows = (await hyparquet.parquetReadObjects({
    file: buffer,
    metadata,
    columns: wanted,
    compressors,
    utf8: false,
    parsers: PARSERS,
  })) as Array<Record<string, unknown>>;
  if (limits) checkAfterDecoding(rows, limits);
  return { rows, columns: info, numRows: Number(metadata.num_rows) };
}

/** Describes top-level columns and strips DECIMAL annotations (see file comment). */
function describeColumns(metadata: FileMetaData): Map<string, ParquetColumnInfo> {
  const info = new Map<string, ParquetColumnInfo>();
  const schema = metadata.schema;
  let index = 1;
  const rootChildren = schema[0]?.num_children ?? 0;
  for (let c = 0; c < rootChildren; c++) {
    const element = schema[index];
    const column: ParquetColumnInfo = { physicalType: element.type };
    if (element.converted_type === 'DECIMAL' || element.logical_type?.type === 'DECIMAL') {
      column.decimalScale = element.scale ?? (element.logical_type?.type === 'DECIMAL' ? element.logical_type.scale : 0) ?? 0;
      delete element.converted_type;
      delete element.logical_type;
    }
    if (element.logical_type?.type === 'TIMESTAMP' && element.logical_type.isAdjustedToUTC === false) column.timestampWithoutZone = true;
    info.set(element.name, column);
    index = skipSubtree(schema, index);
  }
  return info;
}

function skipSubtree(schema: FileMetaData['schema'], index: number): number {
  const children = schema[index].num_children ?? 0;
  let next = index + 1;
  for (let i = 0; i < children; i++) next = skipSubtree(schema, next);
  return next;
}
