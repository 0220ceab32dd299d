/**
 * Prop validation shared by the constructs. Every construct collects all of its problems and throws once, so a
 * reviewer sees the complete list (each naming the construct, the field and what is expected) in one synth.
 */
export class InvalidPropsError extends Error {
  constructor(
    readonly construct: string,
    readonly problems: readonly string[],
  ) {
    super(`${construct}: invalid props:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'InvalidPropsError';
  }
}

/** Collects `field — expected …` problems; `throwIfAny` raises them together. */
export class Problems {
  private readonly list: string[] = [];

  add(field: string, expected: string, actual?: unknown): void {
    const got = actual === undefined ? '' : ` (got ${JSON.stringify(actual)})`;
    this.list.push(`${field} — expected ${expected}${got}`);
  }

  /** Records a problem when `ok` is false; returns `ok` so callers can chain dependent checks. */
  check(ok: boolean, field: string, expected: string, actual?: unknown): boolean {
    if (!ok) this.add(field, expected, actual);
    return ok;
  }

  get count(): number {
    return this.list.length;
  }

  throwIfAny(construct: string): void {
    if (this.list.length > 0) throw new InvalidPropsError(construct, this.list);
  }
}

/** Participant names double as database names (docs/protocol.md, Control tables). */
export const PARTICIPANT_NAME = /^[a-z][a-z0-9_]{1,30}$/;
/** As the config schema: clean room names end up in resource ids (service, topic, secret, policies). */
export const CLEANROOM_NAME = /^[a-z][a-z0-9-]{2,40}$/;
export const GCP_PROJECT_ID = /^[a-z][a-z0-9-]{4,28}[a-z0-9]$/;
export const GCP_REGION = /^[a-z]+-[a-z]+[0-9]{1,2}$/;
export const SERVICE_ACCOUNT_EMAIL = /^[a-z][a-z0-9-]{4,28}[a-z0-9]@[a-z][a-z0-9-]{4,28}[a-z0-9]\.iam\.gserviceaccount\.com$/;
/** Any Google-managed or user-managed service account (Databricks-created credentials use other domains). */
export const ANY_SERVICE_ACCOUNT_EMAIL = /^[a-z0-9][a-z0-9._-]*@[a-z0-9][a-z0-9.-]*\.gserviceaccount\.com$/;
export const DATABRICKS_HOST = /^https:\/\/[a-z0-9][a-z0-9.-]*[a-z0-9](:[0-9]+)?\/?$/;

/** GCS bucket naming rules for non-domain names (https://cloud.google.com/storage/docs/buckets#naming). */
export function bucketNameProblem(name: unknown): string | undefined {
  if (typeof name !== 'string') return 'a bucket name string';
  if (!/^[a-z0-9][a-z0-9_.-]{1,61}[a-z0-9]$/.test(name)) {
    return '3–63 characters of a-z 0-9 - _ . starting and ending with a letter or digit';
  }
  if (name.startsWith('goog') || name.includes('google')) return 'a name that does not start with "goog" or contain "google"';
  if (/^\d+\.\d+\.\d+\.\d+$/.test(name)) return 'a name that is not an IP address';
  if (name.includes('..')) return 'no consecutive dots';
  return undefined;
}

export function checkBucketName(problems: Problems, field: string, name: unknown): boolean {
  const problem = bucketNameProblem(name);
  return problems.check(problem === undefined, field, problem ?? '', name);
}

export function checkPattern(problems: Problems, field: string, value: unknown, pattern: RegExp, what: string): boolean {
  return problems.check(typeof value === 'string' && pattern.test(value), field, `${what} matching ${pattern}`, value);
}

/** GCP label keys/values: lowercase letters, digits, _ and -, at most 63 characters; keys start with a letter. */
export function checkLabels(problems: Problems, field: string, labels: Record<string, string> | undefined): void {
  for (const [key, value] of Object.entries(labels ?? {})) {
    problems.check(/^[a-z][a-z0-9_-]{0,62}$/.test(key), `${field}.${key}`, 'a label key of a-z 0-9 _ - (≤63, starting with a letter)', key);
    problems.check(/^[a-z0-9_-]{0,63}$/.test(value), `${field}.${key}`, 'a label value of a-z 0-9 _ - (≤63)', value);
  }
}
