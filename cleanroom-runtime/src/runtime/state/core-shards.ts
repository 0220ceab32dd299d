/**
 * The core's large maps (registrations, events marks, publication records, dataset checks...) kept in parts, so a
 * commit rewrites the few entries a pass changed rather than the whole core: a map whose JSON is larger than
 * INLINE_BYTES is split into 16 shards by a hex digit of the key's FNV-1a hash, each an immutable part named in the root
 * with the sha256 of its content. A commit writes only the shards whose content changed (one event touches a shard or
 * two of a few maps) and names the others as they were; a small clean room keeps every map in the root (one read).
 *
 * Entries are read back in key order (a shard cannot keep the insertion order of the whole map); the processor and
 * the views never depend on that order (views sort their rows).
 */
import { createHash } from 'node:crypto';
import { mapLimit } from '../../delta/log-reader';
import type { CleanroomState } from '../../processor/state';
import type { PartStore } from './parts';

/** The core's maps that may be kept in parts (keyed by name, id, participant or location). */
const SHARDABLE = ['datasets', 'code', 'jobs', 'runs', 'eventsVersions', 'eventsTables', 'published', 'publishedCode', 'publishedCheckedAt', 'publishedTables', 'datasetChecks'] as const;
export type ShardableField = (typeof SHARDABLE)[number];
/** A map whose JSON is at most this many bytes stays in the root. */
const INLINE_BYTES = 4096;
const PARALLEL = 16;

export interface ShardRef {
  ref: string;
  /** sha256 of the part's JSON: a commit whose shard has the same content names the same part. */
  hash: string;
}

/** Per map kept in parts: shard (hex digit) → its part. A map absent here is in the root's core. */
export type CoreShards = Partial<Record<ShardableField, Record<string, ShardRef>>>;

type AnyMap = Record<string, unknown>;

/** The shard of a key: a hex digit of its FNV-1a hash (stable, and cheap for maps of thousands of keys). */
export function shardOf(key: string): string {
  let hash = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) hash = Math.imul(hash ^ key.charCodeAt(i), 0x01000193);
  return ((hash >>> 0) & 15).toString(16);
}

/** The core as a pass uses it: the root's core with its sharded maps read back in (key order). */
export async function readCore(parts: PartStore, inline: CleanroomState, shards: CoreShards | undefined): Promise<CleanroomState> {
  const wanted = Object.entries(shards ?? {}).flatMap(([field, byDigit]) => Object.values(byDigit).map((shard) => ({ field, shard })));
  const read = await mapLimit(wanted, PARALLEL, ({ shard }) => parts.read<AnyMap>(shard.ref));
  const entries = new Map<string, Array<[string, unknown]>>();
  wanted.forEach(({ field }, i) => {
    let list = entries.get(field);
    if (!list) entries.set(field, (list = []));
    for (const entry of Object.entries(read[i])) list.push(entry);
  });
  const core: AnyMap = { ...inline };
  // fromEntries defines own properties: a key such as "__proto__" stays a key.
  for (const [field, list] of entries) core[field] = Object.fromEntries(list.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  for (const field of Object.keys(shards ?? {})) core[field] ??= {};
  return core as unknown as CleanroomState;
}

/**
 * The root's core and shards for `core`, writing the shards whose content differs from `base`'s under `tag`; also
 * the parts of `base` no longer named (superseded).
 */
export async function writeCore(parts: PartStore, tag: string, core: CleanroomState, base: CoreShards | undefined): Promise<{ inline: CleanroomState; shards: CoreShards; superseded: string[] }> {
  const inline: AnyMap = { ...core };
  const shards: CoreShards = {};
  const kept = new Set<string>();
  const writes: Array<{ field: ShardableField; digit: string; value: AnyMap; hash: string }> = [];
  for (const field of SHARDABLE) {
    const map = core[field] as AnyMap | undefined;
    if (map === undefined) continue;
    const byDigit = new Map<string, AnyMap>();
    for (const key of Object.keys(map).sort()) {
      const digit = shardOf(key);
      let shard = byDigit.get(digit);
      if (!shard) byDigit.set(digit, (shard = {}));
      // defineProperty: a key such as "__proto__" stays a key.
      Object.defineProperty(shard, key, { value: map[key], enumerable: true, writable: true, configurable: true });
    }
    const texts = [...byDigit].map(([digit, value]) => ({ digit, value, text: JSON.stringify(value) }));
    if (texts.reduce((n, t) => n + t.text.length, 0) <= INLINE_BYTES) continue;
    const fieldShards: Record<string, ShardRef> = {};
    for (const { digit, value, text } of texts) {
      const hash = createHash('sha256').update(text).digest('hex');
      const previous = base?.[field]?.[digit];
      if (previous && previous.hash === hash) {
        fieldShards[digit] = previous;
        kept.add(previous.ref);
      } else writes.push({ field, digit, value, hash });
    }
    shards[field] = fieldShards;
    inline[field] = {};
  }
  const written = await mapLimit(writes, PARALLEL, ({ field, digit, value }) => parts.write(tag, `core-${field}-${digit}`, value));
  writes.forEach(({ field, digit, hash }, i) => (shards[field]![digit] = { ref: written[i], hash }));
  const superseded = Object.values(base ?? {}).flatMap((byDigit) => Object.values(byDigit).map((s) => s.ref)).filter((ref) => !kept.has(ref));
  return { inline: inline as unknown as CleanroomState, shards, superseded };
}
