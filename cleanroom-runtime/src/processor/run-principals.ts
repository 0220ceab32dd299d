/**
 * Which run holds which job principal, on an engine that isolates runs (engines/engine.ts RunIsolation). Pure
 * bookkeeping over the state: a principal is taken for a pending submission (and committed before the engine grants it
 * anything), travels with the submission onto its run, and is free again only once the engine has revoked the run's
 * access, which happens once the run can no longer execute code (the engine reported it over, or it never started).
 * So two runs never hold the same principal, and a run never holds more than its own reads and staging.
 */
import type { Effect } from './effects';
import { isUnknownToEngine } from './runs';
import { parseRunKey } from './schedules';
import { recordOf, type CleanroomState, type RunAccessRecord, type RunRecord } from './state';

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
 * Gives pending submissions without a principal the free ones, fairly between participants (the submitters of their
 * jobs): each free principal goes to the participant whose submission waits and who holds the fewest principals; ties
 * go to the one that took a principal least recently, then to the oldest submission. So no participant can hold the
 * pool while another's submission waits: while k participants have submissions waiting, none of them takes a
 * principal that would leave it more than max(1, ceil(pool / k)), its share; the rotation among those holding the
 * fewest gives every waiting participant a turn even when they outnumber the pool. Runs are never stopped to make
 * room: a participant holding more than its share (it was alone) keeps its runs, and the principals they free go to
 * the others first. Nobody waits while a principal is free, so a participant alone may use the whole pool. The
 * chosen submissions take the free principals oldest first, in the pool's order. Returns the run keys that got one
 * and those that wait (in the order they were submitted).
 */
export function assignJobPrincipals(state: CleanroomState, pool: readonly string[], now: number, plan: AccessPlan): { assigned: string[]; waiting: string[] } {
  const held = heldPrincipals(state);
  const free = pool.filter((principal) => !held.has(principal));
  const holders = principalHolders(state);
  // Each participant's waiting submissions, oldest first (undefined: submissions of unknown jobs, together).
  const queues = new Map<string | undefined, Waiting[]>();
  state.pendingEffects.forEach((effect, index) => {
    if (effect.kind !== 'submit_job' || effect.access) return;
    const planned = plan(effect.jobId);
    if (planned === undefined) return;
    const submitter = submitterOf(state, effect.jobId);
    const queue = queues.get(submitter);
    if (queue) queue.push({ index, planned });
    else queues.set(submitter, [{ index, planned }]);
  });
  const chosen: Waiting[] = [];
  for (let turn = 1; chosen.length < free.length && queues.size > 0; turn++) {
    const next = nextInLine(queues, holders);
    const queue = queues.get(next)!;
    chosen.push(queue.shift()!);
    if (queue.length === 0) queues.delete(next);
    const holder = holderOf(holders, next);
    holder.holds++;
    holder.lastTaken = [now, turn];
  }
  const assigned: string[] = [];
  chosen.sort((a, b) => a.index - b.index);
  chosen.forEach(({ index, planned }, i) => {
    const effect = state.pendingEffects[index] as Extract<Effect, { kind: 'submit_job' }>;
    assigned.push(effect.jobId);
    state.pendingEffects[index] = { ...effect, access: { principal: free[i]!, reads: [...planned.reads].sort(), staging: planned.staging, takenAt: now } };
  });
  const waiting = [...queues.values()].flat().sort((a, b) => a.index - b.index).map(({ index }) => (state.pendingEffects[index] as { jobId: string }).jobId);
  return { assigned, waiting };
}

/**
 * Of the waiting run keys (assignJobPrincipals), those whose participant waits for its share rather than for a free
 * principal: another participant with a submission waiting holds fewer principals, so the next free ones go there
 * first. Each with its participant (undefined: unknown job), how many it holds, and the fewest another waiting one holds.
 */
export function waitingForShare(state: CleanroomState, waiting: readonly string[]): Array<{ runKey: string; participant: string | undefined; holds: number; othersHold: number }> {
  const holders = principalHolders(state);
  const holds = (participant: string | undefined) => holders.get(participant)?.holds ?? 0;
  const submitters = new Set(waiting.map((key) => submitterOf(state, key)));
  return waiting.flatMap((runKey) => {
    const participant = submitterOf(state, runKey);
    const others = [...submitters].filter((other) => other !== participant).map(holds);
    const othersHold = Math.min(...others);
    return others.length > 0 && othersHold < holds(participant) ? [{ runKey, participant, holds: holds(participant), othersHold }] : [];
  });
}

type Waiting = { index: number; planned: NonNullable<ReturnType<AccessPlan>> };

/** The participant whose job a run key belongs to (undefined when the job is unknown). */
function submitterOf(state: CleanroomState, runKey: string): string | undefined {
  return recordOf(state.jobs, parseRunKey(runKey).jobId)?.participant;
}

/** [takenAt, order within the pass]: compared in that order; never taken sorts first. */
type Taken = [number, number];
type Holder = { holds: number; lastTaken: Taken };

/** Per participant: the principals it holds now, and when it last took one (from runs still in the state). */
function principalHolders(state: CleanroomState): Map<string | undefined, Holder> {
  const holders = new Map<string | undefined, Holder>();
  const count = (runKey: string, access: RunAccessRecord, holding: boolean) => {
    const holder = holderOf(holders, submitterOf(state, runKey));
    if (holding) holder.holds++;
    if (compareTaken([access.takenAt, 0], holder.lastTaken) > 0) holder.lastTaken = [access.takenAt, 0];
  };
  for (const effect of state.pendingEffects) if (effect.kind === 'submit_job' && effect.access) count(effect.jobId, effect.access, true);
  for (const run of Object.values(state.runs)) if (run.access) count(run.jobId, run.access, holdsAccess(run));
  return holders;
}

function holderOf(holders: Map<string | undefined, Holder>, participant: string | undefined): Holder {
  let holder = holders.get(participant);
  if (!holder) holders.set(participant, (holder = { holds: 0, lastTaken: [-Infinity, 0] }));
  return holder;
}

/** The waiting participant that takes the next free principal: fewest held, then least recently served, then oldest. */
function nextInLine(queues: Map<string | undefined, Array<{ index: number }>>, holders: Map<string | undefined, Holder>): string | undefined {
  let best: { participant: string | undefined; holds: number; lastTaken: Taken; index: number } | undefined;
  for (const [participant, queue] of queues) {
    const { holds, lastTaken } = holders.get(participant) ?? { holds: 0, lastTaken: [-Infinity, 0] as Taken };
    const candidate = { participant, holds, lastTaken, index: queue[0]!.index };
    if (!best || (candidate.holds - best.holds || compareTaken(candidate.lastTaken, best.lastTaken) || candidate.index - best.index) < 0) best = candidate;
  }
  return best!.participant;
}

function compareTaken(a: Taken, b: Taken): number {
  if (a[0] !== b[0]) return a[0] < b[0] ? -1 : 1;
  return a[1] - b[1];
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
export function markRunEnded(run: RunRecord, reported: string | { lifeCycleState: string; unknownState?: string }, now: number): void {
  const access = run.access;
  if (!access || access.revokedAt !== undefined || access.runEnded) return;
  // A state the runtime does not know may be one in which the code still runs: held until a known state says.
  if (typeof reported !== 'string' && reported.unknownState !== undefined) return;
  const lifeCycleState = typeof reported === 'string' ? reported : reported.lifeCycleState;
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
    if (ENDED_FOR_GOOD.has(run.lifeCycleState)) return true;
    if (run.lifeCycleState !== 'INTERNAL_ERROR') return false;
    // Seen as INTERNAL_ERROR by a poll (which may be the last: an ended run with a result is not polled again), or
    // closed by the runtime because the engine forgot it. Recorded INTERNAL_ERROR for a state the runtime does not
    // know is neither, and holds.
    const since = run.access!.errorSeenAt ?? (isUnknownToEngine(run) ? run.endTime ?? run.updatedAt : undefined);
    return since !== undefined && now - since >= INTERNAL_ERROR_GRACE_MS;
  });
}

export function recordAccessRevoked(run: RunRecord, now: number): void {
  if (run.access) run.access = { ...run.access, revokedAt: now };
}
