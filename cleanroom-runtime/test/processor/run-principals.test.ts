/** Which run holds which job principal: pure bookkeeping (src/processor/run-principals.ts). */
import { emptyState, type CleanroomState, type JobRecord, type RunRecord } from '../../src/processor/state';
import { accessToRevoke, assignJobPrincipals, heldPrincipals, INTERNAL_ERROR_GRACE_MS, markRunEnded, recordAccessRevoked, waitingForShare } from '../../src/processor/run-principals';
import { recordSubmission, recordSubmitFailure, MAX_SUBMIT_ATTEMPTS, UNKNOWN_TO_ENGINE_NOTE } from '../../src/processor/runs';

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
  // As recordRunUnknownToEngine closes it; a run merely recorded INTERNAL_ERROR (a state it did not know) holds.
  state.runs.j1 = { ...state.runs.j1!, lifeCycleState: 'INTERNAL_ERROR', endTime: 1_000 };
  expect(accessToRevoke(state, 1_000 + 2 * INTERNAL_ERROR_GRACE_MS)).toEqual([]);
  state.runs.j1 = { ...state.runs.j1!, resultState: null, stateMessage: `${UNKNOWN_TO_ENGINE_NOTE} (run 101 does not exist)` };
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

describe('fair shares between participants', () => {
  /** A state whose pending submissions are run keys of jobs owned by the participant named in the key ("a1" → a). */
  function submittedBy(...keys: string[]): CleanroomState {
    const state = withSubmissions(...keys);
    for (const key of keys) state.jobs[key] = { jobId: key, participant: key.replace(/\d+$/, '') } as JobRecord;
    return state;
  }
  const submitter = (state: CleanroomState, key: string) => state.jobs[key]!.participant;
  const holds = (state: CleanroomState) => {
    const count: Record<string, number> = {};
    for (const e of state.pendingEffects) if (e.kind === 'submit_job' && e.access) count[submitter(state, e.jobId)] = (count[submitter(state, e.jobId)] ?? 0) + 1;
    return count;
  };
  /** Starts every submission holding a principal, then ends and revokes the runs of `ending`. */
  function runAndEnd(state: CleanroomState, now: number, ending: (key: string) => boolean): void {
    for (const e of [...state.pendingEffects]) if (e.kind === 'submit_job' && e.access) recordSubmission(state, e.jobId, `run-${e.jobId}`, 'databricks', now);
    for (const run of Object.values(state.runs)) {
      if (!ending(run.jobId) || run.access?.revokedAt !== undefined) continue;
      markRunEnded(run, 'TERMINATED', now);
      recordAccessRevoked(run, now);
    }
  }

  test('a participant takes at most an equal share while another waits, and a participant alone may use the whole pool', () => {
    const pools = [['p1'], ['p1', 'p2'], ['p1', 'p2', 'p3'], ['p1', 'p2', 'p3', 'p4'], ['p1', 'p2', 'p3', 'p4', 'p5']];
    const floods: string[][] = [
      ['a1', 'a2', 'a3', 'a4', 'a5', 'a6', 'b1'],
      ['a1', 'a2', 'a3', 'a4', 'a5', 'a6', 'b1', 'b2', 'b3', 'b4', 'c1'],
      ['b1', 'a1', 'a2', 'a3', 'a4', 'a5', 'a6', 'c1', 'c2'],
    ];
    for (const pool of pools) {
      for (const keys of floods) {
        const state = submittedBy(...keys);
        const { assigned, waiting } = assignJobPrincipals(state, pool, 5, plan);
        // Nobody waits while a principal is free, and every submission either took one or waits.
        expect(assigned).toHaveLength(Math.min(pool.length, keys.length));
        expect([...assigned, ...waiting].sort()).toEqual([...keys].sort());
        // While k participants wait (counting the taker), none holds more than max(1, ceil(pool / k)).
        const waitingParticipants = new Set(waiting.map((key) => submitter(state, key)));
        for (const [participant, count] of Object.entries(holds(state))) {
          const k = new Set([...waitingParticipants, participant]).size;
          expect({ pool: pool.length, keys, participant, count: Math.min(count, Math.max(1, Math.ceil(pool.length / k))) }).toEqual({ pool: pool.length, keys, participant, count });
        }
        // Each participant that submitted got a principal unless the pool is smaller than the number of participants.
        const participants = new Set(keys.map((key) => key[0]));
        if (pool.length >= participants.size) expect(Object.keys(holds(state)).sort()).toEqual([...participants].sort());
      }
    }
    const alone = submittedBy('a1', 'a2', 'a3', 'a4');
    expect(assignJobPrincipals(alone, ['p1', 'p2', 'p3'], 5, plan)).toEqual({ assigned: ['a1', 'a2', 'a3'], waiting: ['a4'] });
  });

  test('the chosen submissions take the free principals oldest first, in the pool order', () => {
    const state = submittedBy('a1', 'a2', 'a3', 'a4', 'b1');
    expect(assignJobPrincipals(state, ['p1', 'p2', 'p3', 'p4'], 5, plan)).toEqual({ assigned: ['a1', 'a2', 'a3', 'b1'], waiting: ['a4'] });
    expect(state.pendingEffects.map((e) => (e.kind === 'submit_job' ? [e.jobId, e.access?.principal] : []))).toEqual([
      ['a1', 'p1'],
      ['a2', 'p2'],
      ['a3', 'p3'],
      ['a4', undefined],
      ['b1', 'p4'],
    ]);
  });

  test('a participant that filled the pool alone keeps its runs, and the principals they free go to the waiting participant first', () => {
    const pool = ['p1', 'p2', 'p3'];
    const state = submittedBy('a1', 'a2', 'a3', 'a4', 'a5');
    assignJobPrincipals(state, pool, 5, plan);
    runAndEnd(state, 6, () => false);
    const b1 = { kind: 'submit_job' as const, jobId: 'b1', attempts: 0 };
    state.pendingEffects.push(b1);
    state.jobs.b1 = { jobId: 'b1', participant: 'b' } as JobRecord;
    expect(assignJobPrincipals(state, pool, 7, plan)).toEqual({ assigned: [], waiting: ['a4', 'a5', 'b1'] });
    // a's submissions wait for its share (it holds every principal while b waits with none); b's for a free principal.
    expect(waitingForShare(state, ['a4', 'a5', 'b1'])).toEqual([
      { runKey: 'a4', participant: 'a', holds: 3, othersHold: 0 },
      { runKey: 'a5', participant: 'a', holds: 3, othersHold: 0 },
    ]);

    runAndEnd(state, 8, (key) => key === 'a1');
    expect(assignJobPrincipals(state, pool, 9, plan)).toEqual({ assigned: ['b1'], waiting: ['a4', 'a5'] });
    expect(state.pendingEffects.find((e) => e.kind === 'submit_job' && e.jobId === 'b1')).toMatchObject({ access: { principal: 'p1' } });
    // Nobody else waits now: a's submissions wait for a free principal, and take the next one.
    expect(waitingForShare(state, ['a4', 'a5'])).toEqual([]);
    runAndEnd(state, 10, (key) => key === 'a2');
    expect(assignJobPrincipals(state, pool, 11, plan)).toEqual({ assigned: ['a4'], waiting: ['a5'] });
  });

  test('more participants than principals: each waiting participant gets a turn, whoever submitted first', () => {
    const state = submittedBy('a1', 'a2', 'a3', 'b1', 'b2', 'b3', 'c1', 'c2', 'c3');
    const served: string[] = [];
    for (let now = 10; state.pendingEffects.length > 0; now += 10) {
      const { assigned } = assignJobPrincipals(state, ['p1'], now, plan);
      served.push(...assigned);
      runAndEnd(state, now + 1, () => true);
    }
    expect(served).toEqual(['a1', 'b1', 'c1', 'a2', 'b2', 'c2', 'a3', 'b3', 'c3']);
  });
});
