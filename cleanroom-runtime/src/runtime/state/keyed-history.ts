/**
 * Keys the clean room must look up in its whole history, at a cost that does not grow with it: dedup keys of every
 * event decided (`e:`), the event_status ids of every participant (`s:`, with the message's hash), the ids of jobs that
 * are over (`j:`) and their names (`n:`). Stored as a fixed two-level hash table over sha256(key): 16 directories
 * (first hex digit) of up to 256 leaves (next two), each leaf a part holding its keys. Looking a key up reads its
 * directory and its leaf (cached once read); a commit rewrites only the leaves that gained keys and their
 * directories. At 100,000 events a leaf holds about 50 keys (~3 KB); the shape is fixed, so a leaf grows with
 * history only past ~10 million keys.
 */
import { createHash } from 'node:crypto';
import { HistoryNotLoadedError } from '../../processor/context';
import type { PartStore } from './parts';

/** What a key maps to: `1` (present), or the hash of a message, or a finished job name's summary. */
export type KeyValue = 1 | string | { adHoc?: 1; deleted?: 1 };
type Leaf = Record<string, KeyValue>;
type Directory = Record<string, string>;

export function leafOf(key: string): string {
  return createHash('sha256').update(key).digest('hex').slice(0, 3);
}

export class KeyedHistory {
  private readonly directories = new Map<string, Directory>();
  private readonly leaves = new Map<string, Leaf>();
  private readonly changed = new Set<string>();

  /** `refs`: directory references by first hex digit, as the commit root names them. */
  constructor(private readonly parts: PartStore, private refs: Readonly<Record<string, string>>) {}

  /** Loads the leaves holding `keys` (and their directories). */
  async load(keys: Iterable<string>): Promise<void> {
    const wanted = new Set<string>();
    for (const key of keys) wanted.add(leafOf(key));
    await Promise.all([...wanted].filter((leaf) => !this.leaves.has(leaf)).map((leaf) => this.loadLeaf(leaf)));
  }

  /** The value of a loaded key; throws HistoryNotLoadedError when its leaf was not loaded. */
  get(key: string): KeyValue | undefined {
    const leaf = this.leaves.get(leafOf(key));
    if (!leaf) throw new HistoryNotLoadedError(key);
    return Object.hasOwn(leaf, key) ? leaf[key] : undefined;
  }

  /** Sets keys (their leaves must be loaded). */
  set(key: string, value: KeyValue): void {
    const id = leafOf(key);
    const leaf = this.leaves.get(id);
    if (!leaf) throw new HistoryNotLoadedError(key);
    leaf[key] = value;
    this.changed.add(id);
  }

  get hasChanges(): boolean {
    return this.changed.size > 0;
  }

  /** Writes the changed leaves and their directories under `tag`; returns the new directory refs and the replaced parts. */
  async write(tag: string): Promise<{ refs: Record<string, string>; superseded: string[] }> {
    const refs = { ...this.refs };
    const superseded: string[] = [];
    const byDirectory = new Map<string, string[]>();
    for (const id of [...this.changed].sort()) byDirectory.set(id[0], [...(byDirectory.get(id[0]) ?? []), id]);
    for (const [dir, ids] of byDirectory) {
      const directory = { ...(await this.directory(dir)) };
      for (const id of ids) {
        if (directory[id]) superseded.push(directory[id]);
        directory[id] = await this.parts.write(tag, `keys-${id}`, this.leaves.get(id));
      }
      if (refs[dir]) superseded.push(refs[dir]);
      refs[dir] = await this.parts.write(tag, `keys-${dir}`, directory);
      this.directories.set(dir, directory);
    }
    this.refs = refs;
    this.changed.clear();
    return { refs, superseded };
  }

  /** Every key and value (reads every leaf: for diagnostics and the whole-state view, never in a pass). */
  async all(): Promise<Leaf> {
    const out: Leaf = {};
    for (const dir of Object.keys(this.refs).sort()) {
      for (const id of Object.keys(await this.directory(dir)).sort()) {
        if (!this.leaves.has(id)) await this.loadLeaf(id);
        Object.assign(out, this.leaves.get(id));
      }
    }
    return out;
  }

  private async directory(dir: string): Promise<Directory> {
    let directory = this.directories.get(dir);
    if (!directory) {
      const ref = this.refs[dir];
      directory = ref ? await this.parts.read<Directory>(ref) : {};
      this.directories.set(dir, directory);
    }
    return directory;
  }

  private async loadLeaf(id: string): Promise<void> {
    const ref = (await this.directory(id[0]))[id];
    const leaf = ref ? await this.parts.read<Leaf>(ref) : {};
    if (!this.leaves.has(id)) this.leaves.set(id, leaf);
  }
}
