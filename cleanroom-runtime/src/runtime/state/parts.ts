/**
 * The immutable objects a state commit refers to (`state/parts/<tag>/<name>.json`). A part is written once, with
 * put-if-absent, before the commit that names it; its tag (`<sequence>-<random>`) is unique to one attempt at one
 * commit, so two passes racing for a sequence never share a part, and a part replaced by commit k is garbage exactly
 * when the commits before k are pruned. Parts never change, so what was read or written is kept in memory (within a
 * byte bound) and a long-running runtime reads each part at most once.
 */
import { randomBytes } from 'node:crypto';
import { AlreadyExistsError, type ObjectStore } from '../../storage/object-store';

export const PARTS_PREFIX = 'state/parts/';
/** Parts kept in memory, in bytes of JSON (least recently used first out). */
const CACHE_BYTES = 64 * 1024 * 1024;

export function partKey(ref: string): string {
  return `${PARTS_PREFIX}${ref}.json`;
}

/** A tag for the parts of one attempt at committing `seq`. */
export function newPartTag(seq: number): string {
  return `${String(seq).padStart(20, '0')}-${randomBytes(4).toString('hex')}`;
}

/** Parsed parts by reference, least recently used first. */
class PartCache {
  private readonly entries = new Map<string, { value: unknown; bytes: number }>();
  private bytes = 0;

  get(ref: string): unknown {
    const entry = this.entries.get(ref);
    if (!entry) return undefined;
    this.entries.delete(ref);
    this.entries.set(ref, entry);
    return entry.value;
  }

  set(ref: string, value: unknown, bytes: number): void {
    if (bytes > CACHE_BYTES / 4) return;
    this.entries.set(ref, { value, bytes });
    this.bytes += bytes;
    for (const [key, entry] of this.entries) {
      if (this.bytes <= CACHE_BYTES) break;
      this.entries.delete(key);
      this.bytes -= entry.bytes;
    }
  }
}

/** One cache per state bucket and process: parts are immutable, so sharing it between passes is safe. */
const caches = new WeakMap<ObjectStore, Map<string, PartCache>>();

export class PartStore {
  private readonly cache: PartCache;
  /** Parts written through this instance (references), in order. */
  readonly written: string[] = [];

  constructor(readonly store: ObjectStore, readonly bucket: string) {
    let perBucket = caches.get(store);
    if (!perBucket) caches.set(store, (perBucket = new Map()));
    let cache = perBucket.get(bucket);
    if (!cache) perBucket.set(bucket, (cache = new PartCache()));
    this.cache = cache;
  }

  async read<T>(ref: string): Promise<T> {
    const cached = this.cache.get(ref);
    if (cached !== undefined) return structuredClone(cached) as T;
    const bytes = await this.store.get(this.bucket, partKey(ref));
    const value = JSON.parse(new TextDecoder().decode(bytes)) as T;
    this.cache.set(ref, value, bytes.byteLength);
    return structuredClone(value);
  }

  /** Writes a part under `tag`; returns its reference. Writing the same tag and name twice is a no-op. */
  async write(tag: string, name: string, value: unknown): Promise<string> {
    const ref = `${tag}/${name}`;
    const text = JSON.stringify(value);
    const bytes = new TextEncoder().encode(text);
    try {
      await this.store.createIfAbsent(this.bucket, partKey(ref), bytes);
    } catch (error) {
      // The same attempt writing again after a retried request: the part is there, and only this attempt writes it.
      if (!(error instanceof AlreadyExistsError)) throw error;
    }
    this.cache.set(ref, JSON.parse(text), bytes.byteLength);
    this.written.push(ref);
    return ref;
  }

  async delete(ref: string): Promise<void> {
    await this.store.delete(this.bucket, partKey(ref));
  }
}
