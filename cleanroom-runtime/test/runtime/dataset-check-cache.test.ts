/**
 * Dataset checks are done when they matter and remembered per location with the table's newest commit: a location
 * registered many times is read once, a catalogue sync after a registration reads nothing more, a submission costs one
 * list call per location whose table did not change, and a table changed after its check — even a commit rewritten in
 * place under the same version — is read again before it reaches a run.
 */
import { commitFileName } from '../../src/delta/actions';
import { DeltaTable } from '../../src/delta/table';
import { runPass } from '../../src/runtime/run-pass';
import { loadLatestState } from '../../src/runtime/state-store';
import { seed } from '../processor/fixtures';
import type { RequestKind } from '../support/instrumented-store';
import { readyForJob, sendCountJob } from './count-users-scenario';
import { LocalCleanRoom, SETTINGS, USERS_SCHEMA } from './pass-fixtures';

const SQL = '-- Databricks notebook source\nSELECT count(*) AS n FROM publisher.users u JOIN advertiser.conversions c USING (user_id)\n';
const USERS = { bucket: 'publisher-bucket', prefix: 'input/users', location: 'gs://publisher-bucket/input/users' };

let room: LocalCleanRoom;
let requests: Array<{ kind: RequestKind; key: string }> = [];
const pass = () => runPass({ config: SETTINGS, store: room.store, engine: room.engine, now: room.now });
const state = async () => (await loadLatestState(room.store, SETTINGS.stateBucket)).state;
const submittedTables = (i: number) => room.engine.submits[i].datasets.map((d) => `${d.participant}.${d.table}`);
/** Requests to the users table's log during `work`. */
async function usersLogRequests(work: () => Promise<unknown>): Promise<Array<{ kind: RequestKind; key: string }>> {
  requests = [];
  await work();
  return requests.filter((r) => r.key.startsWith(`${USERS.prefix}/_delta_log/`));
}

beforeEach(async () => {
  room = new LocalCleanRoom();
  await readyForJob(room, SQL, pass);
  room.store.beforeRequest = (kind, bucket, key) => {
    if (bucket === USERS.bucket) requests.push({ kind, key });
  };
});
afterEach(() => room.cleanup());

test('a registration remembers its check: the catalogue sync that follows reads nothing of the table', async () => {
  expect((await state()).datasetChecks?.[USERS.location]).toMatchObject({ mark: { version: 1 }, refused: null });
  const t = room.clock - 10_000;
  await room.send(USERS.bucket, ...['a', 'b', 'c'].map((name) => seed.data(`publisher.users_${name}`, 'INSERT', USERS.location, 'delta', t)));
  const log = await usersLogRequests(pass);
  // The three registrations of one location read it once to decide (existence, schema); the sync reads nothing more.
  const commitReads = log.filter((r) => r.kind === 'get' && r.key === `${USERS.prefix}/_delta_log/${commitFileName(1)}`);
  expect(commitReads).toHaveLength(1);
  expect(await usersLogRequests(pass)).toEqual([]);
  expect(Object.keys((await state()).datasetChecks ?? {}).sort()).toEqual(['gs://advertiser-bucket/input/conversions', USERS.location]);
});

test('a submission confirms an unchanged table with one list call and reads none of its log', async () => {
  await sendCountJob(room);
  const log = await usersLogRequests(pass);
  expect(log).toEqual([{ kind: 'list', key: `${USERS.prefix}/_delta_log/` }]);
  expect(submittedTables(0)).toEqual(['advertiser.conversions', 'publisher.users']);
});

test('a commit rewritten in place after the check is read again before the run, and refused', async () => {
  const [file] = (await (await DeltaTable.open(room.store, 'advertiser-bucket', 'input/conversions')).snapshot()).files;
  const key = `${USERS.prefix}/_delta_log/${commitFileName(1)}`;
  const original = new TextDecoder().decode(await room.store.get(USERS.bucket, key));
  const forged = original
    .split('\n')
    .map((line) => (line.startsWith('{"add"') ? JSON.stringify({ add: { path: `gs://advertiser-bucket/input/conversions/${file.path}`, partitionValues: {}, size: file.size, modificationTime: room.clock, dataChange: true } }) : line))
    .join('\n');
  // Same version, same name: only its storage generation (and here its size) tells it changed.
  await room.store.put(USERS.bucket, key, new TextEncoder().encode(forged));
  await sendCountJob(room);
  const report = await pass();
  expect(submittedTables(0)).toEqual(['advertiser.conversions']);
  expect(report.errors).toEqual([expect.stringContaining('dataset publisher.users left out of job runs')]);
  expect((await state()).datasetChecks?.[USERS.location]).toBeUndefined();
});

test('a table that gained commits since its check is read again, and the new check is remembered', async () => {
  await (await DeltaTable.open(room.store, USERS.bucket, USERS.prefix)).append([{ user_id: 'u2', country: 'DE' }]);
  await sendCountJob(room);
  const log = await usersLogRequests(pass);
  expect(log.filter((r) => r.kind === 'get').length).toBeGreaterThan(0);
  expect(submittedTables(0)).toEqual(['advertiser.conversions', 'publisher.users']);
  expect((await state()).datasetChecks?.[USERS.location]).toMatchObject({ mark: { version: 2 }, refused: null });
});

test('a submission confirms only the datasets its code reads; the checks of the others are kept', async () => {
  await room.writeDataset(USERS.bucket, 'input/other', USERS_SCHEMA, [{ user_id: 'u9', country: 'FR' }]);
  await room.send(USERS.bucket, seed.data('publisher.other', 'INSERT', 'gs://publisher-bucket/input/other', 'delta', room.clock - 10_000));
  await pass();
  expect((await state()).datasetChecks?.['gs://publisher-bucket/input/other']).toMatchObject({ refused: null });
  await sendCountJob(room);
  requests = [];
  await pass();
  expect(requests.filter((r) => r.key.startsWith('input/other/'))).toEqual([]);
  expect(requests.filter((r) => r.key.startsWith(`${USERS.prefix}/_delta_log/`))).toEqual([{ kind: 'list', key: `${USERS.prefix}/_delta_log/` }]);
  expect(submittedTables(0)).toEqual(['advertiser.conversions', 'publisher.users']);
  expect((await state()).datasetChecks?.['gs://publisher-bucket/input/other']).toMatchObject({ refused: null });
});
