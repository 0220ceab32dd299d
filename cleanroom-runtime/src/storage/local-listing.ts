/**
 * Listing a local bucket folder as GCS lists a bucket: the regular files below a folder, in UTF-8 byte order,
 * from a start offset, a page at a time. Only real folders are walked (never a link, so never a loop); links,
 * FIFOs, sockets, devices and names no GCS object could have are left out.
 */
import { promises as fs } from 'node:fs';
import { errorCode, Folder, NOT_A_FOLDER_CODES } from './local-folders';
import { LOCAL_TEMP_DIR } from './names';
import type { ObjectInfo } from './object-store';

/** GCS limit on object names, in UTF-8 bytes: nothing deeper is listed. */
const MAX_KEY_BYTES = 1024;

/** Names no GCS object could have (CR and LF are refused by GCS, a backslash by this project's keys). */
const UNLISTABLE_NAME = /[\\\r\n]/;

export interface ListScope {
  prefix: string;
  /** Keys listed are >= startOffset and > after (UTF-8 bytes, GCS order). */
  startOffset?: Buffer;
  after?: Buffer;
  /** Stop once this many objects are found. */
  want: number;
}

/** A listable entry of a folder: its key (a folder's ends in '/'), as text and as the bytes it sorts by. */
interface ListEntry {
  name: string;
  key: string;
  bytes: Buffer;
  isFolder: boolean;
}

/**
 * Depth-first over real folders, each folder's entries in key order (a folder sorts as `name/`), so objects come
 * out in GCS's byte order and the walk stops as soon as a page (plus one, to know there is more) is found.
 * Closes `folder`.
 */
export async function collectObjects(folder: Folder, relative: string, scope: ListScope, found: ObjectInfo[]): Promise<void> {
  try {
    for (const entry of await entriesOf(folder, relative, scope)) {
      if (found.length >= scope.want) return;
      if (entry.isFolder) {
        const child = await folder.child(entry.name).catch((error: unknown) => {
          if (errorCode(error) === 'ENOENT' || NOT_A_FOLDER_CODES.has(errorCode(error) ?? '')) return undefined; // changed since read
          throw error;
        });
        if (child) await collectObjects(child, entry.key, scope, found);
      } else {
        const info = await describe(folder, entry.name, entry.key);
        if (info) found.push(info);
      }
    }
  } finally {
    await folder.close();
  }
}

/**
 * The real folders and regular files of a folder that can be in the listing, sorted by key; links, FIFOs,
 * sockets, devices and names no GCS object could have are left out.
 */
async function entriesOf(folder: Folder, relative: string, scope: ListScope): Promise<ListEntry[]> {
  const dirents = await fs.readdir(folder.path, { withFileTypes: true }).catch((error: unknown) => {
    // Only a folder checked by path can vanish or turn into a link after its check (see local-folders.ts).
    if (errorCode(error) === 'ENOENT' || NOT_A_FOLDER_CODES.has(errorCode(error) ?? '')) return [];
    throw error;
  });
  const entries: ListEntry[] = [];
  for (const dirent of dirents) {
    const name = dirent.name;
    if (relative === '' && name === LOCAL_TEMP_DIR) continue; // staged writes are not objects
    if (UNLISTABLE_NAME.test(name)) continue;
    let isFolder = dirent.isDirectory();
    let isFile = dirent.isFile();
    const unknownType = !isFolder && !isFile && !dirent.isSymbolicLink() && !dirent.isFIFO() && !dirent.isSocket() && !dirent.isBlockDevice() && !dirent.isCharacterDevice();
    // Node decodes names as UTF-8 and turns invalid bytes into U+FFFD: such a name then reaches no entry.
    if (unknownType || name.includes('\uFFFD')) {
      // Ask without following the entry what it is (its type unknown to the file system, or its name in doubt).
      const stats = await fs.lstat(folder.entry(name)).catch(() => undefined);
      isFolder = stats?.isDirectory() ?? false;
      isFile = stats?.isFile() ?? false;
    }
    if (!isFolder && !isFile) continue;
    const key = isFolder ? `${relative}${name}/` : `${relative}${name}`;
    if (!key.startsWith(scope.prefix) && !(isFolder && scope.prefix.startsWith(key))) continue;
    const bytes = Buffer.from(key, 'utf8');
    if (isFolder ? mayHoldListedKeys(bytes, scope) : isListed(bytes, scope)) entries.push({ name, key, bytes, isFolder });
  }
  return entries.sort((a, b) => Buffer.compare(a.bytes, b.bytes));
}

/** Whether keys below the folder whose key (ending in '/') is `bytes` can be in this listing (prefix checked). */
function mayHoldListedKeys(bytes: Buffer, scope: ListScope): boolean {
  if (bytes.length >= MAX_KEY_BYTES) return false;
  // Every key below the folder sorts before a bound that the folder's key is not a prefix of and sorts after.
  for (const bound of [scope.startOffset, scope.after]) {
    if (bound !== undefined && Buffer.compare(bytes, bound) < 0 && !bound.subarray(0, bytes.length).equals(bytes)) return false;
  }
  return true;
}

/** Whether the key (UTF-8 `bytes`, prefix checked) is in this listing's range. */
function isListed(bytes: Buffer, scope: ListScope): boolean {
  return (
    bytes.length <= MAX_KEY_BYTES &&
    (scope.startOffset === undefined || Buffer.compare(bytes, scope.startOffset) >= 0) &&
    (scope.after === undefined || Buffer.compare(bytes, scope.after) > 0)
  );
}

/** Size and generation of a regular file, or undefined when it is gone or is no longer a regular file. */
async function describe(folder: Folder, name: string, key: string): Promise<ObjectInfo | undefined> {
  try {
    const st = await fs.lstat(folder.entry(name), { bigint: true });
    if (!st.isFile()) return undefined;
    // Each write makes a new inode (rename/link of a fresh temp file), so inode + mtime changes on every write.
    return { key, size: Number(st.size), generation: `${st.ino}.${st.mtimeNs}` };
  } catch (err) {
    if (errorCode(err) === 'ENOENT') return undefined;
    throw err;
  }
}

