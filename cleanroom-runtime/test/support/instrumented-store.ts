/**
 * The one ObjectStore decorator for tests and benchmarks: counts requests by kind (in total and per bucket), so a
 * test can assert what an operation costs in object-store calls (on GCS each is a billed, latency-bound request),
 * and lets a test step into requests: refuse every call (a dead process) or fail, delay or crash chosen writes.
 */
import type { GetOptions, ListOptions, ListPage, ObjectStore } from '../../src/storage/object-store';

export type WriteKind = 'createIfAbsent' | 'put' | 'delete';
export type RequestKind = 'get' | 'list' | WriteKind;
export const WRITE_KINDS: readonly WriteKind[] = ['createIfAbsent', 'put', 'delete'];
export const REQUEST_KINDS: readonly RequestKind[] = ['get', 'list', ...WRITE_KINDS];

export type RequestCounts = Record<RequestKind, number>;

export interface WriteRequest {
  kind: WriteKind;
  bucket: string;
  key: string;
}

/** Stands between a write and storage: call `apply` to let it land (or not), throw to make it fail. */
export type WriteHook = (write: WriteRequest, apply: () => Promise<void>) => Promise<void>;

export class InstrumentedStore implements ObjectStore {
  /** Runs before every request (`key` is the prefix for a list); throwing refuses it uncounted (e.g. an outage). */
  beforeRequest?: (kind: RequestKind, bucket: string, key: string) => void;
  /** Runs in place of every write; unset, writes go straight through. */
  onWrite?: WriteHook;
  private counts: RequestCounts = zeroCounts();
  private byBucket = new Map<string, RequestCounts>();
  /** Bytes of the objects created or put since the last reset (attempts counted). */
  bytesWritten = 0;
  /** Bytes of the objects read since the last reset. */
  bytesRead = 0;
  /** When set, every request since the last reset with the bytes it moved (to see which objects a cost comes from). */
  trace?: Array<{ kind: RequestKind; bucket: string; key: string; bytes: number }>;

  constructor(private readonly inner: ObjectStore) {}

  reset(): void {
    this.counts = zeroCounts();
    this.byBucket.clear();
    this.bytesWritten = 0;
    this.bytesRead = 0;
    if (this.trace) this.trace = [];
  }

  totals(): RequestCounts {
    return { ...this.counts };
  }

  /** Only buckets that received at least one request. */
  bucketTotals(): Map<string, RequestCounts> {
    return new Map([...this.byBucket].map(([bucket, counts]) => [bucket, { ...counts }]));
  }

  bucketCounts(bucket: string): RequestCounts {
    return { ...(this.byBucket.get(bucket) ?? zeroCounts()) };
  }

  /** createIfAbsent + put + delete since the last reset. */
  writes(): number {
    return sumOf(this.counts, WRITE_KINDS);
  }

  async get(bucket: string, key: string, options?: GetOptions): Promise<Uint8Array> {
    this.count('get', bucket, key);
    const bytes = await this.inner.get(bucket, key, options);
    this.bytesRead += bytes.byteLength;
    this.trace?.push({ kind: 'get', bucket, key, bytes: bytes.byteLength });
    return bytes;
  }

  async list(bucket: string, prefix: string, options?: ListOptions): Promise<ListPage> {
    this.count('list', bucket, prefix);
    this.trace?.push({ kind: 'list', bucket, key: prefix, bytes: 0 });
    return this.inner.list(bucket, prefix, options);
  }

  createIfAbsent(bucket: string, key: string, data: Uint8Array): Promise<void> {
    this.bytesWritten += data.byteLength;
    this.trace?.push({ kind: 'createIfAbsent', bucket, key, bytes: data.byteLength });
    return this.write({ kind: 'createIfAbsent', bucket, key }, () => this.inner.createIfAbsent(bucket, key, data));
  }

  put(bucket: string, key: string, data: Uint8Array): Promise<void> {
    this.bytesWritten += data.byteLength;
    this.trace?.push({ kind: 'put', bucket, key, bytes: data.byteLength });
    return this.write({ kind: 'put', bucket, key }, () => this.inner.put(bucket, key, data));
  }

  delete(bucket: string, key: string): Promise<void> {
    this.trace?.push({ kind: 'delete', bucket, key, bytes: 0 });
    return this.write({ kind: 'delete', bucket, key }, () => this.inner.delete(bucket, key));
  }

  private async write(request: WriteRequest, apply: () => Promise<void>): Promise<void> {
    this.count(request.kind, request.bucket, request.key);
    return this.onWrite ? this.onWrite(request, apply) : apply();
  }

  /** Callers are async, so a refusal reaches the caller as a rejected promise, before any I/O starts. */
  private count(kind: RequestKind, bucket: string, key: string): void {
    this.beforeRequest?.(kind, bucket, key);
    this.counts[kind] += 1;
    let perBucket = this.byBucket.get(bucket);
    if (!perBucket) this.byBucket.set(bucket, (perBucket = zeroCounts()));
    perBucket[kind] += 1;
  }
}

/** A write hook that crashes (fails, unapplied) every createIfAbsent or put the predicate picks; deletes pass. */
export function crashWritesWhere(picks: (bucket: string, key: string) => boolean): WriteHook {
  return async ({ kind, bucket, key }, apply) => {
    if (kind !== 'delete' && picks(bucket, key)) throw new Error(`simulated crash writing gs://${bucket}/${key}`);
    return apply();
  };
}

export function zeroCounts(): RequestCounts {
  return { get: 0, list: 0, createIfAbsent: 0, put: 0, delete: 0 };
}

export function sumOf(counts: RequestCounts, kinds: readonly RequestKind[] = REQUEST_KINDS): number {
  return kinds.reduce((n, kind) => n + counts[kind], 0);
}
