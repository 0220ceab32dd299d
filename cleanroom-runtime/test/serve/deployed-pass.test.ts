/**
 * The deployed runtime end to end: the real server (`startServer`) with the real pass (`createRuntimePass`),
 * the real Cloud Storage client against the GCS fake and the real Databricks engine against the Databricks fake.
 * Participants write events with the CLI's event builders through the GCS store; Pub/Sub pushes and Scheduler
 * ticks arrive as signed HTTP requests.
 */
import { createHash, randomUUID } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { controlTableKey, type ControlTableName } from '../../src/control/tables';
import type { DeltaRow } from '../../src/delta/schema-types';
import { struct } from '../../src/delta/schema-types';
import { DeltaTable } from '../../src/delta/table';
import { runnerNotebookPath } from '../../src/engines/databricks/runner-task';
import { releaseNotebookPath } from '../../src/engines/databricks/release-task';
import { buildApprovalEvent, buildCodeEvent, buildDataEvent, buildJobEvent, type EventOrigin } from '../../src/events/build-event';
import { versionHash } from '../processor/fixtures';
import { createLogger } from '../../src/logging/logger';
import { appendEventRow, onboardParticipant } from '../../src/runtime/control-tables';
import { createRuntimePass, type RuntimePassTuning } from '../../src/serve/runtime-pass-adapter';
import { readServeConfig } from '../../src/serve/serve-config';
import { startServer, type ServerHandle } from '../../src/serve/server';
import { startFakeDatabricks, type FakeDatabricks } from '../support/fake-databricks';
import { startFakeGcs, type FakeGcs } from '../support/fake-gcs';
import { LogCapture } from '../logging/log-capture';
import { request } from './http-client';
import { AUDIENCE, createIssuer, idToken, PUSH_SA, SCHEDULER_SA } from './id-tokens';
import { pushBody } from './push-bodies';

const EXAMPLES = path.resolve(__dirname, '..', '..', '..', 'examples');
const PUBLISHER = 'publisher-cleanroom-data';
const ADVERTISER = 'advertiser-cleanroom-data';
const MEASUREMENT = 'measurement-cleanroom-data';
const EVENTS_COMMIT = 'control/events/_delta_log/00000000000000000001.json';
const SQL = [
  '-- Databricks notebook source',
  'SELECT u.country, count(*) AS conversions',
  'FROM publisher.users u JOIN advertiser.conversions c ON u.user_id = c.user_id',
  'GROUP BY u.country',
  '',
].join('\n');
const HASH = createHash('sha256').update(SQL).digest('hex');
/** Fast client retries: the bursts below must not make the test slow. */
const TUNING: RuntimePassTuning = {
  databricks: { baseDelayMs: 1, maxDelayMs: 5, statementPollIntervalMs: 1 },
  gcsRetry: { initialDelayMs: 1, maxDelayMs: 5 },
};

const issuer = createIssuer();
let gcs: FakeGcs;
let databricks: FakeDatabricks;
let server: ServerHandle;
let logs: LogCapture;
let configDir: string;

beforeEach(async () => {
  gcs = await startFakeGcs();
  databricks = await startFakeDatabricks();
  configDir = fs.mkdtempSync(path.join(os.tmpdir(), 'cleanroom-deployed-'));
  fs.cpSync(EXAMPLES, configDir, { recursive: true });

  for (const bucket of [PUBLISHER, ADVERTISER, MEASUREMENT]) await onboardParticipant(gcs.store, bucket);
  await (await DeltaTable.create(gcs.store, PUBLISHER, 'input/users', struct([['user_id', 'string'], ['country', 'string']]))).append([
    { user_id: 'u1', country: 'FR' },
    { user_id: 'u2', country: 'DE' },
  ]);
  await (await DeltaTable.create(gcs.store, ADVERTISER, 'input/conversions', struct([['user_id', 'string'], ['amount', 'double']]))).append([
    { user_id: 'u1', amount: 10 },
  ]);

  // The Cloud Run environment, as constructs/runtime-service.ts sets it (fakes instead of Google and Databricks).
  const env = {
    PORT: '8080', // the server below listens on a free port instead
    CLEANROOM_CONFIG_DIR: configDir,
    CLEANROOM_AUDIENCE: AUDIENCE,
    CLEANROOM_INVOKERS: `${SCHEDULER_SA},${PUSH_SA}`,
    GOOGLE_CLOUD_PROJECT: 'publisher-cleanroom',
    DATABRICKS_HOST: databricks.host,
    DATABRICKS_TOKEN: databricks.token,
    CLEANROOM_DATABRICKS_WAREHOUSE_ID: databricks.warehouseId,
    // One policy per size the example offers (the seed's nine).
    CLEANROOM_DATABRICKS_POLICY_IDS: JSON.stringify({ '2X-Small': 'POLICY-2XS', 'X-Small': 'POLICY-XS', Small: 'POLICY-S', Medium: 'POLICY-M', Large: 'POLICY-L', 'X-Large': 'POLICY-XL', '2X-Large': 'POLICY-2XL', '3X-Large': 'POLICY-3XL', '4X-Large': 'POLICY-4XL' }),
    CLEANROOM_GCS_API_ENDPOINT: gcs.apiEndpoint,
  };
  const result = readServeConfig(env);
  if (!result.ok) throw new Error(result.problems.join('; '));
  logs = new LogCapture();
  const logger = createLogger({ stream: logs, minSeverity: 'DEBUG' });
  server = await startServer({
    port: 0,
    host: '127.0.0.1',
    runPass: await createRuntimePass(result.config, logger, TUNING),
    auth: { audience: AUDIENCE, allowedServiceAccounts: result.config.invokers, verifier: issuer.verifier },
    logger,
  });
});

afterEach(async () => {
  await server?.close();
  await databricks.close();
  await gcs.close();
  fs.rmSync(configDir, { recursive: true, force: true });
});

function origin(user: string, secondsAgo: number): EventOrigin {
  return { uuid: randomUUID(), nowMs: Date.now() - secondsAgo * 1000, user, hostname: 'laptop' };
}

async function send(bucket: string, row: DeltaRow): Promise<void> {
  await appendEventRow(gcs.store, bucket, row);
}

function pubsub(bucket: string) {
  return request(`${server.url}/pubsub`, 'POST', {
    headers: { authorization: `Bearer ${idToken(issuer, PUSH_SA)}` },
    body: JSON.stringify(pushBody(bucket, EVENTS_COMMIT)),
  });
}

function tick() {
  return request(`${server.url}/tick`, 'POST', { headers: { authorization: `Bearer ${idToken(issuer, SCHEDULER_SA)}` } });
}

async function read(bucket: string, table: ControlTableName): Promise<DeltaRow[]> {
  return (await DeltaTable.open(gcs.store, bucket, controlTableKey(table))).readRows();
}

/** Both datasets and the advertiser's code, then the keeper's approval and the advertiser's job; returns the job uuid. */
async function registerApproveAndSubmitJob(): Promise<{ events: string[]; jobId: string }> {
  const users = buildDataEvent({ action: 'INSERT', dataMetastoreName: 'publisher.users', description: 'users', location: `gs://${PUBLISHER}/input/users`, format: 'delta' }, origin('pat@publisher', 30));
  const conversions = buildDataEvent({ action: 'INSERT', dataMetastoreName: 'advertiser.conversions', description: 'conversions', location: `gs://${ADVERTISER}/input/conversions`, format: 'delta' }, origin('ann@advertiser', 29));
  const code = buildCodeEvent({ action: 'INSERT', codeName: 'by_country', description: 'conversions by country', pathToNotebook: 'by_country.sql', defaultParameters: '{}', notebookContents: SQL, notebookContentsHash: HASH }, origin('ann@advertiser', 28));
  await send(PUBLISHER, users.row);
  await send(ADVERTISER, conversions.row);
  await send(ADVERTISER, code.row);
  expect(await pubsub(ADVERTISER)).toMatchObject({ status: 200 });

  const approval = buildApprovalEvent({ decision: 'CODE_REQUEST_APPROVED', codeName: 'by_country', versionHash: versionHash(SQL), reason: 'aggregates only' }, origin('pat@publisher', 20));
  const job = buildJobEvent({ jobName: 'conversions_by_country', codeName: 'by_country', parameters: JSON.stringify({ output: `gs://${ADVERTISER}/output/by_country` }), compute: 'Small' }, origin('ann@advertiser', 19));
  await send(PUBLISHER, approval.row);
  await send(ADVERTISER, job.row);
  expect(await pubsub(PUBLISHER)).toMatchObject({ status: 200 });
  return { events: [users.uuid, conversions.uuid, code.uuid, approval.uuid, job.uuid], jobId: job.uuid };
}

function submitRequests() {
  return databricks.requests.filter((r) => r.method === 'POST' && r.path === '/api/2.1/jobs/runs/submit');
}

describe('the deployed runtime (serve + GCS + Databricks)', () => {
  test('pushes and ticks drive events, notebook import, datasets, one idempotent run and its polled result', async () => {
    const { events, jobId } = await registerApproveAndSubmitJob();

    // Event statuses are published to each participant, own events only.
    const advertiserStatus = await read(ADVERTISER, 'event_status');
    expect(advertiserStatus.map((s) => [s.event_uuid, s.status])).toEqual([
      [events[1], 'SUCCESS'],
      [events[2], 'SUCCESS'],
      [events[4], 'SUCCESS'],
    ]);
    expect((await read(PUBLISHER, 'event_status')).map((s) => [s.event_uuid, s.status])).toEqual([
      [events[0], 'SUCCESS'],
      [events[3], 'SUCCESS'],
    ]);

    // The approved SQL, content-addressed in the clean room workspace as the file the runner notebook reads.
    expect(databricks.workspaceObject(`/Cleanroom/code/advertiser/by_country/${HASH}.sql`)).toEqual({ language: 'FILE', content: SQL });
    expect(databricks.workspaceObject(runnerNotebookPath('/Cleanroom'))?.language).toBe('PYTHON');
    // The registered datasets, as external tables created through SQL statements on the runtime warehouse.
    expect(databricks.tables()).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ schema: 'publisher', table: 'users', location: `gs://${PUBLISHER}/input/users` }),
        expect.objectContaining({ schema: 'advertiser', table: 'conversions', location: `gs://${ADVERTISER}/input/conversions` }),
      ]),
    );
    expect(databricks.statements().some((s) => s.startsWith('CREATE') && s.includes('`publisher`.`users`'))).toBe(true);
    // Exactly one submission, idempotent on the job's event, on the size's policy.
    expect(submitRequests()).toHaveLength(1);
    expect(submitRequests()[0].body).toMatchObject({
      idempotency_token: jobId,
      run_name: 'cleanroom:advertiser:conversions_by_country',
      tasks: [{
        notebook_task: {
          notebook_path: runnerNotebookPath('/Cleanroom'),
          base_parameters: { cleanroom_code_path: `/Workspace/Cleanroom/code/advertiser/by_country/${HASH}.sql`, cleanroom_code_sha256: HASH },
        },
        new_cluster: { policy_id: 'POLICY-S' },
      }],
    });
    const [run] = databricks.runs();
    expect((await read(ADVERTISER, 'runs')).map((r) => [r.job_id, r.run_id, r.state])).toEqual([[jobId, String(run.runId), 'PENDING']]);

    // The run writes its result to the clean room's staging location (the runner's output widget), never to the
    // advertiser's output/; the scheduler's tick then submits the runtime's release notebook as its own principal.
    const staging = (submitRequests()[0].body as { tasks: Array<{ notebook_task: { base_parameters: Record<string, string> } }> }).tasks[0].notebook_task.base_parameters.output;
    expect(staging).toMatch(new RegExp(`^gs://[^/]+/staging/${jobId}$`));
    const [, stateBucket, stagingKey] = /^gs:\/\/([^/]+)\/(.*)$/.exec(staging)!;
    await (await DeltaTable.create(gcs.store, stateBucket!, stagingKey!, struct([['country', 'string'], ['conversions', 'long']]))).append([{ country: 'FR', conversions: 2n }]);
    databricks.setRunState(run.runId, { lifeCycleState: 'TERMINATED', resultState: 'SUCCESS', stateMessage: '' });
    expect(await tick()).toMatchObject({ status: 200 });
    expect(submitRequests()).toHaveLength(2);
    const releaseBody = submitRequests()[1].body as Record<string, unknown> & { tasks: Array<{ notebook_task: { notebook_path: string; base_parameters: Record<string, string> } }> };
    expect(releaseBody.run_as).toBeUndefined();
    expect(releaseBody.tasks[0].notebook_task.notebook_path).toBe(releaseNotebookPath('/Cleanroom'));
    expect(JSON.parse(releaseBody.tasks[0].notebook_task.base_parameters.cleanroom_release!)).toMatchObject({ staging, output: `gs://${ADVERTISER}/output/by_country` });
    // While the release run runs, the job's run is TERMINATING: the runtime follows the release to its end.
    expect((await read(ADVERTISER, 'runs')).map((r) => [r.state, r.result_state])).toEqual([['TERMINATING', null]]);
    const releaseRun = databricks.runs()[1]!;
    databricks.setRunState(releaseRun.runId, {
      lifeCycleState: 'TERMINATED', resultState: 'SUCCESS', stateMessage: '',
      notebookResult: JSON.stringify({ state: 'RELEASED', rows_suppressed: 0, rows_released: 1, message: 'released 1 rows' }),
    });
    expect(await tick()).toMatchObject({ status: 200 });
    const [published] = await read(ADVERTISER, 'runs');
    expect(published).toMatchObject({ job_id: jobId, run_id: String(run.runId), state: 'TERMINATED', result_state: 'SUCCESS', engine: 'databricks' });
    expect(published).toMatchObject({ release_state: 'RELEASED', rows_suppressed: 0n, release_message: 'released 1 rows' });
    expect(published.run_page_url).toBe(`${databricks.host}/?o=1234567890#job/0/run/${run.runId}`);
    expect(await read(MEASUREMENT, 'runs')).toEqual([]);
    // Each pass asks for the release run by its idempotency token: the same run, never a second release.
    expect(submitRequests()).toHaveLength(3);
    expect(submitRequests()[2].body).toEqual(releaseBody);
    expect(databricks.runs()).toHaveLength(2);
    expect(releaseBody.run_name).toBe(`cleanroom-release:${jobId}`);

    // Structured logs: one entry per event with participant and uuid, and never the token.
    const applied = logs.entries().filter((e) => e.message === 'event applied');
    expect(applied.map((e) => e.event_uuid).sort()).toEqual([...events].sort());
    expect(applied.find((e) => e.event_uuid === jobId)).toMatchObject({ participant: 'advertiser', status: 'SUCCESS', severity: 'INFO' });
    expect(applied.every((e) => typeof e.pass_id === 'string')).toBe(true);
    expect(logs.text).not.toContain(databricks.token);
  });

  test.each([
    ['got a new commit', async () => {
      await (await DeltaTable.open(gcs.store, PUBLISHER, 'input/users')).append([{ user_id: 'u9', country: 'DE' }]);
    }],
    ['had its newest commit rewritten in place, under the same version', async () => {
      // Same name and version, other content: only its storage generation and size tell.
      const key = 'input/users/_delta_log/00000000000000000001.json';
      const data = await gcs.store.get(PUBLISHER, key);
      await gcs.store.put(PUBLISHER, key, new Uint8Array([...data, ...new TextEncoder().encode('{"commitInfo":{"operation":"WRITE"}}\n')]));
    }],
  ])('a notebook run whose input table %s while it ran is recorded FAILED, naming the dataset', async (_what, changeInput) => {
    // A Python notebook reads the tables as they are when it runs (no runner to pin or check versions): the runtime
    // compares each input with the version it checked before the submission.
    const PY = '# Databricks notebook source\nspark.table("publisher.users").groupBy("country").count().write.format("delta").mode("overwrite").save(dbutils.widgets.get("output"))\n';
    const pyHash = createHash('sha256').update(PY).digest('hex');
    const users = buildDataEvent({ action: 'INSERT', dataMetastoreName: 'publisher.users', description: 'users', location: `gs://${PUBLISHER}/input/users`, format: 'delta' }, origin('pat@publisher', 30));
    const code = buildCodeEvent({ action: 'INSERT', codeName: 'by_country_py', description: 'users by country', pathToNotebook: 'by_country_py.py', defaultParameters: '{}', notebookContents: PY, notebookContentsHash: pyHash, reads: 'publisher.users' }, origin('ann@advertiser', 28));
    await send(PUBLISHER, users.row);
    await send(ADVERTISER, code.row);
    expect(await pubsub(ADVERTISER)).toMatchObject({ status: 200 });
    const [codeRow] = (await read(PUBLISHER, 'code')).filter((r) => r.code_name === 'by_country_py');
    const approval = buildApprovalEvent({ decision: 'CODE_REQUEST_APPROVED', codeName: 'by_country_py', versionHash: String(codeRow!.version_hash), reason: 'aggregates only' }, origin('pat@publisher', 20));
    const job = buildJobEvent({ jobName: 'users_by_country', codeName: 'by_country_py', parameters: JSON.stringify({ output: `gs://${ADVERTISER}/output/users_by_country` }), compute: 'Small' }, origin('ann@advertiser', 19));
    await send(PUBLISHER, approval.row);
    await send(ADVERTISER, job.row);
    expect(await pubsub(PUBLISHER)).toMatchObject({ status: 200 });
    const [run] = databricks.runs();
    expect(run).toBeDefined();
    const [published] = (await read(ADVERTISER, 'runs')).filter((r) => r.job_id === job.uuid);
    expect(JSON.parse(String(published!.input_versions))).toEqual({ 'publisher.users': 1 });

    // While it runs, the publisher changes its table; the notebook writes its result to staging and succeeds.
    await changeInput();
    const staging = (submitRequests()[0].body as { tasks: Array<{ notebook_task: { base_parameters: Record<string, string> } }> }).tasks[0].notebook_task.base_parameters.output;
    const [, stateBucket, stagingKey] = /^gs:\/\/([^/]+)\/(.*)$/.exec(staging)!;
    await (await DeltaTable.create(gcs.store, stateBucket!, stagingKey!, struct([['country', 'string'], ['n', 'long']]))).append([{ country: 'FR', n: 2n }]);
    databricks.setRunState(run!.runId, { lifeCycleState: 'TERMINATED', resultState: 'SUCCESS', stateMessage: '' });
    expect(await tick()).toMatchObject({ status: 200 });
    const [after] = (await read(ADVERTISER, 'runs')).filter((r) => r.job_id === job.uuid);
    expect(after).toMatchObject({ state: 'TERMINATED', result_state: 'FAILED' });
    expect(after!.error).toMatch(/^datasets changed while the job ran: publisher\.users; .*submit the job again$/);
    // Nothing was released, and no release run was submitted.
    expect(submitRequests()).toHaveLength(1);
    await expect(DeltaTable.open(gcs.store, ADVERTISER, 'output/users_by_country')).rejects.toThrow();
  });

  test('a run that ended SUCCESS without writing a Delta table at its output is recorded FAILED, saying so', async () => {
    const { jobId } = await registerApproveAndSubmitJob();
    const [run] = databricks.runs();
    databricks.setRunState(run.runId, { lifeCycleState: 'TERMINATED', resultState: 'SUCCESS', stateMessage: '' });
    expect(await tick()).toMatchObject({ status: 200 });
    const [published] = await read(ADVERTISER, 'runs');
    expect(published).toMatchObject({ job_id: jobId, state: 'TERMINATED', result_state: 'FAILED' });
    expect(published.error).toMatch(new RegExp(`^the run ended SUCCESS but wrote no readable Delta table at its output gs://${ADVERTISER}/output/by_country .*write its result as a Delta table at the \\\`output\\\` widget$`));
    // Decided once: the run is not polled again.
    const polls = databricks.requests.filter((r) => r.path === '/api/2.1/jobs/runs/get').length;
    expect(await tick()).toMatchObject({ status: 200 });
    expect(databricks.requests.filter((r) => r.path === '/api/2.1/jobs/runs/get')).toHaveLength(polls);
  });

  test('a refused event is logged as WARNING with its participant and uuid', async () => {
    const bad = buildJobEvent({ jobName: 'nope', codeName: 'missing_code', parameters: '{}', compute: 'Small' }, origin('ann@advertiser', 5));
    await send(ADVERTISER, bad.row);
    expect(await pubsub(ADVERTISER)).toMatchObject({ status: 200 });
    const [status] = await read(ADVERTISER, 'event_status');
    expect(status).toMatchObject({ event_uuid: bad.uuid, status: 'ERROR' });
    expect(logs.entries().find((e) => e.message === 'event refused')).toMatchObject({ severity: 'WARNING', participant: 'advertiser', event_uuid: bad.uuid });
    expect(submitRequests()).toEqual([]);
  });

  test('a 429/5xx burst during the submission is retried: one run', async () => {
    databricks.injectFaults({ path: '/api/2.1/jobs/runs/submit', method: 'POST', status: 429, times: 1, retryAfter: 0 });
    databricks.injectFaults({ path: '/api/2.1/jobs/runs/submit', method: 'POST', status: 503, times: 2 });
    const { jobId } = await registerApproveAndSubmitJob();
    expect(submitRequests().map((r) => r.fault)).toEqual([429, 503, 503, undefined]);
    expect(new Set(submitRequests().map((r) => (r.body as { idempotency_token: string }).idempotency_token))).toEqual(new Set([jobId]));
    expect(databricks.runs()).toHaveLength(1);
    expect((await read(ADVERTISER, 'runs')).map((r) => [r.job_id, r.run_id])).toEqual([[jobId, String(databricks.runs()[0].runId)]]);
    expect(logs.entries().filter((e) => e.message === 'databricks request retried').map((e) => e.status)).toEqual([429, 503, 503]);
  });
});
