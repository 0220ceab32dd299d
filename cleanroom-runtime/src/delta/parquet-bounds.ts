/**
 * What decoding a Parquet file will cost, checked before it is decoded. hyparquet allocates arrays of the lengths
 * page headers declare and buffers of the decompressed sizes they declare, so a file of a few hundred kilobytes
 * (run-length encoded pages) can ask for millions of rows and gigabytes of memory. From the footer: the rows. From
 * every page header of the columns to read (headers only, nothing decompressed): values per column chunk (a column
 * without repetition never holds more values than its row group has rows) and the memory the pages will take.
 * After decoding, the text and binary values the rows hold are counted again, since a dictionary lets one large
 * value be repeated in every row at no cost in the file.
 */
import { parquetHeader, type FileMetaData } from './parquet-lib';

export interface ParquetLimits {
  /** Rows the file may declare (footer). */
  maxRows?: number;
  /** Decompressed page bytes plus decoded values (8 bytes each), from the page headers; then text and binary values. */
  maxDecodedBytes?: number;
}

/** The file is above a limit: it was not decoded. */
export class ParquetLimitError extends Error {
  override readonly name = 'ParquetLimitError';
}

/** Memory counted per decoded value (one array slot), for the estimate. */
const BYTES_PER_VALUE = 8;

export function isBounded(limits: ParquetLimits | undefined): limits is ParquetLimits {
  return limits !== undefined && (limits.maxRows !== undefined || limits.maxDecodedBytes !== undefined);
}

/** Throws ParquetLimitError when decoding `columns` (all when undefined) of the file would exceed `limits`. */
export function checkBeforeDecoding(buffer: ArrayBuffer, metadata: FileMetaData, columns: readonly string[] | undefined, limits: ParquetLimits): void {
  const maxRows = limits.maxRows ?? Infinity;
  const maxBytes = limits.maxDecodedBytes ?? Infinity;
  const groupRows = metadata.row_groups.reduce((n, group) => n + Number(group.num_rows), 0);
  const rows = Math.max(Number(metadata.num_rows), groupRows);
  if (rows > maxRows) throw new ParquetLimitError(`declares ${rows} rows, above the limit of ${maxRows} rows`);
  const repeated = repeatedColumnPaths(metadata);
  let decoded = 0;
  for (const group of metadata.row_groups) {
    for (const chunk of group.columns) {
      const meta = chunk.meta_data;
      if (!meta || (columns && !columns.includes(meta.path_in_schema[0]))) continue;
      const path = meta.path_in_schema.join('.');
      const start = Number(meta.dictionary_page_offset || meta.data_page_offset);
      const length = Number(meta.total_compressed_size);
      if (!(start >= 0 && length >= 0 && start + length <= buffer.byteLength)) throw new Error(`column ${path}: its pages lie outside the file`);
      const reader = { view: new DataView(buffer, start, length), offset: 0 };
      let values = 0;
      // The same walk hyparquet makes over the chunk's pages, reading only their headers.
      while (reader.offset < reader.view.byteLength - 1) {
        const header = parquetHeader(reader);
        const pageBytes = Number(header.uncompressed_page_size);
        const skip = Number(header.compressed_page_size);
        if (!(pageBytes >= 0 && skip >= 0)) throw new Error(`column ${path}: a page header declares a negative size`);
        const dataValues = Number(header.data_page_header?.num_values ?? header.data_page_header_v2?.num_values ?? 0);
        const dictionaryValues = Number(header.dictionary_page_header?.num_values ?? 0);
        values += dataValues;
        decoded += pageBytes + (dataValues + dictionaryValues) * BYTES_PER_VALUE;
        if (decoded > maxBytes) throw new ParquetLimitError(`needs more than ${maxBytes} bytes once decoded (declared by its page headers), above the limit of ${maxBytes} bytes`);
        reader.offset += skip;
      }
      if (!repeated.has(path) && values > Number(group.num_rows)) {
        throw new ParquetLimitError(`column ${path} declares ${values} values in a row group of ${Number(group.num_rows)} rows`);
      }
    }
  }
}

/** Throws ParquetLimitError when the decoded rows hold more text and binary bytes than `maxDecodedBytes`. */
export function checkAfterDecoding(rows: ReadonlyArray<Record<string, unknown>>, limits: ParquetLimits): void {
  const max = limits.maxDecodedBytes;
  if (max === undefined) return;
  let total = 0;
  const add = (value: unknown, depth: number): void => {
    if (typeof value === 'string') total += value.length;
    else if (value instanceof Uint8Array) total += value.byteLength;
    else if (depth < 4 && value !== null && typeof value === 'object') {
      for (const inner of value instanceof Map ? value.values() : Object.values(value)) add(inner, depth + 1);
    }
  };
  for (const row of rows) {
    for (const value of Object.values(row)) add(value, 0);
    if (total > max) throw new ParquetLimitError(`holds more than ${max} bytes of text and binary values once decoded, above the limit of ${max} bytes`);
  }
}

/** Dotted paths of the leaf columns that have a repeated element on their path (lists, maps). */
function repeatedColumnPaths(metadata: FileMetaData): Set<string> {
  const out = new Set<string>();
  const schema = metadata.schema;
  let index = 1;
  const walk = (path: string[], repeated: boolean): void => {
    const element = schema[index++];
    if (!element) throw new Error('the schema in the footer is truncated');
    const here = [...path, element.name];
    const isRepeated = repeated || element.repetition_type === 'REPEATED';
    const children = element.num_children ?? 0;
    if (children === 0 && isRepeated) out.add(here.join('.'));
    for (let c = 0; c < children; c++) walk(here, isRepeated);
  };
  const roots = schema[0]?.num_children ?? 0;
  for (let c = 0; c < roots; c++) walk([], false);
  return out;
}
