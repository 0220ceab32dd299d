/**
 * The one interface every storage backend implements. Keys are object names inside a bucket
 * (no leading slash). Implementations: local folders (local-store.ts) and Google Cloud Storage (gcs-store.ts).
 */
export interface ObjectInfo {
  /** Object name inside the bucket. */
  key: string;
  size: number;
  /** Backend version stamp (GCS generation, local mtime-based); opaque. */
  generation?: string;
}

export interface ListOptions {
  /** Only keys lexicographically >= this one (GCS `startOffset`). */
  startOffset?: string;
  /** Continue a previous listing. */
  pageToken?: string;
  /** Page size; backends may return fewer. */
  maxResults?: number;
}

export interface GetOptions {
  /**
   * Refuse (ObjectTooLargeError) an object larger than this many bytes, reading at most this many plus one: a bound
   * that holds even when the object is replaced by a larger one after it was listed.
   */
  maxBytes?: number;
}

export interface ListPage {
  objects: ObjectInfo[];
  /** Present when more results exist. */
  nextPageToken?: string;
}

export interface ObjectStore {
  /** Reads a whole object. Throws NotFoundError when absent, ObjectTooLargeError above `options.maxBytes`. */
  get(bucket: string, key: string, options?: GetOptions): Promise<Uint8Array>;
  /** One page of keys starting with `prefix`, in lexicographic order. */
  list(bucket: string, prefix: string, options?: ListOptions): Promise<ListPage>;
  /** Writes only if no object exists at the key; throws AlreadyExistsError otherwise. Atomic. */
  createIfAbsent(bucket: string, key: string, data: Uint8Array): Promise<void>;
  /** Writes or replaces an object atomically (readers see the old or the new content, never a part). */
  put(bucket: string, key: string, data: Uint8Array): Promise<void>;
  /** Deletes an object; deleting an absent object is not an error. */
  delete(bucket: string, key: string): Promise<void>;
}

export class NotFoundError extends Error {
  constructor(readonly bucket: string, readonly key: string) {
    super(`object gs://${bucket}/${key} does not exist`);
    this.name = 'NotFoundError';
  }
}

export class ObjectTooLargeError extends Error {
  constructor(readonly bucket: string, readonly key: string, readonly limit: number) {
    super(`object gs://${bucket}/${key} is larger than the limit of ${limit} bytes and was not read`);
    this.name = 'ObjectTooLargeError';
  }
}

/** Checks a `maxBytes` option: a non-negative integer, or absent. */
export function checkMaxBytes(maxBytes: number | undefined): void {
  if (maxBytes !== undefined && (!Number.isSafeInteger(maxBytes) || maxBytes < 0)) {
    throw new Error(`maxBytes must be a non-negative integer, got ${maxBytes}`);
  }
}

export class AlreadyExistsError extends Error {
  constructor(readonly bucket: string, readonly key: string) {
    super(`object gs://${bucket}/${key} already exists`);
    this.name = 'AlreadyExistsError';
  }
}

/** Every object under a prefix, following page tokens. */
export async function* listAll(store: ObjectStore, bucket: string, prefix: string, startOffset?: string): AsyncGenerator<ObjectInfo> {
  let pageToken: string | undefined;
  do {
    const page = await store.list(bucket, prefix, { startOffset, pageToken });
    yield* page.objects;
    pageToken = page.nextPageToken;
  } while (pageToken);
}
