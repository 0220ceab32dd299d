/**
 * Rules for single values that a regular expression alone cannot express (GCS bucket names, cron schedules).
 * Each returns what is wrong, phrased as what is expected, or undefined when the value is fine.
 */

/** Shape of a GCS bucket name (no dots: dotted names need domain verification, which a clean room has no use for). */
export const BUCKET_NAME_PATTERN = /^[a-z0-9][a-z0-9_-]{1,61}[a-z0-9]$/;

export function bucketNameProblem(name: string): string | undefined {
  // Google reserves these; bucket creation would fail at deploy time, so say it now.
  if (name.startsWith('goog')) return 'expected a bucket name that does not start with "goog" (reserved by Google)';
  if (/g[o0]{2}g[l1]e/.test(name)) return 'expected a bucket name that does not contain "google" (reserved by Google)';
  return undefined;
}

interface CronField {
  readonly label: string;
  readonly min: number;
  readonly max: number;
  readonly names?: readonly string[];
}

const CRON_FIELDS: readonly CronField[] = [
  { label: 'minute', min: 0, max: 59 },
  { label: 'hour', min: 0, max: 23 },
  { label: 'day of month', min: 1, max: 31 },
  {
    label: 'month',
    min: 1,
    max: 12,
    names: ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'],
  },
  { label: 'day of week', min: 0, max: 7, names: ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'] },
];

/** Checks a five-field unix-cron expression, the format Cloud Scheduler accepts. */
export function cronProblem(expression: string): string | undefined {
  const parts = expression.trim().split(/\s+/);
  if (parts.length !== CRON_FIELDS.length) {
    return `expected a cron schedule of 5 fields (minute hour day-of-month month day-of-week, e.g. "*/5 * * * *"); got ${parts.length} field${parts.length === 1 ? '' : 's'}`;
  }
  for (let i = 0; i < parts.length; i++) {
    const field = CRON_FIELDS[i]!;
    const part = parts[i]!;
    if (!part.split(',').every((item) => cronItemIsValid(item, field))) {
      return `expected a cron schedule (e.g. "*/5 * * * *"); its ${field.label} field "${part}" must use *, numbers ${field.min}-${field.max}${field.names ? ' or names' : ''}, ranges a-b, lists a,b and steps /n`;
    }
  }
  return undefined;
}

function cronItemIsValid(item: string, field: CronField): boolean {
  const [range, step, ...rest] = item.split('/');
  if (rest.length > 0 || range === undefined) return false;
  if (step !== undefined && !(/^[0-9]{1,2}$/.test(step) && Number(step) >= 1 && Number(step) <= field.max)) return false;
  if (range === '*') return true;
  const bounds = range.split('-');
  if (bounds.length > 2) return false;
  const values = bounds.map((bound) => cronValue(bound, field));
  if (values.some((value) => value === undefined)) return false;
  return values.length === 1 || values[0]! <= values[1]!;
}

function cronValue(token: string, field: CronField): number | undefined {
  if (/^[0-9]{1,2}$/.test(token)) {
    const value = Number(token);
    return value >= field.min && value <= field.max ? value : undefined;
  }
  const index = field.names?.indexOf(token.toUpperCase()) ?? -1;
  if (index < 0) return undefined;
  return field.label === 'month' ? index + 1 : index;
}
