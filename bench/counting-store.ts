/**
 * An ObjectStore decorator that counts requests by kind, so benchmarks can report what an operation costs in
 * object-store calls (on GCS each call is a billed, latency-bound request).
 */
import type { ListOptions, ListPage, ObjectStore } from '../cleanroom-runtime/src/storage/object-store';

export type RequestKind = 'get' | 'list' | 'createIfAbsent' | 'put' | 'delete';
export const REQUEST_KINDS: readonly RequestKind[] = ['get', 'list', 'createIfAbsent', 'put', 'delete'];
export const WRITE_KINDS: readonly RequestKind[] = ['createIfAbsent', 'put', 'delete'];

export type RequestCounts = Record<RequestKind, number>;

export class CountingObjectStore implements ObjectStore {
  private counts: RequestCounts = zeroCounts();
  /** Per bucket, so costs can be split between participant buckets and the state bucket. */
  private byBucket = new Map<string, RequestCounts>();

  constructor(private readonly inner: ObjectStore) {}

  reset(): void {
    this.counts = zeroCounts();
    this.byBucket.clear();
  }

  totals(): RequestCounts {
    return { ...this.counts };
  }

  bucketTotals(): Map<string, RequestCounts> {
    return new Map([...this.byBucket].map(([bucket, counts]) => [bucket, { ...counts }]));
  }

  get(bucket: string, key: string): Promise<Uint8Array> {
    this.count('get', bucket);
    return this.inner.get(bucket, key);
  }

  list(bucket: string, prefix: string, options?: ListOptions): Promise<ListPage> {
    this.count('list', bucket);
    return this.inner.list(bucket, prefix, options);
  }

  createIfAbsent(bucket: string, key: string, data: Uint8Array): Promise<void> {
    this.count('createIfAbsent', bucket);
    return this.inner.createIfAbsent(bucket, key, data);
  }

  put(bucket: string, key: string, data: Uint8Array): Promise<void> {
    this.count('put', bucket);
    return this.inner.put(bucket, key, data);
  }

  delete(bucket: string, key: string): Promise<void> {
    this.count('delete', bucket);
    return this.inner.delete(bucket, key);
  }

  private count(kind: RequestKind, bucket: string): void {
    this.counts[kind] += 1;
    let perBucket = this.byBucket.get(bucket);
    if (!perBucket) this.byBucket.set(bucket, (perBucket = zeroCounts()));
    perBucket[kind] += 1;
  }
}

export function zeroCounts(): RequestCounts {
  return { get: 0, list: 0, createIfAbsent: 0, put: 0, delete: 0 };
}
