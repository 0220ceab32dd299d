/**
 * Keys the clean room must look up in its whole history, at a cost that does not grow with it: dedup keys of every
 * event decided (`e:`), event_status ids that are not dedup keys (`s:`, with the message's hash: synthetic ids of
 * unreadable commits), the ids of jobs that are over (`j:`) and their names (`n:`).
 *
 * Stored as a hash table over sha256(key) (hex) that grows by splitting: 16 directories (by the first hex digit), each
 * mapping hash prefixes to leaves; a leaf holds the keys whose hash starts with its prefix, and once it holds more
 * than LEAF_KEYS it is split into 16 leaves one digit longer. So a leaf holds at most a few hundred keys at any age, a
 * lookup reads one directory and one leaf (cached once read), and a commit rewrites only the leaves that gained keys
 * and their directories; a pass of 10,000 events touches a few hundred leaves, not one per key.
 */
import { createHash } from 'node:crypto';
import { mapLimit } from '../../delta/log-reader';
import { HistoryNotLoadedError } from '../../processor/context';
import type { PartStore } from './parts';

/** What a key maps to: `1` (present), or the hash of a message, or a finished job name's summary. */
export type KeyValue = 1 | string | { adHoc?: 1; deleted?: 1 };
type Leaf = Record<string, KeyValue>;
/**
 * Hash prefix → leaf reference ('' for an empty leaf, which has no part); the prefixes of one directory never prefix
 * one another, and a split leaf leaves all 16 of its children, so every hash has exactly one leaf.
 */
type Directory = Record<string, string>;

const LEAF_KEYS = 128;
const PARALLEL = 16;

function hashOf(key: string): string {
  return createHash('sha256').update(key).digest('hex');
}

export class KeyedHistory {
  private readonly directories = new Map<string, Directory>();
  /** Loaded leaves by prefix. */
  private readonly leaves = new Map<string, Leaf>();
  private readonly changed = new Set<string>();
  private readonly longest = new Map<string, { directory: Directory; length: number }>();

  /** `refs`: directory references by first hex digit, as the commit root names them. */
  constructor(private readonly parts: PartStore, private refs: Readonly<Record<string, string>>) {}

  /** Loads the leaves holding `keys` (and their directories). */
  async load(keys: Iterable<string>): Promise<void> {
    const hashes = [...new Set([...keys].map(hashOf))];
    await mapLimit([...new Set(hashes.map((h) => h[0]))], PARALLEL, (dir) => this.directory(dir));
    const prefixes = [...new Set(hashes.map((h) => this.prefixOf(h)))].filter((p) => !this.leaves.has(p));
    await mapLimit(prefixes, PARALLEL, (prefix) => this.loadLeaf(prefix));
  }

  /** The value of a loaded key; throws HistoryNotLoadedError when its leaf was not loaded. */
  get(key: string): KeyValue | undefined {
    const leaf = this.leafFor(key);
    return Object.hasOwn(leaf, key) ? leaf[key] : undefined;
  }

  /** Sets a key (its leaf must be loaded). */
  set(key: string, value: KeyValue): void {
    const hash = hashOf(key);
    if (!this.directories.has(hash[0])) throw new HistoryNotLoadedError(key);
    const prefix = this.prefixOf(hash);
    const leaf = this.leaves.get(prefix);
    if (!leaf) throw new HistoryNotLoadedError(key);
    leaf[key] = value;
    this.changed.add(prefix);
  }

  /** Writes the changed leaves (split when too large) and their directories under `tag`; returns the new directory refs and the replaced parts. */
  async write(tag: string): Promise<{ refs: Record<string, string>; superseded: string[] }> {
    const refs = { ...this.refs };
    const superseded: string[] = [];
    const byDirectory = new Map<string, string[]>();
    for (const prefix of [...this.changed].sort()) byDirectory.set(prefix[0], [...(byDirectory.get(prefix[0]) ?? []), prefix]);
    await mapLimit([...byDirectory], PARALLEL, async ([dir, prefixes]) => {
      const directory = { ...(await this.directory(dir)) };
      const writes: Array<[string, Leaf]> = [];
      for (const prefix of prefixes) {
        if (directory[prefix]) superseded.push(directory[prefix]); // '' (empty) has no part
        delete directory[prefix];
        for (const [child, leaf] of split(prefix, this.leaves.get(prefix)!)) writes.push([child, leaf]);
      }
      const written = await mapLimit(writes, PARALLEL, ([prefix, leaf]) => (Object.keys(leaf).length === 0 ? Promise.resolve('') : this.parts.write(tag, `keys-${prefix}`, leaf)));
      writes.forEach(([prefix, leaf], i) => {
        directory[prefix] = written[i];
        this.leaves.set(prefix, leaf);
      });
      for (const prefix of prefixes) if (!Object.hasOwn(directory, prefix)) this.leaves.delete(prefix);
      if (refs[dir]) superseded.push(refs[dir]);
      refs[dir] = await this.parts.write(tag, `keys-dir-${dir}`, directory);
      this.directories.set(dir, directory);
    });
    this.refs = refs;
    this.changed.clear();
    return { refs, superseded };
  }

  /** Every key and value (reads every leaf: for diagnostics and the whole-state view, never in a pass). */
  async all(): Promise<Leaf> {
    const out: Leaf = {};
    for (const dir of Object.keys(this.refs).sort()) {
      for (const prefix of Object.keys(await this.directory(dir)).sort()) {
        if (!this.leaves.has(prefix)) await this.loadLeaf(prefix);
        Object.assign(out, this.leaves.get(prefix));
      }
    }
    return out;
  }

  private leafFor(key: string): Leaf {
    const hash = hashOf(key);
    if (!this.directories.has(hash[0])) throw new HistoryNotLoadedError(key);
    const leaf = this.leaves.get(this.prefixOf(hash));
    if (!leaf) throw new HistoryNotLoadedError(key);
    return leaf;
  }

  /** The prefix of the leaf that holds `hash` (its directory loaded): the shortest one present, or the digit alone. */
  private prefixOf(hash: string): string {
    const directory = this.directories.get(hash[0])!;
    const longest = this.longestPrefix(hash[0], directory);
    for (let length = 1; length <= longest; length++) if (Object.hasOwn(directory, hash.slice(0, length))) return hash.slice(0, length);
    return hash[0];
  }

  /** The length of a directory's longest prefix (a lookup tries no longer one), remembered per directory object. */
  private longestPrefix(dir: string, directory: Directory): number {
    const known = this.longest.get(dir);
    if (known && known.directory === directory) return known.length;
    const length = Math.max(1, ...Object.keys(directory).map((prefix) => prefix.length));
    this.longest.set(dir, { directory, length });
    return length;
  }

  private async directory(dir: string): Promise<Directory> {
    let directory = this.directories.get(dir);
    if (!directory) {
      const ref = Object.hasOwn(this.refs, dir) ? this.refs[dir] : undefined;
      directory = ref ? await this.parts.read<Directory>(ref) : {};
      this.directories.set(dir, directory);
    }
    return directory;
  }

  private async loadLeaf(prefix: string): Promise<void> {
    const directory = await this.directory(prefix[0]);
    const ref = Object.hasOwn(directory, prefix) ? directory[prefix] : undefined;
    const leaf = ref ? await this.parts.read<Leaf>(ref) : {};
    if (!this.leaves.has(prefix)) this.leaves.set(prefix, leaf);
  }
}

/** A leaf as written: itself, or (above LEAF_KEYS) its keys spread over all 16 leaves one hex digit longer, recursively. */
function split(prefix: string, leaf: Leaf): Array<[string, Leaf]> {
  const keys = Object.keys(leaf);
  if (keys.length <= LEAF_KEYS || prefix.length >= 64) return [[prefix, leaf]];
  const children = new Map<string, Leaf>([...'0123456789abcdef'].map((digit) => [prefix + digit, {}]));
  for (const key of keys) {
    const child = hashOf(key).slice(0, prefix.length + 1);
    const target = children.get(child) ?? {};
    target[key] = leaf[key];
    children.set(child, target);
  }
  return [...children].flatMap(([child, keysOf]) => split(child, keysOf));
}
