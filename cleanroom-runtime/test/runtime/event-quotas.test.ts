/**
 * Per-pass and per-event bounds at the level of a pass: a participant's events over the per-pass quota wait for the
 * next pass, in order (nothing is dropped, others are served at once); payload fields over their limits are refused
 * and never reach the state, so a participant cannot grow it (and every later pass's work) at will.
 */
import { controlTableKey } from '../../src/control/tables';
import { DeltaTable } from '../../src/delta/table';
import { withLimits } from '../../src/limits';
import { runPass, type PassReport } from '../../src/runtime/run-pass';
import { loadLatestState } from '../../src/runtime/state-store';
import type { RuntimeSettings } from '../../src/runtime/settings';
import { cli } from '../processor/fixtures';
import { writeCommit } from '../support/parquet-bombs';
import { LocalCleanRoom, SETTINGS } from './pass-fixtures';

jest.setTimeout(120_000);

const AGENCY = 'agency-bucket';
const ADVERTISER = 'advertiser-bucket';

let room: LocalCleanRoom;
const pass = (config: RuntimeSettings) => runPass({ config, store: room.store, engine: room.engine, now: room.now });
const names = (report: PassReport, participant: string) => report.events.filter((e) => e.participant === participant).map((e) => `${e.eventsVersion}:${e.status}`);

beforeEach(async () => {
  room = new LocalCleanRoom();
  await room.onboard();
});
afterEach(() => room.cleanup());

test('events over the per-pass quota wait for the next pass, in order; other participants are served at once', async () => {
  const config = { ...SETTINGS, limits: withLimits({ eventsPerPass: 5 }) };
  for (let i = 0; i < 12; i++) await room.send(AGENCY, cli.code(`agency_${String(i).padStart(2, '0')}`, 'INSERT', `SELECT ${i}`, { atMs: room.clock - 60_000 + i }));
  await room.send(ADVERTISER, cli.code('advertiser_code', 'INSERT', 'SELECT 1', { atMs: room.clock - 1000 }));

  const first = await pass(config);
  // Commit 0 (the table's creation) counts as read with no event; commits 1..5 hold one event each.
  expect(names(first, 'agency')).toEqual(['1:SUCCESS', '2:SUCCESS', '3:SUCCESS', '4:SUCCESS', '5:SUCCESS']);
  expect(names(first, 'advertiser')).toEqual(['1:SUCCESS']);
  expect(names(await pass(config), 'agency')).toEqual(['6:SUCCESS', '7:SUCCESS', '8:SUCCESS', '9:SUCCESS', '10:SUCCESS']);
  expect(names(await pass(config), 'agency')).toEqual(['11:SUCCESS', '12:SUCCESS']);
  expect((await pass(config)).events).toEqual([]);
  const { state } = await loadLatestState(room.store, SETTINGS.stateBucket);
  expect(state.eventStatus.agency.map((s) => s.eventsVersion)).toEqual(Array.from({ length: 12 }, (_, i) => i + 1));
});

test('a commit holding more events than one pass reads is skipped with one ERROR row', async () => {
  const config = { ...SETTINGS, limits: withLimits({ eventsPerPass: 3 }) };
  const rows = Array.from({ length: 4 }, (_, i) => cli.code(`agency_${i}`, 'INSERT', `SELECT ${i}`, { atMs: room.clock - 60_000 + i }));
  const version = await (await DeltaTable.open(room.store, AGENCY, controlTableKey('events'))).append(rows); // one commit, one file
  await room.send(AGENCY, cli.code('agency_after', 'INSERT', 'SELECT 9', { atMs: room.clock - 1000 }));
  const report = await pass(config);
  expect(names(report, 'agency')).toEqual([`${version}:ERROR`, `${version + 1}:SUCCESS`]);
  expect(report.events[0].message).toMatch(/declares 4 rows, above the limit of 3 rows.*Fix: append events in smaller commits/);
});

test('twenty CODE events with 1.9 MB descriptions are refused one by one and leave the state small', async () => {
  const before = JSON.stringify((await loadLatestState(room.store, SETTINGS.stateBucket)).state).length;
  const description = 'd'.repeat(1_900_000);
  for (let i = 0; i < 20; i++) {
    const row = cli.row('CODE', { code_name: `agency_${i}`, action: 'INSERT', description, path_to_notebook: 'q.sql', notebook_contents: 'SELECT 1', notebook_contents_hash: 'f'.repeat(64) }, room.clock - 60_000 + i);
    await room.send(AGENCY, row);
  }
  await room.send(ADVERTISER, cli.code('advertiser_code', 'INSERT', 'SELECT 1', { atMs: room.clock - 1000 }));
  const report = await pass(SETTINGS);
  expect(report.events.filter((e) => e.participant === 'agency').map((e) => e.status)).toEqual(Array(20).fill('ERROR'));
  expect(new Set(report.events.filter((e) => e.participant === 'agency').map((e) => e.message))).toEqual(
    new Set(['payload field "description" is 1900000 bytes, above the limit of 16384 bytes (16 KiB) (event_description_bytes): shorten it']),
  );
  expect(names(report, 'advertiser')).toEqual(['1:SUCCESS']);
  const after = JSON.stringify((await loadLatestState(room.store, SETTINGS.stateBucket)).state).length;
  expect(after - before).toBeLessThan(64 * 1024);
});

test('the commits read in one pass hold at most delta_commit_bytes together; the rest wait for the next pass', async () => {
  const config = { ...SETTINGS, limits: withLimits({ deltaCommitBytes: 8 * 1024 }) };
  const events = controlTableKey('events');
  const start = await (await DeltaTable.open(room.store, AGENCY, events)).latestVersion();
  for (let v = start + 1; v <= 6; v++) await writeCommit(room.store, AGENCY, events, v, [{ commitInfo: { padding: 'p'.repeat(3000) } }]);
  await room.send(ADVERTISER, cli.code('advertiser_code', 'INSERT', 'SELECT 1', { atMs: room.clock - 1000 }));
  const versions: number[] = [];
  for (let p = 0; p < 4; p++) {
    const report = await pass(config);
    if (p === 0) expect(names(report, 'advertiser')).toEqual(['1:SUCCESS']);
    versions.push((await loadLatestState(room.store, SETTINGS.stateBucket)).state.eventsVersions.agency);
  }
  // Version 0 (the table's creation, small) and two padded commits fit in 8 KiB; then two per pass.
  expect(versions).toEqual([2, 4, 6, 6]);
});
