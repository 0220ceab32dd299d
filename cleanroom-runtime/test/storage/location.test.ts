import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { GcsObjectStore } from '../../src/storage/gcs-store';
import { LocalObjectStore } from '../../src/storage/local-store';
import { openLocation, parseGsUri } from '../../src/storage/location';
import { InvalidNameError } from '../../src/storage/names';
import { listAll } from '../../src/storage/object-store';

const fixtures = path.resolve(__dirname, '../../../../shared/fixtures/delta');

describe('parseGsUri', () => {
  test.each([
    ['gs://my-bucket', { bucket: 'my-bucket', key: '' }],
    ['gs://my-bucket/', { bucket: 'my-bucket', key: '' }],
    ['gs://my-bucket/control/runs', { bucket: 'my-bucket', key: 'control/runs' }],
    ['gs://my.bucket_1/control/runs/', { bucket: 'my.bucket_1', key: 'control/runs/' }],
    ['gs://b12/a b/ü%20.json', { bucket: 'b12', key: 'a b/ü%20.json' }],
  ])('%s', (uri, expected) => {
    expect(parseGsUri(uri)).toEqual(expected);
  });

  test.each([
    ['s3://bucket/key', /not a gs:\/\/ URI/],
    ['gs://', /has no bucket/],
    ['gs:///key', /has no bucket/],
    ['gs://Upper/key', /invalid bucket name "Upper"/],
    ['gs://bucket/../other', /'\.' or '\.\.' segment/],
    ['gs://bucket/a\\b', /backslash/],
    ['gs://bucket/a//b', /empty folder name/],
    ['gs://bucket//a', /starts with '\/'/],
  ])('rejects %j', (uri, message) => {
    expect(() => parseGsUri(uri)).toThrow(InvalidNameError);
    expect(() => parseGsUri(uri)).toThrow(message);
  });
});

describe('openLocation', () => {
  let root: string;
  beforeEach(async () => {
    root = await fs.mkdtemp(path.join(os.tmpdir(), 'cleanroom-location-'));
  });
  afterEach(async () => {
    await fs.rm(root, { recursive: true, force: true });
  });

  test('gs:// with a local root is served from <root>/gs/<bucket>, prefix as a folder', async () => {
    const opened = openLocation('gs://part-a/control/runs', { localRoot: root });
    expect(opened.store).toBeInstanceOf(LocalObjectStore);
    expect(opened).toMatchObject({ bucket: 'part-a', prefix: 'control/runs/' });
    await opened.store.put(opened.bucket, `${opened.prefix}_delta_log/0.json`, new TextEncoder().encode('{}'));
    expect(await fs.readFile(path.join(root, 'gs', 'part-a', 'control', 'runs', '_delta_log', '0.json'), 'utf8')).toBe('{}');
  });

  test('gs:// without a local root goes to GCS', () => {
    const opened = openLocation('gs://part-a/', { gcs: { apiEndpoint: 'http://127.0.0.1:9', projectId: 'p' } });
    expect(opened.store).toBeInstanceOf(GcsObjectStore);
    expect(opened).toMatchObject({ bucket: 'part-a', prefix: '' });
  });

  test('a plain folder (relative or absolute) is a bucket of its own with prefix ""', async () => {
    const folder = path.join(root, 'My Table');
    const absolute = openLocation(folder);
    await absolute.store.put(absolute.bucket, 'x/y.txt', new TextEncoder().encode('hi'));
    expect(absolute.prefix).toBe('');
    expect(await fs.readFile(path.join(folder, 'x', 'y.txt'), 'utf8')).toBe('hi');

    const relative = openLocation(path.relative(process.cwd(), folder));
    expect(new TextDecoder().decode(await relative.store.get(relative.bucket, 'x/y.txt'))).toBe('hi');
  });

  test('a Spark-written fixture folder lists exactly its files, hidden .crc files included, without being modified', async () => {
    const table = path.join(fixtures, 'basic-with-inserts-deletes-checkpoint');
    const before = (await fs.readdir(path.join(table, '_delta_log'))).sort();
    const { store, bucket, prefix } = openLocation(table);
    const keys: string[] = [];
    for await (const o of listAll(store, bucket, `${prefix}_delta_log/`)) keys.push(o.key);
    expect(keys).toEqual(before.map((f) => `_delta_log/${f}`).sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b))));
    expect(keys.some((k) => k.startsWith('_delta_log/.'))).toBe(true);
    const firstCommit = new TextDecoder().decode(await store.get(bucket, '_delta_log/00000000000000000000.json'));
    const actions = firstCommit.trim().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(actions.some((a) => 'protocol' in a)).toBe(true);
    expect((await fs.readdir(table)).includes('.cleanroom-tmp')).toBe(false);
  });

  test('unsupported schemes and empty paths are rejected with a hint', () => {
    expect(() => openLocation('s3://bucket/x')).toThrow(/use gs:\/\/<bucket>\/<path> or a local folder path/);
    expect(() => openLocation('')).toThrow(InvalidNameError);
    expect(() => openLocation('/')).toThrow(/file system root/);
  });
});
