/**
 * Strict patterns for every name and location a participant sends. Names end up in paths, SQL identifiers and
 * engine requests, so anything outside these patterns is refused rather than escaped.
 */
import { createHash } from 'node:crypto';
import { DATASET_FOLDERS } from '../control/bucket-layout';

/** A table name as stored: Spark and Unity Catalog names are case-insensitive and kept lowercase. */
export const TABLE_NAME = /^[a-z][a-z0-9_]{0,62}$/;
export const PARAMETER_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;
const BUCKET_NAME = /^[a-z0-9][a-z0-9._-]{1,220}[a-z0-9]$/;
const PATH_SEGMENT = /^[A-Za-z0-9._=+-]+$/;

/** Echoes participant input in a message: JSON-quoted and cut, so a hostile value cannot bloat the state. */
export function quote(value: unknown, max = 120): string {
  const text = typeof value === 'string' ? value : String(value);
  return JSON.stringify(text.length > max ? `${text.slice(0, max)}…` : text);
}

export type Checked<T> = { ok: true; value: T } | { ok: false; message: string };

export const MAX_OBJECT_NAME = 100;
/**
 * Characters a code or job name cannot hold: the ones the seed's create_job notebook refuses in job names, plus
 * backslash and backtick. The seed's approve_code notebook splits the selected names on ',' and splices each into
 * a SQL string (`where name='<name>'`), so a quote, a backslash or a comma in a name would make the keeper's
 * notebook approve other code than the one selected.
 */
export const NAME_FORBIDDEN = `"'!@#$%^&*()+?=,<>/\\\``;
const NAME_CHARS = /^[\x20-\x7e]*$/;

/**
 * Code and job names are display names, as the seed's notebooks allow them (spaces and most punctuation), within
 * what the clean room can carry safely: printable ASCII (no look-alike letters), none of NAME_FORBIDDEN, single
 * spaces between words, at least one letter or digit. Where a name becomes a path segment, codePathSegment maps it.
 */
export function checkObjectName(kind: 'code' | 'job', name: string): Checked<string> {
  const bad = (why: string): Checked<string> => ({ ok: false, message: `${kind} name ${quote(name)} is not allowed: ${why}` });
  if (name.length === 0 || name.length > MAX_OBJECT_NAME) return bad(`use 1 to ${MAX_OBJECT_NAME} characters`);
  if (!NAME_CHARS.test(name)) {
    const odd = [...name].find((c) => !NAME_CHARS.test(c)) ?? '';
    return bad(`it contains ${quote(odd)}; use ASCII letters, digits, spaces and punctuation (no control characters or non-ASCII letters)`);
  }
  const forbidden = [...name].find((c) => NAME_FORBIDDEN.includes(c));
  if (forbidden !== undefined) return bad(`it contains ${quote(forbidden)}; leave out ${NAME_FORBIDDEN.split('').join(' ')}`);
  if (name !== name.trim() || name.includes('  ')) return bad('it has a space at either end or two in a row; use single spaces between words');
  if (!/[A-Za-z0-9]/.test(name)) return bad('it has no letter or digit; name it with words');
  return { ok: true, value: name };
}

/** A name that is its own path segment: what the clean room always allowed, so existing paths keep their names. */
const PLAIN_SEGMENT = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$/;

/**
 * The path segment of a code name in `code/<participant>/<segment>/<hash>` and the clean room workspace. Stable
 * (a function of the name alone) and collision-free: a plain name (letters, digits, '_', '.', '-', starting with
 * a letter or digit, no '..') is its own segment; any other name becomes `_<lowercase words>_<16 hex of its
 * sha256>`, which starts with '_' so it never equals a plain name, and registration refuses a name whose segment
 * matches another code's, ignoring case (code-rules.ts).
 */
export function codePathSegment(name: string): string {
  if (PLAIN_SEGMENT.test(name) && !name.includes('..')) return name;
  const words = name.toLowerCase().replace(/[^a-z0-9]+/g, '_').replace(/^_+/, '').slice(0, 40).replace(/_+$/, '');
  return `_${words}_${createHash('sha256').update(name, 'utf8').digest('hex').slice(0, 16)}`;
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
