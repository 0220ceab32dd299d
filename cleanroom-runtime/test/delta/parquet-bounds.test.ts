/**
 * Parquet files from participants' buckets are bounded before they are decoded: rows from the footer, values and
 * memory from the page headers (which may contradict the footer), and text after decoding (a dictionary repeats one
 * large value in every row for free). The files are written by DuckDB, an independent writer.
 */
import { ParquetLimitError } from '../../src/delta/parquet-bounds';
import { hyparquet, writerBlocks, type FileMetaData } from '../../src/delta/parquet-lib';
import { readParquet } from '../../src/delta/parquet-read';
import { duckDbParquet } from '../support/parquet-bombs';

jest.setTimeout(60_000);

/** The same file with a footer that declares `rows` rows (a lie the page headers contradict). */
function withFooterRows(bytes: Uint8Array, rows: number): Uint8Array {
  const buffer = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
  const metadata: FileMetaData = hyparquet.parquetMetadata(buffer);
  const footerLength = new DataView(buffer).getUint32(bytes.length - 8, true);
  const body = bytes.subarray(0, bytes.length - 8 - footerLength);
  const lying: FileMetaData = { ...metadata, num_rows: BigInt(rows), row_groups: metadata.row_groups.map((g) => ({ ...g, num_rows: BigInt(rows) })) };
  const writer = new writerBlocks.ByteWriter();
  writer.appendBytes(body);
  const start = writer.offset;
  writerBlocks.writeMetadata(writer, lying);
  writer.appendUint32(writer.offset - start);
  writer.appendBytes(new TextEncoder().encode('PAR1'));
  return new Uint8Array(writer.getBytes()); // an exact copy (the writer's buffer has spare room)
}

describe('rows declared in the footer', () => {
  test.each([1_000_000, 5_000_000])('a small file of %i identical rows is refused from its footer, without decoding', async (rows) => {
    const bytes = await duckDbParquet(`SELECT 'DATA' AS event_type, 'same-uuid' AS uuid, '{}' AS payload FROM range(${rows})`);
    expect(bytes.length).toBeLessThan(1024 * 1024);
    await expect(readParquet(bytes, undefined, { limits: { maxRows: 10_000 } })).rejects.toThrow(new ParquetLimitError(`declares ${rows} rows, above the limit of 10000 rows`));
    // Reading no column still makes one object per row: bounded too.
    await expect(readParquet(bytes, ['missing_column'], { limits: { maxRows: 10_000 } })).rejects.toBeInstanceOf(ParquetLimitError);
  });

  test('a file within the limit is decoded', async () => {
    const bytes = await duckDbParquet(`SELECT 'x' AS s, range AS n FROM range(1000)`);
    const { rows } = await readParquet(bytes, undefined, { limits: { maxRows: 1000, maxDecodedBytes: 1024 * 1024 } });
    expect(rows).toHaveLength(1000);
  });
});

describe('values and memory declared by page headers', () => {
  test('a footer that understates the rows is caught by the page headers', async () => {
    const honest = await duckDbParquet(`SELECT 'same' AS s FROM range(200000)`); // DuckDB: row groups of 122880 rows
    const lying = withFooterRows(honest, 10);
    expect(Number(hyparquet.parquetMetadata(lying.buffer.slice(0) as ArrayBuffer).num_rows)).toBe(10);
    await expect(readParquet(lying, undefined, { limits: { maxRows: 1000 } })).rejects.toThrow(/column s declares 122880 values in a row group of 10 rows/);
  });

  test('pages that need more memory than the limit are refused before they are decompressed', async () => {
    const bytes = await duckDbParquet(`SELECT range AS n FROM range(2000000)`);
    await expect(readParquet(bytes, undefined, { limits: { maxRows: 10_000_000, maxDecodedBytes: 1024 * 1024 } })).rejects.toThrow(/needs more than 1048576 bytes once decoded/);
  });

  test('one large value repeated through a dictionary is refused after decoding, before rows are built', async () => {
    const bytes = await duckDbParquet(`SELECT repeat('x', 1000000) AS payload FROM range(300)`);
    expect(bytes.length).toBeLessThan(2 * 1024 * 1024);
    await expect(readParquet(bytes, undefined, { limits: { maxRows: 1000, maxDecodedBytes: 64 * 1024 * 1024 } })).rejects.toThrow(/holds more than 67108864 bytes of text and binary values/);
  });
});
