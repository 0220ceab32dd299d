/**
 * Job principals on an engine that isolates runs (engines/engine.ts RunIsolation), as a pass does it: take free
 * principals for pending submissions (the pass commits that before the engine grants anything, so a crash never leaves
 * a grant the state does not know of), and revoke the access of runs whose code can no longer execute, which frees
 * their principals. The bookkeeping is processor/run-principals.ts.
 */
import type { ExecutionEngine } from '../engines/engine';
import { recordOf, type CleanroomState } from '../processor/state';
import { accessToRevoke, assignJobPrincipals, pendingAccess, recordAccessRevoked, waitingForShare } from '../processor/run-principals';
import type { ObjectStore } from '../storage/object-store';
import { latestStateSeq, openState } from './state-store';
import { isScheduled, runTarget } from '../processor/schedules';
import { stagingLocationFor } from './release/release-step';

/**
 * Gives pending submissions free principals, fairly between participants (run-principals.ts): whether any was given,
 * the run keys still waiting, and what to report about them (once per pass): those waiting for a free principal, and
 * those waiting because their participant holds more than other waiting participants (its share).
 */
export function takeJobPrincipals(state: CleanroomState, engine: ExecutionEngine, io: { stateBucket: string; now: number; staged: boolean }): { changed: boolean; waiting: string[]; report: string[] } {
  if (engine.isolation === undefined) return { changed: false, waiting: [], report: [] };
  const pool = engine.isolation.jobPrincipals;
  const registered = Object.values(state.datasets).map((d) => `${d.participant}.${d.table}`);
  const { assigned, waiting } = assignJobPrincipals(state, pool, io.now, (runKey) => {
    const job = runTarget(state, runKey)?.job;
    if (!job) return undefined;
    const code = recordOf(state.code, job.codeName);
    // What the approved code reads (parsed or declared), else every registered dataset: never more than registered.
    const reads = code?.reads === undefined ? registered : registered.filter((name) => code.reads!.includes(name));
    return { reads, staging: io.staged ? stagingLocationFor(io.stateBucket, runKey) : null };
  });
  const shown = showWaiting(state, assigned, waiting);
  return { changed: assigned.length > 0 || shown, waiting, report: waitingReport(state, pool.length, waiting) };
}

/** What an ad hoc job's owner reads in control.jobs while its run waits (a scheduled job's message is its schedule's). */
export const WAITING_FOR_PRINCIPAL = 'its run waits for a free job principal: every one is held by a run, and free ones go to the participant holding the fewest';

/** Tells the owners of waiting ad hoc jobs, and clears it once they hold a principal; true when anything changed. */
function showWaiting(state: CleanroomState, assigned: readonly string[], waiting: readonly string[]): boolean {
  let changed = false;
  const adHoc = (key: string) => {
    const job = runTarget(state, key)?.job;
    return job && !isScheduled(job) ? job : undefined;
  };
  for (const key of waiting) {
    const job = adHoc(key);
    if (job && job.statusMessage !== WAITING_FOR_PRINCIPAL) {
      job.statusMessage = WAITING_FOR_PRINCIPAL;
      changed = true;
    }
  }
  for (const key of assigned) {
    const job = adHoc(key);
    if (job?.statusMessage === WAITING_FOR_PRINCIPAL) {
      delete job.statusMessage;
      changed = true;
    }
  }
  return changed;
}

function waitingReport(state: CleanroomState, poolSize: number, waiting: readonly string[]): string[] {
  const forShare = waitingForShare(state, waiting);
  const byParticipant = new Map<string, typeof forShare>();
  for (const entry of forShare) {
    const name = entry.participant ?? '(unknown)';
    byParticipant.set(name, [...(byParticipant.get(name) ?? []), entry]);
  }
  const shareKeys = new Set(forShare.map((entry) => entry.runKey));
  const forPrincipal = waiting.filter((key) => !shareKeys.has(key));
  const keys = (list: readonly string[]) => `${list.slice(0, 5).join(', ')}${list.length > 5 ? ', ...' : ''}`;
  return [
    ...(forPrincipal.length > 0 ? [`${forPrincipal.length} job submission(s) wait for a free job principal (every one is held by a run): ${keys(forPrincipal)}`] : []),
    ...[...byParticipant].map(
      ([participant, entries]) =>
        `${entries.length} job submission(s) of ${participant} wait for its fair share of the job principals: it holds ${entries[0]!.holds} of ${poolSize} while another participant's submissions wait holding ${entries[0]!.othersHold}, so the next free principals go to them first: ${keys(entries.map((entry) => entry.runKey))}`,
    ),
  ];
}

/**
 * Whether a principal is still where this pass's state says, in the newest committed state: a pass working from an
 * older state (another pass committed since) must neither grant to a principal that may have been lent to another
 * run since, nor revoke from one. One listing when nothing was committed since; the state otherwise.
 */
export type LeaseCheck = (runKey: string, principal: string, phase: 'grant' | 'revoke') => Promise<boolean>;

export function leaseCheck(store: ObjectStore, bucket: string, baseSeq: () => number): LeaseCheck {
  return async (runKey, principal, phase) => {
    if ((await latestStateSeq(store, bucket)) === baseSeq()) return true;
    const { state } = await openState(store, bucket);
    // Only a submission still pending with this principal may be granted: a run that exists is another pass's.
    if (phase === 'grant') return pendingAccess(state, runKey)?.principal === principal;
    const run = recordOf(state.runs, runKey);
    return run?.access?.principal === principal && run.access.revokedAt === undefined;
  };
}

/** Revokes the access of every run whose code can no longer execute; a failure is retried next pass. */
export async function revokeEndedAccess(state: CleanroomState, engine: ExecutionEngine, now: number, errors: string[], current?: LeaseCheck): Promise<void> {
  for (const run of accessToRevoke(state, now)) {
    const access = run.access!;
    if (current && !(await current(run.jobId, access.principal, 'revoke'))) {
      errors.push(`the access of run ${run.runId} of job ${run.jobId} was not revoked by this pass: a newer state says otherwise (another pass is at work)`);
      continue;
    }
    if (engine.isolation === undefined) {
      errors.push(`run ${run.runId} of job ${run.jobId} still holds job principal ${access.principal}, and this runtime's engine cannot revoke it (configure the job principals again)`);
      continue;
    }
    try {
      const job = runTarget(state, run.jobId)?.job;
      // A run never recorded as started may still have reached the engine (an outage, or a pass that died between
      // submitting and committing): the engine looks for it by its job before the principal serves another run.
      const unseen = run.runId.startsWith('not-submitted-') && job ? { participant: job.participant, jobName: job.jobName } : undefined;
      await engine.isolation.revokeRunAccess({ principal: access.principal, reads: access.reads, staging: access.staging }, unseen);
      recordAccessRevoked(run, now);
    } catch (error) {
      errors.push(`the access of run ${run.runId} of job ${run.jobId} (job principal ${access.principal}) could not be revoked yet; the principal stays held (retried next pass): ${(error as Error).message}`);
    }
  }
}
