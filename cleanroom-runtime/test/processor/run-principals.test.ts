/** Which run holds which job principal: pure bookkeeping (src/processor/run-principals.ts). */
import { emptyState, type CleanroomState, type RunRecord } from '../../src/processor/state';
import { accessToRevoke, assignJobPrincipals, heldPrincipals, INTERNAL_ERROR_GRACE_MS, markRunEnded, recordAccessRevoked } from '../../src/processor/run-principals';
import { recordSubmission, recordSubmitFailure, MAX_SUBMIT_ATTEMPTS } from '../../src/processor/runs';

const POOL = ['p1', 'p2'];
const plan = (key: string) => (key === 'unknown' ? undefined : { reads: ['b.t', 'a.t'], staging: `gs://s/staging/${key}` });

function withSubmissions(...keys: string[]): CleanroomState {
  const state = emptyState();
  state.pendingEffects = keys.map((jobId) => ({ kind: 'submit_job', jobId, attempts: 0 }));
  return state;
}

test('pending submissions take free principals oldest first, in pool order; the rest wait', () => {
  const state = withSubmissions('j1', 'unknown', 'j2', 'j3');
  expect(assignJobPrincipals(state, POOL, 5, plan)).toEqual({ assigned: ['j1', 'j2'], waiting: ['j3'] });
  expect(state.pendingEffects).toEqual([
    { kind: 'submit_job', jobId: 'j1', attempts: 0, access: { principal: 'p1', reads: ['a.t', 'b.t'], staging: 'gs://s/staging/j1', takenAt: 5 } },
    { kind: 'submit_job', jobId: 'unknown', attempts: 0 },
    { kind: 'submit_job', jobId: 'j2', attempts: 0, access: { principal: 'p2', reads: ['a.t', 'b.t'], staging: 'gs://s/staging/j2', takenAt: 5 } },
    { kind: 'submit_job', jobId: 'j3', attempts: 0 },
  ]);
  // Taking again changes nothing: every principal is held.
  expect(assignJobPrincipals(state, POOL, 6, plan)).toEqual({ assigned: [], waiting: ['j3'] });
});

test('a principal travels with its submission onto the run and is free only once revoked', () => {
  const state = withSubmissions('j1', 'j2');
  assignJobPrincipals(state, ['p1'], 5, plan);
  recordSubmission(state, 'j1', '101', 'databricks', 6);
  expect(state.runs.j1!.access?.principal).toBe('p1');
  expect(heldPrincipals(state)).toEqual(new Set(['p1']));
  expect(assignJobPrincipals(state, ['p1'], 7, plan).waiting).toEqual(['j2']);

  const run = state.runs.j1 as RunRecord;
  expect(accessToRevoke(state, 7)).toEqual([]);
  for (const still of ['PENDING', 'RUNNING', 'TERMINATING']) {
    markRunEnded(run, still, 7);
    expect(accessToRevoke(state, 7)).toEqual([]);
  }
  markRunEnded(run, 'TERMINATED', 7);
  expect(accessToRevoke(state, 7)).toEqual([run]);
  expect(heldPrincipals(state)).toEqual(new Set(['p1'])); // ended is not revoked
  recordAccessRevoked(run, 8);
  expect(heldPrincipals(state)).toEqual(new Set());
  expect(assignJobPrincipals(state, ['p1'], 9, plan).assigned).toEqual(['j2']);
});

test('a submission that fails for good keeps its principal on the not-started run until revoked', () => {
  const state = withSubmissions('j1');
  assignJobPrincipals(state, POOL, 5, plan);
  for (let i = 0; i < MAX_SUBMIT_ATTEMPTS; i++) recordSubmitFailure(state, 'j1', 'refused', 'databricks', 6);
  expect(state.pendingEffects).toEqual([]);
  expect(state.runs.j1).toMatchObject({ runId: 'not-submitted-j1', access: { principal: 'p1' } });
  expect(heldPrincipals(state)).toEqual(new Set(['p1']));
  expect(accessToRevoke(state, 6)).toEqual([state.runs.j1]);
});

test('after INTERNAL_ERROR the cluster may still run the code for a while: the principal is held for the grace period', () => {
  const state = withSubmissions('j1');
  assignJobPrincipals(state, POOL, 5, plan);
  recordSubmission(state, 'j1', '101', 'databricks', 6);
  const run = state.runs.j1 as RunRecord;
  markRunEnded(run, 'INTERNAL_ERROR', 100);
  markRunEnded(run, 'INTERNAL_ERROR', 100 + INTERNAL_ERROR_GRACE_MS - 1);
  expect(accessToRevoke(state, 100 + INTERNAL_ERROR_GRACE_MS - 1)).toEqual([]);
  markRunEnded(run, 'INTERNAL_ERROR', 100 + INTERNAL_ERROR_GRACE_MS);
  expect(accessToRevoke(state, 100 + INTERNAL_ERROR_GRACE_MS)).toEqual([run]);
});

test('a run the runtime closed as INTERNAL_ERROR without a poll (the engine forgot it) is revoked after the grace period', () => {
  const state = withSubmissions('j1');
  assignJobPrincipals(state, POOL, 5, plan);
  recordSubmission(state, 'j1', '101', 'databricks', 6);
  state.runs.j1 = { ...state.runs.j1!, lifeCycleState: 'INTERNAL_ERROR', endTime: 1_000 };
  expect(accessToRevoke(state, 1_000 + INTERNAL_ERROR_GRACE_MS - 1)).toEqual([]);
  expect(accessToRevoke(state, 1_000 + INTERNAL_ERROR_GRACE_MS)).toEqual([state.runs.j1]);
});

test('a submission found again keeps its principal on the run', () => {
  const state = withSubmissions('j1');
  assignJobPrincipals(state, POOL, 5, plan);
  recordSubmission(state, 'j1', '101', 'databricks', 6);
  const { access: _dropped, ...withoutAccess } = state.runs.j1!;
  state.runs.j1 = withoutAccess;
  state.pendingEffects = [{ kind: 'submit_job', jobId: 'j1', attempts: 0, access: { principal: 'p1', reads: [], staging: null, takenAt: 5 } }];
  recordSubmission(state, 'j1', '101', 'databricks', 7);
  expect(state.runs.j1!.access?.principal).toBe('p1');
});
