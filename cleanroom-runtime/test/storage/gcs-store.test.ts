import { AlreadyExistsError, NotFoundError } from '../../src/storage/object-store';
import { IdempotencyStrategy, Storage } from '@google-cloud/storage';
import { GcsObjectStore, WRITE_ID_METADATA_KEY } from '../../src/storage/gcs-store';
import { FakeGcs, startFakeGcs } from '../support/fake-gcs';
import { describeObjectStoreContract } from './object-store.contract';

describeObjectStoreContract('GcsObjectStore (real client against the fake JSON API)', async () => {
  const fake = await startFakeGcs();
  return { store: fake.store, bucket: 'contract-bucket', cleanup: () => fake.close() };
});

describe('GcsObjectStore: failures and retries', () => {
  let fake: FakeGcs;
  const bucket = 'retry-bucket';
  const bytes = (s: string) => new TextEncoder().encode(s);
  const count = (kind: string) => fake.requests.filter((r) => r.kind === kind).length;

  beforeEach(async () => {
    fake = await startFakeGcs();
  });
  afterEach(async () => {
    await fake.close();
  });

  test('a burst of 429s on uploads is retried until the put succeeds', async () => {
    fake.injectFaults({ match: { kind: 'upload' }, status: 429, times: 3 });
    await fake.store.put(bucket, 'k', bytes('value'));
    expect(fake.peek(bucket, 'k')?.data.toString()).toBe('value');
    expect(fake.requests.filter((r) => r.kind === 'upload').map((r) => r.status)).toEqual([429, 429, 429, 200]);
  });

  test('503s on download, list and delete are retried', async () => {
    await fake.store.put(bucket, 'a/k', bytes('value'));
    fake.injectFaults([
      { match: { kind: 'download' }, status: 503, times: 2 },
      { match: { kind: 'list' }, status: 503, times: 2 },
      { match: { method: 'DELETE' }, status: 500, times: 1 },
    ]);
    expect(new TextDecoder().decode(await fake.store.get(bucket, 'a/k'))).toBe('value');
    expect((await fake.store.list(bucket, 'a/')).objects.map((o) => o.key)).toEqual(['a/k']);
    await fake.store.delete(bucket, 'a/k');
    expect(fake.peek(bucket, 'a/k')).toBeUndefined();
    expect([count('download'), count('list'), count('delete')]).toEqual([3, 3, 2]);
  });

  test('createIfAbsent retried through 503s succeeds once and stores a write id', async () => {
    fake.injectFaults({ match: { kind: 'upload' }, status: 503, times: 2 });
    await fake.store.createIfAbsent(bucket, 'c', bytes('mine'));
    expect(fake.peek(bucket, 'c')?.data.toString()).toBe('mine');
    expect(fake.peek(bucket, 'c')?.metadata?.[WRITE_ID_METADATA_KEY]).toMatch(/^[0-9a-f-]{36}$/);
    expect(fake.requests.filter((r) => r.kind === 'upload').every((r) => r.query.ifGenerationMatch === '0')).toBe(true);
  });

  test('a createIfAbsent whose first attempt was applied but answered 503 does not report a false AlreadyExists', async () => {
    fake.injectFaults({ match: { kind: 'upload', object: 'commit.json' }, status: 503, applyThenFail: true });
    await expect(fake.store.createIfAbsent(bucket, 'commit.json', bytes('ours'))).resolves.toBeUndefined();
    expect(fake.peek(bucket, 'commit.json')?.data.toString()).toBe('ours');
    // First attempt applied (answered 503), retry hit the precondition (412), the write id check said "ours".
    expect(fake.requests.filter((r) => r.kind === 'upload').map((r) => r.status)).toEqual([503, 412]);
    expect(count('metadata')).toBe(1);
  });

  test('after an ambiguous failure, a key really taken by another writer is still AlreadyExists', async () => {
    await fake.store.createIfAbsent(bucket, 'taken', bytes('theirs'));
    fake.injectFaults({ match: { kind: 'upload' }, status: 503, applyThenFail: true });
    await expect(fake.store.createIfAbsent(bucket, 'taken', bytes('ours'))).rejects.toBeInstanceOf(AlreadyExistsError);
    expect(fake.peek(bucket, 'taken')?.data.toString()).toBe('theirs');
  });

  test('a plain 412 maps to AlreadyExistsError without retrying or extra reads', async () => {
    await fake.store.put(bucket, 'exists', bytes('x'));
    fake.requests.length = 0;
    await expect(fake.store.createIfAbsent(bucket, 'exists', bytes('y'))).rejects.toBeInstanceOf(AlreadyExistsError);
    expect(fake.requests.map((r) => `${r.kind}:${r.status}`)).toEqual(['upload:412']);
  });

  test('8 concurrent writers through 503s and lost responses: exactly one wins each version', async () => {
    fake.injectFaults([
      { match: { kind: 'upload' }, status: 503, times: 4, applyThenFail: true },
      { match: { kind: 'upload' }, status: 429, times: 4 },
    ]);
    const outcomes = await Promise.allSettled(
      Array.from({ length: 8 }, (_, i) => fake.store.createIfAbsent(bucket, 'v/1.json', bytes(`writer ${i}`))),
    );
    const winners = outcomes.flatMap((o, i) => (o.status === 'fulfilled' ? [i] : []));
    expect(winners).toHaveLength(1);
    for (const o of outcomes) if (o.status === 'rejected') expect(o.reason).toBeInstanceOf(AlreadyExistsError);
    expect(fake.peek(bucket, 'v/1.json')?.data.toString()).toBe(`writer ${winners[0]}`);
  });

  test('when retries run out the last error surfaces (not NotFound or AlreadyExists)', async () => {
    const impatient = await startFakeGcs({ retry: { maxRetries: 2, initialDelayMs: 1, maxDelayMs: 5 } });
    try {
      impatient.injectFaults({ match: { kind: 'download' }, status: 503, times: 5 });
      const error = await impatient.store.get(bucket, 'k').catch((e: unknown) => e);
      expect(error).not.toBeInstanceOf(NotFoundError);
      expect(error).toMatchObject({ code: 503 });
      expect(impatient.requests.filter((r) => r.kind === 'download')).toHaveLength(3);
    } finally {
      await impatient.close();
    }
  });

  test('a missing bucket is NotFound-shaped, not retried', async () => {
    const strict = await startFakeGcs({ buckets: ['only-this-one'] });
    try {
      await expect(strict.store.get('other-bucket', 'k')).rejects.toBeInstanceOf(NotFoundError);
      expect(strict.requests).toHaveLength(1);
    } finally {
      await strict.close();
    }
  });
});

describe('GcsObjectStore with a caller-supplied client that retries by itself', () => {
  test('a lost success retried inside the client is still recognised as ours', async () => {
    const fake = await startFakeGcs();
    try {
      const storage = new Storage({
        apiEndpoint: fake.apiEndpoint,
        projectId: 'p',
        retryOptions: { autoRetry: true, maxRetries: 2, retryDelayMultiplier: 1, idempotencyStrategy: IdempotencyStrategy.RetryConditional },
      });
      const store = new GcsObjectStore({ storage, retry: { maxRetries: 0 } });
      fake.injectFaults({ match: { kind: 'upload' }, status: 503, applyThenFail: true });
      await expect(store.createIfAbsent('b-client', 'k', new TextEncoder().encode('ours'))).resolves.toBeUndefined();
      expect(fake.requests.filter((r) => r.kind === 'upload').map((r) => r.status)).toEqual([503, 412]);
      await expect(store.createIfAbsent('b-client', 'k', new TextEncoder().encode('again'))).rejects.toBeInstanceOf(AlreadyExistsError);
    } finally {
      await fake.close();
    }
  });
});
