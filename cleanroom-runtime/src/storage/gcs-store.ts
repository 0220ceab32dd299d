/**
 * Object store over Google Cloud Storage (JSON API via @google-cloud/storage 7).
 *
 * Retries are done here, not by the client: the client's retry switch is shared mutable state on the Storage
 * object (File#save flips `retryOptions.autoRetry` for calls without preconditions, racing with concurrent calls),
 * and a retry hidden inside the client could turn our own successful createIfAbsent into a 412. Here every attempt
 * is visible, so a 412 after an attempt that may have been applied is checked against a per-call write id.
 */
import { randomUUID } from 'node:crypto';
import { File, Storage } from '@google-cloud/storage';
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
import { validateBucketName, validateObjectKey, validatePrefix } from './names';
import { httpStatusOf, mayHaveBeenApplied, resolveRetryOptions, RetryOptions, withRetries } from './retry';

export interface GcsObjectStoreOptions {
  /** A preconfigured client. Give it `retryOptions: { autoRetry: false }`: this store retries by itself. */
  storage?: Storage;
  /** JSON API endpoint (emulators, fakes); default is the public endpoint. */
  apiEndpoint?: string;
  projectId?: string;
  retry?: RetryOptions;
}

/** Custom metadata key holding the id of the createIfAbsent call that wrote an object. */
export const WRITE_ID_METADATA_KEY = 'cleanroom-write-id';

const DEFAULT_MAX_RESULTS = 1000;

export class GcsObjectStore implements ObjectStore {
  readonly storage: Storage;
  private readonly retry: Required<RetryOptions>;
  /** A caller-supplied client may retry inside one attempt, hiding a lost success from us. */
  private readonly clientMayRetry: boolean;

  constructor(options: GcsObjectStoreOptions = {}) {
    this.retry = resolveRetryOptions(options.retry);
    const clientRetry = options.storage?.retryOptions;
    this.clientMayRetry = clientRetry !== undefined && clientRetry.autoRetry !== false && (clientRetry.maxRetries ?? 3) > 0;
    this.storage =
      options.storage ??
      new Storage({
        ...(options.apiEndpoint !== undefined ? { apiEndpoint: options.apiEndpoint } : {}),
        ...(options.projectId !== undefined ? { projectId: options.projectId } : {}),
        retryOptions: { autoRetry: false, maxRetries: 0 },
      });
  }

  private file(bucket: string, key: string) {
    validateBucketName(bucket);
    validateObjectKey(key);
    return this.storage.bucket(bucket).file(key);
  }

  async get(bucket: string, key: string, options: GetOptions = {}): Promise<Uint8Array> {
    checkMaxBytes(options.maxBytes);
    const file = this.file(bucket, key);
    const { maxBytes } = options;
    return withRetries(this.retry, async () => {
      try {
        if (maxBytes !== undefined) return await downloadAtMost(file, maxBytes, bucket, key);
        const [contents] = await file.download();
        return new Uint8Array(contents.buffer, contents.byteOffset, contents.byteLength);
      } catch (err) {
        if (httpStatusOf(err) === 404) throw new NotFoundError(bucket, key);
        throw err;
      }
    });
  }

  async put(bucket: string, key: string, data: Uint8Array): Promise<void> {
    const file = this.file(bucket, key);
    // Retrying an unconditional overwrite is safe: the call has not returned, so ours may land last.
    await withRetries(this.retry, () => file.save(Buffer.from(data), { resumable: false }));
  }

  async createIfAbsent(bucket: string, key: string, data: Uint8Array): Promise<void> {
    const file = this.file(bucket, key);
    const writeId = randomUUID();
    await withRetries(this.retry, async (failures) => {
      try {
        await file.save(Buffer.from(data), {
          resumable: false,
          preconditionOpts: { ifGenerationMatch: 0 },
          metadata: { metadata: { [WRITE_ID_METADATA_KEY]: writeId } },
        });
      } catch (err) {
        if (httpStatusOf(err) !== 412) throw err;
        // An earlier attempt whose response was lost may have created the object: then the 412 is our own write.
        const ambiguous = this.clientMayRetry || failures.some((f) => mayHaveBeenApplied(f.error));
        if (ambiguous && (await this.writtenBy(bucket, key, writeId))) return;
        throw new AlreadyExistsError(bucket, key);
      }
    });
  }

  /** Whether the object currently at the key was written by the createIfAbsent call with this id. */
  private async writtenBy(bucket: string, key: string, writeId: string): Promise<boolean> {
    const file = this.file(bucket, key);
    return withRetries(this.retry, async () => {
      try {
        const [metadata] = await file.getMetadata();
        return metadata.metadata?.[WRITE_ID_METADATA_KEY] === writeId;
      } catch (err) {
        if (httpStatusOf(err) === 404) return false;
        throw err;
      }
    });
  }

  async delete(bucket: string, key: string): Promise<void> {
    const file = this.file(bucket, key);
    await withRetries(this.retry, () => file.delete({ ignoreNotFound: true }));
  }

  async list(bucket: string, prefix: string, options: ListOptions = {}): Promise<ListPage> {
    validateBucketName(bucket);
    validatePrefix(prefix);
    const maxResults = options.maxResults ?? DEFAULT_MAX_RESULTS;
    if (!Number.isInteger(maxResults) || maxResults < 1) {
      throw new Error(`maxResults must be a positive integer, got ${maxResults}`);
    }
    const query = {
      autoPaginate: false,
      maxResults,
      ...(prefix !== '' ? { prefix } : {}),
      ...(options.startOffset !== undefined ? { startOffset: options.startOffset } : {}),
      ...(options.pageToken !== undefined ? { pageToken: options.pageToken } : {}),
    };
    const [files, , response] = await withRetries(this.retry, () => this.storage.bucket(bucket).getFiles(query));
    const objects: ObjectInfo[] = files.map((f) => ({
      key: f.name,
      size: Number(f.metadata.size ?? 0),
      ...(f.metadata.generation !== undefined ? { generation: String(f.metadata.generation) } : {}),
    }));
    const nextPageToken = (response as { nextPageToken?: unknown } | undefined)?.nextPageToken;
    return typeof nextPageToken === 'string' && nextPageToken !== '' ? { objects, nextPageToken } : { objects };
  }
}

/** Downloads an object, cutting the transfer as soon as more than `maxBytes` have arrived. */
function downloadAtMost(file: File, maxBytes: number, bucket: string, key: string): Promise<Uint8Array> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let total = 0;
    const stream = file.createReadStream();
    stream.on('data', (chunk: Buffer) => {
      total += chunk.length;
      if (total > maxBytes) {
        stream.destroy();
        reject(new ObjectTooLargeError(bucket, key, maxBytes));
      } else {
        chunks.push(chunk);
      }
    });
    stream.on('error', reject);
    stream.on('end', () => {
      const contents = Buffer.concat(chunks, total);
      resolve(new Uint8Array(contents.buffer, contents.byteOffset, contents.byteLength));
    });
  });
}
