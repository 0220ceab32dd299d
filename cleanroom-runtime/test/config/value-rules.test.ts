import { BUCKET_NAME_PATTERN, bucketNameProblem, cronProblem } from '../../src/config/value-rules';

describe('cron schedules', () => {
  it.each(['*/5 * * * *', '0 3 * * *', '15,45 8-18 * * MON-FRI', '0 0 1 jan,jul *', '0 */2 1-15/2 * 0,7'])('accepts %s', (expression) => {
    expect(cronProblem(expression)).toBeUndefined();
  });

  it.each([
    ['* * * *', 'got 4 fields'],
    ['60 * * * *', 'its minute field "60"'],
    ['* 24 * * *', 'its hour field "24"'],
    ['* * 0 * *', 'its day of month field "0"'],
    ['* * * 13 * ', 'its month field "13"'],
    ['* * * * 8', 'its day of week field "8"'],
    ['*/0 * * * *', 'its minute field "*/0"'],
    ['5-1 * * * *', 'its minute field "5-1"'],
    ['* * * * MON-', 'its day of week field "MON-"'],
    ['@hourly', 'got 1 field'],
  ])('rejects %s', (expression, detail) => {
    expect(cronProblem(expression)).toContain(detail);
  });
});

describe('bucket names', () => {
  it.each(['ab', 'a'.repeat(64), '-starts-with-dash', 'ends-with-dash-', 'Upper-case', 'has.dots', 'has space'])(
    'rejects the shape of %s',
    (name) => {
      expect(BUCKET_NAME_PATTERN.test(name)).toBe(false);
    },
  );

  it('accepts ordinary names', () => {
    for (const name of ['abc', 'acme_cleanroom-state-01', 'a'.repeat(63)]) {
      expect(BUCKET_NAME_PATTERN.test(name)).toBe(true);
      expect(bucketNameProblem(name)).toBeUndefined();
    }
  });

  it('rejects names reserved by Google', () => {
    expect(bucketNameProblem('goog-data')).toContain('"goog"');
    expect(bucketNameProblem('my-google-data')).toContain('"google"');
    expect(bucketNameProblem('my-g00gle-data')).toContain('"google"');
  });
});
