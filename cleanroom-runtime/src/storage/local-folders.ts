/**
 * Walking a local bucket folder as Cloud Storage would see it: only real folders and regular files exist, and no
 * symbolic link is ever followed, at the last component of a key or at any folder in the middle of it.
 *
 * Node has no openat(2). Where the platform allows (Linux), each folder is opened with O_DIRECTORY | O_NOFOLLOW and
 * kept open while its children are used, through `/proc/self/fd/<fd>/<name>`: the kernel resolves that path from the
 * very folder that was opened, so a folder swapped for a link after it was opened changes nothing (checking and using
 * are one step). Elsewhere each folder is checked with lstat before it is used: a writer racing the check could still
 * swap a folder for a link in between, which is documented as the fallback's limit.
 *
 * Folders are opened and checked synchronously: opening a folder or reading its attributes never waits on another
 * process (a FIFO is refused by O_DIRECTORY before it is opened), and a pass makes thousands of these calls, whose
 * round trips through libuv's thread pool cost more than the calls themselves. Files are opened and read async.
 */
import { closeSync, constants, fstatSync, lstatSync, openSync, readlinkSync, realpathSync, statSync } from 'node:fs';
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

export function errorCode(err: unknown): string | undefined {
  return typeof err === 'object' && err !== null && 'code' in err ? String((err as { code: unknown }).code) : undefined;
}

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

  private constructor(private readonly fd: number) {
    this.path = `/proc/self/fd/${fd}`;
  }

  static adopt(fd: number): Folder {
    return new DescriptorFolder(fd);
  }

  static async open(location: string, followLast: boolean): Promise<Folder> {
    return new DescriptorFolder(openSync(location, constants.O_RDONLY | O_DIRECTORY | (followLast ? 0 : O_NOFOLLOW)));
  }

  entry(name: string): string {
    return `${this.path}/${name}`;
  }

  child(name: string): Promise<Folder> {
    return DescriptorFolder.open(this.entry(name), false);
  }

  async close(): Promise<void> {
    closeSync(this.fd);
  }
}

class LstatFolder implements Folder {
  private constructor(readonly path: string) {}

  static async open(location: string, followLast: boolean): Promise<Folder> {
    const stats = followLast ? statSync(location) : lstatSync(location);
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

/**
 * Descriptor walk only, a shortcut for the usual case: the folder at `location` when the kernel's own name of the
 * opened folder (/proc/self/fd/<fd>) is `expected`, i.e. it was reached through real folders only, which is what
 * walking it one folder at a time would have found. Undefined otherwise (absent, a link on the way, renamed
 * meanwhile): the caller then walks. Opening a folder has no side effect, whatever the path led to.
 */
export function openFolderAt(location: string, expected: string): Folder | undefined {
  let fd: number;
  try {
    fd = openSync(location, constants.O_RDONLY | O_DIRECTORY);
  } catch {
    return undefined;
  }
  let actual: string | undefined;
  try {
    actual = readlinkSync(`/proc/self/fd/${fd}`);
  } catch {
    actual = undefined;
  }
  if (actual === expected) return DescriptorFolder.adopt(fd);
  closeSync(fd);
  return undefined;
}

/** The real path of a folder, or undefined when it does not exist (yet). */
export function realFolderPath(location: string): string | undefined {
  try {
    return realpathSync(location);
  } catch {
    return undefined;
  }
}

/**
 * The real folder `names` below `start`, taking ownership of `start` (closed unless it is the result). `enter` opens
 * each next folder (default: the existing child; a writer may create what is missing).
 */
export async function descend(
  start: Folder,
  names: readonly string[],
  enter: (parent: Folder, name: string, index: number) => Promise<Folder> = (parent, name) => parent.child(name),
): Promise<Folder> {
  let current = start;
  try {
    for (const [index, name] of names.entries()) {
      const next = await enter(current, name, index);
      await current.close();
      current = next;
    }
    return current;
  } catch (error) {
    await current.close();
    throw error;
  }
}
