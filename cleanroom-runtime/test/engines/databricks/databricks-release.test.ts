/**
 * The release step on Databricks against the fake, request by request: participant code runs as the job principal
 * (runs/submit `run_as`, https://docs.databricks.com/api/workspace/jobs/submit: a service principal's application
 * id needs the servicePrincipal/user role, https://databricks.github.io/sdk-js/api/interfaces/_databricks_sdk-jobs.v2.JobRunAs.html),
 * the release notebook runs as the runtime's principal (no run_as), and its outcome is the notebook's exit value read
 * with runs/get-output (https://docs.databricks.com/api/workspace/jobs/getrunoutput).
 */
import { DatabricksApiError, DatabricksInputError } from '../../../src/engines/databricks';
import { releaseNotebookPath, releaseNotebookSource } from '../../../src/engines/databricks/release-task';
import { releasePolicyFor } from '../../../src/processor/release-policy';
import { DatabricksReleaseStep } from '../../../src/runtime/release/databricks-release';
import { ReleaseUnavailableError, type ReleaseRequest } from '../../../src/runtime/release/release-step';
import { startFakeDatabricks, type FakeDatabricks } from '../../support/fake-databricks';
import { engineFor, runSpec } from './engine-fixtures';

const JOB_PRINCIPAL = '0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d';
const STAGING = 'gs://cleanroom-state/staging/6f1c2a9e-3b4d-4e5f-8a7b-1c2d3e4f5a6b';
const OUTPUT = 'gs://globex-bucket/output/overlap';

let fake: FakeDatabricks;
afterEach(() => fake.close());

const submits = () => fake.requests.filter((r) => r.path === '/api/2.1/jobs/runs/submit').map((r) => r.body as Record<string, unknown>);

function request(): ReleaseRequest {
  const policy = releasePolicyFor(['acme.customers'], ['acme.customers'], {
    defaults: { maxOutputRows: 500 },
    participants: { acme: { identifiers: ['email'], minGroupSize: 50, datasets: {} } },
  });
  return {
    jobId: '6f1c2a9e-3b4d-4e5f-8a7b-1c2d3e4f5a6b',
    runId: '1001',
    stagingLocation: STAGING,
    outputLocation: OUTPUT,
    policy,
    groupSizeColumn: 'users',
    identifierDatasets: [{ participant: 'acme', table: 'customers', location: 'gs://acme-bucket/input/customers', format: 'delta', version: 12 }],
  };
}

/** An engine whose pool is this one principal, and a run holding it (nothing to grant: no reads, no staging volume). */
const holding = (principal: string, overrides = {}) => engineFor(fake, { jobPrincipals: [principal], ...overrides }).engine;
const specHolding = (principal: string, jobId = '6f1c2a9e-3b4d-4e5f-8a7b-1c2d3e4f5a6b') => runSpec({ jobId, access: { principal, reads: [], staging: null } });

describe('participant code runs as the job principal', () => {
  it('runs/submit names it in run_as; the runtime stays the run owner', async () => {
    fake = await startFakeDatabricks({ servicePrincipals: { [JOB_PRINCIPAL]: { users: ['cleanroom-runtime@example.com'] } } });
    await holding(JOB_PRINCIPAL).submit(specHolding(JOB_PRINCIPAL));
    expect(submits()[0]).toMatchObject({
      run_as: { service_principal_name: JOB_PRINCIPAL },
      access_control_list: [{ user_name: fake.principal, permission_level: 'IS_OWNER' }],
    });
    expect(fake.runs()).toHaveLength(1);
  });

  it('Databricks refuses a principal it does not know, or one the runtime may not act as: no run starts', async () => {
    fake = await startFakeDatabricks({ servicePrincipals: { [JOB_PRINCIPAL]: { users: ['someone-else@example.com'] } } });
    const stranger = '11111111-2222-4333-8444-555555555555';
    const unknown = holding(stranger, { maxAttempts: 1 }).submit(specHolding(stranger));
    await expect(unknown).rejects.toMatchObject({ status: 400, errorCode: 'INVALID_PARAMETER_VALUE' });
    const noRole = holding(JOB_PRINCIPAL, { maxAttempts: 1 }).submit(specHolding(JOB_PRINCIPAL, 'other-job'));
    await expect(noRole).rejects.toBeInstanceOf(DatabricksApiError);
    await expect(noRole).rejects.toMatchObject({ status: 403, errorCode: 'PERMISSION_DENIED' });
    expect(fake.runs()).toHaveLength(0);
  });

  it('a job principal that is neither an application id nor an email is refused before any request', async () => {
    fake = await startFakeDatabricks();
    await expect(holding('admins').submit(specHolding('admins'))).rejects.toBeInstanceOf(DatabricksInputError);
    expect(fake.requests).toHaveLength(0);
  });
});

describe('the release step on Databricks', () => {
  beforeEach(async () => {
    fake = await startFakeDatabricks({ servicePrincipals: { [JOB_PRINCIPAL]: { users: ['cleanroom-runtime@example.com'] } } });
  });

  it('submits the release notebook as the runtime, follows it, and takes its exit value as the outcome', async () => {
    const { engine } = engineFor(fake, { jobPrincipals: [JOB_PRINCIPAL] });
    const step = new DatabricksReleaseStep(engine);
    const first = await step.release(request());
    expect(first).toEqual({ done: false, note: 'release run 1001 is pending' });

    const path = releaseNotebookPath('/Cleanroom');
    expect(fake.workspaceObject(path)).toEqual({ language: 'PYTHON', content: releaseNotebookSource() });
    const body = submits()[0]!;
    expect(body.run_as).toBeUndefined(); // the runtime's own principal: the only one that writes output/
    expect(body).toMatchObject({
      run_name: 'cleanroom-release:6f1c2a9e-3b4d-4e5f-8a7b-1c2d3e4f5a6b',
      idempotency_token: expect.stringMatching(/^[0-9a-f]{64}$/),
      access_control_list: [{ user_name: fake.principal, permission_level: 'IS_OWNER' }],
      tasks: [{ task_key: 'cleanroom_release', notebook_task: { notebook_path: path, source: 'WORKSPACE' }, new_cluster: { policy_id: 'POLICY2XS0001' } }],
    });
    expect(body.idempotency_token).not.toBe(request().jobId);
    const widgets = (body.tasks as Array<{ notebook_task: { base_parameters: Record<string, string> } }>)[0]!.notebook_task.base_parameters;
    expect(Object.keys(widgets)).toEqual(['cleanroom_release']);
    // Names and bounds travel as JSON: the notebook validates them and binds them, never SQL text.
    expect(JSON.parse(widgets.cleanroom_release!)).toEqual({
      staging: STAGING,
      output: OUTPUT,
      catalog: 'cleanroom_retail',
      max_staged_rows: 1_000_000,
      group_size_column: 'users',
      policy: {
        identifiers: [{ dataset: 'acme.customers', column: 'email' }],
        min_group_size: { value: 50, set_by: ['acme.customers'] },
        max_output_rows: { value: 500, set_by: ['cleanroom.yaml'] },
      },
      identifier_datasets: [{ name: 'acme.customers', version: 12 }],
    });

    fake.advanceRuns();
    expect(await step.release(request())).toEqual({ done: false, note: 'release run 1001 is running' });
    fake.advanceRuns({ notebookResult: JSON.stringify({ state: 'RELEASED_WITH_SUPPRESSION', rows_suppressed: 2, rows_released: 7, message: 'released 7 rows; 2 rows suppressed' }) });
    expect(await step.release(request())).toEqual({
      done: true,
      outcome: { state: 'RELEASED_WITH_SUPPRESSION', rowsSuppressed: 2, rowsReleased: 7, message: 'released 7 rows; 2 rows suppressed' },
    });
    expect(fake.runs()).toHaveLength(1); // three passes, one release run
    expect(fake.requests.filter((r) => r.path === '/api/2.1/jobs/runs/get-output').map((r) => r.query)).toEqual([{ run_id: String(fake.runs()[0]!.taskRunId) }]);
  });

  it('a release run that fails, or ends without a readable outcome, is a refusal', async () => {
    const step = new DatabricksReleaseStep(engineFor(fake).engine);
    await step.release(request());
    fake.setRunState(1001, { lifeCycleState: 'TERMINATED', resultState: 'FAILED', stateMessage: 'Task failed', error: 'AnalysisException: [PATH_NOT_FOUND]' });
    expect(await step.release(request())).toEqual({
      done: true,
      outcome: { state: 'REFUSED', rowsSuppressed: 0, rowsReleased: 0, message: expect.stringMatching(/^not released: the release run 1001 ended FAILED \(AnalysisException: \[PATH_NOT_FOUND\]\)/) },
    });

    const other = { ...request(), jobId: 'job-2' };
    await step.release(other);
    fake.setRunState(1002, { lifeCycleState: 'TERMINATED', resultState: 'SUCCESS', notebookResult: '{"state":"RELEASED"}' });
    expect(await step.release(other)).toMatchObject({ done: true, outcome: { state: 'REFUSED', message: 'not released: the release run 1002 ended without a readable outcome; submit the job again' } });
  });

  it('an outage decides nothing: the release is retried next pass', async () => {
    const step = new DatabricksReleaseStep(engineFor(fake, { maxAttempts: 2 }).engine);
    fake.injectFaults({ path: '/api/2.1/jobs/runs/submit', status: 503, times: 5 });
    await expect(step.release(request())).rejects.toBeInstanceOf(ReleaseUnavailableError);
    expect(fake.runs()).toHaveLength(0);
  });
});
