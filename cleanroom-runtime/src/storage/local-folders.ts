/**
 * Walking a local bucket folder as Cloud Storage would see it: only real folders and regular files exist, and no
 * symbolic link is ever followed, at the last component of a key or at any folder in the middle of it.
 *
 * Node has no openat(2). Where the platform allows (Linux), each folder is opened with O_DIRECTORY | O_NOFOLLOW and
 * kept open while its children are used, through `/proc/self/fd/<fd>/<name>`: the kernel resolves that path from the
 * very folder that was opened, so a folder swapped for a link after it was opened changes nothing (checking and using
 * are one step). Elsewhere each folder is checked with lstat before it is used: a writer racing the check could still
 * swap a folder for a link in between, which is documented as the fallback's limit.
 */
import { closeSync, constants, fstatSync, promises as fs, openSync, statSync } from 'node:fs';
import * as path from 'node:path';

function flag(name: 'O_NOFOLLOW' | 'O_DIRECTORY' | 'O_NONBLOCK' | 'O_NOCTTY'): number {
  return (constants as Record<string, number | undefined>)[name] ?? 0;
}

const O_NOFOLLOW = flag('O_NOFOLLOW');
const O_DIRECTORY = flag('O_DIRECTORY');

/**
 * Opening an object: never through a link (O_NOFOLLOW), and without waiting for a writer when it is a FIFO
 * (O_NONBLOCK; no effect on regular files), nor making a terminal the controlling one (O_NOCTTY).
 */
export const OPEN_OBJECT_FLAGS = constants.O_RDONLY | O_NOFOLLOW | flag('O_NONBLOCK') | flag('O_NOCTTY');

/** Creating a staged write: a new file only (O_EXCL also refuses a link at that name). */
export const CREATE_TEMP_FLAGS = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | O_NOFOLLOW;

/** 'descriptors': folders held open and reached through /proc/self/fd (Linux); 'lstat': checked by path. */
export type FolderWalk = 'descriptors' | 'lstat';

/** Error codes meaning "a link, or something else than a folder, is where a folder should be". */
export const NOT_A_FOLDER_CODES: ReadonlySet<string> = new Set(['ENOTDIR', 'ELOOP', 'EMLINK']);

/** An open real folder. `entry(name)` reaches the child `name` of exactly this folder. */
export interface Folder {
  /** A path that reaches this folder itself (for readdir). */
  readonly path: string;
  entry(name: string): string;
  /** The real sub-folder `name`; rejects with ENOENT when absent, ENOTDIR/ELOOP when it is a link or not a folder. */
  child(name: string): Promise<Folder>;
  close(): Promise<void>;
}

class DescriptorFolder implements Folder {
  readonly path: string;

  private constructor(private readonly handle: fs.FileHandle) {
    this.path = `/proc/self/fd/${handle.fd}`;
  }

  static async open(location: string, followLast: boolean): Promise<Folder> {
    return new DescriptorFolder(await fs.open(location, constants.O_RDONLY | O_DIRECTORY | (followLast ? 0 : O_NOFOLLOW)));
  }

  entry(name: string): string {
    return `${this.path}/${name}`;
  }

  child(name: string): Promise<Folder> {
    return DescriptorFolder.open(this.entry(name), false);
  }

  close(): Promise<void> {
    return this.handle.close();
  }
}

class LstatFolder implements Folder {
  private constructor(readonly path: string) {}

  static async open(location: string, followLast: boolean): Promise<Folder> {
    const stats = followLast ? await fs.stat(location) : await fs.lstat(location);
    if (!stats.isDirectory()) throw notAFolder(location);
    return new LstatFolder(location);
  }

  entry(name: string): string {
    return path.join(this.path, name);
  }

  child(name: string): Promise<Folder> {
    return LstatFolder.open(this.entry(name), false);
  }

  async close(): Promise<void> {}
}

function notAFolder(location: string): NodeJS.ErrnoException {
  return Object.assign(new Error(`ENOTDIR: not a folder (or a symbolic link), open '${location}'`), { code: 'ENOTDIR', path: location });
}

let descriptorsWork: boolean | undefined;

/** Whether /proc/self/fd/<fd>/ reaches the folder opened as <fd> (Linux with /proc mounted). */
export function descriptorWalkAvailable(): boolean {
  if (descriptorsWork === undefined) {
    descriptorsWork = false;
    if (process.platform === 'linux' && O_DIRECTORY !== 0 && O_NOFOLLOW !== 0) {
      try {
        const fd = openSync('/', constants.O_RDONLY | O_DIRECTORY);
        try {
          const opened = fstatSync(fd);
          const reached = statSync(`/proc/self/fd/${fd}/.`);
          descriptorsWork = opened.dev === reached.dev && opened.ino === reached.ino;
        } finally {
          closeSync(fd);
        }
      } catch {
        descriptorsWork = false;
      }
    }
  }
  return descriptorsWork;
}

export function defaultFolderWalk(): FolderWalk {
  return descriptorWalkAvailable() ? 'descriptors' : 'lstat';
}

/**
 * Opens a folder by its path. `followLast`: whether the folder itself may be reached through a link (the operator's
 * own paths may be; nothing inside a bucket is).
 */
export function openFolder(location: string, walk: FolderWalk, followLast: boolean): Promise<Folder> {
  return walk === 'descriptors' ? DescriptorFolder.open(location, followLast) : LstatFolder.open(location, followLast);
}

/** The real folder `names` below `start`, taking ownership of `start` (closed unless it is the result). */
export async function descend(start: Folder, names: readonly string[]): Promise<Folder> {
  let current = start;
  try {
    for (const name of names) {
      const next = await current.child(name);
      await current.close();
      current = next;
    }
    return current;
  } catch (error) {
    await current.close();
    throw error;
  }
}
