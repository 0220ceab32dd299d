/**
 * A participant whose Databricks workspace enables deletion vectors for new tables (Databricks Runtime 14+,
 * https://docs.databricks.com/gcp/en/delta/deletion-vectors) has an events table at protocol (3, 7) with the
 * `deletionVectors` feature. A DELETE or UPDATE there does not rewrite the data file: it removes the logical file
 * and re-adds the same path with a deletion vector (Delta protocol "Add File and Remove File"), `dataChange: true`.
 * Real passes must process that table like any other and every event exactly once; a table with a feature the
 * reader lacks waits, with one ERROR event_status naming the feature, and is processed once the feature is gone.
 */
import { randomUUID } from 'node:crypto';
import { CONTROL_TABLES, controlTableKey } from '../../src/control/tables';
import { commitFileName, logPrefix } from '../../src/delta/actions';
import { encodeDataFile } from '../../src/delta/data-file';
import type { DeltaRow } from '../../src/delta/schema-types';
import { runPass } from '../../src/runtime/run-pass';
import { loadLatestState } from '../../src/runtime/state-store';
import { listAll } from '../../src/storage/object-store';
import { cli } from '../processor/fixtures';
import { inlineDv, type DvDescriptor } from '../delta/dv-builder';
import { LocalCleanRoom, SETTINGS } from './pass-fixtures';

const BUCKET = 'agency-bucket';
const EVENTS = controlTableKey('events');
const DV_PROTOCOL = { minReaderVersion: 3, minWriterVersion: 7, readerFeatures: ['deletionVectors'], writerFeatures: ['deletionVectors'] };
let room: LocalCleanRoom;
const pass = () => runPass({ config: SETTINGS, store: room.store, engine: room.engine, now: room.now });

interface LiveFile {
  path: string;
  size: number;
  rows: DeltaRow[];
  /** Positions deleted so far, and their vector. */
  deleted: number[];
  dv?: DvDescriptor;
}

/** The agency's events table as Databricks writes it: created with deletion vectors enabled, appended, deleted from. */
class DatabricksEventsTable {
  version = -1;
  readonly files: LiveFile[] = [];

  async create(protocol: object = DV_PROTOCOL): Promise<void> {
    for await (const o of listAll(room.store, BUCKET, `${EVENTS}/`)) await room.store.delete(BUCKET, o.key);
    await this.commit([
      { commitInfo: { operation: 'CREATE TABLE', engineInfo: 'Databricks-Runtime/15.4' } },
      { protocol },
      {
        metaData: {
          id: randomUUID(),
          format: { provider: 'parquet', options: {} },
          schemaString: JSON.stringify(CONTROL_TABLES.events),
          partitionColumns: [],
          configuration: { 'delta.enableDeletionVectors': 'true' },
          createdTime: room.clock,
        },
      },
    ]);
  }

  /** INSERT INTO: one new data file. */
  async insert(...rows: DeltaRow[]): Promise<void> {
    const path = `part-00000-${randomUUID()}-c000.snappy.parquet`;
    const schema = CONTROL_TABLES.events;
    const bytes = encodeDataFile(schema, schema.fields.map((f) => f.name), rows, 'parquet-mr (Databricks)');
    await room.store.createIfAbsent(BUCKET, `${EVENTS}/${path}`, bytes);
    const file: LiveFile = { path, size: bytes.length, rows, deleted: [] };
    this.files.push(file);
    await this.commit([{ commitInfo: { operation: 'WRITE' } }, { add: this.addAction(file) }]);
  }

  /** DELETE WHERE uuid IN (...): each touched file is removed and re-added with a vector of all its deleted rows. */
  async delete(...uuids: string[]): Promise<void> {
    const actions: object[] = [{ commitInfo: { operation: 'DELETE' } }];
    for (const file of this.files) {
      const positions = file.rows.flatMap((row, i) => (uuids.includes(String(row.uuid)) ? [i] : []));
      if (positions.length === 0) continue;
      const before = this.addAction(file);
      file.deleted = [...file.deleted, ...positions];
      file.dv = inlineDv(file.deleted);
      actions.push({ remove: { path: file.path, deletionTimestamp: room.clock, dataChange: true, extendedFileMetadata: true, partitionValues: {}, size: file.size, ...(before.deletionVector ? { deletionVector: before.deletionVector } : {}) } });
      actions.push({ add: this.addAction(file) });
    }
    await this.commit(actions);
  }

  async setProtocol(protocol: object): Promise<void> {
    await this.commit([{ commitInfo: { operation: 'ALTER TABLE' } }, { protocol }]);
  }

  private addAction(file: LiveFile): Record<string, unknown> {
    const stats = JSON.stringify({ numRecords: file.rows.length, tightBounds: !file.dv });
    return { path: file.path, partitionValues: {}, size: file.size, modificationTime: room.clock, dataChange: true, stats, ...(file.dv ? { deletionVector: file.dv } : {}) };
  }

  private async commit(actions: object[]): Promise<void> {
    this.version++;
    const text = actions.map((a) => JSON.stringify(a)).join('\n') + '\n';
    await room.store.createIfAbsent(BUCKET, logPrefix(EVENTS) + commitFileName(this.version), new TextEncoder().encode(text));
  }
}

beforeEach(async () => {
  room = new LocalCleanRoom();
  await room.onboard();
});
afterEach(() => room.cleanup());

async function codeNames(): Promise<string[]> {
  const { state } = await loadLatestState(room.store, SETTINGS.stateBucket);
  return Object.values(state.code).map((c) => c.name).sort();
}

async function statuses(): Promise<Array<{ uuid: string; status: string; message: string }>> {
  return (await room.read(BUCKET, 'event_status')).map((s) => ({ uuid: String(s.event_uuid), status: String(s.status), message: String(s.message) }));
}

test('an events table with deletion vectors: appends, a DELETE, more appends — every event processed exactly once', async () => {
  const table = new DatabricksEventsTable();
  await table.create();
  const first = [cli.code('first_a', 'INSERT', 'SELECT 1', { atMs: room.clock - 9000 }), cli.code('first_b', 'INSERT', 'SELECT 2', { atMs: room.clock - 8000 })];
  await table.insert(...first);
  const one = await pass();
  expect(one.errors).toEqual([]);
  expect(one.events.map((e) => `${e.eventType}:${e.status}`)).toEqual(['CODE:SUCCESS', 'CODE:SUCCESS']);

  // The participant deletes a processed event (a DV on the file), then appends more, twice, then deletes again.
  await table.delete(String(first[0].uuid));
  const second = [cli.code('second_a', 'INSERT', 'SELECT 3', { atMs: room.clock - 7000 }), cli.code('second_b', 'INSERT', 'SELECT 4', { atMs: room.clock - 6000 })];
  await table.insert(second[0]);
  await table.insert(second[1]);
  await table.delete(String(second[0].uuid), String(first[1].uuid));
  const two = await pass();
  expect(two.errors).toEqual([]);
  expect(two.events.map((e) => e.eventUuid).sort()).toEqual(second.map((r) => String(r.uuid)).sort());
  expect(two.events.every((e) => e.status === 'SUCCESS')).toBe(true);

  const third = cli.code('third', 'INSERT', 'SELECT 5', { atMs: room.clock - 5000 });
  await table.insert(third);
  const three = await pass();
  expect(three.events.map((e) => e.eventUuid)).toEqual([String(third.uuid)]);
  expect((await pass()).events).toEqual([]);

  expect(await codeNames()).toEqual(['first_a', 'first_b', 'second_a', 'second_b', 'third']);
  const all = await statuses();
  const sent = [...first, ...second, third].map((r) => String(r.uuid));
  expect(all.map((s) => s.uuid).sort()).toEqual([...sent].sort());
  expect(all.every((s) => s.status === 'SUCCESS')).toBe(true);
  const { state } = await loadLatestState(room.store, SETTINGS.stateBucket);
  expect(state.eventsVersions.agency).toBe(table.version);
});

test('an events table with a feature the reader lacks: one ERROR naming it, nothing lost, processed once the feature is dropped', async () => {
  const table = new DatabricksEventsTable();
  await table.create();
  const waiting = cli.code('waiting', 'INSERT', 'SELECT 1', { atMs: room.clock - 9000 });
  await table.insert(waiting);
  const withV2Checkpoint = { ...DV_PROTOCOL, readerFeatures: ['deletionVectors', 'v2Checkpoint'], writerFeatures: ['deletionVectors', 'v2Checkpoint'] };
  await table.setProtocol(withV2Checkpoint);
  await room.send('publisher-bucket', cli.code('keeper_code', 'INSERT', 'SELECT 9', { atMs: room.clock - 8000 }));

  const refused = await pass();
  const errors = refused.events.filter((e) => e.status === 'ERROR');
  expect(errors).toHaveLength(1);
  expect(errors[0]).toMatchObject({ participant: 'agency', eventUuid: `no-uuid-v${table.version}-0` });
  expect(errors[0].message).toMatch(/events of participant agency from version 0 to 2 .* wait unread: .*unsupported feature "v2Checkpoint".*ALTER TABLE <table> DROP FEATURE v2Checkpoint/);
  expect(refused.events.filter((e) => e.status === 'SUCCESS').map((e) => e.participant)).toEqual(['publisher']);
  expect((await statuses()).map((s) => s.status)).toEqual(['ERROR']);

  // Passes while nothing changes add no second status row.
  expect((await pass()).events).toEqual([]);
  expect(await statuses()).toHaveLength(1);

  // Databricks' DROP FEATURE downgrades the protocol; the waiting event is then processed, once.
  await table.setProtocol(DV_PROTOCOL);
  const fixed = await pass();
  expect(fixed.events.map((e) => `${e.eventUuid}:${e.status}`)).toEqual([`${String(waiting.uuid)}:SUCCESS`]);
  expect(await codeNames()).toEqual(['keeper_code', 'waiting']);
  expect((await pass()).events).toEqual([]);
});
