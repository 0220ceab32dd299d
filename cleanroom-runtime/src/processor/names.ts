/**
 * Strict patterns for every name and location a participant sends. Names end up in paths, SQL identifiers and
 * engine requests, so anything outside these patterns is refused rather than escaped.
 */
import { DATASET_FOLDERS } from '../control/bucket-layout';

export const TABLE_NAME = /^[a-z][a-z0-9_]{0,62}$/;
/** Code and job names: letters, digits, '_', '.', '-'; never '..' (they become path segments). */
export const OBJECT_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$/;
export const PARAMETER_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;
const BUCKET_NAME = /^[a-z0-9][a-z0-9._-]{1,220}[a-z0-9]$/;
const PATH_SEGMENT = /^[A-Za-z0-9._=+-]+$/;

/** Echoes participant input in a message: JSON-quoted and cut, so a hostile value cannot bloat the state. */
export function quote(value: unknown, max = 120): string {
  const text = typeof value === 'string' ? value : String(value);
  return JSON.stringify(text.length > max ? `${text.slice(0, max)}…` : text);
}

export type Checked<T> = { ok: true; value: T } | { ok: false; message: string };

export function checkObjectName(kind: 'code' | 'job', name: string): Checked<string> {
  if (!OBJECT_NAME.test(name) || name.includes('..')) {
    return {
      ok: false,
      message: `${kind} name ${quote(name)} is not allowed: use 1-100 letters, digits, '_', '.' or '-', starting with a letter or digit, without '..'`,
    };
  }
  return { ok: true, value: name };
}

export interface GsLocation {
  bucket: string;
  /** Object path inside the bucket without leading or trailing '/', '' for the bucket root. */
  path: string;
  /** Normalised `gs://bucket/path` (no trailing slash). */
  uri: string;
}

/** Parses and normalises a gs:// URI; refuses other schemes, traversal and unusual characters. */
export function parseGsUri(raw: string): Checked<GsLocation> {
  const text = raw.trim();
  const bad = (why: string): Checked<GsLocation> => ({ ok: false, message: `location ${quote(raw)} ${why}` });
  if (!text.startsWith('gs://')) return bad('is not a gs:// URI: use gs://<your bucket>/<path>');
  const rest = text.slice('gs://'.length);
  const slash = rest.indexOf('/');
  const bucket = slash === -1 ? rest : rest.slice(0, slash);
  if (!BUCKET_NAME.test(bucket)) return bad(`has an invalid bucket name ${quote(bucket)}`);
  const segments = slash === -1 ? [] : rest.slice(slash + 1).split('/');
  if (segments.length > 0 && segments[segments.length - 1] === '') segments.pop();
  for (const segment of segments) {
    if (segment === '' || segment === '.' || segment === '..') {
      return bad("contains an empty, '.' or '..' path segment: write the plain path");
    }
    if (!PATH_SEGMENT.test(segment)) {
      return bad(`contains the path segment ${quote(segment)}: use letters, digits and . _ - = + only`);
    }
  }
  const path = segments.join('/');
  return { ok: true, value: { bucket, path, uri: path === '' ? `gs://${bucket}` : `gs://${bucket}/${path}` } };
}

/** Folders the clean room manages itself; participants cannot point datasets there. */
const RESERVED_FOLDERS = ['control', 'code'];

/** A dataset location: inside the submitter's own bucket, below a folder, not in a clean-room-managed folder. */
export function checkDataLocation(raw: string, ownBucket: string): Checked<GsLocation> {
  const parsed = parseGsUri(raw);
  if (!parsed.ok) return parsed;
  const loc = parsed.value;
  if (loc.bucket !== ownBucket) {
    return { ok: false, message: `location ${loc.uri} is outside your bucket gs://${ownBucket}: register data stored in your own bucket (e.g. gs://${ownBucket}/input/<table>)` };
  }
  if (loc.path === '') {
    return { ok: false, message: `location ${loc.uri} is the bucket root: point at the dataset's folder, e.g. gs://${ownBucket}/input/<table>` };
  }
  const top = loc.path.split('/')[0];
  if (RESERVED_FOLDERS.includes(top)) {
    return { ok: false, message: `location ${loc.uri} is inside ${top}/, which the clean room manages: store datasets under gs://${ownBucket}/input/` };
  }
  // The deployed compute reads datasets only below these folders (bucket-layout.ts): elsewhere it could never read them.
  if (!DATASET_FOLDERS.some((folder) => `${loc.path}/`.startsWith(folder) && `${loc.path}/` !== folder)) {
    return { ok: false, message: `location ${loc.uri} is not below ${DATASET_FOLDERS.join(' or ')}: the clean room's compute reads datasets only there; store it under gs://${ownBucket}/input/<table>` };
  }
  return parsed;
}

/** A job output: strictly below the submitter's own `output/` folder. */
export function checkOutputLocation(raw: string, ownBucket: string): Checked<GsLocation> {
  const prefix = `gs://${ownBucket}/output/`;
  const parsed = parseGsUri(raw);
  if (!parsed.ok) return { ok: false, message: `parameter "output": ${parsed.message}` };
  const loc = parsed.value;
  if (loc.bucket !== ownBucket || !loc.path.startsWith('output/')) {
    return { ok: false, message: `parameter "output" ${loc.uri} is outside ${prefix}: write results below your own output folder, e.g. ${prefix}<job name>` };
  }
  return parsed;
}
