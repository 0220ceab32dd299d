/**
 * The one place that loads the ESM-only Parquet libraries from this CommonJS code base. `require` of an ES
 * module works natively on Node >= 20.19 (and through jest's transform); TypeScript's node16 mode forbids
 * a static `import` of them in CommonJS files, so the values are required here and typed from their own
 * declarations. hyparquet-writer bundles its own hyparquet version: its building blocks are typed against the
 * top-level hyparquet types, which describe the same Parquet structures.
 */
import type * as Hyparquet from 'hyparquet' with { 'resolution-mode': 'import' };
import type * as HyparquetCompressors from 'hyparquet-compressors' with { 'resolution-mode': 'import' };
import type * as HyparquetColumn from 'hyparquet/src/column.js' with { 'resolution-mode': 'import' };

export type {
  ColumnChunk,
  FileMetaData,
  PageHeader,
  ParquetParsers,
  SchemaElement,
  SchemaTree,
} from 'hyparquet' with { 'resolution-mode': 'import' };

type SchemaTree = Hyparquet.SchemaTree;

/** Minimal shape of hyparquet-writer's ByteWriter that the V1 writer uses. */
export interface ByteWriter {
  offset: number;
  appendUint32(value: number): void;
  appendBytes(bytes: Uint8Array): void;
  getBytes(): Uint8Array;
  getBuffer(): ArrayBuffer;
}

export interface WriterBlocks {
  ByteWriter: new () => ByteWriter;
  writePageHeader(writer: ByteWriter, header: Hyparquet.PageHeader): void;
  encodeNestedValues(
    treePath: SchemaTree[],
    rows: unknown[],
  ): { values: ArrayLike<unknown>; definitionLevels: number[]; repetitionLevels: number[]; maxDefinitionLevel: number };
  writeRleBitPackedHybrid(writer: ByteWriter, values: number[], bitWidth: number): number;
  writeMetadata(writer: ByteWriter, metadata: Hyparquet.FileMetaData): void;
  writePlain(writer: ByteWriter, values: unknown[], type: string, typeLength: number | undefined): void;
  snappyCompress(input: Uint8Array): Uint8Array;
}

/* eslint-disable @typescript-eslint/no-require-imports */
export const hyparquet: typeof Hyparquet = require('hyparquet');
export const compressors: typeof HyparquetCompressors.compressors = require('hyparquet-compressors').compressors;
/** Reads one page header (to bound a file's pages before decoding them: parquet-bounds.ts). */
export const parquetHeader: typeof HyparquetColumn.parquetHeader = require('hyparquet/src/column.js').parquetHeader;

export const writerBlocks: WriterBlocks = {
  ByteWriter: require('hyparquet-writer/src/bytewriter.js').ByteWriter,
  writePageHeader: require('hyparquet-writer/src/datapage.js').writePageHeader,
  encodeNestedValues: require('hyparquet-writer/src/dremel.js').encodeNestedValues,
  writeRleBitPackedHybrid: require('hyparquet-writer/src/encoding.js').writeRleBitPackedHybrid,
  writeMetadata: require('hyparquet-writer/src/metadata.js').writeMetadata,
  writePlain: require('hyparquet-writer/src/plain.js').writePlain,
  snappyCompress: require('hyparquet-writer/src/snappy.js').snappyCompress,
};
