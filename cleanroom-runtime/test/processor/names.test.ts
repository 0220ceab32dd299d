import { checkDataLocation, checkObjectName, checkOutputLocation, parseGsUri } from '../../src/processor/names';
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
  test.each(['adv_match', 'A1', 'pub.reports-v2', 'x'.repeat(100)])('%s is allowed', (name) => {
    expect(checkObjectName('code', name).ok).toBe(true);
  });
  test.each(['', '-x', '.hidden', 'a..b', 'a/b', 'a b', "a'b", 'x'.repeat(101), 'é'])('%j is refused', (name) => {
    expect(message(checkObjectName('job', name))).toBe(
      `job name ${JSON.stringify(name)} is not allowed: use 1-100 letters, digits, '_', '.' or '-', starting with a letter or digit, without '..'`,
    );
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
