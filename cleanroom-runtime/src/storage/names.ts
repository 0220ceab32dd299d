/**
 * Validation of bucket names, object keys and list prefixes. Every backend validates with these so a hostile
 * name fails the same way (and early) whether it targets a folder or GCS.
 */

/** Hidden folder inside each local bucket where writers stage temp files; never a valid key. */
export const LOCAL_TEMP_DIR = '.cleanroom-tmp';

/** GCS limit on object names, in UTF-8 bytes. */
const MAX_KEY_BYTES = 1024;

export class InvalidNameError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InvalidNameError';
  }
}

/** GCS bucket naming rules (lowercase letters, digits, '-', '_', '.'; 3-63 chars, or up to 222 with dots). */
export function validateBucketName(bucket: string): void {
  const dotted = bucket.includes('.');
  const maxLength = dotted ? 222 : 63;
  if (
    bucket.length < 3 ||
    bucket.length > maxLength ||
    !/^[a-z0-9][a-z0-9._-]*[a-z0-9]$/.test(bucket) ||
    bucket.includes('..') ||
    bucket.startsWith('goog')
  ) {
    throw new InvalidNameError(
      `invalid bucket name ${JSON.stringify(bucket)}: use 3-63 lowercase letters, digits, '-', '_' or '.', ` +
        `starting and ending with a letter or digit (GCS bucket naming rules)`,
    );
  }
}

/** Checks common to keys and prefixes: nothing that could escape a folder or confuse a path. */
function validatePathLike(what: 'object key' | 'list prefix', value: string): void {
  const show = JSON.stringify(value);
  if (value.includes('\0')) throw new InvalidNameError(`${what} ${show} contains a NUL character`);
  if (/[\r\n]/.test(value)) throw new InvalidNameError(`${what} ${show} contains a line break, which GCS does not allow`);
  if (value.includes('\\')) throw new InvalidNameError(`${what} ${show} contains a backslash; use '/' to separate folders`);
  if (value.startsWith('/')) throw new InvalidNameError(`${what} ${show} starts with '/'; keys are relative to the bucket`);
  if (Buffer.byteLength(value, 'utf8') > MAX_KEY_BYTES) {
    throw new InvalidNameError(`${what} ${show} is longer than ${MAX_KEY_BYTES} bytes`);
  }
  // A prefix's last segment is a partial name ('.' may start '.hidden'), never walked as a folder.
  const segments = what === 'list prefix' ? value.split('/').slice(0, -1) : value.split('/');
  if (segments.some((s) => s === '..' || s === '.')) {
    throw new InvalidNameError(`${what} ${show} contains a '.' or '..' segment, which could escape the bucket`);
  }
  if (segments.length > 0 && segments[0] === LOCAL_TEMP_DIR) {
    throw new InvalidNameError(`${what} ${show} uses the reserved folder ${LOCAL_TEMP_DIR}/`);
  }
}

/** A key names one object: non-empty, no empty segments (they cannot exist as files), no trailing '/'. */
export function validateObjectKey(key: string): void {
  if (key.length === 0) throw new InvalidNameError('object key is empty');
  validatePathLike('object key', key);
  if (key.split('/').some((s) => s === '')) {
    throw new InvalidNameError(`object key ${JSON.stringify(key)} has an empty segment ('//', or a leading/trailing '/')`);
  }
}

/** A prefix may be empty or end mid-name or with '/'. */
export function validatePrefix(prefix: string): void {
  if (prefix.length === 0) return;
  validatePathLike('list prefix', prefix);
}

/** Lexicographic order of keys as GCS sorts them: by UTF-8 bytes (differs from JS string order above U+FFFF). */
export function compareKeys(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

/** Joins key parts with '/', ignoring empty parts and stray slashes at the joins: joinKey('t/', '_delta_log', 'x'). */
export function joinKey(...parts: string[]): string {
  return parts
    .map((p) => p.replace(/^\/+|\/+$/g, ''))
    .filter((p) => p.length > 0)
    .join('/');
}
