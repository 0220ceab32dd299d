/**
 * Object store over local folders, used for local rehearsals and tests. `gs://bucket/key` maps to
 * `<root>/gs/<bucket>/<key>`. Writes are staged in a hidden temp folder inside the bucket's folder (same file
 * system, so link/rename are atomic) and only then made visible, so a crashed writer never leaves a partial object.
 *
 * A participant can put anything in its bucket folder: symbolic links, FIFOs, sockets, hard links, loops. Cloud
 * Storage has none of these, so this store shows a bucket as GCS would (local-folders.ts walks it, local-listing.ts lists it):
 * - an object is a regular file reached through real folders only: no link is followed, at the key's last
 *   component or at any folder in the middle (so `control/runs -> ../../keeper/input/users` is not a way into
 *   another bucket, and a link loop is never walked);
 * - anything else at a key (link, FIFO, socket, device, folder) is absent, as GCS would have no object there:
 *   `get` says NotFoundError and `list` leaves it out, so reads and listings agree; a FIFO is opened without
 *   waiting (O_NONBLOCK) and refused from its fstat, never read;
 * - writes never go through a link: a link where a folder of the key should be is refused with
 *   NotAnObjectError naming it, `put` replaces whatever non-folder entry is at the key (a rename does not follow
 *   links), `createIfAbsent` refuses a link or FIFO at the key with NotAnObjectError (replacing it atomically
 *   without risking a concurrent writer's object is impossible), and `delete` removes the entry itself.
 * Hard links are regular files and are read as such: a hard link is a second name of the same bytes that only
 * someone allowed to read them could make (Linux `fs.protected_hardlinks`), and our own create-if-absent is a hard
 * link for an instant; writes never modify a linked file, since they always publish a new file.
 */
import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import {
  AlreadyExistsError,
  checkMaxBytes,
  GetOptions,
  ListOptions,
  ListPage,
  NotFoundError,
  ObjectInfo,
  ObjectStore,
  ObjectTooLargeError,
} from './object-store';
import { InvalidNameError, LOCAL_TEMP_DIR, validateBucketName, validateObjectKey, validatePrefix } from './names';
import { collectObjects, ListScope } from './local-listing';
import { decodePageToken, encodePageToken } from './page-token';
import {
  CREATE_TEMP_FLAGS,
  defaultFolderWalk,
  descend,
  errorCode,
  Folder,
  FolderWalk,
  NOT_A_FOLDER_CODES,
  OPEN_OBJECT_FLAGS,
  openFolder,
  openFolderAt,
  realFolderPath,
} from './local-folders';

export const DEFAULT_MAX_RESULTS = 1000;

/** Errors of opening a key's file that mean "there is no object there". */
const ABSENT_ON_OPEN = new Set(['ENOENT', 'ENOTDIR', 'ELOOP', 'EMLINK', 'ENXIO', 'ENODEV', 'EOPNOTSUPP']);

const COPY_CHUNK_BYTES = 1024 * 1024;

export interface LocalObjectStoreOptions {
  /**
   * 'gs' (default): buckets are GCS-named folders under `<root>/gs/`.
   * 'direct': each bucket is the folder `<root>/<bucket>` with any folder name (used to open plain folders).
   */
  bucketLayout?: 'gs' | 'direct';
  /** How folders are walked without following links; default 'descriptors' where the platform allows (Linux). */
  folderWalk?: FolderWalk;
}

/** Something other than an object or a folder (a symbolic link, FIFO, socket, device) is in the way of a write. */
export class NotAnObjectError extends Error {
  constructor(readonly bucket: string, readonly key: string, readonly entry: string, readonly kind: string) {
    super(
      `cannot write gs://${bucket}/${key} in the local bucket folder: ${entry} is a ${kind}, which Cloud Storage does ` +
        `not have (only objects and folders); the local store never writes through or over it: remove it`,
    );
    this.name = 'NotAnObjectError';
  }
}

/** Where `gs://bucket/key` lives under a local root (the same mapping LocalObjectStore uses). */
export function localPathFor(root: string, bucket: string, key: string): string {
  return new LocalObjectStore(root).objectPath(bucket, key);
}

/** What an lstat says is at a path, in words. */
function kindOf(stats: { isFile(): boolean; isDirectory(): boolean; isSymbolicLink(): boolean; isFIFO(): boolean; isSocket(): boolean }): string {
  if (stats.isSymbolicLink()) return 'symbolic link';
  if (stats.isDirectory()) return 'folder';
  if (stats.isFile()) return 'file';
  if (stats.isFIFO()) return 'FIFO (named pipe)';
  if (stats.isSocket()) return 'socket';
  return 'device file';
}

export class LocalObjectStore implements ObjectStore {
  readonly root: string;
  private readonly layout: 'gs' | 'direct';
  private readonly walk: FolderWalk;
  private readonly realBucketDirs = new Map<string, string>();

  constructor(root: string, options: LocalObjectStoreOptions = {}) {
    this.root = path.resolve(root);
    this.layout = options.bucketLayout ?? 'gs';
    this.walk = options.folderWalk ?? defaultFolderWalk();
  }

  /** The folder holding a bucket's objects. */
  bucketDir(bucket: string): string {
    if (this.layout === 'gs') {
      validateBucketName(bucket);
      return path.join(this.root, 'gs', bucket);
    }
    if (bucket === '' || bucket === '.' || bucket === '..' || /[/\\\0]/.test(bucket)) {
      throw new InvalidNameError(`invalid local bucket folder name ${JSON.stringify(bucket)}: must be one folder name`);
    }
    return path.join(this.root, bucket);
  }

  /** The file that holds (or would hold) an object; validates both names. */
  objectPath(bucket: string, key: string): string {
    validateObjectKey(key);
    return path.join(this.bucketDir(bucket), ...key.split('/'));
  }

  async get(bucket: string, key: string, options: GetOptions = {}): Promise<Uint8Array> {
    checkMaxBytes(options.maxBytes);
    const opened = await this.openObject(bucket, key);
    if (!opened) throw new NotFoundError(bucket, key);
    try {
      return await readBounded(opened.handle, opened.size, options.maxBytes, bucket, key);
    } catch (error) {
      throw this.failure('read', bucket, key, error);
    } finally {
      await opened.handle.close();
    }
  }

  /**
   * Copies an object into a new file `destination` (created, never overwritten) without holding it in memory;
   * returns its size. For the local engine, which lets DuckDB read only files it copied itself.
   */
  async copyToFile(bucket: string, key: string, destination: string, options: GetOptions = {}): Promise<number> {
    checkMaxBytes(options.maxBytes);
    const limit = options.maxBytes ?? Infinity;
    const opened = await this.openObject(bucket, key);
    if (!opened) throw new NotFoundError(bucket, key);
    try {
      if (opened.size > limit) throw new ObjectTooLargeError(bucket, key, limit);
      const out = await fs.open(destination, CREATE_TEMP_FLAGS, 0o600);
      try {
        const chunk = Buffer.allocUnsafe(COPY_CHUNK_BYTES);
        let total = 0;
        for (;;) {
          const { bytesRead } = await opened.handle.read(chunk, 0, chunk.length, total);
          if (bytesRead === 0) return total;
          total += bytesRead;
          if (total > limit) throw new ObjectTooLargeError(bucket, key, limit); // it grew while copied
          await out.write(chunk, 0, bytesRead);
        }
      } finally {
        await out.close();
      }
    } finally {
      await opened.handle.close();
    }
  }

  async put(bucket: string, key: string, data: Uint8Array): Promise<void> {
    await this.publish(bucket, key, data, async (temp, target) => {
      try {
        // rename replaces a link or FIFO at the key itself, never what it points to.
        await fs.rename(temp, target);
      } catch (err) {
        if (['EISDIR', 'ENOTEMPTY', 'EEXIST'].includes(errorCode(err) ?? '')) throw this.folderConflict(bucket, key);
        throw err;
      }
    });
  }

  async createIfAbsent(bucket: string, key: string, data: Uint8Array): Promise<void> {
    await this.publish(bucket, key, data, async (temp, target) => {
      try {
        // link() fails with EEXIST if anything is at the target: the atomic "create only if absent".
        await fs.link(temp, target);
      } catch (err) {
        if (errorCode(err) !== 'EEXIST') throw err;
        const existing = await fs.lstat(target).catch(() => undefined);
        if (existing?.isDirectory()) throw this.folderConflict(bucket, key);
        if (existing && !existing.isFile()) throw new NotAnObjectError(bucket, key, key, kindOf(existing));
        throw new AlreadyExistsError(bucket, key);
      }
    });
  }

  async delete(bucket: string, key: string): Promise<void> {
    const names = this.keyNames(bucket, key);
    const parent = await this.existingFolder(bucket, names.slice(0, -1));
    if (!parent) return;
    const target = parent.entry(names[names.length - 1]);
    try {
      // unlink removes a link itself, never what it points to.
      await fs.unlink(target);
    } catch (err) {
      const code = errorCode(err);
      if (code === 'ENOENT' || code === 'ENOTDIR') return;
      if (code === 'EISDIR' || code === 'EPERM') {
        const st = await fs.lstat(target).catch(() => undefined);
        if (st?.isDirectory()) return; // a folder is not an object: nothing to delete
      }
      throw this.failure('delete', bucket, key, err);
    } finally {
      await parent.close();
    }
  }

  async list(bucket: string, prefix: string, options: ListOptions = {}): Promise<ListPage> {
    validatePrefix(prefix);
    const maxResults = options.maxResults ?? DEFAULT_MAX_RESULTS;
    if (!Number.isInteger(maxResults) || maxResults < 1) {
      throw new Error(`maxResults must be a positive integer, got ${maxResults}`);
    }
    const pageSize = Math.min(maxResults, DEFAULT_MAX_RESULTS);
    const scope: ListScope = { prefix, want: pageSize + 1 };
    if (options.startOffset !== undefined) scope.startOffset = Buffer.from(options.startOffset, 'utf8');
    if (options.pageToken !== undefined) scope.after = Buffer.from(decodePageToken(options.pageToken), 'utf8');

    const startNames = prefix.split('/').slice(0, -1);
    const start = await this.existingFolder(bucket, startNames);
    const found: ObjectInfo[] = [];
    if (start) await collectObjects(start, startNames.map((n) => `${n}/`).join(''), scope, found);

    const page: ListPage = { objects: found.slice(0, pageSize) };
    if (found.length > pageSize) page.nextPageToken = encodePageToken(page.objects[page.objects.length - 1].key);
    return page;
  }

  /**
   * The real folder `folderKey` ('a/b') of a bucket, open (close it after use), reached through no link; undefined
   * when absent or when a link or a file is in the way. Its `path` reaches exactly that folder, e.g. to watch it.
   */
  openRealFolder(bucket: string, folderKey: string): Promise<Folder | undefined> {
    validateObjectKey(folderKey);
    return this.existingFolder(bucket, folderKey.split('/'));
  }

  /** The regular file at a key, open for reading; undefined when there is none (absent, link, FIFO, socket, device, folder). */
  private async openObject(bucket: string, key: string): Promise<{ handle: fs.FileHandle; size: number } | undefined> {
    const names = this.keyNames(bucket, key);
    const parent = await this.existingFolder(bucket, names.slice(0, -1));
    if (!parent) return undefined;
    let handle: fs.FileHandle;
    try {
      handle = await fs.open(parent.entry(names[names.length - 1]), OPEN_OBJECT_FLAGS);
    } catch (error) {
      if (ABSENT_ON_OPEN.has(errorCode(error) ?? '')) return undefined;
      throw this.failure('open', bucket, key, error);
    } finally {
      await parent.close();
    }
    const stats = await handle.stat().catch(async (error: unknown) => {
      await handle.close();
      throw error;
    });
    if (!stats.isFile()) {
      await handle.close();
      return undefined;
    }
    return { handle, size: stats.size };
  }

  /** The key's segments, after validating both names. */
  private keyNames(bucket: string, key: string): string[] {
    this.objectPath(bucket, key);
    return key.split('/');
  }

  /**
   * Where the bucket folder really is (cached): in the `gs/` layout the real `<root>/gs` joined with the bucket's
   * name, since the bucket folder itself must not be a link; in the direct layout the folder's own real path.
   */
  private realBucketDir(bucket: string): string | undefined {
    let real = this.realBucketDirs.get(bucket);
    if (real === undefined) {
      real = this.layout === 'gs' ? realFolderPath(path.join(this.root, 'gs')) : realFolderPath(this.bucketDir(bucket));
      if (real === undefined) return undefined;
      if (this.layout === 'gs') real = path.join(real, bucket);
      this.realBucketDirs.set(bucket, real);
    }
    return real;
  }

  /** The bucket's folder, opened; inside the `gs/` layout the bucket folder itself may not be a link either. */
  private async openBucketFolder(bucket: string): Promise<Folder> {
    return openFolder(this.bucketDir(bucket), this.walk, this.layout === 'direct');
  }

  /** The real folder `names` inside the bucket; undefined when absent or when a link or a file is in the way. */
  private async existingFolder(bucket: string, names: readonly string[]): Promise<Folder | undefined> {
    const real = this.walk === 'descriptors' ? this.realBucketDir(bucket) : undefined;
    const direct = real === undefined ? undefined : openFolderAt(path.join(this.bucketDir(bucket), ...names), path.join(real, ...names));
    if (direct) return direct;
    try {
      return await descend(await this.openBucketFolder(bucket), names);
    } catch (error) {
      const code = errorCode(error) ?? '';
      if (code === 'ENOENT' || NOT_A_FOLDER_CODES.has(code)) return undefined;
      throw error;
    }
  }

  /**
   * The real folder `names` inside the bucket, creating what is missing one folder at a time (never through a link).
   * A link or another non-folder in the way is refused with an error naming it.
   */
  private async makeFolders(bucket: string, key: string, names: readonly string[]): Promise<Folder> {
    const existing = await this.existingFolder(bucket, names);
    if (existing) return existing;
    const bucketFolder = await this.openBucketFolder(bucket).catch(async (error: unknown) => {
      if (NOT_A_FOLDER_CODES.has(errorCode(error) ?? '')) throw new NotAnObjectError(bucket, key, 'the bucket folder itself', 'symbolic link or not a folder');
      if (errorCode(error) !== 'ENOENT') throw error;
      await fs.mkdir(this.bucketDir(bucket), { recursive: true });
      return this.openBucketFolder(bucket);
    });
    return descend(bucketFolder, names, (parent, name, i) =>
      parent.child(name).catch(async (error: unknown) => {
        if (errorCode(error) !== 'ENOENT') throw await this.blocked(parent, name, bucket, key, names.slice(0, i + 1), error);
        await fs.mkdir(parent.entry(name)).catch((made: unknown) => {
          if (errorCode(made) !== 'EEXIST') throw made;
        });
        return parent.child(name).catch(async (again: unknown) => {
          throw await this.blocked(parent, name, bucket, key, names.slice(0, i + 1), again);
        });
      }),
    );
  }

  /** Why a folder of a key could not be entered: a file (folder conflict), a link or another non-folder. */
  private async blocked(parent: Folder, name: string, bucket: string, key: string, names: readonly string[], error: unknown): Promise<Error> {
    if (!NOT_A_FOLDER_CODES.has(errorCode(error) ?? '')) return error as Error;
    const stats = await fs.lstat(parent.entry(name)).catch(() => undefined);
    if (!stats) return error as Error;
    if (stats.isFile()) return this.folderConflict(bucket, key);
    return new NotAnObjectError(bucket, key, names.join('/'), kindOf(stats));
  }

  /**
   * Writes the data completely (and fsyncs it) to a fresh file in the bucket's hidden temp folder, then makes it the
   * object with `publishAs(temp, target)`; the temp file is gone afterwards whatever happens.
   */
  private async publish(bucket: string, key: string, data: Uint8Array, publishAs: (temp: string, target: string) => Promise<void>): Promise<void> {
    const names = this.keyNames(bucket, key);
    const tempFolder = await this.makeFolders(bucket, key, [LOCAL_TEMP_DIR]);
    try {
      const temp = tempFolder.entry(`${process.pid}-${randomBytes(8).toString('hex')}.tmp`);
      const handle = await fs.open(temp, CREATE_TEMP_FLAGS, 0o666);
      try {
        try {
          await handle.writeFile(data);
          await handle.sync();
        } finally {
          await handle.close();
        }
        const parent = await this.makeFolders(bucket, key, names.slice(0, -1));
        try {
          await publishAs(temp, parent.entry(names[names.length - 1]));
        } finally {
          await parent.close();
        }
      } finally {
        await fs.rm(temp, { force: true });
      }
    } finally {
      await tempFolder.close();
    }
  }

  /** An unexpected file system error, naming the object instead of the descriptor path it went through. */
  private failure(operation: string, bucket: string, key: string, error: unknown): unknown {
    const code = errorCode(error);
    if (error instanceof ObjectTooLargeError || code === undefined) return error;
    return Object.assign(new Error(`local object store: cannot ${operation} gs://${bucket}/${key}: ${code}`, { cause: error }), { code });
  }

  private folderConflict(bucket: string, key: string): Error {
    return new Error(
      `cannot store gs://${bucket}/${key} in a local folder: an object and a folder would need the same path ` +
        `(one key is a prefix folder of another, e.g. 'a' and 'a/b'); GCS allows this, local folders do not`,
    );
  }
}

/**
 * Reads an open regular file whole, but never more than `maxBytes` + 1 bytes (the file may grow while it is read,
 * so its size at open is only where to start).
 */
async function readBounded(handle: fs.FileHandle, size: number, maxBytes: number | undefined, bucket: string, key: string): Promise<Uint8Array> {
  const limit = maxBytes ?? Infinity;
  if (size > limit) throw new ObjectTooLargeError(bucket, key, limit);
  const cap = limit === Infinity ? Number.MAX_SAFE_INTEGER : limit + 1;
  let buffer = Buffer.allocUnsafeSlow(Math.min(size + 1, cap));
  let total = 0;
  for (;;) {
    if (total === buffer.length) {
      if (total >= cap) break;
      const bigger = Buffer.allocUnsafeSlow(Math.min(buffer.length * 2, cap));
      buffer.copy(bigger, 0, 0, total);
      buffer = bigger;
    }
    const { bytesRead } = await handle.read(buffer, total, buffer.length - total, total);
    if (bytesRead === 0) break;
    total += bytesRead;
  }
  if (total > limit) throw new ObjectTooLargeError(bucket, key, limit);
  return new Uint8Array(buffer.buffer, buffer.byteOffset, total);
}
