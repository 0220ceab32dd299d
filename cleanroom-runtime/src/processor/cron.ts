/**
 * Five-field unix cron (minute hour day-of-month month day-of-week), evaluated in UTC. Syntax is checked by the
 * config's `cronProblem` (the one the runtime schedule uses); this adds what a job schedule needs: when it fires.
 *
 * Day semantics follow vixie cron: when both day fields are restricted (neither starts with `*`), a day matches if
 * EITHER matches; otherwise both must match. Day of week 7 is Sunday, like 0.
 * Searches walk whole days and are bounded, so no expression can make them loop forever; expressions that never
 * fire (e.g. `0 0 31 2 *`) are refused up front by `cronNeverFires`.
 */
import { cronProblem } from '../config/value-rules';

export interface CronSchedule {
  readonly minutes: readonly number[];
  readonly hours: readonly number[];
  readonly daysOfMonth: ReadonlySet<number>;
  readonly months: ReadonlySet<number>;
  readonly daysOfWeek: ReadonlySet<number>;
  /** The day-of-month field starts with `*` (vixie's DOM_STAR). */
  readonly dayOfMonthStar: boolean;
  readonly dayOfWeekStar: boolean;
}

const MINUTE_MS = 60_000;
const DAY_MS = 24 * 60 * MINUTE_MS;
/** The longest gap between two dates that exist: Feb 29 can be 8 years apart (2096 → 2104). */
const MAX_SCAN_DAYS = 366 * 9;

const MONTH_NAMES = ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'];
const DAY_NAMES = ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'];
const FIELDS = [
  { min: 0, max: 59, names: [] as string[], offset: 0 },
  { min: 0, max: 23, names: [] as string[], offset: 0 },
  { min: 1, max: 31, names: [] as string[], offset: 0 },
  { min: 1, max: 12, names: MONTH_NAMES, offset: 1 },
  { min: 0, max: 7, names: DAY_NAMES, offset: 0 },
];
/** Most days each month can have (February: leap years). */
const MONTH_MAX_DAYS = [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

export type CronParse = { ok: true; cron: CronSchedule } | { ok: false; message: string };

/** Parses a cron expression; the message (from the config's check) says what is expected. */
export function parseCron(expression: string): CronParse {
  const problem = cronProblem(expression);
  if (problem !== undefined) return { ok: false, message: problem };
  const parts = expression.trim().split(/\s+/);
  const sets = parts.map((part, i) => expand(part, FIELDS[i]!));
  const daysOfWeek = new Set([...sets[4]!].map((d) => d % 7));
  return {
    ok: true,
    cron: {
      minutes: [...sets[0]!].sort((a, b) => a - b),
      hours: [...sets[1]!].sort((a, b) => a - b),
      daysOfMonth: sets[2]!,
      months: sets[3]!,
      daysOfWeek,
      dayOfMonthStar: parts[2]!.startsWith('*'),
      dayOfWeekStar: parts[4]!.startsWith('*'),
    },
  };
}

function expand(part: string, field: (typeof FIELDS)[number]): Set<number> {
  const out = new Set<number>();
  for (const item of part.split(',')) {
    const [range, stepText] = item.split('/') as [string, string | undefined];
    const step = stepText === undefined ? 1 : Number(stepText);
    let from = field.min;
    let to = field.max;
    if (range !== '*') {
      const bounds = range.split('-').map((b) => valueOf(b, field));
      from = bounds[0]!;
      // `a/n` means a to the end of the field, stepping n.
      to = bounds.length === 2 ? bounds[1]! : stepText === undefined ? from : field.max;
    }
    for (let v = from; v <= to; v += step) out.add(v);
  }
  return out;
}

function valueOf(token: string, field: (typeof FIELDS)[number]): number {
  if (/^[0-9]+$/.test(token)) return Number(token);
  return field.names.indexOf(token.toUpperCase()) + field.offset;
}

/** Why the schedule can never fire (a day that does not exist in any chosen month), or undefined. */
export function cronNeverFires(cron: CronSchedule): string | undefined {
  // Only with AND semantics and a restricted day of month can the chosen days miss every chosen month.
  if (!cron.dayOfWeekStar || cron.dayOfMonthStar) return undefined;
  for (const month of cron.months) {
    for (const day of cron.daysOfMonth) if (day <= MONTH_MAX_DAYS[month - 1]!) return undefined;
  }
  const days = [...cron.daysOfMonth].sort((a, b) => a - b).join(',');
  const months = [...cron.months].sort((a, b) => a - b).map((m) => MONTH_NAMES[m - 1]).join(',');
  return `it never runs: day ${days} does not exist in ${months}`;
}

function dayMatches(cron: CronSchedule, dayStartMs: number): boolean {
  const date = new Date(dayStartMs);
  if (!cron.months.has(date.getUTCMonth() + 1)) return false;
  const dom = cron.daysOfMonth.has(date.getUTCDate());
  const dow = cron.daysOfWeek.has(date.getUTCDay());
  return cron.dayOfMonthStar || cron.dayOfWeekStar ? dom && dow : dom || dow;
}

/** The first firing strictly after `after` (to the minute), or null if there is none within nine years. */
export function nextOccurrence(cron: CronSchedule, after: number): number | null {
  const start = Math.floor(after / MINUTE_MS) * MINUTE_MS + MINUTE_MS;
  const firstDay = Math.floor(start / DAY_MS) * DAY_MS;
  for (let i = 0; i <= MAX_SCAN_DAYS; i++) {
    const day = firstDay + i * DAY_MS;
    if (!dayMatches(cron, day)) continue;
    const fromMinute = i === 0 ? (start - day) / MINUTE_MS : 0;
    const minuteOfDay = firstTimeAtOrAfter(cron, fromMinute);
    if (minuteOfDay !== null) return day + minuteOfDay * MINUTE_MS;
  }
  return null;
}

/** The last firing at or before `atOrBefore` (to the minute), or null if there is none within nine years. */
export function previousOccurrence(cron: CronSchedule, atOrBefore: number): number | null {
  const end = Math.floor(atOrBefore / MINUTE_MS) * MINUTE_MS;
  const lastDay = Math.floor(end / DAY_MS) * DAY_MS;
  for (let i = 0; i <= MAX_SCAN_DAYS; i++) {
    const day = lastDay - i * DAY_MS;
    if (!dayMatches(cron, day)) continue;
    const toMinute = i === 0 ? (end - day) / MINUTE_MS : 24 * 60 - 1;
    const minuteOfDay = lastTimeAtOrBefore(cron, toMinute);
    if (minuteOfDay !== null) return day + minuteOfDay * MINUTE_MS;
  }
  return null;
}

function firstTimeAtOrAfter(cron: CronSchedule, minuteOfDay: number): number | null {
  const hour = Math.floor(minuteOfDay / 60);
  const minute = minuteOfDay % 60;
  for (const h of cron.hours) {
    if (h < hour) continue;
    const m = h === hour ? cron.minutes.find((x) => x >= minute) : cron.minutes[0];
    if (m !== undefined) return h * 60 + m;
  }
  return null;
}

function lastTimeAtOrBefore(cron: CronSchedule, minuteOfDay: number): number | null {
  const hour = Math.floor(minuteOfDay / 60);
  const minute = minuteOfDay % 60;
  for (let hi = cron.hours.length - 1; hi >= 0; hi--) {
    const h = cron.hours[hi]!;
    if (h > hour) continue;
    const m = h === hour ? [...cron.minutes].reverse().find((x) => x <= minute) : cron.minutes[cron.minutes.length - 1];
    if (m !== undefined) return h * 60 + m;
  }
  return null;
}
