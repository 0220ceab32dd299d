/**
 * Executor outages with the real Databricks engine wired into runPass against the fake workspace: 429, 5xx,
 * resets and timeouts during submission and polling. A run is retried on later passes, never marked FAILED
 * because of an outage, never started twice (idempotency token = job id), and the pass reports the outage.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { DatabricksEngine } from '../../src/engines/databricks';
import { controlTableKey } from '../../src/control/tables';
import { struct, type DeltaRow } from '../../src/delta/schema-types';
import { DeltaTable } from '../../src/delta/table';
import { ENGINE_UNREACHABLE_NOTE, MAX_SUBMIT_ATTEMPTS } from '../../src/processor/runs';
import type { CleanroomState } from '../../src/processor/state';
import { runDecidePhase, runPass, type PassReport } from '../../src/runtime/run-pass';
import { loadLatestState } from '../../src/runtime/state-store';
import { LocalObjectStore } from '../../src/storage/local-store';
import { startFakeDatabricks, type FakeDatabricks } from '../support/fake-databricks';
import { CrashError, FaultyStore } from './faulty-store';
import { appendStepEvents, CountingEngine, JOB_ID, OUTPUT, prepareRoom, SETTINGS, STEPS, type SubmitLog } from './scenario';

const SUBMIT = '/api/2.1/jobs/runs/submit';
const GET_RUN = '/api/2.1/jobs/runs/get';
const ATTEMPTS = 3;

let fake: FakeDatabricks;
let root: string;
let submits: SubmitLog;

beforeEach(async () => {
  fake = await startFakeDatabricks({ statementPendingPolls: 0 });
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'cleanroom-outage-'));
  submits = new Map();
  await prepareRoom(root);
});
afterEach(async () => {
  await fake.close();
  fs.rmSync(root, { recursive: true, force: true });
});

function engine(): CountingEngine {
  const databricks = new DatabricksEngine({
    host: fake.host,
    token: fake.token,
    warehouseId: fake.warehouseId,
    policyIdForCompute: { Small: 'POLICYSMALL01' },
    catalog: 'cleanroom_test',
    participants: SETTINGS.participants.map((p) => p.name),
    maxAttempts: ATTEMPTS,
    requestTimeoutMs: 300,
    sleep: async () => undefined,
    random: () => 0.5,
  });
  return new CountingEngine(databricks, submits);
}

async function pass(atMs: number, store = new FaultyStore(new LocalObjectStore(root))): Promise<PassReport> {
  return runPass({ config: SETTINGS, store, engine: engine(), now: () => new Date(atMs) });
}

async function publishedRuns(): Promise<DeltaRow[]> {
  return (await DeltaTable.open(new LocalObjectStore(root), 'advertiser-bucket', controlTableKey('runs'))).readRows();
}

async function state(): Promise<CleanroomState> {
  return (await loadLatestState(new LocalObjectStore(root), SETTINGS.stateBucket)).state;
}

/** Step 1 registered and published, step 2 events (approval, job) appended. */
async function readyToSubmit(): Promise<number> {
  await appendStepEvents(root, STEPS[0]);
  expect((await pass(STEPS[0].atMs)).errors).toEqual([]);
  await appendStepEvents(root, STEPS[1]);
  return STEPS[1].atMs;
}

test('a submission outage longer than the attempt limit is retried, never FAILED, and submits one run', async () => {
  const at = await readyToSubmit();
  const outagePasses = MAX_SUBMIT_ATTEMPTS + 1;
  fake.injectFaults({ path: SUBMIT, method: 'POST', status: 503, times: ATTEMPTS * outagePasses, retryAfter: 0 });
  for (let i = 0; i < outagePasses; i++) {
    const report = await pass(at + i * 60_000);
    expect(report.submitted).toEqual([]);
    expect(report.submitFailures).toEqual([]);
    expect(report.errors).toEqual([expect.stringMatching(new RegExp(`^submission of job ${JOB_ID} postponed, the engine is unreachable .*Databricks POST ${SUBMIT} unavailable`))]);
    const current = await state();
    expect(current.runs[JOB_ID]).toBeUndefined();
    // An outage is not a refusal: it never uses up one of the submission attempts.
    expect(current.pendingEffects).toContainEqual({ kind: 'submit_job', jobId: JOB_ID, attempts: 0 });
  }
  expect(fake.runs()).toEqual([]);

  const recovered = await pass(at + outagePasses * 60_000);
  expect(recovered.submitted).toEqual([JOB_ID]);
  expect(fake.runs()).toHaveLength(1);
  expect((await state()).runs[JOB_ID]).toMatchObject({ runId: String(fake.runs()[0].runId), lifeCycleState: 'PENDING', resultState: null });
});

test('timeouts and resets during submission: the retried request carries the same idempotency token, one run', async () => {
  const at = await readyToSubmit();
  fake.injectFaults({ path: SUBMIT, method: 'POST', status: 'hang', times: 1 });
  fake.injectFaults({ path: SUBMIT, method: 'POST', status: 'reset', times: 1 });
  const report = await pass(at);
  expect(report.submitted).toEqual([JOB_ID]);
  const attempts = fake.requests.filter((r) => r.path === SUBMIT);
  expect(attempts.map((r) => r.fault)).toEqual(['hang', 'reset', undefined]);
  expect(new Set(attempts.map((r) => (r.body as { idempotency_token: string }).idempotency_token)).size).toBe(1);
  expect(fake.runs()).toHaveLength(1);
});

test('a crash after Databricks accepted the run, before the state recorded it: the next pass gets the same run', async () => {
  const at = await readyToSubmit();
  await runDecidePhase({ config: SETTINGS, store: new LocalObjectStore(root), engine: engine(), now: () => new Date(at) });
  // The act phase submits before its first write; dying at that write loses the run id.
  const dying = new FaultyStore(new LocalObjectStore(root), { at: 1, mode: 'crash-before' });
  await expect(pass(at, dying)).rejects.toThrow(CrashError);
  expect(fake.runs()).toHaveLength(1);
  expect((await state()).runs[JOB_ID]).toBeUndefined();

  const report = await pass(at + 1000);
  expect(report.submitted).toEqual([JOB_ID]);
  const runId = String(fake.runs()[0].runId);
  expect(fake.runs()).toHaveLength(1);
  expect(submits.get(JOB_ID)).toEqual([runId, runId]);
  expect((await state()).runs[JOB_ID]).toMatchObject({ runId });
});

test('poll outages (429, 5xx, timeout) keep the run in its last state, never FAILED, until Databricks answers', async () => {
  const at = await readyToSubmit();
  expect((await pass(at)).submitted).toEqual([JOB_ID]);
  const runId = String(fake.runs()[0].runId);
  fake.advanceRuns(); // RUNNING
  expect((await pass(at + 1000)).errors).toEqual([]);
  expect((await state()).runs[JOB_ID].lifeCycleState).toBe('RUNNING');

  fake.advanceRuns(); // TERMINATED SUCCESS, but nobody can see it for three passes
  // What the run wrote: the runtime checks a Delta table is at the output once the run ends SUCCESS.
  await (await DeltaTable.create(new LocalObjectStore(root), OUTPUT.bucket, OUTPUT.prefix, struct([['country', 'string']]))).append([{ country: 'FR' }]);
  const outages = [429, 500, 'hang'] as const;
  for (const [i, status] of outages.entries()) {
    fake.injectFaults({ path: GET_RUN, method: 'GET', status, times: ATTEMPTS, retryAfter: status === 429 ? 0 : undefined });
    const report = await pass(at + (i + 2) * 1000);
    expect(report.errors).toEqual([expect.stringContaining(`could not poll run ${runId}: Databricks GET ${GET_RUN} unavailable`)]);
    const run = (await state()).runs[JOB_ID];
    expect(run).toMatchObject({ lifeCycleState: 'RUNNING', resultState: null, stateMessage: ENGINE_UNREACHABLE_NOTE });
    // What the participant sees: the last known state, with the outage noted.
    expect(await publishedRuns()).toEqual([expect.objectContaining({ job_id: JOB_ID, state: 'RUNNING', result_state: null, state_message: ENGINE_UNREACHABLE_NOTE })]);
  }
  const report = await pass(at + 10_000);
  expect(report.errors).toEqual([]);
  expect((await state()).runs[JOB_ID]).toMatchObject({ runId, lifeCycleState: 'TERMINATED', resultState: 'SUCCESS' });
  const [published] = await publishedRuns();
  expect(published).toMatchObject({ job_id: JOB_ID, state: 'TERMINATED', result_state: 'SUCCESS' });
  expect(published.state_message).not.toBe(ENGINE_UNREACHABLE_NOTE);
  expect(fake.runs()).toHaveLength(1);
  expect([...submits.values()]).toEqual([[runId]]);
});

test('a warehouse outage during dataset sync postpones submissions; the job runs once the catalogue is synced', async () => {
  await appendStepEvents(root, STEPS[0]);
  await appendStepEvents(root, STEPS[1]);
  fake.injectFaults({ path: '/api/2.0/sql/statements', method: 'POST', status: 502, times: ATTEMPTS });
  const during = await pass(STEPS[1].atMs);
  expect(during.errors).toEqual([expect.stringMatching(/^dataset sync failed, job submissions postponed: .*unavailable/)]);
  expect(during.submitted).toEqual([]);
  expect((await state()).pendingEffects.map((e) => e.kind).sort()).toEqual(['submit_job', 'sync_datasets']);
  expect(fake.runs()).toEqual([]);

  const after = await pass(STEPS[1].atMs + 1000);
  expect(after.errors).toEqual([]);
  expect(after.submitted).toEqual([JOB_ID]);
  expect(fake.tables().map((t) => `${t.schema}.${t.table}`).sort()).toEqual(['advertiser.conversions', 'publisher.users']);
  expect(fake.runs()).toHaveLength(1);
  expect((await state()).pendingEffects).toEqual([]);
});
