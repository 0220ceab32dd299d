/**
 * Events tables whose version numbers lie: recreated by the participant (versions restart) or with unprocessed
 * commits removed by Delta log cleanup. The runtime notices from the listing it does anyway, re-reads the whole
 * snapshot once with a warning, and processes exactly the events never processed; idle passes stay one list call.
 */
import { controlTableKey, CONTROL_TABLES } from '../../src/control/tables';
import { commitFileName, logPrefix } from '../../src/delta/actions';
import { DeltaTable } from '../../src/delta/table';
import type { DeltaRow } from '../../src/delta/schema-types';
import { runPass } from '../../src/runtime/run-pass';
import { loadLatestState } from '../../src/runtime/state-store';
import { listAll } from '../../src/storage/object-store';
import { cli } from '../processor/fixtures';
import { LocalCleanRoom, SETTINGS } from './pass-fixtures';

const BUCKET = 'agency-bucket';
const EVENTS = controlTableKey('events');

let room: LocalCleanRoom;
const pass = () => runPass({ config: SETTINGS, store: room.store, engine: room.engine, now: room.now });
const agencyState = async () => {
  const { state } = await loadLatestState(room.store, SETTINGS.stateBucket);
  return { statuses: state.eventStatus.agency ?? [], version: state.eventsVersions.agency, code: Object.keys(state.code).sort() };
};
const code = (name: string): DeltaRow => cli.code(name, 'INSERT', `SELECT '${name}' AS n`, { atMs: room.clock - 60_000 });

beforeEach(async () => {
  room = new LocalCleanRoom();
  await room.onboard();
});
afterEach(() => room.cleanup());

async function recreateEventsTable(): Promise<void> {
  for await (const object of listAll(room.store, BUCKET, `${EVENTS}/`)) await room.store.delete(BUCKET, object.key);
  await DeltaTable.create(room.store, BUCKET, EVENTS, CONTROL_TABLES.events);
}

async function expectIdle(): Promise<void> {
  room.store.reset();
  const report = await pass();
  expect(report.events).toEqual([]);
  expect(report.errors).toEqual([]);
  expect(room.store.writes()).toBe(0);
  for (const p of SETTINGS.participants) expect(`${p.bucket}:${room.store.bucketCounts(p.bucket).list}:${room.store.bucketCounts(p.bucket).get}`).toBe(`${p.bucket}:1:0`);
}

test('a recreated events table with fewer versions than were processed: its new events are read, old ones not again', async () => {
  const old = [code('agency_a'), code('agency_b'), code('agency_c')];
  await room.send(BUCKET, ...old);
  await pass();
  expect(await agencyState()).toMatchObject({ version: 3, code: ['agency_a', 'agency_b', 'agency_c'] });
  await expectIdle();

  await recreateEventsTable();
  const fresh = code('agency_d');
  await room.send(BUCKET, old[0], fresh); // a copy of an old event, and a new one: versions 1 and 2
  const report = await pass();
  expect(report.events.map((e) => `${e.eventUuid}:${e.status}`)).toEqual([`${fresh.uuid as string}:SUCCESS`]);
  expect(report.errors).toEqual([expect.stringMatching(/^WARNING: .*control\/events is gone and nothing follows it: the table was deleted or recreated; re-read the whole table at version 2: 1 events not processed before were found$/)]);
  const after = await agencyState();
  expect(after.code).toEqual(['agency_a', 'agency_b', 'agency_c', 'agency_d']);
  expect(after.statuses.map((s) => s.eventUuid)).toEqual([...old, fresh].map((r) => r.uuid));
  expect(after.version).toBe(2);
  await expectIdle();

  // Later events of the new table are read incrementally again.
  await room.send(BUCKET, code('agency_e'));
  const next = await pass();
  expect(next.errors).toEqual([]);
  expect(next.events).toEqual([expect.objectContaining({ eventsVersion: 3, status: 'SUCCESS' })]);
  expect((await agencyState()).code).toContain('agency_e');
});

test('a recreated events table that already has more versions than were processed is noticed too', async () => {
  await room.send(BUCKET, code('agency_a'));
  await pass();
  await recreateEventsTable();
  const fresh = [code('agency_b'), code('agency_c'), code('agency_d')];
  await room.send(BUCKET, ...fresh);
  const report = await pass();
  expect(report.errors).toEqual([expect.stringMatching(/^WARNING: commit 1 of .* is not the one processed .*3 events not processed before were found$/)]);
  expect(report.events.map((e) => e.eventUuid)).toEqual(fresh.map((r) => r.uuid));
  expect((await agencyState()).statuses).toHaveLength(4);
  await expectIdle();
});

test('commits removed by log cleanup before they were processed: the snapshot is re-read, each event processed once', async () => {
  const first = code('agency_0');
  await room.send(BUCKET, first);
  await pass();
  expect((await agencyState()).version).toBe(1);
  const rows = Array.from({ length: 11 }, (_, i) => code(`agency_${i + 1}`));
  await room.send(BUCKET, ...rows); // versions 2..12, a checkpoint at 10
  const log = logPrefix(EVENTS);
  await expect(room.store.get(BUCKET, `${log}${String(10).padStart(20, '0')}.checkpoint.parquet`)).resolves.toBeDefined();
  for (let v = 0; v <= 9; v++) await room.store.delete(BUCKET, log + commitFileName(v)); // cleanup up to the checkpoint

  const report = await pass();
  expect(report.errors).toEqual([expect.stringMatching(/^WARNING: commit 2 of .* is missing while later versions exist: log cleanup .*11 events not processed before were found$/)]);
  expect(report.events.map((e) => e.eventUuid).sort()).toEqual(rows.map((r) => r.uuid as string).sort());
  const after = await agencyState();
  expect(after.statuses).toHaveLength(12);
  expect(after.statuses.every((s) => s.status === 'SUCCESS')).toBe(true);
  expect(after.version).toBe(12);
  await expectIdle();
});

test('a log file copied with the same content (new storage generation) is not taken for a recreated table', async () => {
  await room.send(BUCKET, code('agency_a'));
  await pass();
  const last = logPrefix(EVENTS) + commitFileName(1);
  const bytes = await room.store.get(BUCKET, last);
  await room.store.delete(BUCKET, last);
  await room.store.put(BUCKET, last, bytes);
  const report = await pass();
  expect(report.errors).toEqual([]);
  expect(report.events).toEqual([]);
  await room.send(BUCKET, code('agency_b'));
  const next = await pass();
  expect(next.errors).toEqual([]);
  expect(next.events).toEqual([expect.objectContaining({ eventsVersion: 2, status: 'SUCCESS' })]);
  expect((await agencyState()).statuses).toHaveLength(2);
  await expectIdle();
});
