import { completeDatasetSync, MAX_SUBMIT_ATTEMPTS, recordRunStatus, recordSubmission, recordSubmitFailure, runsToPoll } from '../../src/processor/runs';
import { emptyState, type CleanroomState } from '../../src/processor/state';
import { T0 } from './fixtures';

function withPending(): CleanroomState {
  const state = emptyState();
  state.pendingEffects = [{ kind: 'sync_datasets' }, { kind: 'submit_job', jobId: 'job-1', attempts: 0 }];
  return state;
}

describe('effect bookkeeping', () => {
  test('a submission removes the pending effect and starts a PENDING run; repeating it changes nothing', () => {
    const state = withPending();
    recordSubmission(state, 'job-1', 'run-9', 'local', T0);
    recordSubmission(state, 'job-1', 'run-9', 'local', T0 + 5);
    expect(state.pendingEffects).toEqual([{ kind: 'sync_datasets' }]);
    expect(state.runs['job-1']).toMatchObject({ runId: 'run-9', lifeCycleState: 'PENDING', submittedAt: T0 });
    completeDatasetSync(state);
    expect(state.pendingEffects).toEqual([]);
  });

  test('failed submissions are retried, then recorded as a failed run', () => {
    const state = withPending();
    for (let i = 1; i < MAX_SUBMIT_ATTEMPTS; i++) recordSubmitFailure(state, 'job-1', 'HTTP 500', 'databricks', T0);
    expect(state.pendingEffects).toContainEqual({ kind: 'submit_job', jobId: 'job-1', attempts: MAX_SUBMIT_ATTEMPTS - 1 });
    expect(state.runs).toEqual({});
    recordSubmitFailure(state, 'job-1', 'HTTP 500', 'databricks', T0);
    expect(state.pendingEffects).toEqual([{ kind: 'sync_datasets' }]);
    expect(state.runs['job-1']).toMatchObject({ lifeCycleState: 'INTERNAL_ERROR', resultState: 'FAILED', error: 'HTTP 500' });
  });

  test('polled statuses are recorded; runs to poll are active or unresolved within retention', () => {
    const state = withPending();
    recordSubmission(state, 'job-1', 'run-1', 'local', T0);
    expect(runsToPoll(state, T0, 30).map((r) => r.runId)).toEqual(['run-1']);
    recordRunStatus(state, 'job-1', { runId: 'run-1', lifeCycleState: 'TERMINATED', resultState: 'FAILED', startTime: new Date(T0 + 1), endTime: new Date(T0 + 2), error: 'boom', errorTrace: 'at line 1' }, T0 + 3);
    expect(state.runs['job-1']).toMatchObject({ lifeCycleState: 'TERMINATED', resultState: 'FAILED', startTime: T0 + 1, endTime: T0 + 2, error: 'boom', errorTrace: 'at line 1', updatedAt: T0 + 3 });
    expect(runsToPoll(state, T0 + 10, 30)).toEqual([]);
    const before = state.runs['job-1'];
    recordRunStatus(state, 'job-1', { runId: 'run-1', lifeCycleState: 'TERMINATED', resultState: 'FAILED', startTime: new Date(T0 + 1), endTime: new Date(T0 + 2), error: 'boom', errorTrace: 'at line 1' }, T0 + 99);
    expect(state.runs['job-1']).toBe(before);

    recordSubmission(state, 'job-2', 'run-2', 'databricks', T0);
    recordRunStatus(state, 'job-2', { runId: 'run-2', lifeCycleState: 'INTERNAL_ERROR', endTime: new Date(T0) }, T0);
    expect(runsToPoll(state, T0 + 29 * 86_400_000, 30).map((r) => r.runId)).toEqual(['run-2']);
    expect(runsToPoll(state, T0 + 31 * 86_400_000, 30)).toEqual([]);
  });
});
