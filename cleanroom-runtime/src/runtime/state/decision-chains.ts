/**
 * Each participant's history as a hash chain: its event statuses, and its jobs and runs once they are over, appended
 * in decision order. Every entry carries `hash` = sha256 of the previous entry's hash and the entry itself, so a
 * participant given its own entries (and nothing of the others') can check that none was changed, removed or inserted,
 * and the chain's head in each commit root pins the whole slice: the provenance ledger of its decisions.
 *
 * Storage: a commit appends one segment (a part) per participant with new entries; adjacent segments of similar size
 * are merged (the older one at most twice the newer, up to SEGMENT_CAP entries), so a chain of n entries has about
 * log2(n) + n / SEGMENT_CAP segments, the newest entries are one read away and merging costs O(log n) per entry.
 * The participant's segment list is itself a part (the chain's index), so the root holds three fields per participant.
 */
import { createHash } from 'node:crypto';
import type { EventStatusRecord, JobRecord, RunRecord } from '../../processor/state';
import type { PartStore } from './parts';

const SEGMENT_CAP = 10_000;

export type ChainItem =
  | { kind: 'status'; status: EventStatusRecord }
  /** A job that is over: an ad hoc job whose run ended, a deleted scheduled job. */
  | { kind: 'job'; job: JobRecord }
  /** A run no longer polled, under its run key, with what its published row needs of its job. */
  | { kind: 'run'; key: string; run: RunRecord; job: RunJob };

/** What a run's published row needs of its job. */
export type RunJob = Pick<JobRecord, 'jobId' | 'jobName' | 'participant' | 'outputLocation' | 'createdAt'>;

export type ChainEntry = ChainItem & { n: number; hash: string };

/** What a commit root holds of a participant's chain. */
export interface ChainHead {
  /** Entries so far. */
  count: number;
  /** Hash of the last entry ('' when none). */
  hash: string;
  /** The chain's index part (null when empty). */
  index: string | null;
  /** Per kind: the number of entries up to and including the last one of that kind (what a table of that kind shows). */
  kinds?: Partial<Record<ChainEntry['kind'], number>>;
}

interface Segment {
  ref: string;
  /** Number (n) of its first entry. */
  first: number;
  count: number;
  /** Per kind: n + 1 of its last entry of that kind (a reader of one kind skips segments without newer ones). */
  kinds?: Partial<Record<ChainEntry['kind'], number>>;
}

export const EMPTY_CHAIN: ChainHead = { count: 0, hash: '', index: null };

export function entryHash(previous: string, item: ChainItem, n: number): string {
  return createHash('sha256').update(previous).update('\n').update(JSON.stringify([n, item])).digest('hex');
}

/** Links `items` after `head`: the entries to store and the new head's count and hash. */
export function link(head: ChainHead, items: readonly ChainItem[]): { entries: ChainEntry[]; count: number; hash: string } {
  let hash = head.hash;
  const entries = items.map((item, i) => {
    const n = head.count + i;
    hash = entryHash(hash, item, n);
    return { ...item, n, hash };
  });
  return { entries, count: head.count + items.length, hash };
}

/** Verifies a run of entries from `previous` (the hash before the first): the first broken entry's number, or null. */
export function verify(previous: string, entries: readonly ChainEntry[]): number | null {
  let hash = previous;
  for (const { n, hash: stated, ...item } of entries) {
    hash = entryHash(hash, item as ChainItem, n);
    if (hash !== stated) return n;
  }
  return null;
}

/** Appends entries as a new segment, merging similar-size segments; returns the new head and the replaced parts. */
export async function appendToChain(parts: PartStore, tag: string, participant: string, head: ChainHead, items: readonly ChainItem[]): Promise<{ head: ChainHead; superseded: string[] }> {
  if (items.length === 0) return { head, superseded: [] };
  const linked = link(head, items);
  const superseded: string[] = [];
  const segments = head.index ? await parts.read<Segment[]>(head.index) : [];
  if (head.index) superseded.push(head.index);
  let entries = linked.entries;
  let first = head.count;
  // Merge while the newest stored segment is at most twice as large as what is being written.
  while (segments.length > 0) {
    const last = segments[segments.length - 1];
    if (last.count > 2 * entries.length || last.count + entries.length > SEGMENT_CAP) break;
    entries = [...(await parts.read<ChainEntry[]>(last.ref)), ...entries];
    first = last.first;
    superseded.push(last.ref);
    segments.pop();
  }
  const name = `chain-${Buffer.from(participant).toString('hex')}`;
  const segmentKinds: Segment['kinds'] = {};
  for (const entry of entries) segmentKinds[entry.kind] = entry.n + 1;
  segments.push({ ref: await parts.write(tag, `${name}-${first}`, entries), first, count: entries.length, kinds: segmentKinds });
  const index = await parts.write(tag, `${name}-index`, segments);
  const kinds = { ...head.kinds };
  for (const entry of linked.entries) kinds[entry.kind] = entry.n + 1;
  return { head: { count: linked.count, hash: linked.hash, index, kinds }, superseded };
}

/** The entries numbered `from` and later (every entry with from = 0), of one kind when given (skipping segments without it). */
export async function readChain(parts: PartStore, head: ChainHead, from = 0, kind?: ChainEntry['kind']): Promise<ChainEntry[]> {
  if (!head.index || from >= head.count) return [];
  const segments = await parts.read<Segment[]>(head.index);
  const out: ChainEntry[] = [];
  for (const segment of segments) {
    if (segment.first + segment.count <= from) continue;
    if (kind !== undefined && segment.kinds && (segment.kinds[kind] ?? 0) <= from) continue;
    for (const entry of await parts.read<ChainEntry[]>(segment.ref)) if (entry.n >= from) out.push(entry);
  }
  return out;
}
