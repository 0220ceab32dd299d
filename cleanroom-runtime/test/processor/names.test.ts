import { createHash } from 'node:crypto';
import { checkDataLocation, checkObjectName, checkOutputLocation, codePathSegment, parseGsUri } from '../../src/processor/names';
import { parseParameters } from '../../src/processor/parameters';

const message = (r: { ok: boolean; message?: string }) => (r.ok ? 'ok' : r.message);

describe('gs:// locations', () => {
  test('normalises trailing slashes and whitespace', () => {
    const r = parseGsUri(' gs://bucket-a/input/users/ ');
    expect(r.ok && r.value).toEqual({ bucket: 'bucket-a', path: 'input/users', uri: 'gs://bucket-a/input/users' });
  });
  test.each([
    ['s3://bucket-a/input/x', 'is not a gs:// URI: use gs://<your bucket>/<path>'],
    ['/local/path', 'is not a gs:// URI: use gs://<your bucket>/<path>'],
    ['dbfs:/mnt/x', 'is not a gs:// URI: use gs://<your bucket>/<path>'],
    ['gs://Bucket/x', 'has an invalid bucket name "Bucket"'],
    ['gs://bucket-a/input/../../other', "contains an empty, '.' or '..' path segment: write the plain path"],
    ['gs://bucket-a/input//x', "contains an empty, '.' or '..' path segment: write the plain path"],
    ['gs://bucket-a/./x', "contains an empty, '.' or '..' path segment: write the plain path"],
    ['gs://bucket-a/input/%2e%2e', 'contains the path segment "%2e%2e": use letters, digits and . _ - = + only'],
    ["gs://bucket-a/input/x';DROP", 'contains the path segment "x\';DROP": use letters, digits and . _ - = + only'],
  ])('%s is refused', (uri, why) => {
    expect(message(parseGsUri(uri))).toBe(`location ${JSON.stringify(uri)} ${why}`);
  });

  test('data locations stay in the own bucket, below input/ (the only folder the deployed compute reads datasets from)', () => {
    expect(message(checkDataLocation('gs://own-bucket/input/t', 'own-bucket'))).toBe('ok');
    expect(message(checkDataLocation('gs://own-bucket/input/year=2024/t', 'own-bucket'))).toBe('ok');
    for (const elsewhere of ['gs://own-bucket/year=2024/t', 'gs://own-bucket/input', 'gs://own-bucket/inputs/t', 'gs://own-bucket/output/t', 'gs://own-bucket/cluster-logs/t']) {
      expect(message(checkDataLocation(elsewhere, 'own-bucket'))).toMatch(/is not below input\/: the clean room's compute reads datasets only there; store it under gs:\/\/own-bucket\/input\/<table>$/);
    }
    expect(message(checkDataLocation('gs://other-bucket/input/t', 'own-bucket'))).toBe(
      'location gs://other-bucket/input/t is outside your bucket gs://own-bucket: register data stored in your own bucket (e.g. gs://own-bucket/input/<table>)',
    );
    expect(message(checkDataLocation('gs://own-bucket-2/input/t', 'own-bucket'))).toMatch(/is outside your bucket/);
    expect(message(checkDataLocation('gs://own-bucket/', 'own-bucket'))).toBe(
      'location gs://own-bucket is the bucket root: point at the dataset\'s folder, e.g. gs://own-bucket/input/<table>',
    );
    expect(message(checkDataLocation('gs://own-bucket/control/events', 'own-bucket'))).toBe(
      'location gs://own-bucket/control/events is inside control/, which the clean room manages: store datasets under gs://own-bucket/input/',
    );
  });

  test('outputs stay below the own output/ folder', () => {
    const ok = checkOutputLocation('gs://own-bucket/output/result/', 'own-bucket');
    expect(ok.ok && ok.value.uri).toBe('gs://own-bucket/output/result');
    for (const uri of ['gs://own-bucket/output', 'gs://own-bucket/output/', 'gs://own-bucket/outputs/x', 'gs://own-bucket/input/x', 'gs://other-bucket/output/x']) {
      expect(message(checkOutputLocation(uri, 'own-bucket'))).toMatch(/^parameter "output" gs:\/\/[a-z-]+(\/[a-z]+)*(\/x)? is outside gs:\/\/own-bucket\/output\/: write results below your own output folder/);
    }
    expect(message(checkOutputLocation('gs://own-bucket/output/../input', 'own-bucket'))).toMatch(/^parameter "output": location .* '\.\.' path segment/);
  });
});

describe('code and job names', () => {
  // The seed's create_job notebook refuses these in job names; approve_code splices code names into
  // `where name='<name>'` and splits its multi-select on ',' (github.com/christophergrant/clean-notebooks,
  // backend/jobs.py and backend/approvals.py).
  const seedForbidden = [...`"'!@#$%^&*()+?=,<>/`];

  test.each(['adv_match', 'A1', 'pub.reports-v2', 'x'.repeat(100), 'Weekly reach v2', 'a..b', 'Q3: reach [EU] ~draft', 'my-job_1.0'])('%j is allowed', (name) => {
    expect(checkObjectName('code', name)).toEqual({ ok: true, value: name });
    expect(checkObjectName('job', name)).toEqual({ ok: true, value: name });
  });

  test.each([...seedForbidden, '\\', '`'])('a name with %j is refused, naming the character and every character to leave out', (c) => {
    expect(message(checkObjectName('job', `weekly${c}report`))).toBe(
      `job name ${JSON.stringify(`weekly${c}report`)} is not allowed: it contains ${JSON.stringify(c)}; leave out " ' ! @ # $ % ^ & * ( ) + ? = , < > / \\ \``,
    );
  });

  test.each([
    ['', 'use 1 to 100 characters'],
    ['x'.repeat(101), 'use 1 to 100 characters'],
    ['\u00e9t\u00e9', 'it contains "\u00e9"; use ASCII letters, digits, spaces and punctuation (no control characters or non-ASCII letters)'],
    ['kp_co\u0430nt', 'it contains "\u0430"; use ASCII letters, digits, spaces and punctuation (no control characters or non-ASCII letters)'],
    ['a\tb', 'it contains "\\t"; use ASCII letters, digits, spaces and punctuation (no control characters or non-ASCII letters)'],
    ['a\u0000b', 'it contains "\\u0000"; use ASCII letters, digits, spaces and punctuation (no control characters or non-ASCII letters)'],
    [' lead', 'it has a space at either end or two in a row; use single spaces between words'],
    ['trail ', 'it has a space at either end or two in a row; use single spaces between words'],
    ['two  spaces', 'it has a space at either end or two in a row; use single spaces between words'],
    ['..', 'it has no letter or digit; name it with words'],
    ['- _ -', 'it has no letter or digit; name it with words'],
  ])('%j is refused', (name, why) => {
    expect(message(checkObjectName('code', name))).toBe(`code name ${JSON.stringify(name)} is not allowed: ${why}`);
  });
});

describe('code path segments', () => {
  test('a plain name is its own segment, so paths of existing code keep their names', () => {
    for (const name of ['adv_match', 'A1', 'pub.reports-v2', 'x'.repeat(100)]) expect(codePathSegment(name)).toBe(name);
  });

  test('any other name maps to _<lowercase words>_<16 hex of sha256(name)>', () => {
    const hash = (name: string) => createHash('sha256').update(name, 'utf8').digest('hex').slice(0, 16);
    expect(codePathSegment('Weekly reach v2')).toBe(`_weekly_reach_v2_${hash('Weekly reach v2')}`);
    expect(codePathSegment('a..b')).toBe(`_a_b_${hash('a..b')}`);
    expect(codePathSegment('Q3: reach [EU] ~draft')).toBe(`_q3_reach_eu_draft_${hash('Q3: reach [EU] ~draft')}`);
    expect(codePathSegment(`${'w '.repeat(60)}x`)).toBe(`_${'w_'.repeat(20).slice(0, 40).replace(/_$/, '')}_${hash(`${'w '.repeat(60)}x`)}`);
  });

  test('segments are safe in every path they enter, stable, and never equal for two names', () => {
    const names = ['Weekly reach v2', 'weekly reach v2', 'weekly_reach_v2', 'Weekly Reach V2', 'a..b', 'a.b', 'a b', 'a_b', 'a-b', 'x', 'X', '1 2', '1_2'];
    const segments = names.map(codePathSegment);
    expect(new Set(segments).size).toBe(names.length);
    for (const [i, segment] of segments.entries()) {
      expect(segment).toMatch(/^[A-Za-z0-9_][A-Za-z0-9_.-]{0,99}$/);
      expect(segment).not.toContain('..');
      expect(codePathSegment(names[i])).toBe(segment);
    }
    // A mapped segment starts with '_', which no plain name (its own segment) can.
    expect(segments.filter((s) => s.startsWith('_'))).toHaveLength(names.filter((n) => !/^[A-Za-z0-9][A-Za-z0-9_.-]*$/.test(n) || n.includes('..')).length);
  });
});

describe('parameters', () => {
  test('scalars become strings', () => {
    const r = parseParameters('{"a": "x", "n": 3, "b": true}', 'parameters');
    expect(r.ok && r.value).toEqual({ a: 'x', n: '3', b: 'true' });
  });
  test.each([
    ["{'a': 1}", 'parameters is not valid JSON: write a JSON object with double quotes, e.g. {"output": "gs://bucket/output/x"}'],
    ['[1]', 'parameters must be a JSON object of parameter names to values, e.g. {"country": "FR"}'],
    ['{"a": {"b": 1}}', 'parameters parameter "a" must be a string, number or boolean'],
    ['{"a": null}', 'parameters parameter "a" must be a string, number or boolean'],
    ['{"a-b": "1"}', 'parameters has the parameter name "a-b": use letters, digits and \'_\', starting with a letter or \'_\''],
  ])('%s is refused', (json, why) => {
    expect(message(parseParameters(json, 'parameters'))).toBe(why);
  });
  test('too many and too long', () => {
    const many = JSON.stringify(Object.fromEntries(Array.from({ length: 101 }, (_, i) => [`p${i}`, 'v'])));
    expect(message(parseParameters(many, 'parameters'))).toBe('parameters has 101 parameters; the limit is 100');
    expect(message(parseParameters(JSON.stringify({ a: 'x'.repeat(4097) }), 'parameters'))).toBe('parameters parameter "a" is 4097 characters; the limit is 4096');
  });
});
