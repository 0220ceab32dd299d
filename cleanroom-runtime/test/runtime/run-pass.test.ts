import { DeltaTable } from '../../src/delta/table';
import { runDecidePhase, runPass } from '../../src/runtime/run-pass';
import { loadLatestState } from '../../src/runtime/state-store';
import { cli, seed, sha256, versionHash } from '../processor/fixtures';
import { crashWritesWhere } from '../support/instrumented-store';
import { BY_COUNTRY_SQL, CONVERSIONS_SCHEMA, LocalCleanRoom, SETTINGS, USERS_SCHEMA } from './pass-fixtures';

const SQL = `-- Databricks notebook source\n${BY_COUNTRY_SQL}`;
const HASH = sha256(SQL);

let room: LocalCleanRoom;
const pass = () => runPass({ config: SETTINGS, store: room.store, engine: room.engine, now: room.now });

beforeEach(async () => {
  room = new LocalCleanRoom();
  await room.onboard();
  await room.writeDataset('publisher-bucket', 'input/users', USERS_SCHEMA, [
    { user_id: 'u1', country: 'FR' }, { user_id: 'u2', country: 'DE' }, { user_id: 'u3', country: 'FR' }, { user_id: 'u4', country: 'IT' },
  ]);
  await room.writeDataset('advertiser-bucket', 'input/conversions', CONVERSIONS_SCHEMA, [
    { user_id: 'u1', amount: 10 }, { user_id: 'u3', amount: 5.5 }, { user_id: 'u2', amount: 1 }, { user_id: 'u4', amount: 2 },
  ]);
});
afterEach(() => room.cleanup());

/** Registers both datasets and the advertiser's code (pending), in one pass. */
async function registerAll(): Promise<void> {
  const t = room.clock - 60_000;
  await room.send('publisher-bucket', seed.data('publisher.users', 'INSERT', 'gs://publisher-bucket/input/users', 'delta', t));
  await room.send('advertiser-bucket',
    seed.data('advertiser.conversions', 'INSERT', 'gs://advertiser-bucket/input/conversions', 'delta', t),
    cli.code('adv_by_country', 'INSERT', SQL, { atMs: t, defaults: '{"excluded": "IT"}' }));
  const report = await pass();
  expect(report.events.map((e) => `${e.participant}:${e.status}`).sort()).toEqual(['advertiser:SUCCESS', 'advertiser:SUCCESS', 'publisher:SUCCESS']);
}

async function approveAndSubmit(): Promise<string> {
  room.clock += 60_000;
  await room.send('publisher-bucket', cli.approval('CODE_REQUEST_APPROVED', { code_name: 'adv_by_country' }, versionHash(SQL, { defaults: { excluded: 'IT' } }), 'aggregates only', room.clock - 30_000));
  const job = seed.job('by_country', 'adv_by_country', '{"output": "gs://advertiser-bucket/output/by_country"}', 'Small', room.clock - 20_000);
  await room.send('advertiser-bucket', job);
  return job.uuid as string;
}

describe('runPass end to end on a local clean room', () => {
  test('registration, approval, job and run; views published per participant; the output is a Delta table', async () => {
    await registerAll();
    const pending = await room.read('publisher-bucket', 'approval_status');
    expect(pending).toEqual([expect.objectContaining({ code_name: 'adv_by_country', approval_status: 'CODE_REQUEST_PENDING_APPROVAL', notebook_contents_hash: HASH })]);
    expect(new TextDecoder().decode(await room.store.get('publisher-bucket', `code/advertiser/adv_by_country/${HASH}`))).toBe(SQL);
    await expect(room.store.get('agency-bucket', `code/advertiser/adv_by_country/${HASH}`)).rejects.toThrow(/does not exist/);
    const schema = (await room.read('advertiser-bucket', 'data')).find((r) => r.data_metastore_name === 'advertiser.conversions')?.schema;
    expect(JSON.parse(schema as string)).toEqual(CONVERSIONS_SCHEMA);

    const jobId = await approveAndSubmit();
    const report = await pass();
    expect(report.errors).toEqual([]);
    expect(report.events.map((e) => e.status)).toEqual(['SUCCESS', 'SUCCESS']);
    expect(report.submitted).toEqual([jobId]);

    const runs = await room.read('advertiser-bucket', 'runs');
    expect(runs).toEqual([expect.objectContaining({ job_id: jobId, state: 'TERMINATED', result_state: 'SUCCESS', output_location: 'gs://advertiser-bucket/output/by_country' })]);
    expect(await room.read('agency-bucket', 'runs')).toEqual([]);
    // The run records the Delta version of each dataset it was given, as checked before submission.
    const versionOf = async (bucket: string, key: string) => (await (await DeltaTable.open(room.store, bucket, key)).snapshot()).version;
    expect(JSON.parse(String(runs[0].input_versions))).toEqual({
      'advertiser.conversions': await versionOf('advertiser-bucket', 'input/conversions'),
      'publisher.users': await versionOf('publisher-bucket', 'input/users'),
    });
    expect((await room.read('publisher-bucket', 'jobs')).map((j) => j.job_id)).toEqual([jobId]);
    const output = await (await DeltaTable.open(room.store, 'advertiser-bucket', 'output/by_country')).readRows();
    expect(output.map((r) => [r.country, Number(r.conversions), r.revenue])).toEqual([['DE', 1, 1], ['FR', 2, 15.5]]);
    const statuses = await room.read('advertiser-bucket', 'event_status');
    expect(statuses.map((s) => s.status)).toEqual(['SUCCESS', 'SUCCESS', 'SUCCESS']);
  });

  test('an idle pass: one list call per participant events table, no writes at all', async () => {
    await registerAll();
    await pass(); // settles anything published late
    room.store.reset();
    const report = await pass();
    expect(report.events).toEqual([]);
    expect(room.store.writes()).toBe(0);
    for (const p of SETTINGS.participants) {
      expect(`${p.bucket}:${room.store.bucketCounts(p.bucket).list}:${room.store.bucketCounts(p.bucket).get}`).toBe(`${p.bucket}:1:0`);
    }
  });

  test('bad events get their ERROR row and do not block the ones after them', async () => {
    const t = room.clock - 60_000;
    await room.send('advertiser-bucket',
      seed.data('publisher.users', 'INSERT', 'gs://publisher-bucket/input/users', 'delta', t),
      seed.data('advertiser.missing', 'INSERT', 'gs://advertiser-bucket/input/nothing_here', 'delta', t),
      seed.data('advertiser.conversions', 'INSERT', 'gs://advertiser-bucket/input/conversions', 'delta', t));
    await pass();
    const statuses = await room.read('advertiser-bucket', 'event_status');
    expect(statuses.map((s) => [s.status, s.message])).toEqual([
      ['ERROR', 'data_metastore_name "publisher.users" is in database "publisher": you can only register tables of your own database, advertiser.<table>'],
      ['ERROR', 'no Delta table (no _delta_log/) found at gs://advertiser-bucket/input/nothing_here: write the dataset there first, or fix the location or format'],
      ['SUCCESS', 'dataset advertiser.conversions registered (delta at gs://advertiser-bucket/input/conversions); jobs can read it as advertiser.conversions'],
    ]);
    expect(statuses.map((s) => s.events_version)).toEqual([1n, 2n, 3n]);
  });
});

describe('crash safety and concurrency', () => {
  test('killed after the state commit, before effects and publishing: the next pass finishes, nothing doubled', async () => {
    await registerAll();
    const jobId = await approveAndSubmit();
    const decided = await runDecidePhase({ config: SETTINGS, store: room.store, engine: room.engine, now: room.now });
    expect(decided.events).toHaveLength(2);
    expect(room.engine.submits).toEqual([]);
    expect((await loadLatestState(room.store, SETTINGS.stateBucket)).state.pendingEffects).toContainEqual({ kind: 'submit_job', jobId, attempts: 0 });

    const report = await pass();
    expect(report.events).toEqual([]);
    expect(report.submitted).toEqual([jobId]);
    expect((await room.read('advertiser-bucket', 'event_status')).filter((s) => s.event_uuid === jobId)).toHaveLength(1);
    expect(await room.read('advertiser-bucket', 'runs')).toEqual([expect.objectContaining({ job_id: jobId, result_state: 'SUCCESS' })]);
  });

  test('killed after job submission, before the state commit: the retry gets the same run, nothing runs twice', async () => {
    await registerAll();
    const jobId = await approveAndSubmit();
    const decided = await runDecidePhase({ config: SETTINGS, store: room.store, engine: room.engine, now: room.now });
    room.store.onWrite = crashWritesWhere((bucket, key) => bucket === SETTINGS.stateBucket && key === `state/${String(decided.stateSeq + 1).padStart(20, '0')}.json`);
    await expect(pass()).rejects.toThrow(/simulated crash/);
    expect(room.engine.submits).toHaveLength(1);
    room.store.onWrite = undefined;

    const report = await pass();
    expect(room.engine.submits.map((s) => s.jobId)).toEqual([jobId, jobId]);
    expect(new Set(room.engine.submits.map((s) => s.runId)).size).toBe(1);
    const state = (await loadLatestState(room.store, SETTINGS.stateBucket)).state;
    expect(state.pendingEffects).toEqual([]);
    expect(Object.keys(state.runs)).toEqual([jobId]);
    expect(report.errors).toEqual([]);
    expect(await room.read('advertiser-bucket', 'runs')).toHaveLength(1);
  });

  test('two passes at once: every event applied exactly once', async () => {
    const t = room.clock - 60_000;
    await room.send('advertiser-bucket', ...['a', 'b', 'c'].map((n) => cli.code(`adv_${n}`, 'INSERT', `SELECT '${n}'`, { atMs: t })));
    await room.send('agency-bucket', cli.code('agency_x', 'INSERT', 'SELECT 1', { atMs: t }));
    const [first, second] = await Promise.all([pass(), pass()]);
    expect(first.events.length + second.events.length).toBe(4);
    const state = (await loadLatestState(room.store, SETTINGS.stateBucket)).state;
    expect(state.eventStatus.advertiser).toHaveLength(3);
    expect(state.eventStatus.agency).toHaveLength(1);
    expect(Object.keys(state.code).sort()).toEqual(['adv_a', 'adv_b', 'adv_c', 'agency_x']);
    expect((await room.read('advertiser-bucket', 'event_status')).map((s) => s.status)).toEqual(['SUCCESS', 'SUCCESS', 'SUCCESS']);
  });
});

describe('isolation', () => {
  test("a participant's corrupt events commit gets one ERROR row, does not stop the others, and its later events flow", async () => {
    await room.store.put('agency-bucket', 'control/events/_delta_log/00000000000000000001.json', new TextEncoder().encode('{"add": {not json'));
    await room.send('advertiser-bucket', seed.data('advertiser.conversions', 'INSERT', 'gs://advertiser-bucket/input/conversions', 'delta', room.clock - 1000));
    const report = await pass();
    expect(report.events.map((e) => `${e.participant}:${e.eventUuid}:${e.status}`)).toEqual(['advertiser:' + report.events[0].eventUuid + ':SUCCESS', 'agency:no-uuid-v1-0:ERROR']);
    expect(report.events[1].message).toMatch(/^events commit 1 of participant agency \(gs:\/\/agency-bucket\/control\/events\) was skipped: the commit file 00000000000000000001\.json is not a Delta commit \(line 1 is not JSON .*\); its events were not read\. Fix: append the skipped events again/);
    expect((await loadLatestState(room.store, SETTINGS.stateBucket)).state.eventsVersions.agency).toBe(1);
    // Told once: the next pass is idle for agency.
    expect((await pass()).events).toEqual([]);
    // agency repairs the commit (a Delta writer cannot append after it otherwise) and sends an event: it flows.
    await room.store.put('agency-bucket', 'control/events/_delta_log/00000000000000000001.json', new TextEncoder().encode('{"commitInfo":{"operation":"REPAIR"}}\n'));
    await room.send('agency-bucket', cli.code('agency_later', 'INSERT', 'SELECT 1', { atMs: room.clock - 500 }));
    const later = await pass();
    expect(later.events.map((e) => `${e.participant}:${e.status}`)).toEqual(['agency:SUCCESS']);
    expect(Object.keys((await loadLatestState(room.store, SETTINGS.stateBucket)).state.code)).toEqual(['agency_later']);
  });
});

test('a bucket that cannot be written during publishing is reported, the others are published, the next pass catches up', async () => {
  await room.send('agency-bucket', cli.code('agency_x', 'INSERT', 'SELECT 1', { atMs: room.clock - 1000 }));
  room.store.onWrite = crashWritesWhere((bucket, key) => bucket === 'agency-bucket' && key.startsWith('control/'));
  const first = await pass();
  expect(first.events.map((e) => e.status)).toEqual(['SUCCESS']);
  // Tables are published independently: each unwritable one is its own error.
  expect(first.errors).toEqual(['data', 'code', 'approval_status', 'jobs', 'runs', 'event_status', 'approval_decisions'].map((table) =>
    expect.stringMatching(new RegExp(`^publishing control\\.${table} to agency \\(gs://agency-bucket\\) failed: simulated crash`))));
  expect(await room.read('agency-bucket', 'event_status')).toEqual([]);
  expect((await room.read('publisher-bucket', 'code')).map((c) => c.code_name)).toEqual(['agency_x']);

  room.store.onWrite = undefined;
  const second = await pass();
  expect(second.errors).toEqual([]);
  expect(second.published.every((p) => p.participant === 'agency')).toBe(true);
  expect((await room.read('agency-bucket', 'event_status')).map((s) => s.status)).toEqual(['SUCCESS']);
});
