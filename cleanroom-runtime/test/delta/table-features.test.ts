/**
 * Which table features the reader and writer accept (Delta protocol "Table Features",
 * https://github.com/delta-io/delta/blob/master/PROTOCOL.md#table-features): reader features it implements are
 * read, `vacuumProtocolCheck` is acknowledged ("readers don't need to understand or change anything new"), and
 * anything else is refused with its name and Databricks' remedy (`ALTER TABLE ... DROP FEATURE`,
 * https://docs.databricks.com/gcp/en/delta/drop-feature). The writer stays at writer version 2 and refuses tables
 * and schemas it cannot write. Also timestamp_ntz partition values and which files of a commit hold new rows.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { DeltaTable, DeltaWriteError, struct, UnsupportedDeltaFeatureError } from '../../src/delta';
import type { Action, StructType } from '../../src/delta';
import { newlyAddedFiles } from '../../src/delta/new-files';
import { parsePartitionValue } from '../../src/delta/partition-values';
import { openLocation } from '../../src/storage/location';
import { LocalObjectStore } from '../../src/storage/local-store';
import { copyFixture, replaceProtocol } from './log-edits';

let root: string;
beforeAll(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'delta-features-'));
});
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

/** A copy of the deletion-vector fixture whose protocol lists `readerFeatures` (and `minReaderVersion`). */
async function withProtocol(name: string, readerFeatures: string[], minReaderVersion = 3): Promise<DeltaTable> {
  const dir = copyFixture('table-with-dv-small', path.join(root, name));
  replaceProtocol(dir, 0, { minReaderVersion, minWriterVersion: 7, readerFeatures, writerFeatures: readerFeatures });
  const { store, bucket, prefix } = openLocation(dir);
  return DeltaTable.open(store, bucket, prefix);
}

describe('reader features', () => {
  it('reads a table whose features it implements, vacuumProtocolCheck included', async () => {
    const table = await withProtocol('vacuum', ['deletionVectors', 'vacuumProtocolCheck']);
    expect((await table.readRows()).map((r) => r.value).sort()).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
  });

  it.each([['v2Checkpoint'], ['typeWidening'], ['variantType'], ['catalogManaged']])('refuses %s by name, saying what to do', async (feature) => {
    const table = await withProtocol(feature, ['deletionVectors', feature]);
    await expect(table.snapshot()).rejects.toThrow(UnsupportedDeltaFeatureError);
    await expect(table.readRows()).rejects.toThrow(new RegExp(`unsupported feature "${feature}".*ALTER TABLE <table> DROP FEATURE ${feature}`));
    // History stays readable: it does not interpret data files.
    expect((await table.history()).map((h) => h.version)).toEqual([0, 1]);
  });

  it('refuses a reader version it does not know', async () => {
    const table = await withProtocol('reader-4', [], 4);
    await expect(table.snapshot()).rejects.toThrow(/unsupported feature "reader version 4": minReaderVersion=4; this runtime reads reader versions 1 to 3/);
  });

  it('refuses column types it cannot decode exactly, nested ones too', async () => {
    const store = new LocalObjectStore(root);
    for (const [name, type] of [['variant', 'variant'], ['nested-variant', { type: 'array', elementType: 'variant', containsNull: true }], ['interval', 'interval']] as const) {
      const dir = path.join(root, 'gs', 'types', name, '_delta_log');
      fs.mkdirSync(dir, { recursive: true });
      const schema = { type: 'struct', fields: [{ name: 'v', type, nullable: true, metadata: {} }] };
      fs.writeFileSync(path.join(dir, '00000000000000000000.json'), [
        JSON.stringify({ protocol: { minReaderVersion: 1, minWriterVersion: 2 } }),
        JSON.stringify({ metaData: { id: name, format: { provider: 'parquet', options: {} }, schemaString: JSON.stringify(schema), partitionColumns: [], configuration: {} } }),
      ].join('\n'));
      await expect((await DeltaTable.open(store, 'types', name)).snapshot()).rejects.toThrow(/unsupported feature "type (variant|interval)": column v has type/);
    }
  });
});

describe('the writer stays at writer version 2', () => {
  it.each([
    ['deletion vectors', 'table-with-dv-small', /"deletionVectors": minWriterVersion=7 writerFeatures=\["deletionVectors"\]/],
    ['timestamp_ntz', 'data-reader-timestamp_ntz', /"timestampNtz"/],
    ['column mapping', 'table-with-columnmapping-mode-name', /"writer version 5"/],
  ])('refuses to append to a table with %s, naming the feature', async (_what, fixture, message) => {
    const dir = copyFixture(fixture, path.join(root, 'appends'));
    const { store, bucket, prefix } = openLocation(dir);
    const table = await DeltaTable.open(store, bucket, prefix);
    const before = fs.readdirSync(path.join(dir, '_delta_log')).sort();
    await expect(table.append([{}])).rejects.toThrow(UnsupportedDeltaFeatureError);
    await expect(table.append([{}])).rejects.toThrow(message);
    expect(fs.readdirSync(path.join(dir, '_delta_log')).sort()).toEqual(before);
  });

  it('creates no table with columns or properties it cannot write', async () => {
    const store = new LocalObjectStore(root);
    const nested: StructType = { type: 'struct', fields: [{ name: 's', type: { type: 'struct', fields: [] }, nullable: true, metadata: {} }] };
    await expect(DeltaTable.create(store, 'writes', 'nested', nested)).rejects.toThrow(/"nested type struct": column s/);
    await expect(DeltaTable.create(store, 'writes', 'ntz', struct([['t', 'timestamp_ntz']]))).rejects.toThrow(/"timestampNtz": column t/);
    await expect(DeltaTable.create(store, 'writes', 'mapped', struct([['a', 'long']]), { configuration: { 'delta.columnMapping.mode': 'name' } })).rejects.toThrow(DeltaWriteError);
    await expect(DeltaTable.create(store, 'writes', 'dv', struct([['a', 'long']]), { configuration: { 'delta.enableDeletionVectors': 'true' } })).rejects.toThrow(/delta.enableDeletionVectors=true/);
    const plain = await DeltaTable.create(store, 'writes', 'plain', struct([['a', 'long']]), { configuration: { 'delta.enableDeletionVectors': 'false' } });
    expect((await plain.snapshot()).protocol).toEqual({ minReaderVersion: 1, minWriterVersion: 2 });
  });
});

describe('timestamp_ntz partition values', () => {
  it('are wall-clock times without zone; one with a zone is refused rather than moved', () => {
    expect(parsePartitionValue('2021-11-18 02:30:00.123456', 'timestamp_ntz', 'p')).toBe(1637202600123456n);
    expect(parsePartitionValue('1969-12-31 23:59:59', 'timestamp_ntz', 'p')).toBe(-1_000_000n);
    expect(parsePartitionValue(null, 'timestamp_ntz', 'p')).toBeNull();
    expect(() => parsePartitionValue('2021-11-18 02:30:00Z', 'timestamp_ntz', 'p')).toThrow(/carries a zone/);
    expect(() => parsePartitionValue('2021-11-18T02:30:00+02:00', 'timestamp_ntz', 'p')).toThrow(/carries a zone/);
  });
});

describe('files of a commit that hold new rows', () => {
  const add = (p: string, dataChange = true, dv?: string): Action => ({
    add: { path: p, partitionValues: {}, size: 1, modificationTime: 1, dataChange, ...(dv ? { deletionVector: { storageType: 'i', pathOrInlineDv: dv, sizeInBytes: 1, cardinality: 1 } } : {}) },
  });
  const remove = (p: string): Action => ({ remove: { path: p, dataChange: true } });

  it('are the data files added for the first time: not compaction, not a file re-added with a new deletion vector', () => {
    const commit: Action[] = [{ commitInfo: {} }, add('new%20file.parquet'), remove('a.parquet'), add('a.parquet', true, 'dv1'), add('compacted.parquet', false), remove('gone.parquet')];
    expect(newlyAddedFiles(commit).map((a) => a.path)).toEqual(['new%20file.parquet']);
    // The same path spelled with and without URI escapes is one file.
    expect(newlyAddedFiles([remove('x%20y.parquet'), add('x y.parquet', true, 'dv')])).toEqual([]);
  });
});
