/**
 * One runtime pass, crash-safe at every write:
 * 1. decide: read new events of every participant (one list call each when idle), apply them to the latest
 *    state, decide the due occurrences of scheduled jobs (processor/schedules.ts), persist new code blobs, commit
 *    the state with compare-and-swap. A pass that loses the swap re-reads
 *    and re-decides, so no event is applied twice. Decisions record their effects as pending in that commit.
 * 2. act: dataset sync, job submissions (idempotent on jobId: a crash between submission and commit cannot
 *    start a second run), run polling, publishing changed views and code objects (and restoring tampered ones,
 *    see publisher.ts); then commit the bookkeeping
 *    (again compare-and-swap; on conflict the work is redone on the newer state, idempotently).
 * A crash after 1 leaves the pending effects and unpublished views in the committed state: the next pass
 * finishes them. A pass where nothing changed writes nothing.
 */
import type { ExecutionEngine } from '../engines/engine';
import type { EventEnvelope } from '../events/event-model';
import { locationsToCheck, orderEvents } from '../processor/apply-events';
import type { EventOutcome } from '../processor/apply-event';
import type { LocationFacts, ParticipantInfo, ProcessorContext } from '../processor/context';
import type { CleanroomState } from '../processor/state';
import { hasApprovalWork, reconcileApprovals } from '../processor/approval-status';
import { advanceSchedules, hasScheduleWork } from '../processor/schedules';
import { AlreadyExistsError, type ObjectStore } from '../storage/object-store';
import { DEFAULT_LIMITS, type Limits } from '../limits';
import { performEffects, pollRuns, type EffectsReport } from './effects-runner';
import { readContextFor, readNewEvents, recordEventsRead, type NewEvents } from './events-reader';
import { inspectLocation } from './location-facts';
import { withTimeBudget, type BudgetTimer } from './participant-io';
import { alreadyReported } from './refused-events-table';
import { publishViews, type PublishReport } from './publisher';
import { participantInfos, type RuntimeSettings } from './settings';
import { applyEventsWithHistory } from './history-batch';
import { commitWithHistory, openState, StateConflictError, type LoadedState } from './state-store';
import { defaultReleaseStep } from './release/default-release';
import { sweepStaging } from './release/staging-sweep';
import { leaseCheck, revokeEndedAccess, takeJobPrincipals } from './run-access';
import type { ReleaseStep } from './release/release-step';

export interface PassOptions {
  config: RuntimeSettings;
  store: ObjectStore;
  engine: ExecutionEngine;
  /** Clean room clock (default: the system clock). */
  now?: () => Date;
  /** Compare-and-swap attempts per phase before giving up (default 5). */
  maxAttempts?: number;
  /** Clean room time between tamper checks of a participant with nothing to publish (default: publisher.ts). */
  publishedCheckIntervalMs?: number;
  /** The clock of each participant's time budget (default: the system clock; tests end budgets on cue). */
  budgetTimer?: BudgetTimer;
  /**
   * The release gate (runtime/release/): default, the step for the engine (release/default-release.ts). With none
   * (an engine double that names no step), runs write straight to their output, as before the gate.
   */
  release?: ReleaseStep;
}

export interface PassReport {
  /** Sequence of the state this pass ended on (-1: no state yet). */
  stateSeq: number;
  events: Array<Pick<EventOutcome, 'participant' | 'eventUuid' | 'eventType' | 'eventsVersion' | 'status' | 'message'>>;
  /** Compare-and-swap losses (another pass committed first). */
  conflicts: number;
  submitted: string[];
  submitFailures: Array<{ jobId: string; error: string }>;
  runsPolled: number;
  published: Array<{ participant: string; table: string }>;
  codeObjectsWritten: number;
  /** Published tables and code copies a participant had tampered with, corrupted or deleted, and that were restored. */
  repaired: string[];
  /** Problems that did not stop the pass (retried next pass). */
  errors: string[];
}

export async function runPass(options: PassOptions): Promise<PassReport> {
  const clock = options.now ?? (() => new Date());
  const maxAttempts = options.maxAttempts ?? 5;
  const report = emptyReport();
  const base = await decide(options, clock, maxAttempts, report);
  report.stateSeq = await act(options, clock, maxAttempts, base, report);
  return report;
}

function emptyReport(): PassReport {
  return { stateSeq: -1, events: [], conflicts: 0, submitted: [], submitFailures: [], runsPolled: 0, published: [], codeObjectsWritten: 0, repaired: [], errors: [] };
}

/**
 * Only the first half of a pass (decide and commit). A process killed right after the state commit is exactly
 * this; the next runPass must finish the work. Exposed for crash tests and diagnostics.
 */
export async function runDecidePhase(options: PassOptions): Promise<PassReport> {
  const report = emptyReport();
  report.stateSeq = (await decide(options, options.now ?? (() => new Date()), options.maxAttempts ?? 5, report)).seq;
  return report;
}

async function decide(options: PassOptions, clock: () => Date, maxAttempts: number, report: PassReport): Promise<LoadedState> {
  const { config, store } = options;
  const participants = participantInfos(config);
  const limits = config.limits ?? DEFAULT_LIMITS;
  for (let attempt = 1; ; attempt++) {
    const loaded = await openState(store, config.stateBucket);
    const readCtx: ProcessorContext = { participants, computeSizes: config.computeSizes, now: clock().getTime(), limits, ...(config.approval ? { approval: config.approval } : {}) };
    const readErrors: string[] = [];
    // Each participant's bucket is read on its own, within its own time budget: a slow, hanging or broken bucket
    // delays only that participant's events, never the others'.
    const reads = await Promise.all(
      participants.map(async (p) => {
        const after = loaded.state.eventsVersions[p.name] ?? -1;
        try {
          return { p, ...(await readParticipant(store, p, after, loaded, readCtx, limits, options.budgetTimer)) };
        } catch (error) {
          readErrors.push(`events of ${p.name} (gs://${p.bucket}/control/events) could not be read after version ${after}; they wait for the next pass: ${(error as Error).message}`);
          return { p, read: { lastVersion: after, envelopes: [] } as NewEvents, facts: {} };
        }
      }),
    );
    if (attempt === 1) report.errors.push(...readErrors);
    // A refused events table is re-checked every pass: its report is given once.
    for (const { read } of reads) read.envelopes = await filterAsync(read.envelopes, async (e) => !(await alreadyReported(loaded.state, e, loaded.history)));
    const nothingNew = reads.every(({ p, read }) => read.envelopes.length === 0 && !read.reread && read.lastVersion === (loaded.state.eventsVersions[p.name] ?? -1));
    const now = clock().getTime();
    const ctxBase: ProcessorContext = { ...readCtx, now };
    if (nothingNew && !hasScheduleWork(loaded.state, now) && !hasApprovalWork(loaded.state, ctxBase)) return loaded;
    const grouped: Record<string, EventEnvelope[]> = {};
    const facts: Record<string, LocationFacts> = {};
    for (const { p, read, facts: own } of reads) {
      grouped[p.name] = read.envelopes;
      Object.assign(facts, own);
    }
    const ordered = orderEvents(grouped);
    const result = await applyEventsWithHistory(loaded.state, ordered, { ...ctxBase, facts }, loaded.history);
    for (const { p, read } of reads) recordEventsRead(result.state, p.name, read);
    rememberRegistrationChecks(result.state, facts);
    // A changed approval policy and lapsed approvals are applied before schedules decide what runs.
    reconcileApprovals(result.state, ctxBase);
    // Due occurrences are decided in the same compare-and-swap commit as the events: each is submitted once.
    result.state.pendingEffects.push(...advanceSchedules(result.state, now));
    for (const blob of result.blobs) {
      try {
        await store.createIfAbsent(config.stateBucket, blob.key, new TextEncoder().encode(blob.content));
      } catch (error) {
        if (!(error instanceof AlreadyExistsError)) throw error;
      }
    }
    try {
      const committed = await commitWithHistory(store, config.stateBucket, loaded.seq, result.state, { history: loaded.history, now, retentionDays: config.runHistoryRetentionDays });
      report.events = result.outcomes.map(({ participant, eventUuid, eventType, eventsVersion, status, message }) => ({ participant, eventUuid, eventType, eventsVersion, status, message }));
      report.errors.push(...reads.flatMap(({ read }) => [...(read.reread ? [read.reread] : []), ...(read.skipped ?? [])]));
      return { seq: committed.seq, state: result.state, history: committed.history };
    } catch (error) {
      if (!(error instanceof StateConflictError) || attempt >= maxAttempts) throw error;
      report.conflicts++;
    }
  }
}

/**
 * One participant's part of deciding: its new events and the dataset locations they register (in its own bucket),
 * read within the participant's time budget. Throws when storage failed or the budget ran out: nothing is decided
 * for that participant in this pass.
 */
async function readParticipant(
  store: ObjectStore,
  p: ParticipantInfo,
  after: number,
  loaded: LoadedState,
  ctx: ProcessorContext,
  limits: Limits,
  timer: BudgetTimer | undefined,
): Promise<{ read: NewEvents; facts: Record<string, LocationFacts> }> {
  return withTimeBudget(store, limits.participantReadTimeoutMs, `reading gs://${p.bucket}`, async (budgeted) => {
    const read = await readNewEvents(budgeted, p.name, p.bucket, after, readContextFor(loaded.state, p.name, limits, loaded.history));
    const facts: Record<string, LocationFacts> = {};
    for (const target of locationsToCheck(read.envelopes, ctx)) facts[target.key] = await inspectLocation(budgeted, target.location, target.format, limits);
    return { read, facts };
  }, timer);
}

/**
 * A Delta location read to decide a registration was checked as a run would check it: remembered, so the dataset
 * sync that follows reads nothing again (runtime/dataset-confinement.ts).
 */
function rememberRegistrationChecks(state: CleanroomState, facts: Readonly<Record<string, LocationFacts>>): void {
  if (Object.keys(facts).length === 0) return;
  const registered = new Set(Object.values(state.datasets).filter((d) => d.format === 'delta').map((d) => d.location));
  for (const [key, fact] of Object.entries(facts)) {
    const location = key.slice(key.indexOf(':') + 1);
    if (key.startsWith('delta:') && fact.deltaMark && !fact.error && registered.has(location)) {
      (state.datasetChecks ??= {})[location] = { mark: fact.deltaMark, refused: null };
    }
  }
}

async function act(options: PassOptions, clock: () => Date, maxAttempts: number, start: LoadedState, report: PassReport): Promise<number> {
  const { config, store, engine } = options;
  const participants = participantInfos(config);
  const release = options.release ?? defaultReleaseStep(engine, config.limits);
  const releaseIo = release ? { release, ...(config.release ? { releasePolicies: config.release } : {}) } : {};
  let base = start;
  for (let attempt = 1; ; attempt++) {
    let work = structuredClone(base.state);
    const now = clock().getTime();
    const effects: EffectsReport = { submitted: [], submitFailures: [], runsPolled: 0, errors: [] };
    // Job principals (engines that isolate runs): the ones runs no longer need are freed, free ones are taken for
    // pending submissions, and that is committed before the engine grants anything to them.
    const current = leaseCheck(store, config.stateBucket, () => base.seq);
    await revokeEndedAccess(work, engine, now, effects.errors, current);
    const taken = takeJobPrincipals(work, engine, { stateBucket: config.stateBucket, now, staged: release !== undefined });
    effects.errors.push(...taken.report);
    if (taken.changed) {
      try {
        const committed = await commitWithHistory(store, config.stateBucket, base.seq, work, { history: base.history, now, retentionDays: config.runHistoryRetentionDays });
        base = { seq: committed.seq, state: work, history: committed.history };
        work = structuredClone(base.state);
      } catch (error) {
        if (!(error instanceof StateConflictError) || attempt >= maxAttempts) throw error;
        report.conflicts++;
        base = await openState(store, config.stateBucket);
        continue;
      }
    }
    await performEffects(work, { store, stateBucket: config.stateBucket, engine, now, participants, limits: config.limits, budgetTimer: options.budgetTimer, ...(config.approval ? { approval: config.approval } : {}), ...(release ? { release } : {}), leaseIsCurrent: current }, effects);
    await pollRuns(work, { engine, now, retentionDays: config.runHistoryRetentionDays, store, limits: config.limits, budgetTimer: options.budgetTimer, ...releaseIo }, effects);
    await revokeEndedAccess(work, engine, now, effects.errors, current);
    if (work.stagingCleanup?.some((entry) => entry.after <= now)) {
      try {
        await sweepStaging(work, store, now, config.limits);
      } catch (error) {
        effects.errors.push(`staged results past the retention period could not all be deleted (retried next pass): ${(error as Error).message}`);
      }
    }
    const published: PublishReport = { tables: [], codeObjects: 0, repaired: [], errors: [] };
    // After a lost swap the other pass may have published an older view over ours: republish everything.
    const publishIo = { store, stateBucket: config.stateBucket, participants, keeper: config.keeper, force: attempt > 1, now, checkIntervalMs: options.publishedCheckIntervalMs, limits: config.limits, budgetTimer: options.budgetTimer, ...(config.approval ? { approval: config.approval } : {}) };
    await publishViews(work, publishIo, published, base.history);
    report.submitted.push(...effects.submitted);
    report.submitFailures.push(...effects.submitFailures);
    report.runsPolled += effects.runsPolled;
    report.published.push(...published.tables);
    report.codeObjectsWritten += published.codeObjects;
    report.repaired.push(...published.repaired);
    report.errors.push(...effects.errors, ...published.errors);
    if (JSON.stringify(work) === JSON.stringify(base.state)) return base.seq;
    try {
      return (await commitWithHistory(store, config.stateBucket, base.seq, work, { history: base.history, now, retentionDays: config.runHistoryRetentionDays })).seq;
    } catch (error) {
      if (!(error instanceof StateConflictError) || attempt >= maxAttempts) throw error;
      report.conflicts++;
      base = await openState(store, config.stateBucket);
    }
  }
}

async function filterAsync<T>(items: readonly T[], keep: (item: T) => Promise<boolean>): Promise<T[]> {
  const kept = await Promise.all(items.map(keep));
  return items.filter((_, i) => kept[i]);
}
