/**
 * Behaviour every ObjectStore must have, run against each backend by its own test file.
 */
import { randomBytes } from 'node:crypto';
import { AlreadyExistsError, listAll, NotFoundError, ObjectInfo, ObjectStore, ObjectTooLargeError } from '../../src/storage/object-store';
import { InvalidNameError } from '../../src/storage/names';

export interface ContractSubject {
  store: ObjectStore;
  bucket: string;
  cleanup(): Promise<void>;
}

const text = (s: string) => new TextEncoder().encode(s);
const str = (b: Uint8Array) => new TextDecoder().decode(b);

async function listKeys(store: ObjectStore, bucket: string, prefix: string, startOffset?: string): Promise<string[]> {
  const keys: string[] = [];
  for await (const o of listAll(store, bucket, prefix, startOffset)) keys.push(o.key);
  return keys;
}

/** Byte order, the order GCS lists keys in. */
const byteOrder = (a: string, b: string) => Buffer.compare(Buffer.from(a), Buffer.from(b));

export function describeObjectStoreContract(name: string, open: () => Promise<ContractSubject>): void {
  describe(`${name}: ObjectStore contract`, () => {
    let subject: ContractSubject;
    let store: ObjectStore;
    let bucket: string;

    beforeEach(async () => {
      subject = await open();
      ({ store, bucket } = subject);
    });
    afterEach(async () => {
      await subject.cleanup();
    });

    test('put then get returns the bytes; put again replaces them', async () => {
      await store.put(bucket, 'dir/file.txt', text('first'));
      expect(str(await store.get(bucket, 'dir/file.txt'))).toBe('first');
      await store.put(bucket, 'dir/file.txt', text('second, longer'));
      expect(str(await store.get(bucket, 'dir/file.txt'))).toBe('second, longer');
      const [info] = (await store.list(bucket, 'dir/')).objects;
      expect(info).toMatchObject({ key: 'dir/file.txt', size: 'second, longer'.length });
    });

    test('get of a missing object throws NotFoundError naming it', async () => {
      const error = await store.get(bucket, 'missing/key.json').catch((e: unknown) => e);
      expect(error).toBeInstanceOf(NotFoundError);
      expect(error).toMatchObject({ bucket, key: 'missing/key.json' });
    });

    test('get with maxBytes reads an object up to that size and refuses a larger one, naming it', async () => {
      const data = randomBytes(300_000);
      await store.put(bucket, 'bounded/blob', data);
      expect(Buffer.from(await store.get(bucket, 'bounded/blob', { maxBytes: data.length })).equals(data)).toBe(true);
      expect(Buffer.from(await store.get(bucket, 'bounded/blob', { maxBytes: data.length + 1 })).equals(data)).toBe(true);
      for (const maxBytes of [data.length - 1, 1000, 0]) {
        const error = await store.get(bucket, 'bounded/blob', { maxBytes }).catch((e: unknown) => e);
        expect(error).toBeInstanceOf(ObjectTooLargeError);
        expect(error).toMatchObject({ bucket, key: 'bounded/blob', limit: maxBytes });
        expect(String(error)).toContain(`gs://${bucket}/bounded/blob is larger than the limit of ${maxBytes} bytes`);
      }
      await store.put(bucket, 'bounded/empty', new Uint8Array(0));
      expect((await store.get(bucket, 'bounded/empty', { maxBytes: 0 })).length).toBe(0);
      await expect(store.get(bucket, 'bounded/missing', { maxBytes: 10 })).rejects.toBeInstanceOf(NotFoundError);
      await expect(store.get(bucket, 'bounded/blob', { maxBytes: -1 })).rejects.toThrow(/maxBytes must be a non-negative integer/);
    });

    test('delete removes an object and deleting an absent object is not an error', async () => {
      await store.put(bucket, 'to-delete', text('x'));
      await store.delete(bucket, 'to-delete');
      await expect(store.get(bucket, 'to-delete')).rejects.toBeInstanceOf(NotFoundError);
      await expect(store.delete(bucket, 'to-delete')).resolves.toBeUndefined();
      await expect(store.delete(bucket, 'never/existed')).resolves.toBeUndefined();
      expect((await store.list(bucket, '')).objects).toEqual([]);
    });

    test('createIfAbsent creates once, then refuses without changing the object', async () => {
      await store.createIfAbsent(bucket, '_delta_log/00000000000000000000.json', text('winner'));
      const second = await store.createIfAbsent(bucket, '_delta_log/00000000000000000000.json', text('loser')).catch((e: unknown) => e);
      expect(second).toBeInstanceOf(AlreadyExistsError);
      expect(second).toMatchObject({ bucket, key: '_delta_log/00000000000000000000.json' });
      expect(str(await store.get(bucket, '_delta_log/00000000000000000000.json'))).toBe('winner');
    });

    test('createIfAbsent refuses over a put object and succeeds again after delete', async () => {
      await store.put(bucket, 'k', text('put'));
      await expect(store.createIfAbsent(bucket, 'k', text('create'))).rejects.toBeInstanceOf(AlreadyExistsError);
      await store.delete(bucket, 'k');
      await store.createIfAbsent(bucket, 'k', text('create'));
      expect(str(await store.get(bucket, 'k'))).toBe('create');
    });

    test('20 concurrent createIfAbsent on one key: exactly one wins and its content is stored', async () => {
      const key = 'race/00000000000000000001.json';
      const results = await Promise.allSettled(
        Array.from({ length: 20 }, (_, i) => store.createIfAbsent(bucket, key, text(`writer-${i}-${'x'.repeat(i * 100)}`))),
      );
      const winners = results.flatMap((r, i) => (r.status === 'fulfilled' ? [i] : []));
      const losers = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
      expect(winners).toHaveLength(1);
      expect(losers).toHaveLength(19);
      for (const l of losers) expect(l.reason).toBeInstanceOf(AlreadyExistsError);
      expect(str(await store.get(bucket, key))).toBe(`writer-${winners[0]}-${'x'.repeat(winners[0] * 100)}`);
      expect(await listKeys(store, bucket, 'race/')).toEqual([key]);
    });

    test('binary content round-trips byte for byte, and list reports its size', async () => {
      const everyByte = Uint8Array.from({ length: 256 }, (_, i) => i);
      const random = randomBytes(200_000);
      const data = Buffer.concat([everyByte, random, everyByte]);
      await store.put(bucket, 'bin/blob', data);
      await store.createIfAbsent(bucket, 'bin/created', everyByte);
      expect(Buffer.from(await store.get(bucket, 'bin/blob')).equals(data)).toBe(true);
      expect(Buffer.from(await store.get(bucket, 'bin/created')).equals(Buffer.from(everyByte))).toBe(true);
      const sizes = (await store.list(bucket, 'bin/')).objects.map((o) => [o.key, o.size]);
      expect(sizes).toEqual([
        ['bin/blob', data.length],
        ['bin/created', 256],
      ]);
      await store.put(bucket, 'bin/empty', new Uint8Array(0));
      expect((await store.get(bucket, 'bin/empty')).length).toBe(0);
    });

    test('keys with spaces, %, +, #, ?, & and unicode round-trip exactly', async () => {
      const keys = ['odd/a b.txt', 'odd/100%.csv', 'odd/%2F not a slash', 'odd/a+b#c?d&e=f', 'odd/über/ñame 😀.json', 'odd/日本語'];
      for (const [i, key] of keys.entries()) await store.put(bucket, key, text(`v${i}`));
      for (const [i, key] of keys.entries()) expect(str(await store.get(bucket, key))).toBe(`v${i}`);
      expect(await listKeys(store, bucket, 'odd/')).toEqual([...keys].sort(byteOrder));
      await store.delete(bucket, 'odd/a b.txt');
      await expect(store.get(bucket, 'odd/a b.txt')).rejects.toBeInstanceOf(NotFoundError);
    });

    test('list is in byte order and honours prefix as a string prefix, not a folder', async () => {
      const keys = ['a/b/c', 'a/b1', 'a/c', 'ab', 'a-', 'b/x', 'a/B', 'z～', 'z😀'];
      for (const key of [...keys].reverse()) await store.put(bucket, key, text(key));
      const all = await listKeys(store, bucket, '');
      expect(all).toEqual([...keys].sort(byteOrder));
      // UTF-8 order puts U+FF5E before U+1F600 (JS string order would not).
      expect(all.indexOf('z～')).toBeLessThan(all.indexOf('z😀'));
      expect(await listKeys(store, bucket, 'a/')).toEqual(['a/B', 'a/b/c', 'a/b1', 'a/c']);
      expect(await listKeys(store, bucket, 'a/b')).toEqual(['a/b/c', 'a/b1']);
      expect(await listKeys(store, bucket, 'a')).toEqual(['a-', 'a/B', 'a/b/c', 'a/b1', 'a/c', 'ab']);
      expect(await listKeys(store, bucket, 'a/b/')).toEqual(['a/b/c']);
      expect(await listKeys(store, bucket, 'nothing/')).toEqual([]);
    });

    test('startOffset lists keys at or after the offset within the prefix', async () => {
      const versions = Array.from({ length: 12 }, (_, v) => `log/${String(v).padStart(20, '0')}.json`);
      for (const key of versions) await store.put(bucket, key, text(key));
      await store.put(bucket, 'log/_last_checkpoint', text('{}'));
      await store.put(bucket, 'other/00000000000000000009.json', text('x'));
      expect(await listKeys(store, bucket, 'log/', versions[9])).toEqual([...versions.slice(9), 'log/_last_checkpoint']);
      expect(await listKeys(store, bucket, 'log/', 'log/00000000000000000005')).toEqual([...versions.slice(5), 'log/_last_checkpoint']);
      expect(await listKeys(store, bucket, 'log/', 'zzz')).toEqual([]);
    });

    test('pagination: pages of maxResults, a token until the end, no duplicates or gaps', async () => {
      const keys = Array.from({ length: 7 }, (_, i) => `p/${String.fromCharCode(103 - i)}`); // p/g .. p/a
      for (const key of keys) await store.put(bucket, key, text(key));
      const pages: ObjectInfo[][] = [];
      let pageToken: string | undefined;
      do {
        const page = await store.list(bucket, 'p/', { maxResults: 3, ...(pageToken ? { pageToken } : {}) });
        pages.push(page.objects);
        pageToken = page.nextPageToken;
        expect(pages.length).toBeLessThan(10);
      } while (pageToken);
      expect(pages.map((p) => p.length)).toEqual([3, 3, 1]);
      expect(pages.flat().map((o) => o.key)).toEqual([...keys].sort(byteOrder));

      const first = await store.list(bucket, 'p/', { maxResults: 2, startOffset: 'p/c' });
      expect(first.objects.map((o) => o.key)).toEqual(['p/c', 'p/d']);
      const rest = await store.list(bucket, 'p/', { maxResults: 10, startOffset: 'p/c', pageToken: first.nextPageToken as string });
      expect(rest.objects.map((o) => o.key)).toEqual(['p/e', 'p/f', 'p/g']);
      expect(rest.nextPageToken).toBeUndefined();
    });

    test('an overwrite changes the generation', async () => {
      await store.put(bucket, 'gen', text('1'));
      const before = (await store.list(bucket, 'gen')).objects[0].generation;
      await store.put(bucket, 'gen', text('2'));
      const after = (await store.list(bucket, 'gen')).objects[0].generation;
      expect(before).toEqual(expect.any(String));
      expect(after).not.toEqual(before);
    });

    test.each(['', '../escape', 'a/../../b', '/absolute', 'back\\slash', 'nul\0byte', 'a//b', 'trailing/', 'line\nbreak'])(
      'rejects the invalid key %j on every operation',
      async (key) => {
        await expect(store.get(bucket, key)).rejects.toBeInstanceOf(InvalidNameError);
        await expect(store.put(bucket, key, text('x'))).rejects.toBeInstanceOf(InvalidNameError);
        await expect(store.createIfAbsent(bucket, key, text('x'))).rejects.toBeInstanceOf(InvalidNameError);
        await expect(store.delete(bucket, key)).rejects.toBeInstanceOf(InvalidNameError);
        expect((await store.list(bucket, '')).objects).toEqual([]);
      },
    );

    test('rejects list prefixes that could escape the bucket', async () => {
      await expect(store.list(bucket, '../')).rejects.toBeInstanceOf(InvalidNameError);
      await expect(store.list(bucket, '/etc')).rejects.toBeInstanceOf(InvalidNameError);
      await expect(store.list(bucket, 'a/../../')).rejects.toBeInstanceOf(InvalidNameError);
      await store.put(bucket, '.hidden', text('h'));
      expect((await store.list(bucket, '.')).objects.map((o) => o.key)).toEqual(['.hidden']);
    });
  });
}
