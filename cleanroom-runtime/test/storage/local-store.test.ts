import { spawn } from 'node:child_process';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { LocalObjectStore, localPathFor } from '../../src/storage/local-store';
import { InvalidNameError, LOCAL_TEMP_DIR } from '../../src/storage/names';
import { AlreadyExistsError, NotFoundError } from '../../src/storage/object-store';
import { describeObjectStoreContract } from './object-store.contract';

const bytes = (s: string) => new TextEncoder().encode(s);

async function tempRoot(): Promise<string> {
  return fs.mkdtemp(path.join(os.tmpdir(), 'cleanroom-local-store-'));
}

/** Every file under a folder, relative, with '/' separators. */
async function filesUnder(dir: string): Promise<string[]> {
  const entries = await fs.readdir(dir, { recursive: true, withFileTypes: true });
  return entries
    .filter((e) => e.isFile())
    .map((e) => path.relative(dir, path.join(e.parentPath, e.name)).split(path.sep).join('/'))
    .sort();
}

describeObjectStoreContract('LocalObjectStore', async () => {
  const root = await tempRoot();
  return { store: new LocalObjectStore(root), bucket: 'contract-bucket', cleanup: () => fs.rm(root, { recursive: true, force: true }) };
});

describe('LocalObjectStore: local specifics', () => {
  let root: string;
  let store: LocalObjectStore;
  beforeEach(async () => {
    root = await tempRoot();
    store = new LocalObjectStore(root);
  });
  afterEach(async () => {
    await fs.rm(root, { recursive: true, force: true });
  });

  test('gs://bucket/key lives at <root>/gs/<bucket>/<key>, as localPathFor says', async () => {
    await store.put('part-a', 'control/runs/_delta_log/0.json', bytes('{}'));
    const expected = path.join(root, 'gs', 'part-a', 'control', 'runs', '_delta_log', '0.json');
    expect(localPathFor(root, 'part-a', 'control/runs/_delta_log/0.json')).toBe(expected);
    expect(await fs.readFile(expected, 'utf8')).toBe('{}');
  });

  test('bucket names that are not GCS names, or could escape the root, are rejected', async () => {
    for (const bucket of ['..', '.', '../x', 'a/b', 'UPPER', 'a\\b', 'x\0y', '', 'ab', '-leading']) {
      await expect(store.put(bucket, 'k', bytes('x'))).rejects.toBeInstanceOf(InvalidNameError);
      expect(() => localPathFor(root, bucket, 'k')).toThrow(InvalidNameError);
    }
    for (const key of ['../../outside', 'a/../../../outside', '/etc/passwd', 'a\\..\\b', `${LOCAL_TEMP_DIR}/x`]) {
      await expect(store.put('bucket', key, bytes('x'))).rejects.toThrow(InvalidNameError);
      expect(() => localPathFor(root, 'bucket', key)).toThrow(InvalidNameError);
    }
    // Nothing was written anywhere under the root, let alone outside it.
    expect(await filesUnder(root)).toEqual([]);
    await expect(fs.access(path.join(path.dirname(root), 'outside'))).rejects.toThrow();
  });

  test('error messages say what was wrong', async () => {
    await expect(store.get('bucket', '../secret')).rejects.toThrow(/'\.' or '\.\.' segment/);
    await expect(store.get('Bad_Bucket', 'k')).rejects.toThrow(/invalid bucket name "Bad_Bucket"/);
    await expect(store.put('bucket', 'a\\b', bytes('x'))).rejects.toThrow(/backslash/);
  });

  test('writes leave no temp files behind and temp files are never listed', async () => {
    await store.put('bucket', 'a', bytes('1'));
    await store.createIfAbsent('bucket', 'b/c', bytes('2'));
    await store.createIfAbsent('bucket', 'b/c', bytes('3')).catch(() => undefined);
    await store.put('bucket', 'a', bytes('4'));
    expect(await fs.readdir(path.join(root, 'gs', 'bucket', LOCAL_TEMP_DIR))).toEqual([]);
    expect((await store.list('bucket', '')).objects.map((o) => o.key)).toEqual(['a', 'b/c']);
  });

  test('a leftover temp file from a killed writer is not listed and does not block the key', async () => {
    const tempDir = path.join(root, 'gs', 'bucket', LOCAL_TEMP_DIR);
    await fs.mkdir(tempDir, { recursive: true });
    await fs.writeFile(path.join(tempDir, '12345-deadbeef.tmp'), 'half a comm'); // the writer died here
    expect((await store.list('bucket', '')).objects).toEqual([]);
    expect((await store.list('bucket', '.')).objects).toEqual([]);
    await expect(store.get('bucket', '_delta_log/00000000000000000000.json')).rejects.toBeInstanceOf(NotFoundError);
    await store.createIfAbsent('bucket', '_delta_log/00000000000000000000.json', bytes('whole commit'));
    expect(new TextDecoder().decode(await store.get('bucket', '_delta_log/00000000000000000000.json'))).toBe('whole commit');
  });

  test('a writer process killed mid-write never leaves a partial object at a key', async () => {
    const size = 4 * 1024 * 1024;
    const child = path.join(root, 'writer.ts');
    // Writes 4 MiB objects whose every byte is the object's index, alternating createIfAbsent and put, forever.
    await fs.writeFile(
      child,
      [
        `import { LocalObjectStore } from ${JSON.stringify(path.resolve(__dirname, '../../src/storage/local-store'))};`,
        `const store = new LocalObjectStore(${JSON.stringify(root)});`,
        `(async () => { for (let i = 0; ; i++) {`,
        `  const data = new Uint8Array(${size}).fill(i % 256);`,
        `  if (i % 2 === 0) await store.createIfAbsent('bucket', 'obj/' + i, data); else await store.put('bucket', 'obj/' + i, data);`,
        `  if (i === 2) process.stdout.write('ready\\n');`,
        `} })();`,
      ].join('\n'),
    );
    const proc = spawn(process.execPath, ['--import', 'tsx', child], {
      cwd: path.resolve(__dirname, '../..'), // where `tsx` resolves
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    await new Promise<void>((resolve, reject) => {
      proc.stdout.on('data', (d: Buffer) => d.toString().includes('ready') && resolve());
      proc.on('exit', (code) => reject(new Error(`writer exited early with ${code}`)));
    });
    proc.kill('SIGKILL');
    await new Promise((resolve) => proc.on('exit', resolve));

    const objects = (await store.list('bucket', 'obj/')).objects;
    expect(objects.length).toBeGreaterThanOrEqual(3);
    for (const o of objects) {
      const index = Number(o.key.slice('obj/'.length));
      const data = await store.get('bucket', o.key);
      expect(data.length).toBe(size);
      expect(data.every((b) => b === index % 256)).toBe(true);
    }
    // Whatever the kill left in the temp folder stays out of listings.
    expect(objects.every((o) => !o.key.includes(LOCAL_TEMP_DIR))).toBe(true);
  }, 30_000);

  test('an object and a folder at the same path give a clear error, not a false AlreadyExists', async () => {
    await store.put('bucket', 'a/b', bytes('x'));
    const error = await store.createIfAbsent('bucket', 'a', bytes('y')).catch((e: unknown) => e);
    expect(error).not.toBeInstanceOf(AlreadyExistsError);
    expect(String(error)).toMatch(/an object and a folder would need the same path/);
    await expect(store.put('bucket', 'a/b/c', bytes('z'))).rejects.toThrow(/an object and a folder/);
    await expect(store.get('bucket', 'a')).rejects.toBeInstanceOf(NotFoundError);
  });

  test('listing a large flat folder pages through every key exactly once', async () => {
    const keys = Array.from({ length: 1205 }, (_, i) => `_delta_log/${String(i).padStart(20, '0')}.json`);
    const dir = path.join(root, 'gs', 'bucket', '_delta_log');
    await fs.mkdir(dir, { recursive: true });
    await Promise.all(keys.map((k) => fs.writeFile(path.join(root, 'gs', 'bucket', k), 'x')));
    const first = await store.list('bucket', '_delta_log/');
    expect(first.objects).toHaveLength(1000);
    const second = await store.list('bucket', '_delta_log/', { pageToken: first.nextPageToken as string });
    expect(second.nextPageToken).toBeUndefined();
    expect([...first.objects, ...second.objects].map((o) => o.key)).toEqual(keys);
  });

  test('a tampered page token is rejected with a clear error', async () => {
    await expect(store.list('bucket', '', { pageToken: '../../x' })).rejects.toThrow(/invalid page token/);
  });
});
