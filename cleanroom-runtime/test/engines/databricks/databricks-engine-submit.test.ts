import { createHash } from 'node:crypto';
import {
  DatabricksInputError,
  EngineUnavailableError,
  NotebookConflictError,
} from '../../../src/engines/databricks';
import { startFakeDatabricks, type FakeDatabricks } from '../../support/fake-databricks';
import { approvedCode, engineFor, runSpec } from './engine-fixtures';

describe('DatabricksEngine.submit', () => {
  let fake: FakeDatabricks;
  beforeEach(async () => {
    fake = await startFakeDatabricks();
  });
  afterEach(() => fake.close());

  const notebookPathOf = (spec = runSpec()): string =>
    `/Cleanroom/code/${spec.code.participant}/${spec.code.name}/${spec.code.hash}`;

  it('imports the approved notebook, syncs datasets, then submits exactly one one-time run', async () => {
    const { engine } = engineFor(fake);
    const spec = runSpec();
    const { runId } = await engine.submit(spec);

    const path = notebookPathOf(spec);
    const calls = fake.requests.map((r) => `${r.method} ${r.path}`);
    expect(calls[0]).toBe('POST /api/2.0/workspace/mkdirs');
    expect(calls[1]).toBe('POST /api/2.0/workspace/import');
    expect(calls[calls.length - 1]).toBe('POST /api/2.1/jobs/runs/submit');
    expect(fake.requests[0].body).toEqual({ path: path.slice(0, path.lastIndexOf('/')) });
    const importBody = fake.requests[1].body as Record<string, unknown>;
    expect(importBody).toMatchObject({ path, format: 'SOURCE', language: 'SQL', overwrite: false });
    expect(Buffer.from(String(importBody.content), 'base64').toString('utf8')).toBe(spec.code.content);

    // Datasets are made available between import and submit.
    expect(fake.statements()).toContain(
      "CREATE TABLE IF NOT EXISTS `acme`.`customers` USING DELTA LOCATION 'gs://acme-bucket/input/customers'",
    );

    const submit = fake.requests[fake.requests.length - 1].body;
    expect(submit).toEqual({
      run_name: 'cleanroom:globex:weekly overlap',
      idempotency_token: spec.jobId,
      tasks: [
        {
          task_key: 'cleanroom_job',
          notebook_task: {
            notebook_path: path,
            base_parameters: { output: 'gs://globex-bucket/output/overlap', threshold: '10' },
            source: 'WORKSPACE',
          },
          new_cluster: { policy_id: 'POLICY2XS0001', apply_policy_default_values: true, spark_version: '15.4.x-scala2.12' },
        },
      ],
    });
    expect(fake.runs()).toHaveLength(1);
    expect(runId).toBe(String(fake.runs()[0].runId));
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
    const spec = runSpec();
    // A SOURCE export adds the "-- Databricks notebook source" header: still the same content.
    fake.putWorkspaceObject(notebookPathOf(spec), 'SQL', spec.code.content + '\n');
    const { runId } = await engineFor(fake).engine.submit(spec);
    expect(runId).toBe(String(fake.runs()[0].runId));
    expect(fake.requests.some((r) => r.path === '/api/2.0/workspace/export')).toBe(true);
    expect(fake.workspaceObject(notebookPathOf(spec))?.content).toBe(spec.code.content + '\n');
  });

  it('refuses to run when a different content sits at that path, and never overwrites it', async () => {
    const spec = runSpec();
    fake.putWorkspaceObject(notebookPathOf(spec), 'SQL', 'SELECT * FROM acme.customers');
    const error = await engineFor(fake).engine.submit(spec).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NotebookConflictError);
    expect(fake.workspaceObject(notebookPathOf(spec))?.content).toBe('SELECT * FROM acme.customers');
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
