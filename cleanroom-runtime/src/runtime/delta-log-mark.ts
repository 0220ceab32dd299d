/**
 * What identifies a Delta table's current log cheaply: its newest commit file (version, storage generation, size).
 * A dataset check (a full snapshot) is valid as long as that mark is unchanged; telling whether it is costs one list
 * call that starts at the marked commit's name and asks for two objects: the commit itself (same generation and size:
 * not rewritten in place) and whatever follows it (nothing, or `_last_checkpoint`: no newer commit).
 */
import { commitFileName, logPrefix } from '../delta/actions';
import type { ObjectStore } from '../storage/object-store';

export interface LogMark {
  version: number;
  /** Storage generation of that commit file (null when the store reports none: then its size must match). */
  generation: string | null;
  size: number;
}

/** The mark of `version`'s commit as listed now, or undefined when it is not the newest commit any more (or gone). */
export async function markOf(store: ObjectStore, bucket: string, tablePath: string, version: number): Promise<LogMark | undefined> {
  const prefix = logPrefix(tablePath);
  const commitKey = prefix + commitFileName(version);
  const page = await store.list(bucket, prefix, { startOffset: commitKey, maxResults: 2 });
  const [commit, next] = page.objects;
  if (!commit || commit.key !== commitKey) return undefined;
  if (next && /^\d/.test(next.key.slice(prefix.length))) return undefined; // a newer commit, checkpoint or checksum
  return { version, generation: commit.generation ?? null, size: commit.size };
}

/** True when the table's newest commit is still the marked one, unchanged. */
export async function isCurrent(store: ObjectStore, bucket: string, tablePath: string, mark: LogMark): Promise<boolean> {
  const now = await markOf(store, bucket, tablePath, mark.version);
  return now !== undefined && now.generation === mark.generation && now.size === mark.size;
}
