/**
 * Turns a location string from config or the command line into an object store, a bucket and a key prefix.
 * `gs://bucket/folder` goes to GCS, or to a local folder tree when a local root is given (local mode);
 * a plain path (absolute or relative) is a folder used directly as a bucket.
 */
import * as path from 'node:path';
import type { GcsObjectStoreOptions } from './gcs-store';
import { LocalObjectStore } from './local-store';
import { InvalidNameError, validateBucketName, validatePrefix } from './names';
import { ObjectStore } from './object-store';

export interface GsUri {
  bucket: string;
  /** Object key or folder prefix inside the bucket; '' for the bucket itself. */
  key: string;
}

export interface OpenLocationOptions {
  /** Local mode: serve `gs://` locations from `<localRoot>/gs/<bucket>/...` instead of GCS. */
  localRoot?: string;
  /** Client options used when the location is on GCS. */
  gcs?: GcsObjectStoreOptions;
}

export interface OpenedLocation {
  store: ObjectStore;
  bucket: string;
  /** Key prefix of the location: '' or a folder ending in '/', so `prefix + name` is a key inside it. */
  prefix: string;
}

/** Parses `gs://bucket/key`. The key may be empty or a folder prefix ending in '/'. */
export function parseGsUri(uri: string): GsUri {
  if (!uri.startsWith('gs://')) {
    throw new InvalidNameError(`${JSON.stringify(uri)} is not a gs:// URI: expected gs://<bucket>/<path>`);
  }
  const rest = uri.slice('gs://'.length);
  const slash = rest.indexOf('/');
  const bucket = slash === -1 ? rest : rest.slice(0, slash);
  const key = slash === -1 ? '' : rest.slice(slash + 1);
  if (bucket === '') throw new InvalidNameError(`${JSON.stringify(uri)} has no bucket: expected gs://<bucket>/<path>`);
  try {
    validateBucketName(bucket);
    validatePrefix(key);
  } catch (err) {
    throw new InvalidNameError(`invalid location ${JSON.stringify(uri)}: ${(err as Error).message}`);
  }
  if (key.includes('//')) throw new InvalidNameError(`invalid location ${JSON.stringify(uri)}: empty folder name ('//')`);
  return { bucket, key };
}

/** The Cloud Storage client is loaded only when a location is on Cloud Storage: local commands start without it. */
function gcsStore(options: GcsObjectStoreOptions | undefined): ObjectStore {
  const { GcsObjectStore } = require('./gcs-store') as typeof import('./gcs-store');
  return new GcsObjectStore(options);
}

function asFolderPrefix(key: string): string {
  return key === '' || key.endsWith('/') ? key : `${key}/`;
}

/** Opens a location: `gs://bucket/folder` (GCS, or local mode with `localRoot`) or a plain folder path. */
export function openLocation(location: string, options: OpenLocationOptions = {}): OpenedLocation {
  if (location.startsWith('gs://')) {
    const { bucket, key } = parseGsUri(location);
    const store = options.localRoot !== undefined ? new LocalObjectStore(options.localRoot) : gcsStore(options.gcs);
    return { store, bucket, prefix: asFolderPrefix(key) };
  }
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(location)) {
    throw new InvalidNameError(`unsupported location ${JSON.stringify(location)}: use gs://<bucket>/<path> or a local folder path`);
  }
  if (location.trim() === '' || location.includes('\0')) {
    throw new InvalidNameError(`invalid folder location ${JSON.stringify(location)}: give a folder path`);
  }
  const folder = path.resolve(location);
  const name = path.basename(folder);
  if (name === '') throw new InvalidNameError(`cannot use the file system root ${JSON.stringify(folder)} as a location`);
  // The folder itself is the bucket: its parent is the store's root.
  return { store: new LocalObjectStore(path.dirname(folder), { bucketLayout: 'direct' }), bucket: name, prefix: '' };
}
