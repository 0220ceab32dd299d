/**
 * A participant corrupting one published control table in its bucket: the other tables are still published to it,
 * and the corrupt table (owned by the runtime) is replaced by a fresh one; control/events is never touched.
 */
import { CONTROL_TABLES, controlTableKey } from '../../src/control/tables';
import { logPrefix } from '../../src/delta/actions';
import { DeltaTable } from '../../src/delta/table';
import { runPass } from '../../src/runtime/run-pass';
import { listAll } from '../../src/storage/object-store';
import { cli, seed } from '../processor/fixtures';
import { crashWritesWhere } from '../support/instrumented-store';
import { LocalCleanRoom, SETTINGS } from './pass-fixtures';

const AGENCY_BUCKET = 'agency-bucket';
const APPROVAL_LOG = logPrefix(controlTableKey('approval_status'));

let room: LocalCleanRoom;
const pass = () => runPass({ config: SETTINGS, store: room.store, engine: room.engine, now: room.now });

async function keysUnder(bucket: string, prefix: string): Promise<string[]> {
  const keys: string[] = [];
  for await (const object of listAll(room.store, bucket, prefix)) keys.push(`${object.key}:${object.size}`);
  return keys;
}

beforeEach(async () => {
  room = new LocalCleanRoom();
  await room.onboard();
  await room.send(AGENCY_BUCKET, cli.code('agency_x', 'INSERT', 'SELECT 1', { atMs: room.clock - 60_000 }));
  await pass();
});
afterEach(() => room.cleanup());

test('a corrupt approval_status log does not stop the other tables, and is replaced by a readable table', async () => {
  const versions = await keysUnder(AGENCY_BUCKET, APPROVAL_LOG);
  const next = versions.filter((k) => k.includes('.json')).length;
  await room.store.put(AGENCY_BUCKET, `${APPROVAL_LOG}${String(next).padStart(20, '0')}.json`, new TextEncoder().encode('{"add": {not json'));
  const eventsBefore = await keysUnder(AGENCY_BUCKET, `${controlTableKey('events')}/`);

  await room.send(AGENCY_BUCKET, seed.data('publisher.users', 'INSERT', 'gs://publisher-bucket/input/users', 'delta', room.clock - 2000));
  await room.send(AGENCY_BUCKET, cli.code('agency_y', 'INSERT', 'SELECT 2', { atMs: room.clock - 1000 }));
  const report = await pass();
  expect(report.errors).toEqual([]);
  expect(report.repaired).toEqual([expect.stringMatching(/^agency: control\.approval_status was replaced because it is unreadable/)]);
  expect((await room.read(AGENCY_BUCKET, 'event_status')).map((s) => s.status)).toEqual(['SUCCESS', 'ERROR', 'SUCCESS']);
  expect((await room.read(AGENCY_BUCKET, 'code')).map((c) => c.code_name)).toEqual(['agency_x', 'agency_y']);
  expect((await room.read(AGENCY_BUCKET, 'approval_status')).map((r) => r.code_name)).toEqual(['agency_x', 'agency_y']);
  const snapshot = await (await DeltaTable.open(room.store, AGENCY_BUCKET, controlTableKey('approval_status'))).snapshot();
  expect(snapshot.schema).toEqual(CONTROL_TABLES.approval_status);
  expect(await keysUnder(AGENCY_BUCKET, `${controlTableKey('events')}/`)).toEqual(expect.arrayContaining(eventsBefore));
});

test('a table the participant changed to another schema is replaced with the declared schema', async () => {
  const table = await DeltaTable.open(room.store, AGENCY_BUCKET, controlTableKey('jobs'));
  const version = await table.latestVersion();
  const forgedSchema = { type: 'struct', fields: [{ name: 'forged', type: 'string', nullable: true, metadata: {} }] };
  const metaData = { id: 'forged', format: { provider: 'parquet', options: {} }, schemaString: JSON.stringify(forgedSchema), partitionColumns: [], configuration: {}, createdTime: 0 };
  await room.store.createIfAbsent(AGENCY_BUCKET, `${logPrefix(controlTableKey('jobs'))}${String(version + 1).padStart(20, '0')}.json`, new TextEncoder().encode(`${JSON.stringify({ metaData })}\n`));

  await room.send(AGENCY_BUCKET, cli.code('agency_y', 'INSERT', 'SELECT 2', { atMs: room.clock - 1000 }));
  const report = await pass();
  expect(report.errors).toEqual([]);
  expect(report.repaired).toEqual([expect.stringMatching(/^agency: control\.jobs /)]);
  const snapshot = await (await DeltaTable.open(room.store, AGENCY_BUCKET, controlTableKey('jobs'))).snapshot();
  expect(snapshot.schema).toEqual(CONTROL_TABLES.jobs);
});

test('one table that cannot be written is reported alone; the others are published; the next pass catches up', async () => {
  room.store.onWrite = crashWritesWhere((bucket, key) => bucket === AGENCY_BUCKET && key.startsWith(`${controlTableKey('approval_status')}/`));
  await room.send(AGENCY_BUCKET, cli.code('agency_y', 'INSERT', 'SELECT 2', { atMs: room.clock - 1000 }));
  const first = await pass();
  expect(first.errors).toEqual([expect.stringMatching(/^publishing control\.approval_status to agency \(gs:\/\/agency-bucket\) failed: simulated crash/)]);
  expect((await room.read(AGENCY_BUCKET, 'code')).map((c) => c.code_name)).toEqual(['agency_x', 'agency_y']);
  expect((await room.read(AGENCY_BUCKET, 'event_status')).map((s) => s.status)).toEqual(['SUCCESS', 'SUCCESS']);
  expect((await room.read(AGENCY_BUCKET, 'approval_status')).map((r) => r.code_name)).toEqual(['agency_x']);

  room.store.onWrite = undefined;
  const second = await pass();
  expect(second.errors).toEqual([]);
  expect(second.published).toEqual([{ participant: 'agency', table: 'approval_status' }]);
  expect((await room.read(AGENCY_BUCKET, 'approval_status')).map((r) => r.code_name)).toEqual(['agency_x', 'agency_y']);
});
