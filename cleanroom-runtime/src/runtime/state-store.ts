/**
 * The authoritative state in the state bucket, committed with compare-and-swap: each commit is a new object
 * `state/<20-digit sequence>.json` (the root) written with createIfAbsent, so of two passes committing on the same
 * base exactly one wins; the loser re-reads and retries. `state/LATEST` is only a hint that keeps lookups to one
 * list call; the highest sequence present is the truth.
 *
 * A root (format 2) holds what every pass needs and is bounded by quotas — the *core*: registrations, live jobs and
 * runs, pending effects, events marks, publication records — and refers to the history, which grows with every event
 * and is only read where a pass needs it (runtime/state/): the keyed history (dedup keys, status ids, ids and names of
 * jobs that are over) and each participant's decision chain (statuses, jobs and runs that are over). A commit moves
 * what the pass added to the history into new parts, written before the root; so a commit writes what changed, not
 * what the clean room accumulated. Each root carries the sha256 of the previous one.
 *
 * A format 1 state (one JSON object holding everything) is read whole and migrated by the next commit, which moves its
 * history into parts; nothing is dropped.
 */
import { createHash } from 'node:crypto';
import { AlreadyExistsError, NotFoundError, type ObjectStore } from '../storage/object-store';
import { dedupKeysOf } from '../processor/apply-event';
import type { HistoryLookup } from '../processor/context';
import { runsToPoll } from '../processor/runs';
import { holdsAccess } from '../processor/run-principals';
import { isScheduled, parseRunKey } from '../processor/schedules';
import { emptyState, STATE_FORMAT_VERSION, type CleanroomState, type JobRecord, type RunRecord } from '../processor/state';
import { readCore, writeCore, type CoreShards } from './state/core-shards';
import { appendToChain, EMPTY_CHAIN, readChain, type ChainHead, type ChainItem } from './state/decision-chains';
import { KeyedHistory, type KeyValue } from './state/keyed-history';
import { newPartTag, PartStore } from './state/parts';

const PREFIX = 'state/';
const POINTER = `${PREFIX}LATEST`;
/**
 * Where commits are listed: their 20-digit sequences start with 0 (below 10^19), so a listing under this prefix never
 * walks the parts (`state/parts/`), which grow with the history (a listing of `state/` would page through them all).
 */
const COMMITS_PREFIX = `${PREFIX}0`;
const COMMIT = /^state\/(\d{20})\.json$/;
/** Older commits kept for inspection; older ones are deleted as new ones land. */
export const KEPT_COMMITS = 20;
/** The format 1 state: one object holding everything (read and migrated). */
const LEGACY_FORMAT = 1;

interface StateRoot {
  formatVersion: typeof STATE_FORMAT_VERSION;
  /** sha256 of the previous root's bytes (null for the first). */
  previous: string | null;
  /**
   * Everything a pass needs; its eventStatus and processedEvents are empty (they are in the history), and its maps
   * named in `shards` are empty (they are in parts).
   */
  core: CleanroomState;
  /** The core's large maps, kept in parts so a commit rewrites only what changed (state/core-shards.ts; absent: none). */
  shards?: CoreShards;
  /** Keyed history: directory references by first hex digit (keyed-history.ts). */
  keys: Record<string, string>;
  chains: Record<string, ChainHead>;
  /** Per recent commit, the part listing the parts it replaced: deleted once no kept root refers to them. */
  garbage: Array<{ seq: number; list: string }>;
}

/** The history of a loaded state: what its commit root refers to, read on demand. */
export class StateHistory {
  readonly keys: KeyedHistory;

  constructor(
    readonly parts: PartStore,
    readonly root: Omit<StateRoot, 'core'>,
    /** sha256 of the root's bytes (null: no root yet). */
    readonly rootHash: string | null,
  ) {
    this.keys = new KeyedHistory(parts, root.keys);
  }

  /** Loads what a batch of events will ask (see HistoryLookup) about these dedup keys, job ids and job names. */
  async prefetch(wanted: { dedupKeys?: string[]; jobIds?: string[]; jobNames?: Array<{ participant: string; name: string }>; statusIds?: Array<{ participant: string; id: string }> }): Promise<void> {
    await this.keys.load([
      ...(wanted.dedupKeys ?? []).flatMap((key) => dedupKeysOf(key).map(eventKey)),
      ...(wanted.jobIds ?? []).map(jobKey),
      ...(wanted.jobNames ?? []).map(({ participant, name }) => jobNameKey(participant, name)),
      ...(wanted.statusIds ?? []).map(({ participant, id }) => statusKey(participant, id)),
    ]);
  }

  /** What the processor may ask (synchronous: throws HistoryNotLoadedError for what was not prefetched). */
  lookup(): HistoryLookup {
    return {
      isProcessed: (key) => this.keys.get(eventKey(key)) !== undefined,
      jobIdTaken: (id) => this.keys.get(jobKey(id)) !== undefined,
      finishedJobsNamed: (participant, name) => {
        const value = this.keys.get(jobNameKey(participant, name));
        return { adHoc: typeof value === 'object' && value.adHoc === 1, deleted: typeof value === 'object' && value.deleted === 1 };
      },
    };
  }

  /**
   * True when the participant has an event_status row under `id`: one of an event with that uuid, or one kept under
   * its id (with this message, when given: only unreadable commits' rows are asked about with their message).
   */
  async hasStatus(participant: string, id: string, message?: string): Promise<boolean> {
    await this.keys.load([statusKey(participant, id), eventKey(`${participant}/${id}`)]);
    const value = this.keys.get(statusKey(participant, id));
    if (message !== undefined) return value === messageHash(message);
    return value !== undefined || this.keys.get(eventKey(`${participant}/${id}`)) !== undefined;
  }

  chain(participant: string): ChainHead {
    return Object.hasOwn(this.root.chains, participant) ? this.root.chains[participant] : EMPTY_CHAIN;
  }
}

export interface LoadedState {
  /** Sequence of the commit read; -1 when no state exists yet. */
  seq: number;
  /**
   * The state a pass decides on: the core plus what the pass adds. From `openState` its history (event statuses, dedup
   * keys, jobs and runs that are over) is in `history`; from `loadLatestState` the state holds all of it.
   */
  state: CleanroomState;
  history?: StateHistory;
}

export class StateConflictError extends Error {
  constructor(readonly seq: number) {
    super(`another runtime pass committed state ${seq} first`);
    this.name = 'StateConflictError';
  }
}

export function stateKey(seq: number): string {
  return `${PREFIX}${String(seq).padStart(20, '0')}.json`;
}

const eventKey = (dedupKey: string) => `e:${dedupKey}`;
const jobKey = (jobId: string) => `j:${jobId}`;
const jobNameKey = (participant: string, name: string) => `n:${participant}/${name}`;
const statusKey = (participant: string, id: string) => `s:${participant}/${id}`;
const messageHash = (message: string) => createHash('sha256').update(message).digest('hex');

/** The latest state (or the commit `at`) as a pass needs it: the core, with its history to read on demand. */
export async function openState(store: ObjectStore, bucket: string, at?: number): Promise<LoadedState> {
  const seq = at ?? (await latestSeq(store, bucket));
  const parts = new PartStore(store, bucket);
  if (seq === -1) return { seq, state: emptyState(), history: new StateHistory(parts, emptyRoot(), null) };
  const bytes = await store.get(bucket, stateKey(seq));
  const rootHash = createHash('sha256').update(bytes).digest('hex');
  const parsed = JSON.parse(new TextDecoder().decode(bytes)) as { formatVersion?: unknown };
  if (parsed.formatVersion === LEGACY_FORMAT) {
    // Format 1: everything in one object; the next commit moves its history into parts.
    return { seq, state: normalise({ ...(parsed as unknown as CleanroomState), formatVersion: STATE_FORMAT_VERSION }), history: new StateHistory(parts, emptyRoot(), rootHash) };
  }
  if (parsed.formatVersion !== STATE_FORMAT_VERSION) {
    throw new Error(`state ${stateKey(seq)} has format ${String(parsed.formatVersion)}; this runtime reads formats ${LEGACY_FORMAT} and ${STATE_FORMAT_VERSION}: upgrade the runtime`);
  }
  const { core, ...root } = parsed as StateRoot;
  return { seq, state: normalise(await readCore(parts, core, root.shards)), history: new StateHistory(parts, root, rootHash) };
}

/** The latest state whole, history included (reads every part: diagnostics and tests, never a pass). */
export async function loadLatestState(store: ObjectStore, bucket: string): Promise<LoadedState> {
  return loadState(store, bucket);
}

/** The state of commit `at` (default: the latest) whole, history included; any commit still kept can be read. */
export async function loadState(store: ObjectStore, bucket: string, at?: number): Promise<LoadedState> {
  const opened = await openState(store, bucket, at);
  return { seq: opened.seq, state: await wholeState(opened.state, opened.history!) };
}

/** A pass's state (core plus what it added) with its history read back in: the state as one object. */
export async function wholeState(state: CleanroomState, history: StateHistory): Promise<CleanroomState> {
  const keys = await history.keys.all();
  const processed: Record<string, true> = {};
  for (const key of Object.keys(keys)) if (key.startsWith('e:')) processed[key.slice(2)] = true;
  Object.assign(processed, state.processedEvents);
  const eventStatus: CleanroomState['eventStatus'] = {};
  const jobs: CleanroomState['jobs'] = {};
  const runs: CleanroomState['runs'] = {};
  for (const participant of Object.keys(history.root.chains).sort()) {
    for (const entry of await readChain(history.parts, history.chain(participant))) {
      if (entry.kind === 'status') (eventStatus[participant] ??= []).push(entry.status);
      else if (entry.kind === 'job') jobs[entry.job.jobId] = entry.job;
      else runs[entry.key] = entry.run;
    }
  }
  for (const [participant, statuses] of Object.entries(state.eventStatus)) (eventStatus[participant] ??= []).push(...statuses);
  return { ...state, processedEvents: processed, eventStatus: sortKeys(eventStatus), jobs: { ...jobs, ...state.jobs }, runs: { ...runs, ...state.runs } };
}

export interface CommitOptions {
  /** The history of `base` (default: read from the base commit). */
  history?: StateHistory;
  /** Clean room time, to tell runs that are over (default: now). */
  now?: number;
  /** Runs ended without a result are polled this long (default 30 days, as the config's default). */
  retentionDays?: number;
}

/**
 * Commits `state` as `base + 1`; throws StateConflictError when another pass got there first. What the state holds
 * beyond the core (new statuses and dedup keys, jobs and runs that are over) moves into the history; on success `state`
 * is left as the committed core (in place), so a pass goes on from it.
 */
export async function commitState(store: ObjectStore, bucket: string, base: number, state: CleanroomState, options: CommitOptions = {}): Promise<number> {
  return (await commitWithHistory(store, bucket, base, state, options)).seq;
}

/** commitState, also returning the history of the new commit (what the rest of the pass goes on with). */
export async function commitWithHistory(store: ObjectStore, bucket: string, base: number, state: CleanroomState, options: CommitOptions = {}): Promise<{ seq: number; history: StateHistory }> {
  const seq = base + 1;
  const history = options.history ?? (await historyOf(store, bucket, base));
  const split = splitHistory(state, options.now ?? Date.now(), options.retentionDays ?? 30);
  const tag = newPartTag(seq);
  const superseded: string[] = [];
  const chains = { ...history.root.chains };
  for (const [participant, items] of [...split.chainItems].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    const appended = await appendToChain(history.parts, tag, participant, history.chain(participant), items);
    chains[participant] = appended.head;
    superseded.push(...appended.superseded);
  }
  let keys = history.root.keys;
  if (split.keys.size > 0) {
    // A fresh view of the keys, so a retried commit never carries a lost attempt's keys.
    const fresh = new KeyedHistory(history.parts, keys);
    await fresh.load(split.keys.keys());
    for (const [key, value] of split.keys) fresh.set(key, mergeValue(fresh.get(key), value));
    const written = await fresh.write(tag);
    keys = written.refs;
    superseded.push(...written.superseded);
  }
  const core = await writeCore(history.parts, tag, split.core, history.root.shards);
  superseded.push(...core.superseded);
  const garbage = [...history.root.garbage, ...(superseded.length > 0 ? [{ seq, list: await history.parts.write(tag, 'superseded', superseded) }] : [])].filter((g) => g.seq > seq - KEPT_COMMITS);
  const root: StateRoot = { formatVersion: STATE_FORMAT_VERSION, previous: history.rootHash, core: core.inline, shards: core.shards, keys, chains, garbage };
  const bytes = new TextEncoder().encode(JSON.stringify(root));
  try {
    await store.createIfAbsent(bucket, stateKey(seq), bytes);
  } catch (error) {
    if (error instanceof AlreadyExistsError) throw new StateConflictError(seq);
    throw error;
  }
  // Old commits are deleted, so a very stale pass could re-create a deleted sequence: it lost if anything is newer.
  const newer = await store.list(bucket, COMMITS_PREFIX, { startOffset: stateKey(seq + 1), maxResults: 2 });
  if (newer.objects.some((o) => COMMIT.test(o.key))) throw new StateConflictError(seq);
  await store.put(bucket, POINTER, new TextEncoder().encode(String(seq)));
  if (seq - KEPT_COMMITS >= 0) {
    await store.delete(bucket, stateKey(seq - KEPT_COMMITS));
    // Parts replaced by the oldest commit still kept were only named by the one just deleted and older ones.
    for (const g of history.root.garbage) {
      if (g.seq !== seq - KEPT_COMMITS + 1) continue;
      for (const ref of await history.parts.read<string[]>(g.list)) await history.parts.delete(ref);
      await history.parts.delete(g.list);
    }
  }
  Object.assign(state, split.core);
  const { core: _core, ...committed } = root;
  return { seq, history: new StateHistory(history.parts, committed, createHash('sha256').update(bytes).digest('hex')) };
}

async function historyOf(store: ObjectStore, bucket: string, base: number): Promise<StateHistory> {
  const opened = await openState(store, bucket);
  if (opened.seq !== base && base !== -1) throw new StateConflictError(base + 1);
  return base === -1 ? new StateHistory(new PartStore(store, bucket), emptyRoot(), null) : opened.history!;
}

/** The core to commit, and what moves into the history: chain items per participant and keys. */
function splitHistory(state: CleanroomState, now: number, retentionDays: number): { core: CleanroomState; chainItems: Map<string, ChainItem[]>; keys: Map<string, KeyValue> } {
  const chainItems = new Map<string, ChainItem[]>();
  const add = (participant: string, item: ChainItem) => chainItems.set(participant, [...(chainItems.get(participant) ?? []), item]);
  const keys = new Map<string, KeyValue>();
  for (const key of Object.keys(state.processedEvents)) keys.set(eventKey(key), 1);
  for (const participant of Object.keys(state.eventStatus).sort()) {
    for (const status of state.eventStatus[participant]) {
      add(participant, { kind: 'status', status });
      // An id that is not the event's dedup key (a synthetic id of an unreadable commit...) is kept with its message.
      if (!Object.hasOwn(state.processedEvents, `${participant}/${status.eventUuid}`)) keys.set(statusKey(participant, status.eventUuid), messageHash(status.message));
    }
  }
  // Runs that are no longer polled never change again; a job is over once it cannot start a run (ad hoc: its one run
  // exists; scheduled: deleted) and every run it started is over. Both go to their owner's chain.
  const polled = new Set(runsToPoll(state, now, retentionDays).map((run) => run.jobId));
  const pending = new Set(state.pendingEffects.flatMap((e) => (e.kind === 'submit_job' ? [parseRunKey(e.jobId).jobId] : [])));
  const runsOf = new Map<string, string[]>();
  for (const key of Object.keys(state.runs)) runsOf.set(parseRunKey(key).jobId, [...(runsOf.get(parseRunKey(key).jobId) ?? []), key]);
  const runs: Record<string, RunRecord> = {};
  const jobs: Record<string, JobRecord> = {};
  // A run still holding a job principal stays in the core until its access is revoked (processor/run-principals.ts).
  const overRuns = new Set(Object.keys(state.runs).filter((key) => !polled.has(key) && !holdsAccess(state.runs[key]) && Object.hasOwn(state.jobs, parseRunKey(key).jobId)));
  for (const key of Object.keys(state.runs).sort()) {
    if (!overRuns.has(key)) {
      runs[key] = state.runs[key];
      continue;
    }
    const job = state.jobs[parseRunKey(key).jobId];
    add(job.participant, { kind: 'run', key, run: state.runs[key], job: { jobId: job.jobId, jobName: job.jobName, participant: job.participant, outputLocation: job.outputLocation, createdAt: job.createdAt } });
  }
  for (const jobId of Object.keys(state.jobs).sort()) {
    const job = state.jobs[jobId];
    const started = runsOf.get(jobId) ?? [];
    const cannotStart = isScheduled(job) ? job.status === 'DELETED' : started.length > 0;
    if (!cannotStart || pending.has(jobId) || started.some((key) => !overRuns.has(key))) {
      jobs[jobId] = job;
      continue;
    }
    add(job.participant, { kind: 'job', job });
    keys.set(jobKey(jobId), 1);
    keys.set(jobNameKey(job.participant, job.jobName), isScheduled(job) ? { deleted: 1 } : { adHoc: 1 });
  }
  const core: CleanroomState = { ...state, eventStatus: {}, processedEvents: {}, jobs, runs };
  return { core, chainItems, keys };
}

/** A job name's summary keeps what every finished job of that name was. */
function mergeValue(old: KeyValue | undefined, value: KeyValue): KeyValue {
  if (typeof old === 'object' && typeof value === 'object') return { ...old, ...value };
  return value;
}

/** The sequence of the newest committed state (-1: none yet), without reading the state itself. */
export async function latestStateSeq(store: ObjectStore, bucket: string): Promise<number> {
  return latestSeq(store, bucket);
}

async function latestSeq(store: ObjectStore, bucket: string): Promise<number> {
  let hint = -1;
  try {
    hint = Number.parseInt(new TextDecoder().decode(await store.get(bucket, POINTER)), 10);
    if (!Number.isSafeInteger(hint)) hint = -1;
  } catch (error) {
    if (!(error instanceof NotFoundError)) throw error;
  }
  let seq = -1;
  let pageToken: string | undefined;
  do {
    const page = await store.list(bucket, COMMITS_PREFIX, { startOffset: hint >= 0 ? stateKey(hint) : undefined, pageToken });
    for (const object of page.objects) {
      const match = COMMIT.exec(object.key);
      if (match) seq = Math.max(seq, Number(match[1]));
    }
    pageToken = page.nextPageToken;
  } while (pageToken);
  return seq;
}

function emptyRoot(): Omit<StateRoot, 'core'> {
  return { formatVersion: STATE_FORMAT_VERSION, previous: null, keys: {}, chains: {}, garbage: [] };
}

/** Fields added within a format (tamper checks): a state written before them reads as "never checked". */
function normalise(state: CleanroomState): CleanroomState {
  state.publishedCheckedAt ??= {};
  return state;
}

function sortKeys<T>(record: Record<string, T>): Record<string, T> {
  return Object.fromEntries(Object.keys(record).sort().map((key) => [key, record[key]]));
}
