/**
 * The fake Databricks says no where the documentation says Databricks does, and the engine reports it:
 * - cluster policies: a cluster breaking a `fixed`/`forbidden` rule is refused with INVALID_PARAMETER_VALUE, and
 *   only principals with CAN_USE may create clusters under a policy
 *   (https://docs.databricks.com/gcp/en/admin/clusters/policy-definition, https://docs.databricks.com/gcp/en/admin/clusters/policies);
 * - runs/get: `status.state` is BLOCKED | PENDING | QUEUED | RUNNING | TERMINATING | TERMINATED with queue_details and
 *   termination_details, the older `state` is deprecated (https://docs.databricks.com/api/gcp/workspace/jobs/getrun);
 *   the v2 state also has WAITING, a run intentionally delayed
 *   (https://databricks.github.io/sdk-js/api/variables/_databricks_sdk-jobs.v2.RunLifecycleStateV2_State.html).
 */
import { DatabricksApiError } from '../../../src/engines/databricks';
import { startFakeDatabricks, type FakeDatabricks, type FakePolicy } from '../../support/fake-databricks';
import { engineFor, POLICIES, runSpec } from './engine-fixtures';

/** As the clean room stack declares a size's policy (constructs/compute-sizes.ts). */
function policy(canUse: string[]): FakePolicy {
  return {
    canUse,
    definition: {
      cluster_type: { type: 'fixed', value: 'job' },
      spark_version: { type: 'unlimited', defaultValue: '15.4.x-scala2.12' },
      data_security_mode: { type: 'fixed', value: 'SINGLE_USER' },
      'gcp_attributes.google_service_account': { type: 'forbidden' },
      'custom_tags.cleanroom': { type: 'fixed', value: 'retail-media' },
    },
  };
}

describe('cluster policies', () => {
  let fake: FakeDatabricks;
  afterEach(() => fake.close());

  it('a run within its size policy, by a principal with CAN_USE, is accepted', async () => {
    fake = await startFakeDatabricks({ policies: { [POLICIES['2X-Small']]: policy(['cleanroom-runtime@example.com']) } });
    await expect(engineFor(fake, { dataSecurityMode: 'SINGLE_USER' }).engine.submit(runSpec())).resolves.toEqual({ runId: expect.any(String) });
  });

  it('a cluster spec breaking the policy is refused with INVALID_PARAMETER_VALUE and starts nothing', async () => {
    fake = await startFakeDatabricks({ policies: { [POLICIES['2X-Small']]: policy(['cleanroom-runtime@example.com']) } });
    const error = await engineFor(fake, { dataSecurityMode: 'NONE' }).engine.submit(runSpec()).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DatabricksApiError);
    expect(error).toMatchObject({ status: 400, errorCode: 'INVALID_PARAMETER_VALUE' });
    expect(String(error)).toMatch(/data_security_mode, the value must be SINGLE_USER/);
    expect(fake.runs()).toHaveLength(0);
  });

  it('a principal without CAN_USE on the policy is refused with PERMISSION_DENIED', async () => {
    fake = await startFakeDatabricks({ principal: 'someone@example.com', policies: { [POLICIES['2X-Small']]: policy(['cleanroom-runtime@example.com']) } });
    const error = await engineFor(fake).engine.submit(runSpec()).catch((e: unknown) => e);
    expect(error).toMatchObject({ status: 403, errorCode: 'PERMISSION_DENIED' });
    expect(fake.runs()).toHaveLength(0);
  });
});

describe('run states from the status field', () => {
  let fake: FakeDatabricks;
  afterEach(() => fake.close());

  it.each(['state-and-status', 'status-only'] as const)('queued and blocked runs are pending with the reason (%s)', async (runFields) => {
    fake = await startFakeDatabricks({ runFields });
    const { engine } = engineFor(fake);
    const { runId } = await engine.submit(runSpec());
    fake.setRunState(runId, { lifeCycleState: 'QUEUED', queueReason: { code: 'ACTIVE_RUNS_LIMIT_REACHED', message: 'Queued due to reaching the workspace limit of active task runs.' } });
    expect(await engine.getRun(runId)).toMatchObject({ lifeCycleState: 'PENDING', stateMessage: 'queued: Queued due to reaching the workspace limit of active task runs.' });
    fake.setRunState(runId, { lifeCycleState: 'BLOCKED' });
    expect(await engine.getRun(runId)).toMatchObject({ lifeCycleState: 'PENDING', stateMessage: 'blocked' });
    // Delayed, not over: a run that may still start holds its job principal.
    fake.setRunState(runId, { lifeCycleState: 'WAITING' });
    expect((await engine.getRun(runId)).lifeCycleState).toBe('PENDING');
    fake.setRunState(runId, { lifeCycleState: 'RUNNING' });
    expect((await engine.getRun(runId)).lifeCycleState).toBe('RUNNING');
    fake.setRunState(runId, { lifeCycleState: 'TERMINATED', resultState: 'SUCCESS' });
    expect(await engine.getRun(runId)).toMatchObject({ lifeCycleState: 'TERMINATED', resultState: 'SUCCESS' });
    fake.setRunState(runId, { lifeCycleState: 'TERMINATED', resultState: 'CANCELED' });
    expect(await engine.getRun(runId)).toMatchObject({ lifeCycleState: 'TERMINATED', resultState: 'CANCELED' });
    fake.setRunState(runId, { lifeCycleState: 'TERMINATED', resultState: 'FAILED', stateMessage: 'Task failed', error: 'AnalysisException: boom' });
    expect(await engine.getRun(runId)).toMatchObject({ lifeCycleState: 'TERMINATED', resultState: 'FAILED', error: 'AnalysisException: boom' });
    fake.setRunState(runId, { lifeCycleState: 'INTERNAL_ERROR', stateMessage: 'Cluster launch failed', error: 'CLOUD_FAILURE' });
    expect(await engine.getRun(runId)).toMatchObject({ lifeCycleState: 'INTERNAL_ERROR', stateMessage: 'Cluster launch failed' });
  });
});
