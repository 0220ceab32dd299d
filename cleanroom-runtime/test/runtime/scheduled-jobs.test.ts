/**
 * Scheduled jobs on a local clean room (real store, real Delta tables, real DuckDB engine) with an injected clock:
 * one run per occurrence whatever the passes do (re-runs, concurrent passes, a crash between submission and the
 * state commit), one catch-up run after a gap, and jobs that stop when their code changes or their owner deletes them.
 */
import { DeltaTable } from '../../src/delta/table';
import { runDecidePhase, runPass } from '../../src/runtime/run-pass';
import { loadLatestState } from '../../src/runtime/state-store';
import { cli, seed, versionHash } from '../processor/fixtures';
import { crashWritesWhere } from '../support/instrumented-store';
import { CONVERSIONS_SCHEMA, LocalCleanRoom, SETTINGS, USERS_SCHEMA } from './pass-fixtures';

const SQL = [
  'SELECT CAST(:run_time AS VARCHAR) AS run_time, u.country, count(*) AS conversions',
  'FROM publisher.users u JOIN advertiser.conversions c ON u.user_id = c.user_id',
  'GROUP BY u.country ORDER BY u.country',
].join('\n');
const OUTPUT = 'gs://advertiser-bucket/output/weekly';
const WEEKLY = '0 6 * * 1'; // Mondays 06:00 UTC; the room's clock starts on Thursday 2026-01-15 09:00

let room: LocalCleanRoom;
const pass = () => runPass({ config: SETTINGS, store: room.store, engine: room.engine, now: room.now });
const setClock = (iso: string) => {
  room.clock = Date.parse(iso);
};
const submittedKeys = () => room.engine.submits.map((s) => s.jobId);

beforeEach(async () => {
  room = new LocalCleanRoom();
  await room.onboard();
  await room.writeDataset('publisher-bucket', 'input/users', USERS_SCHEMA, [{ user_id: 'u1', country: 'FR' }, { user_id: 'u2', country: 'DE' }]);
  await room.writeDataset('advertiser-bucket', 'input/conversions', CONVERSIONS_SCHEMA, [{ user_id: 'u1', amount: 10 }, { user_id: 'u2', amount: 1 }]);
  const t = room.clock - 60_000;
  await room.send('publisher-bucket', seed.data('publisher.users', 'INSERT', 'gs://publisher-bucket/input/users', 'delta', t));
  await room.send('advertiser-bucket',
    seed.data('advertiser.conversions', 'INSERT', 'gs://advertiser-bucket/input/conversions', 'delta', t),
    cli.code('adv_weekly', 'INSERT', SQL, { atMs: t }));
  await room.send('publisher-bucket', cli.approval('CODE_REQUEST_APPROVED', { code_name: 'adv_weekly' }, versionHash(SQL), 'aggregates only', t + 1000));
  await pass();
});
afterEach(() => room.cleanup());

/** Registers the weekly job at the current clock; returns its id. */
async function scheduleWeekly(): Promise<string> {
  const job = seed.job('weekly', 'adv_weekly', JSON.stringify({ output: OUTPUT }), 'Small', room.clock - 1000, WEEKLY);
  await room.send('advertiser-bucket', job);
  const report = await pass();
  expect(report.events.map((e) => [e.status, e.message.slice(0, 40)])).toEqual([['SUCCESS', 'job "weekly" scheduled (id ' + (job.uuid as string).slice(0, 13)]]);
  expect(report.submitted).toEqual([]);
  return job.uuid as string;
}

async function outputRunTime(): Promise<unknown[]> {
  const rows = await (await DeltaTable.open(room.store, 'advertiser-bucket', 'output/weekly')).readRows();
  return [...new Set(rows.map((r) => r.run_time))];
}

async function jobRow(): Promise<Record<string, unknown>> {
  const rows = await room.read('advertiser-bucket', 'jobs');
  expect(rows).toHaveLength(1);
  return rows[0]!;
}

test('a weekly job runs once per occurrence across passes; each run overwrites the output and gets run_time', async () => {
  const id = await scheduleWeekly();
  expect(await jobRow()).toMatchObject({ job_id: id, schedule: WEEKLY, status: 'ACTIVE', next_run_at: BigInt(Date.parse('2026-01-19T06:00:00Z')) * 1000n });

  setClock('2026-01-19T05:59:00Z');
  expect((await pass()).submitted).toEqual([]);
  setClock('2026-01-19T06:00:30Z');
  const first = `${id}@2026-01-19T06:00:00.000Z`;
  expect((await pass()).submitted).toEqual([first]);
  expect(await outputRunTime()).toEqual(['2026-01-19T06:00:00.000Z']);
  room.clock += 60_000;
  expect((await pass()).submitted).toEqual([]);

  setClock('2026-01-26T07:00:00Z');
  const second = `${id}@2026-01-26T06:00:00.000Z`;
  expect((await pass()).submitted).toEqual([second]);
  expect(await pass()).toMatchObject({ submitted: [] });
  expect(submittedKeys()).toEqual([first, second]);
  expect(await outputRunTime()).toEqual(['2026-01-26T06:00:00.000Z']);

  const runs = await room.read('advertiser-bucket', 'runs');
  expect(runs.map((r) => [r.job_id, r.scheduled_for, r.result_state])).toEqual([
    [id, BigInt(Date.parse('2026-01-19T06:00:00Z')) * 1000n, 'SUCCESS'],
    [id, BigInt(Date.parse('2026-01-26T06:00:00Z')) * 1000n, 'SUCCESS'],
  ]);
  expect(await jobRow()).toMatchObject({ status: 'ACTIVE', status_message: 'runs on "0 6 * * 1" (UTC); last run for 2026-01-26T06:00:00.000Z', next_run_at: BigInt(Date.parse('2026-02-02T06:00:00Z')) * 1000n });
  expect(await room.read('agency-bucket', 'jobs')).toEqual([]);
});

test('an idle pass with an active schedule and nothing due writes nothing', async () => {
  await scheduleWeekly();
  await pass();
  room.store.reset();
  setClock('2026-01-18T12:00:00Z');
  // (the periodic tamper check of published tables is pushed out: it is not what this test is about)
  await runPass({ config: SETTINGS, store: room.store, engine: room.engine, now: room.now, publishedCheckIntervalMs: 30 * 24 * 3600_000 });
  expect(room.store.writes()).toBe(0);
});

test('a crash between submission and the state commit, and concurrent passes: no occurrence runs twice', async () => {
  const id = await scheduleWeekly();
  setClock('2026-01-19T06:05:00Z');
  const decided = await runDecidePhase({ config: SETTINGS, store: room.store, engine: room.engine, now: room.now });
  const key = `${id}@2026-01-19T06:00:00.000Z`;
  expect((await loadLatestState(room.store, SETTINGS.stateBucket)).state.pendingEffects).toEqual([{ kind: 'submit_job', jobId: key, attempts: 0 }]);
  room.store.onWrite = crashWritesWhere((bucket, k) => bucket === SETTINGS.stateBucket && k === `state/${String(decided.stateSeq + 1).padStart(20, '0')}.json`);
  await expect(pass()).rejects.toThrow(/simulated crash/);
  room.store.onWrite = undefined;
  expect(submittedKeys()).toEqual([key]);

  room.clock += 60_000;
  await Promise.all([pass(), pass()]);
  await pass();
  // Resubmissions carry the same key, so the engine returns the run it already started.
  expect(new Set(submittedKeys())).toEqual(new Set([key]));
  expect(new Set(room.engine.submits.map((s) => s.runId)).size).toBe(1);
  const state = (await loadLatestState(room.store, SETTINGS.stateBucket)).state;
  expect(Object.keys(state.runs)).toEqual([key]);
  expect(state.pendingEffects).toEqual([]);
  expect(await room.read('advertiser-bucket', 'runs')).toHaveLength(1);

  // Two passes at the next occurrence: it is decided once.
  setClock('2026-01-26T06:00:00Z');
  await Promise.all([pass(), pass()]);
  expect(submittedKeys().filter((k) => k.endsWith('@2026-01-26T06:00:00.000Z')).length).toBeGreaterThanOrEqual(1);
  expect(Object.keys((await loadLatestState(room.store, SETTINGS.stateBucket)).state.runs).sort()).toEqual([key, `${id}@2026-01-26T06:00:00.000Z`]);
  expect(new Set(room.engine.submits.map((s) => s.runId)).size).toBe(2);
});

test('after a gap, one catch-up run for the latest occurrence; the skipped ones are named on the job', async () => {
  const id = await scheduleWeekly();
  setClock('2026-02-10T08:00:00Z');
  expect((await pass()).submitted).toEqual([`${id}@2026-02-09T06:00:00.000Z`]);
  expect((await pass()).submitted).toEqual([]);
  expect((await jobRow()).status_message).toBe(
    'runs on "0 6 * * 1" (UTC); last run for 2026-02-09T06:00:00.000Z; skipped 3 missed occurrences (2026-01-19T06:00:00.000Z to 2026-02-02T06:00:00.000Z): after a gap only the latest runs',
  );
  expect(await room.read('advertiser-bucket', 'runs')).toHaveLength(1);
});

test('a code update stops the job with a visible reason; the next occurrence is not submitted', async () => {
  const id = await scheduleWeekly();
  await room.send('advertiser-bucket', cli.code('adv_weekly', 'UPDATE', `${SQL}\n-- v2`, { atMs: room.clock - 1000 }));
  await pass();
  expect(await jobRow()).toMatchObject({ job_id: id, status: 'STOPPED', next_run_at: null, status_message: expect.stringContaining('code "adv_weekly" was updated') });
  setClock('2026-01-19T06:00:00Z');
  expect((await pass()).submitted).toEqual([]);
  expect(submittedKeys()).toEqual([]);
});

test('the owner deletes the job: no further runs; someone else cannot', async () => {
  const id = await scheduleWeekly();
  await room.send('agency-bucket', cli.row('JOB', { job_name: 'weekly', action: 'DELETE' }, room.clock - 1000));
  await pass();
  expect((await room.read('agency-bucket', 'event_status')).map((s) => s.message)).toEqual([
    'you have no scheduled job named "weekly": only a job\'s owner can delete it; see your jobs in control.jobs',
  ]);
  setClock('2026-01-19T06:00:00Z');
  expect((await pass()).submitted).toEqual([`${id}@2026-01-19T06:00:00.000Z`]);

  await room.send('advertiser-bucket', cli.row('JOB', { job_name: 'weekly', action: 'DELETE' }, room.clock - 1000));
  const report = await pass();
  expect(report.events.map((e) => e.message)).toEqual([`job "weekly" deleted (id ${id}): no further runs; a run already started finishes`]);
  expect(await jobRow()).toMatchObject({ status: 'DELETED', next_run_at: null });
  setClock('2026-01-26T06:00:00Z');
  expect((await pass()).submitted).toEqual([]);
});

test('a bad cron schedule is refused with the message', async () => {
  await room.send('advertiser-bucket', seed.job('bad', 'adv_weekly', JSON.stringify({ output: OUTPUT }), 'Small', room.clock - 1000, '0 0 31 2 *'));
  await pass();
  const statuses = await room.read('advertiser-bucket', 'event_status');
  expect(statuses.at(-1)).toMatchObject({ status: 'ERROR', message: 'schedule "0 0 31 2 *" is refused: it never runs: day 31 does not exist in FEB; choose days that exist in the chosen months' });
  expect(await room.read('advertiser-bucket', 'jobs')).toEqual([]);
});
