/**
 * Per-run access on Databricks, against the fake workspace with its Unity Catalog: a run executes as the job principal
 * it holds (runs/submit `run_as`, https://docs.databricks.com/api/workspace/jobs/submit), which the engine grants for
 * that run only USE_SCHEMA + SELECT on the tables the run reads and READ/WRITE VOLUME on an external volume over the
 * run's staging folder (https://docs.databricks.com/api/workspace/grants/update,
 * https://docs.databricks.com/api/workspace/volumes/create); Delta results are written by path into the volume
 * (https://docs.databricks.com/aws/volumes/paths: "You can always use path-based access to write or read data files
 * from volumes, including Delta Lake"). Revoking removes all of it and drops the volume.
 */
import { DatabricksInputError } from '../../../src/engines/databricks';
import type { RunAccess } from '../../../src/engines/engine';
import { AccessNotCurrentError, RunRefusedError } from '../../../src/engines/errors';
import { stagingVolumePath } from '../../../src/engines/databricks/run-access';
import { STAGING_SCHEMA } from '../../../src/engines/databricks/run-access-names';
import { startFakeDatabricks, type FakeDatabricks } from '../../support/fake-databricks';
import { approvedCode, DATASETS, engineFor, runSpec } from './engine-fixtures';

const POOL = ['0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d', '1b2c3d4e-5f6a-4b7c-8d9e-0f1a2b3c4d5e'];
const STAGING = 'gs://cleanroom-state/staging/';
const stagingOf = (job: string) => `${STAGING}${job}`;

let fake: FakeDatabricks;
beforeEach(async () => {
  fake = await startFakeDatabricks({
    servicePrincipals: Object.fromEntries(POOL.map((p) => [p, { users: ['cleanroom-runtime@example.com'] }])),
    unityCatalog: { catalog: 'cleanroom_retail', schemas: [STAGING_SCHEMA], volumeLocations: [STAGING], principals: POOL },
  });
});
afterEach(() => fake.close());

const isolated = (overrides = {}) => engineFor(fake, { jobPrincipals: POOL, ...overrides }).engine;
const submitBodies = () => fake.requests.filter((r) => r.path === '/api/2.1/jobs/runs/submit').map((r) => r.body as { run_as?: unknown; tasks: Array<{ notebook_task: { base_parameters: Record<string, string> } }> });
const uc = () => fake.unityCatalog!;

function access(job: string, principal: string, reads: string[]): RunAccess {
  return { principal, reads, staging: stagingOf(job) };
}

describe('a run on an isolating engine', () => {
  it('runs as the principal it holds, which may read only its tables and write only its own staging volume', async () => {
    const engine = isolated();
    // The datasets the runtime hands over include one the code does not read: it is neither granted nor visible.
    await engine.submit(runSpec({ jobId: 'job-a', stagingLocation: stagingOf('job-a'), datasets: DATASETS, access: access('job-a', POOL[0]!, ['acme.customers']) }));
    const volume = stagingVolumePath('cleanroom_retail', stagingOf('job-a'));
    expect(uc().readable(POOL[0]!)).toEqual(['acme.customers']);
    expect(uc().writable(POOL[0]!)).toEqual([volume]);
    expect(uc().readable(POOL[1]!)).toEqual([]);
    expect(uc().writable(POOL[1]!)).toEqual([]);
    expect([...uc().volumes]).toEqual([[volume.slice('/Volumes/'.length).split('/').join('.'), { storageLocation: stagingOf('job-a'), owner: fake.principal }]]);

    const body = submitBodies()[0]!;
    expect(body.run_as).toEqual({ service_principal_name: POOL[0] });
    const widgets = body.tasks[0]!.notebook_task.base_parameters;
    expect(widgets.output).toBe(volume);
    expect(JSON.parse(widgets.cleanroom_parameters!).output).toBe(volume);
    expect(JSON.parse(widgets.cleanroom_inputs!)).toEqual([]); // acme.customers carries no checked version here
    expect(fake.runAs(fake.runs()[0]!.runId)).toBe(POOL[0]);
  });

  it('two concurrent runs on two principals cannot reach each other: each writes only its own volume', async () => {
    const engine = isolated();
    await engine.submit(runSpec({ jobId: 'job-a', stagingLocation: stagingOf('job-a'), access: access('job-a', POOL[0]!, ['acme.customers']) }));
    await engine.submit(runSpec({ jobId: 'job-b', stagingLocation: stagingOf('job-b'), access: access('job-b', POOL[1]!, ['acme.customers', 'globex.clients']) }));
    expect(uc().writable(POOL[0]!)).toEqual([stagingVolumePath('cleanroom_retail', stagingOf('job-a'))]);
    expect(uc().writable(POOL[1]!)).toEqual([stagingVolumePath('cleanroom_retail', stagingOf('job-b'))]);
    expect(uc().readable(POOL[1]!)).toEqual(['acme.customers', 'globex.clients']);
    expect(submitBodies().map((b) => b.run_as)).toEqual([{ service_principal_name: POOL[0] }, { service_principal_name: POOL[1] }]);
  });

  it('a Python notebook sees only its declared reads, and writes its result through its volume', async () => {
    const code = approvedCode('spark.table("globex.clients").write.format("delta").save(dbutils.widgets.get("output"))\n', { language: 'PYTHON', name: 'py_clients' });
    await isolated().submit(runSpec({ jobId: 'job-py', code, stagingLocation: stagingOf('job-py'), access: access('job-py', POOL[1]!, ['globex.clients']) }));
    expect(uc().readable(POOL[1]!)).toEqual(['globex.clients']);
    expect(submitBodies()[0]!.tasks[0]!.notebook_task.base_parameters.output).toBe(stagingVolumePath('cleanroom_retail', stagingOf('job-py')));
  });

  it('revoking removes every grant and drops the volume; revoking again, or after a table is gone, is no error', async () => {
    const engine = isolated({ participants: ['acme', 'globex'] });
    const held = access('job-a', POOL[0]!, ['acme.customers', 'globex.clients']);
    await engine.submit(runSpec({ jobId: 'job-a', stagingLocation: stagingOf('job-a'), access: held }));
    expect(uc().allGrants()).toEqual([
      `schema:cleanroom_retail.acme:${POOL[0]}:USE_SCHEMA`,
      `schema:cleanroom_retail.globex:${POOL[0]}:USE_SCHEMA`,
      `table:cleanroom_retail.acme.customers:${POOL[0]}:SELECT`,
      `table:cleanroom_retail.globex.clients:${POOL[0]}:SELECT`,
      `volume:${stagingVolumePath('cleanroom_retail', stagingOf('job-a')).slice('/Volumes/'.length).split('/').join('.')}:${POOL[0]}:READ_VOLUME`,
      `volume:${stagingVolumePath('cleanroom_retail', stagingOf('job-a')).slice('/Volumes/'.length).split('/').join('.')}:${POOL[0]}:WRITE_VOLUME`,
    ]);
    // globex.clients is unregistered meanwhile: its table is dropped, and revoking its grant finds nothing (404).
    await engine.syncDatasets([DATASETS[0]!]);
    expect(fake.tables().map((t) => t.table)).toEqual(['customers']);
    await engine.isolation!.revokeRunAccess(held);
    expect(fake.requests.filter((r) => r.method === 'PATCH' && r.path.endsWith('globex.clients'))).toHaveLength(2);
    expect(uc().allGrants()).toEqual([]);
    expect(uc().volumes.size).toBe(0);
    await expect(engine.isolation!.revokeRunAccess(held)).resolves.toBeUndefined();
    expect(uc().readable(POOL[0]!)).toEqual([]);
  });

  it('a retried submission finds its own volume and the same run (idempotency token)', async () => {
    const engine = isolated();
    const spec = runSpec({ jobId: 'job-a', stagingLocation: stagingOf('job-a'), access: access('job-a', POOL[0]!, ['acme.customers']) });
    const first = await engine.submit(spec);
    const again = await engine.submit(spec);
    expect(again).toEqual(first);
    expect(fake.runs()).toHaveLength(1);
    expect(uc().volumes.size).toBe(1);
  });

  it('a volume of that name over another folder is never used: the run is refused', async () => {
    const engine = isolated();
    const spec = runSpec({ jobId: 'job-a', stagingLocation: stagingOf('job-a'), access: access('job-a', POOL[0]!, ['acme.customers']) });
    await engine.submit(spec);
    const [name, volume] = [...uc().volumes][0]!;
    uc().volumes.set(name, { ...volume, storageLocation: stagingOf('someone-else') });
    await expect(engine.submit({ ...spec, jobId: 'job-a-retry' })).rejects.toBeInstanceOf(RunRefusedError);
    expect(fake.runs()).toHaveLength(1);
  });

  it('refuses, before any request, a run without a principal, one outside the pool, and access naming another staging', async () => {
    const engine = isolated();
    await expect(engine.submit(runSpec({ stagingLocation: stagingOf('job-a') }))).rejects.toBeInstanceOf(DatabricksInputError);
    await expect(engine.submit(runSpec({ jobId: 'job-a', stagingLocation: stagingOf('job-a'), access: access('job-a', '2c3d4e5f-6a7b-4c8d-9e0f-1a2b3c4d5e6f', []) }))).rejects.toThrow(/not one of the clean room's job principals/);
    await expect(engine.submit(runSpec({ jobId: 'job-a', stagingLocation: stagingOf('job-a'), access: access('job-b', POOL[0]!, []) }))).rejects.toThrow(/not its staging location/);
    await expect(engine.submit(runSpec({ jobId: 'job-a', stagingLocation: stagingOf('job-a'), access: access('job-a', POOL[0]!, ['acme.customers.x']) }))).rejects.toBeInstanceOf(DatabricksInputError);
    expect(fake.requests).toEqual([]);
  });

  it('Unity Catalog refuses what the runtime may not do: a volume outside the staging location, a principal it does not know', async () => {
    const outside = runSpec({ jobId: 'job-a', stagingLocation: 'gs://acme-bucket/output/x', access: { principal: POOL[0]!, reads: [], staging: 'gs://acme-bucket/output/x' } });
    await expect(isolated({ maxAttempts: 1 }).submit(outside)).rejects.toMatchObject({ status: 403, errorCode: 'PERMISSION_DENIED' });
    const unknownToWorkspace = '3d4e5f6a-7b8c-4d9e-8f0a-1b2c3d4e5f6a';
    const engine = engineFor(fake, { jobPrincipals: [...POOL, unknownToWorkspace], maxAttempts: 1 }).engine;
    await expect(engine.submit(runSpec({ jobId: 'job-c', stagingLocation: stagingOf('job-c'), access: access('job-c', unknownToWorkspace, ['acme.customers']) }))).rejects.toMatchObject({ status: 400, errorCode: 'INVALID_PARAMETER_VALUE' });
    expect(fake.runs()).toHaveLength(0);
  });

  it("submitting makes the run's tables available and drops none of the others, which other runs may be reading", async () => {
    const engine = isolated();
    await engine.syncDatasets(DATASETS);
    await engine.submit(runSpec({ jobId: 'job-a', stagingLocation: stagingOf('job-a'), access: access('job-a', POOL[0]!, ['acme.customers']) }));
    expect(fake.tables().map((t) => `${t.schema}.${t.table}`).sort()).toEqual(['acme.customers', 'globex.clients']);
    expect(fake.statements().filter((s) => s.startsWith('DROP'))).toEqual([]);
  });
});

describe('before a principal serves another run, nothing may still act as it', () => {
  it('jobs it created are deleted, runs it started are canceled, and it stays held until they end', async () => {
    const engine = isolated();
    const held = access('job-a', POOL[0]!, ['acme.customers']);
    await engine.submit(runSpec({ jobId: 'job-a', stagingLocation: stagingOf('job-a'), access: held }));
    fake.advanceRuns();
    fake.advanceRuns();
    // What the run's code left behind with its principal's identity, among others' work (several pages of runs).
    for (let i = 0; i < 30; i++) fake.startRunAs('someone@example.com', `other ${i}`);
    const rogueRun = fake.startRunAs(POOL[0]!, 'keep reading');
    const rogueJob = fake.createJobAs(POOL[0]!);
    const othersJob = fake.createJobAs(POOL[1]!);

    await expect(engine.isolation!.revokeRunAccess(held)).rejects.toThrow(
      `job principal ${POOL[0]} is not free yet: 1 job(s) it created, now deleted; 1 active run(s) it started (${rogueRun}), now canceled; it stays held until a sweep finds nothing`,
    );
    // The grants went first: whatever still acts as the principal can read and write nothing.
    expect(uc().readable(POOL[0]!)).toEqual([]);
    expect(uc().writable(POOL[0]!)).toEqual([]);
    expect(fake.jobs().map((j) => j.jobId)).toEqual([othersJob]);
    expect(fake.requests.filter((r) => r.path === '/api/2.1/jobs/runs/cancel').map((r) => r.body)).toEqual([{ run_id: rogueRun }]);
    expect(fake.requests.filter((r) => r.path === '/api/2.1/jobs/runs/list').map((r) => r.query.page_token ?? 'first')).toEqual(['first', '20']);
    expect(fake.jobs().some((j) => j.jobId === rogueJob)).toBe(false);

    fake.advanceRuns(); // the canceled run ends
    const askedMe = () => fake.requests.filter((r) => r.path === '/api/2.0/preview/scim/v2/Me').length;
    const before = askedMe();
    await expect(engine.isolation!.revokeRunAccess(held)).resolves.toBeUndefined();
    // Once the runtime is known to be an admin, it is not asked again at every revoke.
    expect(askedMe()).toBe(before);
  });

  it('a run of the runtime that may have started unseen holds the principal while one under its name is active, uncanceled', async () => {
    const engine = isolated();
    const held = access('job-a', POOL[0]!, []);
    const unseen = fake.startRunAs(fake.principal, 'cleanroom:globex:weekly overlap');
    await expect(engine.isolation!.revokeRunAccess(held, { participant: 'globex', jobName: 'weekly overlap' })).rejects.toThrow(/1 active run\(s\) under the name of a submission never recorded as started/);
    // Not canceled: it may be another, recorded run of the same job. Its principal's grants are gone already.
    expect(fake.runs().find((r) => r.runId === unseen)?.lifeCycleState).toBe('RUNNING');
    expect(fake.requests.filter((r) => r.path === '/api/2.1/jobs/runs/cancel')).toEqual([]);
    // Without that doubt, the runtime's own runs are none of the sweep's business.
    await expect(engine.isolation!.revokeRunAccess(held)).resolves.toBeUndefined();
    fake.advanceRuns();
    await expect(engine.isolation!.revokeRunAccess(held, { participant: 'globex', jobName: 'weekly overlap' })).resolves.toBeUndefined();
  });

  it('a list longer than one sweep reads keeps the principal held', async () => {
    const engine = isolated();
    for (let i = 0; i < 50 * 20 + 1; i++) fake.startRunAs('someone@example.com', `other ${i}`);
    await expect(engine.isolation!.revokeRunAccess(access('job-a', POOL[0]!, []))).rejects.toThrow(/more jobs or runs than one sweep reads/);
  });

  it('the engine asks the runtime at the last moment, and grants nothing to a principal no longer confirmed', async () => {
    const engine = isolated();
    const spec = runSpec({ jobId: 'job-a', stagingLocation: stagingOf('job-a'), access: access('job-a', POOL[0]!, ['acme.customers']) });
    await expect(engine.submit(spec, { confirmAccess: async () => false })).rejects.toBeInstanceOf(AccessNotCurrentError);
    expect(uc().allGrants()).toEqual([]);
    expect(uc().volumes.size).toBe(0);
    expect(fake.runs()).toEqual([]);
    await expect(engine.submit(spec, { confirmAccess: async () => true })).resolves.toEqual({ runId: expect.any(String) });
  });
});

it('a principal dropped from the pool since is still revoked; one gone from the workspace holds nothing', async () => {
  const engine = isolated();
  const held = access('job-a', POOL[0]!, ['acme.customers']);
  await engine.submit(runSpec({ jobId: 'job-a', stagingLocation: stagingOf('job-a'), access: held }));
  const smaller = engineFor(fake, { jobPrincipals: [POOL[1]!] }).engine;
  await smaller.isolation!.revokeRunAccess(held);
  expect(uc().allGrants()).toEqual([]);
  // A principal the workspace no longer knows: Unity Catalog cannot find it, and there is nothing left to remove.
  const gone = { principal: '2c3d4e5f-6a7b-4c8d-9e0f-1a2b3c4d5e6f', reads: ['acme.customers'], staging: null };
  await expect(smaller.isolation!.revokeRunAccess(gone)).resolves.toBeUndefined();
});

it('a table another runtime instance dropped is made again at the next attempt, not trusted from memory', async () => {
  const engine = isolated({ participants: ['acme', 'globex'], maxAttempts: 1 });
  const spec = runSpec({ jobId: 'job-a', stagingLocation: stagingOf('job-a'), access: access('job-a', POOL[0]!, ['acme.customers']) });
  await engine.submit(spec);
  // Another instance (its own memory) syncs a catalogue without acme.customers, then it is registered again.
  await isolated({ participants: ['acme', 'globex'] }).syncDatasets([DATASETS[1]!]);
  const retry = { ...spec, jobId: 'job-b', stagingLocation: stagingOf('job-b'), access: access('job-b', POOL[1]!, ['acme.customers']) };
  await expect(engine.submit(retry)).rejects.toMatchObject({ status: 404 });
  await expect(engine.submit(retry)).resolves.toEqual({ runId: expect.any(String) });
  expect(uc().readable(POOL[1]!)).toEqual(['acme.customers']);
});

it('a runtime that is not a workspace admin cannot see what acts as a principal, so it frees none', async () => {
  await fake.close();
  fake = await startFakeDatabricks({
    callerIsAdmin: false,
    servicePrincipals: Object.fromEntries(POOL.map((p) => [p, { users: ['cleanroom-runtime@example.com'] }])),
    unityCatalog: { catalog: 'cleanroom_retail', schemas: [STAGING_SCHEMA], volumeLocations: [STAGING], principals: POOL },
  });
  const engine = isolated();
  const held = access('job-a', POOL[0]!, ['acme.customers']);
  await engine.submit(runSpec({ jobId: 'job-a', stagingLocation: stagingOf('job-a'), access: held }));
  fake.startRunAs(POOL[0]!, 'invisible to a non-admin');
  await expect(engine.isolation!.revokeRunAccess(held)).rejects.toThrow(/the runtime's principal is not a workspace admin.*add the runtime principal to the clean room workspace's admins group/);
  // The grants are gone all the same.
  expect(uc().allGrants()).toEqual([]);
});
