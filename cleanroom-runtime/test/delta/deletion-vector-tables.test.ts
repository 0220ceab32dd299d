/**
 * Tables with deletion vectors, built the way Databricks writes them (Delta protocol "Deletion Vectors"): a
 * DELETE upgrades the protocol to (3, 7) with the `deletionVectors` feature and re-adds each touched file with a
 * vector of its deleted rows, stored inline, in a file named from a UUID (with a random prefix), or at an
 * absolute path. Also: hostile vectors (outside the bucket, corrupted, missing, too large, lying), checkpoints
 * holding `add.deletionVector` (written by DuckDB, an independent Parquet writer), and time travel.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { DataFileTooLargeError, DeltaTable, InvalidDeletionVectorError, struct, UnsupportedDeltaFeatureError } from '../../src/delta';
import type { TableReadLimits } from '../../src/delta';
import { LocalObjectStore } from '../../src/storage/local-store';
import { inlineDv, writeDvFile, type DvDescriptor } from './dv-builder';
import { openDuckDb, sqlString } from './duckdb';
import { commitPath, writeCommit } from './log-edits';

const BUCKET = 'dv-bucket';
let root: string;
let store: LocalObjectStore;

beforeAll(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'delta-dv-'));
  store = new LocalObjectStore(root);
});
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

const tableDir = (name: string): string => path.join(root, 'gs', BUCKET, name);
const DV_PROTOCOL = { minReaderVersion: 3, minWriterVersion: 7, readerFeatures: ['deletionVectors'], writerFeatures: ['deletionVectors'] };
const range = (from: number, to: number): number[] => Array.from({ length: to - from + 1 }, (_, i) => from + i);

interface Add {
  path: string;
  partitionValues: Record<string, string>;
  size: number;
  modificationTime: number;
  dataChange: boolean;
  stats?: string;
  deletionVector?: DvDescriptor;
}

/**
 * A table `id: long` with three files (ids 0-9, 10-19, 20-29) written by this runtime, versions 0-3; their adds.
 * A vector holds row positions in its file: position p of the second file is id 10 + p.
 */
async function threeFiles(name: string): Promise<Add[]> {
  const table = await DeltaTable.create(store, BUCKET, name, struct([['id', 'long']]));
  for (const start of [0, 10, 20]) await table.append(range(start, start + 9).map((id) => ({ id: BigInt(id) })));
  return [1, 2, 3].map((v) => {
    const lines = fs.readFileSync(commitPath(tableDir(name), v), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { add?: Add });
    return lines.find((l) => l.add)!.add!;
  });
}

/** A DELETE as Databricks commits it: the protocol upgrade, then per file a remove and the re-add with its vector. */
function deleteWithVectors(name: string, version: number, changes: Array<{ add: Add; dv: DvDescriptor }>, protocol: object | null = DV_PROTOCOL): void {
  const now = Date.now();
  writeCommit(tableDir(name), version, [
    { commitInfo: { timestamp: now, operation: 'DELETE', engineInfo: 'Databricks-Runtime/test' } },
    ...(protocol ? [{ protocol }] : []),
    ...changes.flatMap(({ add, dv }) => [
      { remove: { path: add.path, deletionTimestamp: now, dataChange: true, extendedFileMetadata: true, partitionValues: {}, size: add.size, ...(add.deletionVector ? { deletionVector: add.deletionVector } : {}) } },
      { add: { ...add, modificationTime: now, dataChange: true, deletionVector: dv } },
    ]),
  ]);
}

async function ids(name: string, opts: { version?: number; limits?: TableReadLimits } = {}): Promise<number[]> {
  const table = await DeltaTable.open(store, BUCKET, name, opts.limits);
  return (await table.readRows({ version: opts.version })).map((r) => Number(r.id)).sort((a, b) => a - b);
}

const except = (all: number[], gone: number[]): number[] => all.filter((v) => !gone.includes(v));

describe('deletion vectors of every storage type', () => {
  it('applies inline, UUID-relative (with a random prefix) and absolute-path vectors; earlier versions keep every row', async () => {
    const [a, b, c] = await threeFiles('all-types');
    const [relative] = writeDvFile(tableDir('all-types'), [[0, 9]], { prefix: 'x7' });
    const [absolute] = writeDvFile(tableDir('all-types'), [[5]], { absoluteAs: (rel) => `gs://${BUCKET}/all-types/${rel}` });
    deleteWithVectors('all-types', 4, [
      { add: a, dv: inlineDv([1, 3]) },
      { add: b, dv: relative },
      { add: c, dv: absolute },
    ]);
    expect(fs.existsSync(path.join(tableDir('all-types'), 'x7'))).toBe(true);
    expect(await ids('all-types')).toEqual(except(range(0, 29), [1, 3, 10, 19, 25]));
    expect(await ids('all-types', { version: 3 })).toEqual(range(0, 29));
    const snapshot = await (await DeltaTable.open(store, BUCKET, 'all-types')).snapshot();
    expect(snapshot.files).toHaveLength(3);
    expect(snapshot.files.map((f) => f.deletionVector?.storageType).sort()).toEqual(['i', 'p', 'u']);
  });

  it('reads a vector file shared by several data files, each vector at its offset', async () => {
    const [a, b, c] = await threeFiles('shared-file');
    const [forA, forB, forC] = writeDvFile(tableDir('shared-file'), [[0], [0, 1, 2], range(0, 9)]); // row positions in each file
    deleteWithVectors('shared-file', 4, [{ add: a, dv: forA }, { add: b, dv: forB }, { add: c, dv: forC }]);
    expect(await ids('shared-file')).toEqual([...range(1, 9), ...range(13, 19)]);
  });

  it('replaces a file\'s vector when a later DELETE deletes more rows of it', async () => {
    const [a] = await threeFiles('second-delete');
    deleteWithVectors('second-delete', 4, [{ add: a, dv: inlineDv([2]) }]);
    const second = { ...a, deletionVector: inlineDv([2]) };
    deleteWithVectors('second-delete', 5, [{ add: second, dv: inlineDv([2, 7]) }], null);
    expect(await ids('second-delete')).toEqual(except(range(0, 29), [2, 7]));
    expect(await ids('second-delete', { version: 4 })).toEqual(except(range(0, 29), [2]));
    expect((await (await DeltaTable.open(store, BUCKET, 'second-delete')).snapshot()).files).toHaveLength(3);
  });
});

describe('hostile deletion vectors', () => {
  it('refuses an absolute vector path outside the table\'s bucket, as for data files', async () => {
    const [a] = await threeFiles('foreign-dv');
    const [dv] = writeDvFile(tableDir('foreign-dv'), [[1]], { absoluteAs: (rel) => `gs://other-participant/${rel}` });
    deleteWithVectors('foreign-dv', 4, [{ add: a, dv }]);
    // Refused when the snapshot is taken, before any read: datasets are checked so before runs.
    await expect((await DeltaTable.open(store, BUCKET, 'foreign-dv')).snapshot()).rejects.toThrow(UnsupportedDeltaFeatureError);
    await expect(ids('foreign-dv')).rejects.toThrow(/gs:\/\/other-participant\/deletion_vector_.* is outside this table's bucket/);
  });

  it('refuses a vector whose checksum does not match, naming the data file and what to do', async () => {
    const [a] = await threeFiles('corrupt-dv');
    const [dv] = writeDvFile(tableDir('corrupt-dv'), [[4, 5]]);
    deleteWithVectors('corrupt-dv', 4, [{ add: a, dv }]);
    const file = fs.readdirSync(tableDir('corrupt-dv')).find((f) => f.startsWith('deletion_vector_'))!;
    const bytes = fs.readFileSync(path.join(tableDir('corrupt-dv'), file));
    bytes[dv.offset! + 4 + 20] ^= 0x04;
    fs.writeFileSync(path.join(tableDir('corrupt-dv'), file), bytes);
    await expect(ids('corrupt-dv')).rejects.toThrow(InvalidDeletionVectorError);
    await expect(ids('corrupt-dv')).rejects.toThrow(new RegExp(`deletion vector of data file ${a.path} is invalid: checksum mismatch.*REORG TABLE`));
  });

  it('refuses a missing vector file, a lying cardinality and a vector deleting rows the file does not have', async () => {
    const [a, b, c] = await threeFiles('lying-dv');
    const [missing] = writeDvFile(tableDir('lying-dv'), [[1]]);
    for (const f of fs.readdirSync(tableDir('lying-dv')).filter((n) => n.startsWith('deletion_vector_'))) fs.rmSync(path.join(tableDir('lying-dv'), f));
    deleteWithVectors('lying-dv', 4, [{ add: a, dv: missing }]);
    await expect(ids('lying-dv')).rejects.toThrow(/deletion vector of data file .* is invalid: its file .* does not exist/);

    deleteWithVectors('lying-dv', 5, [{ add: { ...a, deletionVector: missing }, dv: { ...inlineDv([1, 2]), cardinality: 3 } }], null);
    await expect(ids('lying-dv')).rejects.toThrow(/holds 2 rows, the log says cardinality 3/);

    deleteWithVectors('lying-dv', 6, [{ add: { ...a, deletionVector: { ...inlineDv([1, 2]), cardinality: 3 } }, dv: inlineDv([3]) }, { add: b, dv: inlineDv([0]) }], null);
    expect(await ids('lying-dv')).toEqual(except(range(0, 29), [3, 10]));
    deleteWithVectors('lying-dv', 7, [{ add: c, dv: inlineDv([12]) }], null);
    await expect(ids('lying-dv')).rejects.toThrow(/value 12 is not below 10/);
  });

  it('does not read a vector file above the size limit (its listed size), as for data files', async () => {
    const [a] = await threeFiles('big-dv');
    const [dv] = writeDvFile(tableDir('big-dv'), [[1]]);
    deleteWithVectors('big-dv', 4, [{ add: a, dv }]);
    const file = fs.readdirSync(tableDir('big-dv')).find((f) => f.startsWith('deletion_vector_'))!;
    fs.appendFileSync(path.join(tableDir('big-dv'), file), Buffer.alloc(4096));
    await expect(ids('big-dv', { limits: { maxDataFileBytes: 2048 } })).rejects.toThrow(DataFileTooLargeError);
    expect(await ids('big-dv')).toEqual(except(range(0, 29), [1]));
  });

  it('refuses to append to a table with deletion vectors: this writer does not write them', async () => {
    const [a] = await threeFiles('no-append');
    deleteWithVectors('no-append', 4, [{ add: a, dv: inlineDv([0]) }]);
    const table = await DeltaTable.open(store, BUCKET, 'no-append');
    await expect(table.append([{ id: 100n }])).rejects.toThrow(/unsupported feature "deletionVectors".*writes only tables at reader version 1 and writer version 2/);
  });
});

describe('checkpoints of tables with deletion vectors', () => {
  it('reads add.deletionVector, add.stats_parsed and protocol features from a Parquet checkpoint (written by DuckDB)', async () => {
    const [a, b] = await threeFiles('dv-checkpoint');
    const [relative] = writeDvFile(tableDir('dv-checkpoint'), [[5, 6]], { prefix: 'qq' });
    deleteWithVectors('dv-checkpoint', 4, [{ add: a, dv: inlineDv([0, 1, 2]) }, { add: b, dv: relative }]);
    // The state at version 4, as a checkpoint with Spark's schema; then the commits before it are cleaned up.
    const table = await DeltaTable.open(store, BUCKET, 'dv-checkpoint');
    const snapshot = await table.snapshot();
    const duck = await openDuckDb();
    const dvStruct = (dv?: { storageType: string; pathOrInlineDv: string; offset?: number | null; sizeInBytes: number; cardinality: number }): string =>
      dv
        ? `{'storageType': ${sqlString(dv.storageType)}, 'pathOrInlineDv': ${sqlString(dv.pathOrInlineDv)}, 'offset': ${dv.offset ?? 'NULL'}::INTEGER, 'sizeInBytes': ${dv.sizeInBytes}::INTEGER, 'cardinality': ${dv.cardinality}::BIGINT}`
        : 'NULL';
    const addRow = (f: (typeof snapshot.files)[number]): string =>
      `SELECT NULL AS protocol, NULL AS metaData, {'path': ${sqlString(f.path)}, 'partitionValues': MAP {}::MAP(VARCHAR, VARCHAR), 'size': ${f.size}::BIGINT,
        'modificationTime': ${f.modificationTime}::BIGINT, 'dataChange': false, 'stats': ${sqlString(f.stats ?? '')}, 'tags': NULL::MAP(VARCHAR, VARCHAR),
        'deletionVector': ${dvStruct(f.deletionVector)}, 'stats_parsed': {'numRecords': 10::BIGINT, 'minValues': {'id': 0::BIGINT}}} AS add`;
    const meta = snapshot.metadata;
    const checkpoint = path.join(tableDir('dv-checkpoint'), '_delta_log', '00000000000000000004.checkpoint.parquet');
    await duck.query(`COPY (
      SELECT {'minReaderVersion': 3, 'minWriterVersion': 7, 'readerFeatures': ['deletionVectors'], 'writerFeatures': ['deletionVectors']} AS protocol, NULL AS metaData, NULL AS add
      UNION ALL BY NAME SELECT NULL AS protocol, {'id': ${sqlString(meta.id)}, 'format': {'provider': 'parquet', 'options': MAP {}::MAP(VARCHAR, VARCHAR)},
        'schemaString': ${sqlString(meta.schemaString)}, 'partitionColumns': []::VARCHAR[], 'configuration': MAP {'delta.enableDeletionVectors': 'true'},
        'createdTime': ${meta.createdTime}::BIGINT} AS metaData, NULL AS add
      ${snapshot.files.map((f) => `UNION ALL BY NAME ${addRow(f)}`).join('\n')}
    ) TO ${sqlString(checkpoint)} (FORMAT PARQUET)`);
    duck.close();
    for (let v = 0; v <= 4; v++) fs.rmSync(commitPath(tableDir('dv-checkpoint'), v));
    const reopened = await DeltaTable.open(store, BUCKET, 'dv-checkpoint');
    expect((await reopened.snapshot()).protocol).toEqual(DV_PROTOCOL);
    expect(await ids('dv-checkpoint')).toEqual(except(range(0, 29), [0, 1, 2, 15, 16]));
  });
});
