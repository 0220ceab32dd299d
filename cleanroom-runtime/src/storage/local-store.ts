/**
 * Object store over local folders, used for local rehearsals and tests. `gs://bucket/key` maps to
 * `<root>/gs/<bucket>/<key>`. Writes are staged in a hidden temp folder inside the bucket's folder (same file
 * system, so link/rename are atomic) and only then made visible, so a crashed writer never leaves a partial object.
 */
import { randomBytes } from 'node:crypto';
import { promises as fs, Dirent } from 'node:fs';
import * as path from 'node:path';
import { AlreadyExistsError, ListOptions, ListPage, NotFoundError, ObjectInfo, ObjectStore } from './object-store';
import { compareKeys, InvalidNameError, LOCAL_TEMP_DIR, validateBucketName, validateObjectKey, validatePrefix } from './names';
import { decodePageToken, encodePageToken } from './page-token';

export const DEFAULT_MAX_RESULTS = 1000;

export interface LocalObjectStoreOptions {
  /**
   * 'gs' (default): buckets are GCS-named folders under `<root>/gs/`.
   * 'direct': each bucket is the folder `<root>/<bucket>` with any folder name (used to open plain folders).
   */
  bucketLayout?: 'gs' | 'direct';
}

/** Where `gs://bucket/key` lives under a local root (the same mapping LocalObjectStore uses). */
export function localPathFor(root: string, bucket: string, key: string): string {
  return new LocalObjectStore(root).objectPath(bucket, key);
}

function errorCode(err: unknown): string | undefined {
  return typeof err === 'object' && err !== null && 'code' in err ? String((err as { code: unknown }).code) : undefined;
}

export class LocalObjectStore implements ObjectStore {
  readonly root: string;
  private readonly layout: 'gs' | 'direct';

  constructor(root: string, options: LocalObjectStoreOptions = {}) {
    this.root = path.resolve(root);
    this.layout = options.bucketLayout ?? 'gs';
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

  async get(bucket: string, key: string): Promise<Uint8Array> {
    const file = this.objectPath(bucket, key);
    try {
      return await fs.readFile(file);
    } catch (err) {
      // A folder or a path through a file is not an object either.
      if (['ENOENT', 'EISDIR', 'ENOTDIR'].includes(errorCode(err) ?? '')) throw new NotFoundError(bucket, key);
      throw err;
    }
  }

  async put(bucket: string, key: string, data: Uint8Array): Promise<void> {
    const target = this.objectPath(bucket, key);
    const temp = await this.writeTemp(bucket, data);
    try {
      await this.ensureParent(bucket, key, target);
      await fs.rename(temp, target);
    } catch (err) {
      await fs.rm(temp, { force: true });
      if (['EISDIR', 'ENOTEMPTY', 'EEXIST'].includes(errorCode(err) ?? '')) throw this.folderConflict(bucket, key);
      throw err;
    }
  }

  async createIfAbsent(bucket: string, key: string, data: Uint8Array): Promise<void> {
    const target = this.objectPath(bucket, key);
    const temp = await this.writeTemp(bucket, data);
    try {
      await this.ensureParent(bucket, key, target);
      // link() fails with EEXIST if anything is at the target: the atomic "create only if absent".
      await fs.link(temp, target);
    } catch (err) {
      if (errorCode(err) === 'EEXIST') {
        const existing = await fs.lstat(target).catch(() => undefined);
        if (existing?.isDirectory()) throw this.folderConflict(bucket, key);
        throw new AlreadyExistsError(bucket, key);
      }
      throw err;
    } finally {
      await fs.rm(temp, { force: true });
    }
  }

  async delete(bucket: string, key: string): Promise<void> {
    const file = this.objectPath(bucket, key);
    try {
      await fs.unlink(file);
    } catch (err) {
      const code = errorCode(err);
      if (code === 'ENOENT' || code === 'ENOTDIR') return;
      if (code === 'EISDIR' || code === 'EPERM') {
        const st = await fs.lstat(file).catch(() => undefined);
        if (st?.isDirectory()) return; // a folder is not an object: nothing to delete
      }
      throw err;
    }
  }

  async list(bucket: string, prefix: string, options: ListOptions = {}): Promise<ListPage> {
    validatePrefix(prefix);
    const maxResults = options.maxResults ?? DEFAULT_MAX_RESULTS;
    if (!Number.isInteger(maxResults) || maxResults < 1) {
      throw new Error(`maxResults must be a positive integer, got ${maxResults}`);
    }
    const pageSize = Math.min(maxResults, DEFAULT_MAX_RESULTS);
    const after = options.pageToken !== undefined ? decodePageToken(options.pageToken) : undefined;
    const startOffset = options.startOffset;

    const dir = this.bucketDir(bucket);
    const keys = (await this.collectKeys(dir, prefix))
      .filter((k) => (startOffset === undefined || compareKeys(k, startOffset) >= 0) && (after === undefined || compareKeys(k, after) > 0))
      .sort(compareKeys);

    const objects: ObjectInfo[] = [];
    let index = 0;
    for (; index < keys.length && objects.length < pageSize; index++) {
      const info = await this.describe(dir, keys[index]);
      if (info) objects.push(info); // deleted since the walk: skip
    }
    const page: ListPage = { objects };
    if (index < keys.length && objects.length > 0) page.nextPageToken = encodePageToken(objects[objects.length - 1].key);
    return page;
  }

  /** Every file key under `dir` starting with `prefix`, walking only folders that can contain such keys. */
  private async collectKeys(dir: string, prefix: string): Promise<string[]> {
    const keys: string[] = [];
    const startFolder = prefix.includes('/') ? prefix.slice(0, prefix.lastIndexOf('/') + 1) : '';
    const walk = async (relFolder: string): Promise<void> => {
      let entries: Dirent[];
      try {
        entries = await fs.readdir(path.join(dir, ...relFolder.split('/').filter(Boolean)), { withFileTypes: true });
      } catch (err) {
        if (['ENOENT', 'ENOTDIR'].includes(errorCode(err) ?? '')) return;
        throw err;
      }
      for (const entry of entries) {
        if (relFolder === '' && entry.name === LOCAL_TEMP_DIR) continue; // staged writes are not objects
        const rel = relFolder + entry.name;
        if (await this.isFolder(dir, rel, entry)) {
          const asFolder = rel + '/';
          if (asFolder.startsWith(prefix) || prefix.startsWith(asFolder)) await walk(asFolder);
        } else if (rel.startsWith(prefix) && (await this.isFile(dir, rel, entry))) {
          keys.push(rel);
        }
      }
    };
    await walk(startFolder);
    return keys;
  }

  private async isFolder(dir: string, rel: string, entry: Dirent): Promise<boolean> {
    if (entry.isDirectory()) return true;
    if (!entry.isSymbolicLink()) return false;
    return (await fs.stat(path.join(dir, rel)).catch(() => undefined))?.isDirectory() ?? false;
  }

  private async isFile(dir: string, rel: string, entry: Dirent): Promise<boolean> {
    if (entry.isFile()) return true;
    if (!entry.isSymbolicLink()) return false;
    return (await fs.stat(path.join(dir, rel)).catch(() => undefined))?.isFile() ?? false;
  }

  private async describe(dir: string, key: string): Promise<ObjectInfo | undefined> {
    try {
      const st = await fs.stat(path.join(dir, ...key.split('/')), { bigint: true });
      // Each write makes a new inode (rename/link of a fresh temp file), so inode + mtime changes on every write.
      return { key, size: Number(st.size), generation: `${st.ino}.${st.mtimeNs}` };
    } catch (err) {
      if (errorCode(err) === 'ENOENT') return undefined;
      throw err;
    }
  }

  /** Writes the data completely (and fsyncs it) to a fresh file in the bucket's hidden temp folder. */
  private async writeTemp(bucket: string, data: Uint8Array): Promise<string> {
    const tempDir = path.join(this.bucketDir(bucket), LOCAL_TEMP_DIR);
    await fs.mkdir(tempDir, { recursive: true });
    const temp = path.join(tempDir, `${process.pid}-${randomBytes(8).toString('hex')}.tmp`);
    const handle = await fs.open(temp, 'wx');
    try {
      await handle.writeFile(data);
      await handle.sync();
    } catch (err) {
      await handle.close();
      await fs.rm(temp, { force: true });
      throw err;
    }
    await handle.close();
    return temp;
  }

  private async ensureParent(bucket: string, key: string, target: string): Promise<void> {
    try {
      await fs.mkdir(path.dirname(target), { recursive: true });
    } catch (err) {
      if (['EEXIST', 'ENOTDIR'].includes(errorCode(err) ?? '')) throw this.folderConflict(bucket, key);
      throw err;
    }
  }

  private folderConflict(bucket: string, key: string): Error {
    return new Error(
      `cannot store gs://${bucket}/${key} in a local folder: an object and a folder would need the same path ` +
        `(one key is a prefix folder of another, e.g. 'a' and 'a/b'); GCS allows this, local folders do not`,
    );
  }
}
