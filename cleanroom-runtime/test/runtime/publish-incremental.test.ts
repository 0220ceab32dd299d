/**
 * Published tables grow by what changed: a new event's status row is appended in a new file (the files before it stay
 * as they were), small sealed files merge so a table keeps a few files, a changed registration rewrites the live shard
 * holding its row and not the table, and once a checkpoint is newer the old log files and the files the clean room
 * removed are deleted from the participant's bucket.
 */
import { controlTableKey, type ControlTableName } from '../../src/control/tables';
import { classifyLogKey } from '../../src/delta/actions';
import { DeltaTable } from '../../src/delta/table';
import { runPass } from '../../src/runtime/run-pass';
import { listAll } from '../../src/storage/object-store';
import { seed } from '../processor/fixtures';
import { LocalCleanRoom, SETTINGS, USERS_SCHEMA } from './pass-fixtures';

const AGENCY_BUCKET = 'agency-bucket';
const KEEPER_BUCKET = 'publisher-bucket';
const LOCATION = `gs://${AGENCY_BUCKET}/input/users`;

let room: LocalCleanRoom;
const pass = () => runPass({ config: SETTINGS, store: room.store, engine: room.engine, now: room.now });
const register = (name: string, action = 'INSERT') => seed.data(`agency.${name}`, action, LOCATION, 'delta', room.clock - 1000);
const dataFiles = async (bucket: string, table: ControlTableName) => (await (await DeltaTable.open(room.store, bucket, controlTableKey(table))).snapshot()).files.map((f) => f.path);
const folder = async (bucket: string, table: ControlTableName) => {
  const keys: string[] = [];
  for await (const object of listAll(room.store, bucket, `${controlTableKey(table)}/`)) keys.push(object.key.slice(controlTableKey(table).length + 1));
  return keys;
};
/** Data files written by the last pass into a table (the store's trace). */
const written = (bucket: string, table: ControlTableName) =>
  (room.store.trace ?? []).filter((t) => t.kind === 'createIfAbsent' && t.bucket === bucket && t.key.startsWith(`${controlTableKey(table)}/`) && t.key.endsWith('.parquet'));
async function tracedPass() {
  room.store.trace = [];
  room.store.reset();
  const report = await pass();
  expect(report.errors).toEqual([]);
  return report;
}

beforeEach(async () => {
  room = new LocalCleanRoom();
  await room.onboard();
  await room.writeDataset(AGENCY_BUCKET, 'input/users', USERS_SCHEMA, [{ user_id: 'u1', country: 'FR' }]);
  // A history of 8 events decided in one pass: one sealed file of 8 event_status rows.
  await room.send(AGENCY_BUCKET, ...Array.from({ length: 8 }, (_, i) => register(`t${i}`)));
  expect((await pass()).events.map((e) => e.status)).toEqual(Array(8).fill('SUCCESS'));
  await pass(); // settles
});
afterEach(() => room.cleanup());

test('one new event appends one small file to event_status; the files before it are untouched; small files merge', async () => {
  const history = await dataFiles(AGENCY_BUCKET, 'event_status');
  expect(history).toHaveLength(1);

  await room.send(AGENCY_BUCKET, register('t8'));
  await tracedPass();
  const appended = written(AGENCY_BUCKET, 'event_status');
  expect(appended).toHaveLength(1);
  const afterOne = await dataFiles(AGENCY_BUCKET, 'event_status');
  expect(afterOne).toHaveLength(2);
  expect(afterOne).toEqual(expect.arrayContaining(history));
  const single = afterOne.find((f) => !history.includes(f))!;

  // The next event's file and the one-row file before it merge (similar sizes); the 8-row file stays.
  await room.send(AGENCY_BUCKET, register('t9'));
  await tracedPass();
  expect(written(AGENCY_BUCKET, 'event_status')).toHaveLength(1);
  const afterTwo = await dataFiles(AGENCY_BUCKET, 'event_status');
  expect(afterTwo).toHaveLength(2);
  expect(afterTwo).toContain(history[0]);
  expect(afterTwo).not.toContain(single);

  const rows = await room.read(AGENCY_BUCKET, 'event_status');
  expect(rows).toHaveLength(10);
  expect(new Set(rows.map((r) => r.event_uuid)).size).toBe(10);
});

test('after a checkpoint the log files before it and the data files removed before it are deleted', async () => {
  const removedEarly: string[] = [];
  for (let i = 0; i < 14; i++) {
    const before = await dataFiles(AGENCY_BUCKET, 'event_status');
    await room.send(AGENCY_BUCKET, register(`n${i}`));
    await tracedPass();
    const after = await dataFiles(AGENCY_BUCKET, 'event_status');
    if (i < 3) removedEarly.push(...before.filter((f) => !after.includes(f)));
  }
  expect(removedEarly.length).toBeGreaterThan(0);
  const objects = await folder(AGENCY_BUCKET, 'event_status');
  const log = objects.flatMap((key) => {
    const file = classifyLogKey(`${controlTableKey('event_status')}/${key}`);
    return file && file.kind !== 'lastCheckpoint' ? [file] : [];
  });
  const checkpoint = Math.max(...log.filter((f) => f.kind === 'checkpoint').map((f) => f.version));
  expect(checkpoint).toBeGreaterThanOrEqual(10);
  // Nothing of the log older than the checkpoint is left, and no file removed before it.
  expect(log.filter((f) => f.kind === 'commit').every((f) => f.version >= checkpoint)).toBe(true);
  for (const path of removedEarly) expect(objects).not.toContain(decodeURIComponent(path));
  // Every data file left is in the table or was removed after the checkpoint (at most a few).
  const live = new Set((await dataFiles(AGENCY_BUCKET, 'event_status')).map((p) => decodeURIComponent(p)));
  const parquet = objects.filter((key) => key.endsWith('.parquet'));
  expect(parquet.filter((key) => !live.has(key)).length).toBeLessThanOrEqual(2 * (Math.max(...log.map((f) => f.version)) - checkpoint));
  expect(await room.read(AGENCY_BUCKET, 'event_status')).toHaveLength(8 + 14);
});

test('a changed registration among many rewrites the live shard holding its row, not every live row', async () => {
  await room.send(AGENCY_BUCKET, ...Array.from({ length: 72 }, (_, i) => register(`m${i}`)));
  await pass();
  await pass();
  const before = await dataFiles(AGENCY_BUCKET, 'data');
  expect(before.length).toBeGreaterThan(4);

  await room.send(AGENCY_BUCKET, register('m5', 'UPDATE'));
  const report = await tracedPass();
  expect(report.events.map((e) => e.status)).toEqual(['SUCCESS']);
  // The row's old shard and its new one, at most: in the owner's table and in the keeper's.
  for (const bucket of [AGENCY_BUCKET, KEEPER_BUCKET]) {
    expect(written(bucket, 'data').length).toBeGreaterThanOrEqual(1);
    expect(written(bucket, 'data').length).toBeLessThanOrEqual(2);
  }
  const after = await dataFiles(AGENCY_BUCKET, 'data');
  expect(after.filter((f) => before.includes(f)).length).toBeGreaterThanOrEqual(before.length - 2);
  const rows = await room.read(AGENCY_BUCKET, 'data');
  expect(rows).toHaveLength(80);
  expect(rows.filter((r) => r.data_metastore_name === 'agency.m5')).toHaveLength(1);
  const keeperRows = await room.read(KEEPER_BUCKET, 'data');
  expect(keeperRows.filter((r) => String(r.data_metastore_name).startsWith('agency.'))).toHaveLength(80);
});
