import { cronNeverFires, nextOccurrence, parseCron, previousOccurrence, type CronSchedule } from '../../src/processor/cron';

const at = (iso: string) => Date.parse(iso);
const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

function cron(expression: string): CronSchedule {
  const parsed = parseCron(expression);
  if (!parsed.ok) throw new Error(parsed.message);
  return parsed.cron;
}
const next = (expression: string, after: string) => iso(nextOccurrence(cron(expression), at(after)));
const previous = (expression: string, atOrBefore: string) => iso(previousOccurrence(cron(expression), at(atOrBefore)));

describe('nextOccurrence (UTC)', () => {
  test('weekly: strictly after the given time, to the minute', () => {
    // 2026-01-15 is a Thursday.
    expect(next('0 6 * * 1', '2026-01-15T09:00:00Z')).toBe('2026-01-19T06:00:00.000Z');
    expect(next('0 6 * * 1', '2026-01-19T05:59:30Z')).toBe('2026-01-19T06:00:00.000Z');
    expect(next('0 6 * * 1', '2026-01-19T06:00:00Z')).toBe('2026-01-26T06:00:00.000Z');
    expect(next('0 6 * * 1', '2026-01-19T06:00:45Z')).toBe('2026-01-26T06:00:00.000Z');
  });

  test('ranges, steps, lists, a/n and names', () => {
    expect(next('*/15 9-10 * * *', '2026-01-15T09:07:00Z')).toBe('2026-01-15T09:15:00.000Z');
    expect(next('*/15 9-10 * * *', '2026-01-15T10:45:00Z')).toBe('2026-01-16T09:00:00.000Z');
    expect(next('0 8,20 * * *', '2026-01-15T12:00:00Z')).toBe('2026-01-15T20:00:00.000Z');
    expect(next('0 1-10/4 * * *', '2026-01-15T05:00:00Z')).toBe('2026-01-15T09:00:00.000Z');
    expect(next('30/10 * * * *', '2026-01-15T09:00:00Z')).toBe('2026-01-15T09:30:00.000Z');
    expect(next('30/10 * * * *', '2026-01-15T09:55:00Z')).toBe('2026-01-15T10:30:00.000Z');
    expect(next('0 12 1 feb *', '2026-01-15T09:00:00Z')).toBe('2026-02-01T12:00:00.000Z');
    expect(next('0 0 * * 7', '2026-01-15T09:00:00Z')).toBe('2026-01-18T00:00:00.000Z');
    expect(next('0 0 * * SUN', '2026-01-15T09:00:00Z')).toBe('2026-01-18T00:00:00.000Z');
    expect(next('0 0 1 JAN-MAR/2 *', '2026-01-15T09:00:00Z')).toBe('2026-03-01T00:00:00.000Z');
  });

  test('day of month and day of week: either when both are restricted, both when one starts with *', () => {
    // the 15th OR a Monday
    expect(next('0 0 15 * 1', '2026-01-12T12:00:00Z')).toBe('2026-01-15T00:00:00.000Z');
    expect(next('0 0 15 * 1', '2026-01-15T00:00:00Z')).toBe('2026-01-19T00:00:00.000Z');
    // */10 starts with *: days 1, 11, 21, 31 AND a Monday; the first such day after New Year 2026 is Monday 11 May.
    expect(next('0 0 */10 * 1', '2026-01-01T00:00:00Z')).toBe('2026-05-11T00:00:00.000Z');
    // * in day of week: only the day of month counts
    expect(next('0 0 13 * *', '2026-01-15T00:00:00Z')).toBe('2026-02-13T00:00:00.000Z');
  });

  test('leap days are found years ahead, across a non-leap century', () => {
    expect(next('0 0 29 2 *', '2026-01-01T00:00:00Z')).toBe('2028-02-29T00:00:00.000Z');
    expect(next('0 0 29 2 *', '2096-03-01T00:00:00Z')).toBe('2104-02-29T00:00:00.000Z');
  });

  test('an impossible date returns null instead of searching forever', () => {
    expect(next('0 0 31 2 *', '2026-01-01T00:00:00Z')).toBeNull();
    expect(previous('0 0 30 2 *', '2026-01-01T00:00:00Z')).toBeNull();
  });
});

describe('previousOccurrence (UTC)', () => {
  test('at or before the given time, to the minute', () => {
    expect(previous('0 6 * * 1', '2026-01-19T06:00:00Z')).toBe('2026-01-19T06:00:00.000Z');
    expect(previous('0 6 * * 1', '2026-01-19T06:00:59Z')).toBe('2026-01-19T06:00:00.000Z');
    expect(previous('0 6 * * 1', '2026-01-19T05:59:59Z')).toBe('2026-01-12T06:00:00.000Z');
    expect(previous('*/15 9-10 * * *', '2026-01-16T08:00:00Z')).toBe('2026-01-15T10:45:00.000Z');
    expect(previous('0 0 29 2 *', '2026-01-01T00:00:00Z')).toBe('2024-02-29T00:00:00.000Z');
  });

  test('agrees with nextOccurrence: no firing lies between a time and the next one', () => {
    const expressions = ['0 6 * * 1', '*/7 */5 * * *', '15 3 1,15 * *', '0 0 15 * 1', '0 0 */10 * 1', '59 23 31 * *', '0 0 29 2 *'];
    const starts = ['2026-01-15T09:00:00Z', '2026-02-28T23:59:00Z', '2027-12-31T23:30:00Z', '2028-02-28T12:00:00Z'];
    for (const expression of expressions) {
      const c = cron(expression);
      for (const start of starts) {
        let t = at(start);
        for (let i = 0; i < 5; i++) {
          const n = nextOccurrence(c, t);
          expect(n).not.toBeNull();
          expect(n!).toBeGreaterThan(t);
          // n fires, and nothing fires in (t, n): the previous firing before n is at or before t.
          expect(previousOccurrence(c, n!)).toBe(n);
          expect(previousOccurrence(c, n! - 60_000)! <= t).toBe(true);
          t = n!;
        }
      }
    }
  });
});

describe('parseCron and cronNeverFires', () => {
  test('syntax errors come from the config check, with what is expected', () => {
    expect(parseCron('0 0 6 * * ? *')).toEqual({ ok: false, message: expect.stringMatching(/^expected a cron schedule of 5 fields .*got 7 fields$/) });
    expect(parseCron('61 * * * *')).toEqual({ ok: false, message: expect.stringContaining('its minute field "61" must use *, numbers 0-59') });
  });

  test('days that exist in no chosen month are named; OR with a day of week always fires', () => {
    expect(cronNeverFires(cron('0 0 31 2 *'))).toBe('it never runs: day 31 does not exist in FEB');
    expect(cronNeverFires(cron('0 0 30,31 2 *'))).toBe('it never runs: day 30,31 does not exist in FEB');
    expect(cronNeverFires(cron('0 0 31 4,6,9,11 *'))).toBe('it never runs: day 31 does not exist in APR,JUN,SEP,NOV');
    expect(cronNeverFires(cron('0 0 31 2,3 *'))).toBeUndefined();
    expect(cronNeverFires(cron('0 0 29 2 *'))).toBeUndefined();
    expect(cronNeverFires(cron('0 0 31 2 1'))).toBeUndefined();
    expect(next('0 0 31 2 1', '2026-01-15T00:00:00Z')).toBe('2026-02-02T00:00:00.000Z');
  });
});
