/**
 * Which run holds which job principal, on an engine that isolates runs (engines/engine.ts RunIsolation). Pure
 * bookkeeping over the state: a principal is taken for a pending submission (and committed before the engine grants it
 * anything), travels with the submission onto its run, and is free again only once the engine has revoked the run's
 * access, which happens once the run can no longer execute code (the engine reported it over, or it never started).
 * So two runs never hold the same principal, and a run never holds more than its own reads and staging.
 */
import type { Effect } from './effects';
import type { CleanroomState, RunAccessRecord, RunRecord } from './state';

const ENDED_FOR_GOOD = new Set(['TERMINATED', 'SKIPPED']);

/** What a run key will be granted, or undefined when the submission cannot be described (it will be refused). */
export type AccessPlan = (runKey: string) => { reads: string[]; staging: string | null } | undefined;

/** True while the run holds its principal: its access was not revoked yet. */
export function holdsAccess(run: Pick<RunRecord, 'access'>): boolean {
  return run.access !== undefined && run.access.revokedAt === undefined;
}

export function heldPrincipals(state: CleanroomState): Set<string> {
  const held = new Set<string>();
  for (const effect of state.pendingEffects) if (effect.kind === 'submit_job' && effect.access) held.add(effect.access.principal);
  for (const run of Object.values(state.runs)) if (holdsAccess(run)) held.add(run.access!.principal);
  return held;
}

/**
 * Gives each pending submission without a principal a free one, oldest first, in the pool's order. Returns the run
 * keys that got one and those that wait for one (the pool is busy).
 */
export function assignJobPrincipals(state: CleanroomState, pool: readonly string[], now: number, plan: AccessPlan): { assigned: string[]; waiting: string[] } {
  const held = heldPrincipals(state);
  const free = pool.filter((principal) => !held.has(principal));
  const assigned: string[] = [];
  const waiting: string[] = [];
  state.pendingEffects = state.pendingEffects.map((effect): Effect => {
    if (effect.kind !== 'submit_job' || effect.access) return effect;
    const planned = plan(effect.jobId);
    if (planned === undefined) return effect;
    const principal = free.shift();
    if (principal === undefined) {
      waiting.push(effect.jobId);
      return effect;
    }
    assigned.push(effect.jobId);
    return { ...effect, access: { principal, reads: [...planned.reads].sort(), staging: planned.staging, takenAt: now } };
  });
  return { assigned, waiting };
}

/** The access a pending submission holds, if any. */
export function pendingAccess(state: CleanroomState, runKey: string): RunAccessRecord | undefined {
  const effect = state.pendingEffects.find((e) => e.kind === 'submit_job' && e.jobId === runKey);
  return effect?.kind === 'submit_job' ? effect.access : undefined;
}

/**
 * After INTERNAL_ERROR (a failure of the Jobs service, or a state this runtime does not know) Databricks terminates the
 * run's cluster "as soon as possible" (https://docs.databricks.com/api/workspace/jobs/getrun): its code may still be
 * executing for a while, so the principal is held this long after the state was first seen.
 */
export const INTERNAL_ERROR_GRACE_MS = 60 * 60 * 1000;

/**
 * What the engine said of the run's code: TERMINATED or SKIPPED, it no longer executes; INTERNAL_ERROR, it will
 * stop (held for the grace period from the first time it is seen). Anything else keeps the principal held.
 */
export function markRunEnded(run: RunRecord, lifeCycleState: string, now: number): void {
  const access = run.access;
  if (!access || access.revokedAt !== undefined || access.runEnded) return;
  if (lifeCycleState === 'TERMINATED' || lifeCycleState === 'SKIPPED') access.runEnded = true;
  else if (lifeCycleState === 'INTERNAL_ERROR') {
    access.errorSeenAt ??= now;
    if (now - access.errorSeenAt >= INTERNAL_ERROR_GRACE_MS) access.runEnded = true;
  }
}

/**
 * Runs whose access can be revoked now: the engine reported their code over, they never reached the engine, or the
 * runtime closed them as INTERNAL_ERROR (e.g. forgotten by the engine) longer than the grace period ago.
 */
export function accessToRevoke(state: CleanroomState, now: number): RunRecord[] {
  return Object.values(state.runs).filter((run) => {
    if (!holdsAccess(run)) return false;
    if (run.access!.runEnded === true || run.runId.startsWith('not-submitted-')) return true;
    return ENDED_FOR_GOOD.has(run.lifeCycleState) || (run.lifeCycleState === 'INTERNAL_ERROR' && now - (run.endTime ?? run.updatedAt) >= INTERNAL_ERROR_GRACE_MS);
  });
}

export function recordAccessRevoked(run: RunRecord, now: number): void {
  if (run.access) run.access = { ...run.access, revokedAt: now };
}
