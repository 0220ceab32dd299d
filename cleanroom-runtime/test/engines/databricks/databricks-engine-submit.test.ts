import { createHash } from 'node:crypto';
import {
  DatabricksInputError,
  EngineUnavailableError,
  NotebookConflictError,
} from '../../../src/engines/databricks';
import { startFakeDatabricks, type FakeDatabricks } from '../../support/fake-databricks';
import type { DatasetRef } from '../../../src/engines/engine';
import { runnerNotebookPath, runnerNotebookSource } from '../../../src/engines/databricks/runner-task';
import { approvedCode, engineFor, runSpec } from './engine-fixtures';

describe('DatabricksEngine.submit', () => {
  let fake: FakeDatabricks;
  beforeEach(async () => {
    fake = await startFakeDatabricks();
  });
  afterEach(() => fake.close());

  const notebookPathOf = (spec = runSpec()): string =>
    `/Cleanroom/code/${spec.code.participant}/${spec.code.name}/${spec.code.hash}`;

  const runnerPath = (): string => runnerNotebookPath('/Cleanroom');
  const sqlFileOf = (spec = runSpec()): string => `${notebookPathOf(spec)}.sql`;
  const submitBody = (): Record<string, unknown> =>
    fake.requests.filter((r) => r.path === '/api/2.1/jobs/runs/submit').at(-1)?.body as Record<string, unknown>;

  // https://docs.databricks.com/api/gcp/workspace/jobs/submit: run_name, idempotency_token, timeout_seconds,
  // access_control_list, tasks[].notebook_task {notebook_path, base_parameters, source}, tasks[].new_cluster.
  it('SQL runs through the runner notebook: the approved SQL as a workspace file, the run spec as widgets', async () => {
    const { engine } = engineFor(fake, { runTimeoutSeconds: (size) => (size === '2X-Small' ? 3600 : 7200) });
    const datasets: DatasetRef[] = [
      { participant: 'acme', table: 'customers', location: 'gs://acme-bucket/input/customers', format: 'delta', version: 12 },
      { participant: 'acme', table: 'unused', location: 'gs://acme-bucket/input/unused', format: 'delta', version: 3 },
      { participant: 'globex', table: 'clients', location: 'gs://globex-bucket/input/clients.csv', format: 'csv' },
    ];
    const spec = runSpec({ datasets, parameters: { output: 'gs://globex-bucket/output/overlap', run_time: '2024-05-06T06:00:00.000Z', threshold: '10' } });
    const { runId } = await engine.submit(spec);

    const imports = fake.requests.filter((r) => r.path === '/api/2.0/workspace/import').map((r) => r.body as Record<string, unknown>);
    expect(imports.map(({ content: _c, ...rest }) => rest)).toEqual([
      { path: sqlFileOf(spec), format: 'RAW', overwrite: false },
      { path: runnerPath(), format: 'SOURCE', language: 'PYTHON', overwrite: false },
    ]);
    // Byte for byte: the runner hashes what it reads against the approved hash.
    expect(Buffer.from(String(imports[0].content), 'base64').toString('utf8')).toBe(spec.code.content);
    expect(Buffer.from(String(imports[1].content), 'base64').toString('utf8')).toBe(runnerNotebookSource());
    expect(runnerPath()).toBe(`/Cleanroom/runner/${createHash('sha256').update(runnerNotebookSource()).digest('hex')}`);
    expect(fake.workspaceObject(sqlFileOf(spec))?.language).toBe('FILE');

    expect(fake.statements()).toContain(
      "CREATE TABLE IF NOT EXISTS `acme`.`customers` USING DELTA LOCATION 'gs://acme-bucket/input/customers'",
    );
    expect(submitBody()).toEqual({
      run_name: 'cleanroom:globex:weekly overlap',
      idempotency_token: spec.jobId,
      timeout_seconds: 3600,
      access_control_list: [{ user_name: fake.principal, permission_level: 'IS_OWNER' }],
      tasks: [
        {
          task_key: 'cleanroom_job',
          timeout_seconds: 3600,
          notebook_task: {
            notebook_path: runnerPath(),
            base_parameters: {
              cleanroom_code_path: `/Workspace${sqlFileOf(spec)}`,
              cleanroom_code_sha256: spec.code.hash,
              cleanroom_catalog: 'cleanroom_retail',
              // Only the Delta datasets the code names, at the versions the runtime checked.
              cleanroom_inputs: JSON.stringify([{ name: 'acme.customers', version: 12 }]),
              cleanroom_parameters: JSON.stringify(spec.parameters),
              output: 'gs://globex-bucket/output/overlap',
            },
            source: 'WORKSPACE',
          },
          new_cluster: {
            policy_id: 'POLICY2XS0001',
            apply_policy_default_values: true,
            spark_version: '15.4.x-scala2.12',
            spark_conf: { 'spark.databricks.sql.initial.catalog.name': 'cleanroom_retail' },
          },
        },
      ],
    });
    expect(fake.runs()).toHaveLength(1);
    expect(runId).toBe(String(fake.runs()[0].runId));
    // The principal is asked once per engine.
    await engine.submit(runSpec({ jobId: 'second-job', compute: 'Small' }));
    expect(fake.requests.filter((r) => r.path === '/api/2.0/preview/scim/v2/Me')).toHaveLength(1);
    expect(submitBody()).toMatchObject({ timeout_seconds: 7200, tasks: [{ timeout_seconds: 7200 }] });
  });

  it('a Python notebook is imported as approved and gets output and every parameter as widgets', async () => {
    const code = approvedCode('dbutils.widgets.text("output", "")\nspark.sql("SELECT 1").write.format("delta").mode("overwrite").save(dbutils.widgets.get("output"))\n', { language: 'PYTHON', name: 'py_overlap' });
    const spec = runSpec({ code, parameters: { output: 'gs://globex-bucket/output/overlap', run_time: '2024-05-06T06:00:00.000Z', threshold: '10' } });
    const principal = '6f1c2a9e-3b4d-4e5f-8a7b-1c2d3e4f5a6b';
    await engineFor(fake, { runTimeoutSeconds: 5400, runtimePrincipal: principal }).engine.submit(spec);
    const imports = fake.requests.filter((r) => r.path === '/api/2.0/workspace/import').map((r) => r.body as Record<string, unknown>);
    expect(imports.map(({ content: _c, ...rest }) => rest)).toEqual([{ path: notebookPathOf(spec), format: 'SOURCE', language: 'PYTHON', overwrite: false }]);
    expect(fake.requests.some((r) => r.path === '/api/2.0/preview/scim/v2/Me')).toBe(false);
    expect(submitBody()).toEqual({
      run_name: 'cleanroom:globex:weekly overlap',
      idempotency_token: spec.jobId,
      timeout_seconds: 5400,
      access_control_list: [{ service_principal_name: principal, permission_level: 'IS_OWNER' }],
      tasks: [
        {
          task_key: 'cleanroom_job',
          timeout_seconds: 5400,
          notebook_task: {
            notebook_path: notebookPathOf(spec),
            base_parameters: { output: 'gs://globex-bucket/output/overlap', run_time: '2024-05-06T06:00:00.000Z', threshold: '10' },
            source: 'WORKSPACE',
          },
          new_cluster: {
            policy_id: 'POLICY2XS0001',
            apply_policy_default_values: true,
            spark_version: '15.4.x-scala2.12',
            spark_conf: { 'spark.databricks.sql.initial.catalog.name': 'cleanroom_retail' },
          },
        },
      ],
    });
  });

  it("under the release gate the run writes to the clean room's staging location, never the submitter's output/", async () => {
    const staging = 'gs://cleanroom-state/staging/6f1c2a9e-3b4d-4e5f-8a7b-1c2d3e4f5a6b';
    const parameters = { output: 'gs://globex-bucket/output/overlap', threshold: '10' };
    const { engine } = engineFor(fake);
    await engine.submit(runSpec({ parameters, stagingLocation: staging }));
    const sql = (submitBody().tasks as Array<{ notebook_task: { base_parameters: Record<string, string> } }>)[0].notebook_task.base_parameters;
    expect(sql.output).toBe(staging);
    // The code's own `output` parameter is the staging location too: nothing in the run names the real output.
    expect(JSON.parse(sql.cleanroom_parameters)).toEqual({ output: staging, threshold: '10' });
    expect(JSON.stringify(submitBody())).not.toContain('gs://globex-bucket/output');

    const python = approvedCode('dbutils.widgets.text("output", "")\n', { language: 'PYTHON', name: 'py_overlap' });
    await engine.submit(runSpec({ jobId: 'python-job', code: python, parameters, stagingLocation: staging }));
    const widgets = (submitBody().tasks as Array<{ notebook_task: { base_parameters: Record<string, string> } }>)[0].notebook_task.base_parameters;
    expect(widgets).toEqual({ output: staging, threshold: '10' });
  });

  it('SQL code needs the clean room catalog; a runtime principal must be an application id or an email', async () => {
    await expect(engineFor(fake, { catalog: undefined }).engine.submit(runSpec())).rejects.toThrow(/catalog/);
    await expect(engineFor(fake, { runtimePrincipal: 'admins' }).engine.submit(runSpec())).rejects.toBeInstanceOf(DatabricksInputError);
    expect(fake.requests).toHaveLength(0);
  });

  it('is idempotent on the job id: a resubmission (even from a fresh process) returns the same run', async () => {
    const first = await engineFor(fake).engine.submit(runSpec());
    const again = await engineFor(fake).engine.submit(runSpec());
    expect(again.runId).toBe(first.runId);
    expect(fake.runs()).toHaveLength(1);
    const tokens = fake.requests.filter((r) => r.path === '/api/2.1/jobs/runs/submit')
      .map((r) => (r.body as { idempotency_token: string }).idempotency_token);
    expect(tokens).toEqual([runSpec().jobId, runSpec().jobId]);
  });

  it('retries a submit that hit 5xx without starting a second run', async () => {
    fake.injectFaults({ path: '/api/2.1/jobs/runs/submit', status: 502, times: 2 });
    const { engine, waits } = engineFor(fake);
    const { runId } = await engine.submit(runSpec());
    expect(fake.runs().map((r) => String(r.runId))).toEqual([runId]);
    expect(waits.length).toBeGreaterThanOrEqual(2);
  });

  it('hashes job ids that do not fit an idempotency token', async () => {
    const jobId = 'x'.repeat(80);
    await engineFor(fake).engine.submit(runSpec({ jobId }));
    const submit = fake.requests.find((r) => r.path === '/api/2.1/jobs/runs/submit')?.body as { idempotency_token: string };
    expect(submit.idempotency_token).toBe(createHash('sha256').update(jobId).digest('hex'));
  });

  it('accepts identical content already at the content-addressed path', async () => {
    const spec = runSpec({ code: approvedCode('display(spark.sql("SELECT 1"))', { language: 'PYTHON' }) });
    // A SOURCE export adds the "-- Databricks notebook source" header: still the same content.
    fake.putWorkspaceObject(notebookPathOf(spec), 'PYTHON', spec.code.content + '\n');
    const { runId } = await engineFor(fake).engine.submit(spec);
    expect(runId).toBe(String(fake.runs()[0].runId));
    expect(fake.requests.some((r) => r.path === '/api/2.0/workspace/export')).toBe(true);
    expect(fake.workspaceObject(notebookPathOf(spec))?.content).toBe(spec.code.content + '\n');
  });

  it('refuses to run when a different content sits at that path, and never overwrites it', async () => {
    const spec = runSpec();
    fake.putWorkspaceObject(sqlFileOf(spec), 'FILE', 'SELECT * FROM acme.customers');
    const error = await engineFor(fake).engine.submit(spec).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NotebookConflictError);
    expect(fake.workspaceObject(sqlFileOf(spec))?.content).toBe('SELECT * FROM acme.customers');
    expect(fake.requests.some((r) => r.path === '/api/2.1/jobs/runs/submit')).toBe(false);
    expect(fake.requests.filter((r) => r.path === '/api/2.0/workspace/import').map((r) => (r.body as { overwrite: boolean }).overwrite))
      .toEqual([false]);
  });

  it('refuses code whose content does not match its hash', async () => {
    const spec = runSpec({ code: { ...approvedCode('SELECT 1'), content: 'SELECT 2' } });
    await expect(engineFor(fake).engine.submit(spec)).rejects.toThrow(/does not match its hash/);
    expect(fake.requests).toHaveLength(0);
  });

  it.each([
    ['participant with a path', { participant: '../etc' }],
    ['code name with a slash', { code: approvedCode('SELECT 1', { name: '../../Users/admin/x' }) }],
    ['code participant injection', { code: approvedCode('SELECT 1', { participant: 'acme`; DROP' }) }],
    ['unknown compute size', { compute: '9X-Huge' }],
    ['parameter name with quotes', { parameters: { "a'b": '1' } }],
    ['dataset location with a quote', {
      datasets: [{ participant: 'acme', table: 't', location: "gs://acme-bucket/x' OR '1", format: 'delta' as const }],
    }],
  ])('refuses a hostile spec (%s) before any request', async (_label, overrides) => {
    const error = await engineFor(fake).engine.submit(runSpec(overrides)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DatabricksInputError);
    expect(fake.requests).toHaveLength(0);
  });

  it('accepts a policy function and surfaces an outage as EngineUnavailableError', async () => {
    const { engine } = engineFor(fake, { policyIdForCompute: (size) => (size === 'Small' ? 'POLICYFN00001' : undefined) });
    fake.injectFaults({ path: '/api/2.1/jobs/runs/submit', status: 500, times: 10 });
    const error = await engine.submit(runSpec({ compute: 'Small' })).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(EngineUnavailableError);
    expect(String(error)).not.toContain(fake.token);
    const bodies = fake.requests.filter((r) => r.path === '/api/2.1/jobs/runs/submit').map((r) => r.body);
    expect(bodies).toHaveLength(4);
    expect(JSON.stringify(bodies[0])).toContain('POLICYFN00001');
  });
});
