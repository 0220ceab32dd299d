/**
 * The authoritative state in the state bucket, committed with compare-and-swap: each commit is a new object
 * `state/<20-digit sequence>.json` written with createIfAbsent, so of two passes committing on the same base
 * exactly one wins; the loser re-reads and retries. `state/LATEST` is only a hint that keeps lookups to one
 * list call; the highest sequence present is the truth.
 */
import { AlreadyExistsError, NotFoundError, type ObjectStore } from '../storage/object-store';
import { emptyState, STATE_FORMAT_VERSION, type CleanroomState } from '../processor/state';

const PREFIX = 'state/';
const POINTER = `${PREFIX}LATEST`;
const COMMIT = /^state\/(\d{20})\.json$/;
/** Older commits kept for inspection; older ones are deleted as new ones land. */
export const KEPT_COMMITS = 20;

export interface LoadedState {
  /** Sequence of the commit read; -1 when no state exists yet. */
  seq: number;
  state: CleanroomState;
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

export async function loadLatestState(store: ObjectStore, bucket: string): Promise<LoadedState> {
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
    const page = await store.list(bucket, PREFIX, { startOffset: hint >= 0 ? stateKey(hint) : undefined, pageToken });
    for (const object of page.objects) {
      const match = COMMIT.exec(object.key);
      if (match) seq = Math.max(seq, Number(match[1]));
    }
    pageToken = page.nextPageToken;
  } while (pageToken);
  if (seq === -1) return { seq: -1, state: emptyState() };
  const state = JSON.parse(new TextDecoder().decode(await store.get(bucket, stateKey(seq)))) as CleanroomState;
  if (state.formatVersion !== STATE_FORMAT_VERSION) {
    throw new Error(`state ${stateKey(seq)} has format ${String(state.formatVersion)}; this runtime reads format ${STATE_FORMAT_VERSION}: upgrade the runtime`);
  }
  // Fields added within format 1 (tamper checks): a state written before them reads as "never checked".
  state.publishedCheckedAt ??= {};
  return { seq, state };
}

/** Commits `state` as `base + 1`; throws StateConflictError when another pass got there first. */
export async function commitState(store: ObjectStore, bucket: string, base: number, state: CleanroomState): Promise<number> {
  const seq = base + 1;
  try {
    await store.createIfAbsent(bucket, stateKey(seq), new TextEncoder().encode(JSON.stringify(state)));
  } catch (error) {
    if (error instanceof AlreadyExistsError) throw new StateConflictError(seq);
    throw error;
  }
  // Old commits are deleted, so a very stale pass could re-create a deleted sequence: it lost if anything is newer.
  const newer = await store.list(bucket, PREFIX, { startOffset: stateKey(seq + 1), maxResults: 2 });
  if (newer.objects.some((o) => COMMIT.test(o.key))) throw new StateConflictError(seq);
  await store.put(bucket, POINTER, new TextEncoder().encode(String(seq)));
  if (seq - KEPT_COMMITS >= 0) await store.delete(bucket, stateKey(seq - KEPT_COMMITS));
  return seq;
}
