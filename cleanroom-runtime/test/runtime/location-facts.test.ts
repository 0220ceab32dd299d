/**
 * Reading a Parquet dataset's schema reads a whole data file: a participant's huge file must not be loaded into
 * the runtime's memory (an out-of-memory crash would fail every pass, blocking the clean room).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { DeltaTable, struct } from '../../src/delta';
import { inspectLocation, MAX_FOOTER_READ_BYTES } from '../../src/runtime/location-facts';
import { LocalObjectStore } from '../../src/storage/local-store';
import type { ListOptions, ListPage, ObjectStore } from '../../src/storage/object-store';

/** Lists some objects with the size a huge object would have, and records every object read. */
class HugeObjects implements ObjectStore {
  readonly reads: string[] = [];
  constructor(private readonly inner: ObjectStore, private readonly huge: (key: string) => boolean) {}
  get(bucket: string, key: string) {
    this.reads.push(key);
    return this.inner.get(bucket, key);
  }
  async list(bucket: string, prefix: string, options?: ListOptions): Promise<ListPage> {
    const page = await this.inner.list(bucket, prefix, options);
    return { ...page, objects: page.objects.map((o) => (this.huge(o.key) ? { ...o, size: 20 * 1024 ** 3 } : o)) };
  }
  createIfAbsent(bucket: string, key: string, data: Uint8Array) {
    return this.inner.createIfAbsent(bucket, key, data);
  }
  put(bucket: string, key: string, data: Uint8Array) {
    return this.inner.put(bucket, key, data);
  }
  delete(bucket: string, key: string) {
    return this.inner.delete(bucket, key);
  }
}

let root: string;
let local: LocalObjectStore;
const schema = struct([['id', 'long'], ['name', 'string']]);

beforeEach(async () => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'cleanroom-facts-review-'));
  local = new LocalObjectStore(root);
  // Two appends: two data files.
  const table = await DeltaTable.create(local, 'acme-bucket', 'input/t', schema);
  await table.append([{ id: 1n, name: 'a' }]);
  await table.append([{ id: 2n, name: 'b' }]);
});
afterEach(() => fs.rmSync(root, { recursive: true, force: true }));

const dataFiles = async () => (await local.list('acme-bucket', 'input/t/')).objects.filter((o) => o.key.endsWith('.parquet')).map((o) => o.key).sort();

test('the schema is read from a small file when another one is huge', async () => {
  const [first, second] = await dataFiles();
  expect(second).toBeDefined();
  const store = new HugeObjects(local, (key) => key === first);
  const facts = await inspectLocation(store, 'gs://acme-bucket/input/t', 'parquet');
  expect(JSON.parse(facts.schema as string).fields.map((f: { name: string }) => f.name)).toEqual(['id', 'name']);
  expect(store.reads).toEqual([second]);
});

test('when every file is above the limit none is read and the schema is left unknown', async () => {
  const store = new HugeObjects(local, (key) => key.endsWith('.parquet'));
  expect(await inspectLocation(store, 'gs://acme-bucket/input/t', 'parquet')).toEqual({ exists: true, schema: null });
  expect(store.reads).toEqual([]);
  expect(MAX_FOOTER_READ_BYTES).toBeLessThan(20 * 1024 ** 3);
});
