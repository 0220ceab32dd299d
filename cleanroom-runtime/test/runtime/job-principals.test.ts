/**
 * Runs isolated on a pool of job principals, through real passes: the real Databricks engine against the fake
 * workspace and its Unity Catalog (test/support/fake-unity-catalog.ts). Each run holds one principal alone, granted
 * exactly the tables its code reads and its own staging volume; a run beyond the pool waits for a free principal; a
 * principal is free again only once the engine reported its run over and its access was revoked; the principal is
 * committed in the state before anything is granted, so a retried submission uses the same one.
 */
import { DatabricksEngine } from '../../src/engines/databricks';
import { stagingVolumePath } from '../../src/engines/databricks/run-access';
import { STAGING_SCHEMA } from '../../src/engines/databricks/run-access-names';
import { stagingLocationFor } from '../../src/runtime/release/release-step';
import { runPass } from '../../src/runtime/run-pass';
import { commitState, loadLatestState } from '../../src/runtime/state-store';
import { emptyState } from '../../src/processor/state';
import { leaseCheck, WAITING_FOR_PRINCIPAL } from '../../src/runtime/run-access';
import { INTERNAL_ERROR_GRACE_MS } from '../../src/processor/run-principals';
import { cli, seed, versionHash } from '../processor/fixtures';
import { startFakeDatabricks, type FakeDatabricks } from '../support/fake-databricks';
import { approveCode, declareDatasetsAndCode } from './count-users-scenario';
import { LocalCleanRoom, SETTINGS } from './pass-fixtures';

const SQL = '-- Databricks notebook source\nSELECT count(*) FROM publisher.users u JOIN advertiser.conversions c USING (user_id)\n';
const CONVERSIONS_ONLY = '-- Databricks notebook source\nSELECT count(*) AS n FROM advertiser.conversions\n';
const POOL = ['0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d', '1b2c3d4e-5f6a-4b7c-8d9e-0f1a2b3c4d5e'];
const CATALOG = 'cleanroom_test';

let room: LocalCleanRoom;
let databricks: FakeDatabricks;
let engine: DatabricksEngine;
const pass = () => runPass({ config: SETTINGS, store: room.store, engine, now: room.now });
const state = async () => (await loadLatestState(room.store, SETTINGS.stateBucket)).state;
const uc = () => databricks.unityCatalog!;
const volumeOf = (runKey: string) => stagingVolumePath(CATALOG, stagingLocationFor(SETTINGS.stateBucket, runKey));

beforeEach(async () => {
  room = new LocalCleanRoom();
  databricks = await startFakeDatabricks({
    servicePrincipals: Object.fromEntries(POOL.map((p) => [p, { users: ['cleanroom-runtime@example.com'] }])),
    unityCatalog: { catalog: CATALOG, schemas: [STAGING_SCHEMA], volumeLocations: [`gs://${SETTINGS.stateBucket}/staging/`], principals: POOL },
  });
  engine = new DatabricksEngine({
    host: databricks.host,
    token: databricks.token,
    warehouseId: databricks.warehouseId,
    policyIdForCompute: { Small: 'policy-small' },
    catalog: CATALOG,
    participants: SETTINGS.participants.map((p) => p.name),
    jobPrincipals: POOL,
    maxAttempts: 2,
    baseDelayMs: 1,
    maxDelayMs: 2,
    statementPollIntervalMs: 1,
  });
  await declareDatasetsAndCode(room, SQL);
  await room.send('advertiser-bucket', cli.code('count_conversions', 'INSERT', CONVERSIONS_ONLY, { atMs: room.clock - 50_000 }));
  await pass();
  room.clock += 60_000;
  await approveCode(room, SQL);
  await room.send('publisher-bucket', cli.approval('CODE_REQUEST_APPROVED', { code_name: 'count_conversions' }, versionHash(CONVERSIONS_ONLY), 'ok', room.clock - 30_000));
});

afterEach(async () => {
  await databricks.close();
  room.cleanup();
});

async function sendJobs(...jobs: Array<[name: string, code: string]>): Promise<string[]> {
  const rows = jobs.map(([name, code], i) => seed.job(name, code, `{"output": "gs://advertiser-bucket/output/${name}"}`, 'Small', room.clock - 20_000 + i));
  await room.send('advertiser-bucket', ...rows);
  return rows.map((row) => row.uuid as string);
}

test('each run holds its own principal, granted only what its code reads and its own volume; a run beyond the pool waits', async () => {
  const [first, second, third] = await sendJobs(['both_1', 'count_users'], ['conversions_1', 'count_conversions'], ['both_2', 'count_users']);
  const report = await pass();
  expect(report.submitted).toEqual([first, second]);
  expect(report.errors).toContainEqual(expect.stringMatching(new RegExp(`^1 job submission\\(s\\) wait for a free job principal .*${third}`)));

  const runs = (await state()).runs;
  const [a, b] = [runs[first!]!.access!, runs[second!]!.access!];
  expect([a.principal, b.principal].sort()).toEqual([...POOL].sort());
  expect(databricks.runs().map((r) => databricks.runAs(r.runId))).toEqual([a.principal, b.principal]);
  // What each run could do while both are running: its own reads, its own volume, nothing of the other's.
  expect(uc().readable(a.principal)).toEqual(['advertiser.conversions', 'publisher.users']);
  expect(uc().readable(b.principal)).toEqual(['advertiser.conversions']);
  expect(uc().writable(a.principal)).toEqual([volumeOf(first!)]);
  expect(uc().writable(b.principal)).toEqual([volumeOf(second!)]);
  // The third submission waits, holding nothing; nothing of it exists in Databricks.
  expect((await state()).pendingEffects).toEqual([expect.objectContaining({ kind: 'submit_job', jobId: third })]);
  expect((await state()).pendingEffects[0]).not.toHaveProperty('access');
  // Its owner reads why in control.jobs.
  const statusOf = async (jobId: string) => (await room.read('advertiser-bucket', 'jobs')).find((row) => row.job_id === jobId)?.status_message;
  expect(await statusOf(third!)).toBe(WAITING_FOR_PRINCIPAL);
  expect(await statusOf(first!)).toBeNull();

  // Both runs end: their access is revoked, their principals are free, and the waiting job takes one.
  databricks.advanceRuns();
  databricks.advanceRuns();
  await pass();
  const ended = (await state()).runs;
  expect(ended[first!]!.access).toMatchObject({ runEnded: true, revokedAt: room.clock });
  expect(ended[second!]!.access).toMatchObject({ runEnded: true, revokedAt: room.clock });
  expect(uc().allGrants()).toEqual([]);
  expect(uc().volumes.size).toBe(0);

  expect((await pass()).submitted).toEqual([third]);
  expect(await statusOf(third!)).toBeNull();
  const c = (await state()).runs[third!]!.access!;
  expect(POOL).toContain(c.principal);
  expect(uc().readable(c.principal)).toEqual(['advertiser.conversions', 'publisher.users']);
  expect(uc().writable(c.principal)).toEqual([volumeOf(third!)]);
});

test('the principal is committed before anything is granted: a submission retried after an outage keeps it', async () => {
  const [job] = await sendJobs(['both_1', 'count_users']);
  databricks.injectFaults({ path: '/api/2.1/jobs/runs/submit', status: 503, times: 2 });
  const report = await pass();
  expect(report.submitted).toEqual([]);
  const held = (await state()).pendingEffects.find((e) => e.kind === 'submit_job' && e.jobId === job);
  expect(held).toMatchObject({ access: { principal: POOL[0], reads: ['advertiser.conversions', 'publisher.users'] } });
  // Granted already (the outage came after), and known to the state: nobody else can take that principal.
  expect(uc().readable(POOL[0]!)).toEqual(['advertiser.conversions', 'publisher.users']);

  expect((await pass()).submitted).toEqual([job]);
  expect(databricks.runs().map((r) => databricks.runAs(r.runId))).toEqual([POOL[0]]);
  expect((await state()).runs[job!]!.access).toMatchObject({ principal: POOL[0] });
});

test('a submission the clean room refuses frees its principal, revoking what it may have been granted', async () => {
  const [job] = await sendJobs(['both_1', 'count_users']);
  // The code is rejected before the submission is done: the run is refused, and its principal freed in the same pass.
  await room.send('publisher-bucket', cli.approval('CODE_REQUEST_REJECTED', { code_name: 'count_users' }, versionHash(SQL), 'no', room.clock - 10_000));
  await pass();
  const run = (await state()).runs[job!];
  expect(run).toMatchObject({ resultState: 'FAILED', runId: `not-submitted-${job}` });
  // It held a principal from the start of the pass's work (taken before the approval was checked again), and gave it
  // back in the same pass.
  expect(run?.access).toMatchObject({ principal: POOL[0], takenAt: room.clock, revokedAt: room.clock });
  // Free again: the next job takes the same principal.
  const [next] = await sendJobs(['conversions_1', 'count_conversions']);
  expect((await pass()).submitted).toEqual([next]);
  expect((await state()).runs[next!]!.access!.principal).toBe(POOL[0]);
  expect(databricks.runs().map((r) => r.runName)).toEqual(['cleanroom:advertiser:conversions_1']);
});

test('an outage while revoking keeps the principal held until it is revoked', async () => {
  const [job] = await sendJobs(['both_1', 'count_users']);
  await pass();
  databricks.advanceRuns();
  databricks.advanceRuns();
  databricks.injectFaults({ path: '/api/2.1/unity-catalog/permissions/schema/cleanroom_test.advertiser', status: 503, times: 4 });
  const report = await pass();
  expect(report.errors).toContainEqual(expect.stringMatching(/could not be revoked yet; the principal stays held/));
  const held = (await state()).runs[job!]!.access!;
  expect(held.revokedAt).toBeUndefined();
  expect(held.runEnded).toBe(true);

  await pass();
  expect((await state()).runs[job!]!.access!.revokedAt).toBe(room.clock);
  expect(uc().allGrants()).toEqual([]);
});

test('a pass working from an older state neither grants to nor revokes from a principal lent on since', async () => {
  const bucket = 'lease-bucket';
  const held = { principal: POOL[0]!, reads: ['advertiser.conversions'], staging: null, takenAt: 1 };
  const pending = { ...emptyState(), pendingEffects: [{ kind: 'submit_job' as const, jobId: 'j0', attempts: 0, access: held }] };
  const seq = await commitState(room.store, bucket, -1, pending);
  const check = leaseCheck(room.store, bucket, () => seq);
  // Nothing committed since: the pass's own state is the newest.
  expect(await check('j0', POOL[0]!, 'grant')).toBe(true);

  // Meanwhile another pass submitted j0, saw it end, revoked its access and lent the principal to j1.
  const run = { jobId: 'j0', runId: '101', engine: 'databricks', lifeCycleState: 'TERMINATED' as const, resultState: 'SUCCESS' as const, stateMessage: null, startTime: null, endTime: 2, runPageUrl: null, error: null, errorTrace: null, submittedAt: 1, updatedAt: 2, access: { ...held, runEnded: true as const, revokedAt: 2 } };
  await commitState(room.store, bucket, seq, { ...emptyState(), runs: { j0: run }, pendingEffects: [{ kind: 'submit_job', jobId: 'j1', attempts: 0, access: { ...held, takenAt: 3 } }] });
  expect(await check('j0', POOL[0]!, 'grant')).toBe(false);
  expect(await check('j0', POOL[0]!, 'revoke')).toBe(false);
  expect(await check('j1', POOL[0]!, 'grant')).toBe(true);
});

test('a submission that met an outage and is then refused keeps its principal while a run of it may exist unseen', async () => {
  const [job] = await sendJobs(['both_1', 'count_users']);
  databricks.injectFaults({ path: '/api/2.1/jobs/runs/submit', status: 503, times: 2 });
  await pass();
  expect((await state()).pendingEffects[0]).toMatchObject({ access: { principal: POOL[0] } });
  // Databricks did create the run, though the runtime never heard of it.
  databricks.startRunAs(databricks.principal, 'cleanroom:advertiser:both_1');
  await room.send('publisher-bucket', cli.approval('CODE_REQUEST_REJECTED', { code_name: 'count_users' }, versionHash(SQL), 'no', room.clock - 10_000));
  const refused = await pass();
  expect(refused.errors).toContainEqual(expect.stringMatching(new RegExp(`job principal ${POOL[0]} is not free yet: 1 active run\\(s\\) under the name of a submission never recorded as started; it stays held`)));
  expect((await state()).runs[job!]).toMatchObject({ runId: `not-submitted-${job}`, access: { principal: POOL[0] } });
  expect((await state()).runs[job!]!.access!.revokedAt).toBeUndefined();

  databricks.advanceRuns(); // that run ends
  await pass();
  expect((await state()).runs[job!]!.access!.revokedAt).toBe(room.clock);
});

test('one participant cannot hold the pool while another waits: the principal its run frees goes to the other first', async () => {
  const [first, second, third] = await sendJobs(['both_1', 'count_users'], ['conversions_1', 'count_conversions'], ['both_2', 'count_users']);
  expect((await pass()).submitted).toEqual([first, second]);
  // The keeper's own code needs no approval; its job comes after the advertiser took the whole pool alone.
  const USERS_ONLY = '-- Databricks notebook source\nSELECT count(*) AS n FROM publisher.users\n';
  const job = seed.job('users_1', 'count_own_users', '{"output": "gs://publisher-bucket/output/users_1"}', 'Small', room.clock - 10_000);
  await room.send('publisher-bucket', cli.code('count_own_users', 'INSERT', USERS_ONLY, { atMs: room.clock - 20_000 }), job);
  const waitingReport = await pass();
  expect(waitingReport.submitted).toEqual([]);
  expect(waitingReport.errors).toContainEqual(`1 job submission(s) wait for a free job principal (every one is held by a run): ${job.uuid}`);
  expect(waitingReport.errors).toContainEqual(
    `1 job submission(s) of advertiser wait for its fair share of the job principals: it holds 2 of 2 while another participant's submissions wait holding 0, so the next free principals go to them first: ${third}`,
  );

  // One of the advertiser's runs ends: the publisher's job takes the principal, although the advertiser's waited longer.
  const ended = (await state()).runs[first!]!;
  databricks.setRunState(ended.runId, { lifeCycleState: 'TERMINATED', resultState: 'SUCCESS', stateMessage: '' });
  await pass();
  expect((await pass()).submitted).toEqual([job.uuid]);
  expect((await state()).runs[job.uuid as string]!.access!.principal).toBe(ended.access!.principal);
  expect((await state()).pendingEffects).toEqual([expect.objectContaining({ jobId: third })]);
});

test('a run still terminating, delayed, or in a state the runtime does not know keeps its principal; INTERNAL_ERROR does for an hour', async () => {
  const [job] = await sendJobs(['both_1', 'count_users']);
  await pass();
  const { runId } = (await state()).runs[job!]!;
  for (const lifeCycleState of ['TERMINATING', 'WAITING', 'SOMETHING_NEW']) {
    databricks.setRunState(runId, { lifeCycleState, stateMessage: '' });
    await pass();
    room.clock += 2 * INTERNAL_ERROR_GRACE_MS;
    await pass();
    expect({ lifeCycleState, revokedAt: (await state()).runs[job!]!.access!.revokedAt }).toEqual({ lifeCycleState, revokedAt: undefined });
  }
  databricks.setRunState(runId, { lifeCycleState: 'INTERNAL_ERROR', stateMessage: 'Cluster launch failed' });
  await pass();
  room.clock += INTERNAL_ERROR_GRACE_MS - 60_000;
  await pass();
  expect((await state()).runs[job!]!.access).not.toHaveProperty('revokedAt');
  room.clock += 60_000;
  await pass();
  expect((await state()).runs[job!]!.access!.revokedAt).toBe(room.clock);
  expect(uc().allGrants()).toEqual([]);
});
