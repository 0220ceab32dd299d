/**
 * Test-only fake of the Cloud Storage JSON API, enough for @google-cloud/storage 7 as GcsObjectStore uses it:
 * media/multipart uploads with generation preconditions, metadata get, media download, list with
 * prefix/startOffset/endOffset/pageToken/maxResults, delete. Errors use GCS's JSON error format.
 * Faults (429/5xx, optionally after applying the write) can be injected for the next N matching requests.
 */
import { createHash } from 'node:crypto';
import * as http from 'node:http';
import { AddressInfo } from 'node:net';
import { GcsObjectStore } from '../../src/storage/gcs-store';
import { RetryOptions } from '../../src/storage/retry';
import { crc32cBase64 } from './crc32c';

export type RequestKind = 'upload' | 'download' | 'metadata' | 'list' | 'delete' | 'other';

export interface RequestLog {
  method: string;
  /** Raw (still percent-encoded) URL path. */
  path: string;
  query: Record<string, string>;
  kind: RequestKind;
  bucket?: string;
  /** Decoded object name, for object requests and uploads. */
  object?: string;
  /** Status the fake answered with. */
  status?: number;
}

export type FaultStatus = 408 | 429 | 500 | 502 | 503 | 504;

export interface FaultRule {
  /** Which requests fail: fields that must all match, or a predicate. */
  match: { method?: string; kind?: RequestKind; path?: RegExp; object?: string } | ((request: RequestLog) => boolean);
  status: FaultStatus;
  /** How many matching requests fail (default 1). */
  times?: number;
  /** Perform the request, then answer with the error anyway: the response is lost, the write is not. */
  applyThenFail?: boolean;
}

export interface FakeGcsOptions {
  faults?: FaultRule[];
  /** When given, only these buckets exist (others answer 404); by default every bucket exists and starts empty. */
  buckets?: string[];
  /** Retry settings of the returned store; defaults retry fast (ms delays) so tests stay quick. */
  retry?: RetryOptions;
}

export interface StoredObject {
  data: Buffer;
  generation: string;
  contentType: string;
  metadata?: Record<string, string>;
}

export interface FakeGcs {
  apiEndpoint: string;
  /** A GcsObjectStore using the real client against this fake. */
  store: GcsObjectStore;
  /** Every request received, in arrival order. */
  requests: RequestLog[];
  injectFaults(faults: FaultRule | FaultRule[]): void;
  /** Server-side view of an object (bypasses faults and the request log). */
  peek(bucket: string, name: string): StoredObject | undefined;
  close(): Promise<void>;
}

interface Reply {
  status: number;
  headers?: Record<string, string>;
  body?: Buffer | string;
}

interface ObjectRecord extends StoredObject {
  metageneration: number;
  created: string;
  updated: string;
}

const FAST_RETRY: RetryOptions = { maxRetries: 6, initialDelayMs: 2, maxDelayMs: 20, multiplier: 2 };

const REASONS: Record<number, { reason: string; message: string }> = {
  400: { reason: 'invalid', message: 'Invalid argument.' },
  404: { reason: 'notFound', message: 'Not Found' },
  408: { reason: 'requestTimeout', message: 'Request Timeout' },
  412: { reason: 'conditionNotMet', message: 'At least one of the pre-conditions you specified did not hold.' },
  429: { reason: 'rateLimitExceeded', message: 'The rate of change requests to the object exceeds the rate limit. Please reduce the rate of create, update, and delete requests.' },
  500: { reason: 'backendError', message: 'We encountered an internal error. Please try again.' },
  501: { reason: 'notImplemented', message: 'Not implemented by the fake GCS server.' },
  502: { reason: 'backendError', message: 'Bad Gateway' },
  503: { reason: 'backendError', message: 'We encountered an internal error. Please try again.' },
  504: { reason: 'backendError', message: 'Gateway Timeout' },
};

function errorReply(status: number, message?: string, extra: Record<string, string> = {}): Reply {
  const known = REASONS[status] ?? { reason: 'unknown', message: 'Error' };
  const text = message ?? known.message;
  return {
    status,
    headers: { 'Content-Type': 'application/json; charset=UTF-8' },
    body: JSON.stringify({ error: { code: status, message: text, errors: [{ message: text, domain: 'global', reason: known.reason, ...extra }] } }),
  };
}

function jsonReply(value: unknown): Reply {
  return { status: 200, headers: { 'Content-Type': 'application/json; charset=UTF-8' }, body: JSON.stringify(value) };
}

/** Byte-wise order of object names, as GCS lists them. */
function compareNames(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

function parseMultipart(body: Buffer, contentType: string): { metadata: Record<string, unknown>; data: Buffer; contentType?: string } {
  const boundary = /boundary="?([^";]+)"?/.exec(contentType)?.[1];
  if (!boundary) throw new Error('multipart upload without boundary');
  const delimiter = Buffer.from(`--${boundary}`);
  const parts: Buffer[] = [];
  let at = body.indexOf(delimiter);
  while (at !== -1) {
    const start = at + delimiter.length;
    if (body.subarray(start, start + 2).toString() === '--') break;
    const next = body.indexOf(delimiter, start);
    if (next === -1) throw new Error('multipart body is not terminated');
    parts.push(body.subarray(start, next));
    at = next;
  }
  if (parts.length !== 2) throw new Error(`multipart upload must have 2 parts, got ${parts.length}`);
  const split = (part: Buffer) => {
    const headerEnd = part.indexOf('\r\n\r\n');
    const headers = part.subarray(0, headerEnd).toString('utf8');
    let content = part.subarray(headerEnd + 4);
    if (content.subarray(content.length - 2).toString() === '\r\n') content = content.subarray(0, content.length - 2);
    return { type: /content-type:\s*([^\r\n]+)/i.exec(headers)?.[1], content };
  };
  const meta = split(parts[0]);
  const media = split(parts[1]);
  return { metadata: JSON.parse(meta.content.toString('utf8')) as Record<string, unknown>, data: media.content, contentType: media.type };
}

class FakeGcsServer {
  readonly buckets = new Map<string, Map<string, ObjectRecord>>();
  readonly requests: RequestLog[] = [];
  private faults: { rule: FaultRule; remaining: number }[] = [];
  private lastGeneration = 0;
  endpoint = '';

  constructor(private readonly fixedBuckets: string[] | undefined) {
    for (const b of fixedBuckets ?? []) this.buckets.set(b, new Map());
  }

  addFaults(rules: FaultRule[]): void {
    for (const rule of rules) this.faults.push({ rule, remaining: rule.times ?? 1 });
  }

  private bucket(name: string): Map<string, ObjectRecord> | undefined {
    let objects = this.buckets.get(name);
    if (!objects && this.fixedBuckets === undefined) {
      objects = new Map();
      this.buckets.set(name, objects);
    }
    return objects;
  }

  private nextGeneration(): string {
    this.lastGeneration = Math.max(this.lastGeneration + 1, Date.now() * 1000);
    return String(this.lastGeneration);
  }

  private resource(bucket: string, name: string, o: ObjectRecord): Record<string, unknown> {
    const encoded = encodeURIComponent(name);
    return {
      kind: 'storage#object',
      id: `${bucket}/${name}/${o.generation}`,
      selfLink: `${this.endpoint}/storage/v1/b/${bucket}/o/${encoded}`,
      mediaLink: `${this.endpoint}/download/storage/v1/b/${bucket}/o/${encoded}?generation=${o.generation}&alt=media`,
      name,
      bucket,
      generation: o.generation,
      metageneration: String(o.metageneration),
      contentType: o.contentType,
      storageClass: 'STANDARD',
      size: String(o.data.length),
      md5Hash: createHash('md5').update(o.data).digest('base64'),
      crc32c: crc32cBase64(o.data),
      etag: Buffer.from(`${o.generation}/${o.metageneration}`).toString('base64'),
      timeCreated: o.created,
      updated: o.updated,
      timeStorageClassUpdated: o.created,
      ...(o.metadata ? { metadata: o.metadata } : {}),
    };
  }

  /** GCS generation preconditions; a missing object has generation 0. */
  private preconditionFails(query: Record<string, string>, current: ObjectRecord | undefined): boolean {
    const generation = current ? current.generation : '0';
    if (query.ifGenerationMatch !== undefined && query.ifGenerationMatch !== generation) return true;
    if (query.ifGenerationNotMatch !== undefined && query.ifGenerationNotMatch === generation) return true;
    if (query.ifMetagenerationMatch !== undefined && (!current || query.ifMetagenerationMatch !== String(current.metageneration))) return true;
    return false;
  }

  classify(method: string, segments: string[], query: Record<string, string>): Pick<RequestLog, 'kind' | 'bucket' | 'object'> {
    // /upload/storage/v1/b/{bucket}/o
    if (segments[0] === 'upload' && segments[1] === 'storage' && segments[3] === 'b' && segments[5] === 'o' && segments.length === 6) {
      return { kind: method === 'POST' ? 'upload' : 'other', bucket: decodeURIComponent(segments[4]), object: query.name };
    }
    // /storage/v1/b/{bucket}/o[/{object}]
    if (segments[0] === 'storage' && segments[2] === 'b' && segments[4] === 'o') {
      const bucket = decodeURIComponent(segments[3]);
      if (segments.length === 5) return { kind: method === 'GET' ? 'list' : 'other', bucket };
      const object = decodeURIComponent(segments.slice(5).join('/'));
      if (method === 'DELETE') return { kind: 'delete', bucket, object };
      if (method === 'GET') return { kind: query.alt === 'media' ? 'download' : 'metadata', bucket, object };
      return { kind: 'other', bucket, object };
    }
    return { kind: 'other' };
  }

  takeFault(request: RequestLog): FaultRule | undefined {
    for (const entry of this.faults) {
      if (entry.remaining <= 0) continue;
      const { match } = entry.rule;
      const matches =
        typeof match === 'function'
          ? match(request)
          : (match.method === undefined || match.method === request.method) &&
            (match.kind === undefined || match.kind === request.kind) &&
            (match.path === undefined || match.path.test(request.path)) &&
            (match.object === undefined || match.object === request.object);
      if (matches) {
        entry.remaining--;
        return entry.rule;
      }
    }
    return undefined;
  }

  handle(request: RequestLog, headers: http.IncomingHttpHeaders, body: Buffer): Reply {
    const { bucket: bucketName, object: name, query } = request;
    if (request.kind === 'other' || bucketName === undefined) {
      return errorReply(501, `fake GCS does not implement ${request.method} ${request.path}`);
    }
    const objects = this.bucket(bucketName);
    if (!objects) return errorReply(404, 'The specified bucket does not exist.');

    switch (request.kind) {
      case 'list':
        return this.list(bucketName, objects, query);
      case 'upload':
        return this.upload(bucketName, objects, query, headers, body);
      default: {
        const current = objects.get(name ?? '');
        if (!current || (query.generation !== undefined && query.generation !== current.generation)) {
          return errorReply(404, `No such object: ${bucketName}/${name}`);
        }
        if (this.preconditionFails(query, current)) return errorReply(412, undefined, { locationType: 'header', location: 'If-Match' });
        if (request.kind === 'delete') {
          objects.delete(name ?? '');
          return { status: 204 };
        }
        if (request.kind === 'metadata') return jsonReply(this.resource(bucketName, name ?? '', current));
        return {
          status: 200,
          headers: {
            'Content-Type': current.contentType,
            'Content-Length': String(current.data.length),
            'x-goog-generation': current.generation,
            'x-goog-metageneration': String(current.metageneration),
            'x-goog-stored-content-encoding': 'identity',
            'x-goog-stored-content-length': String(current.data.length),
            'x-goog-hash': `crc32c=${crc32cBase64(current.data)},md5=${createHash('md5').update(current.data).digest('base64')}`,
          },
          body: current.data,
        };
      }
    }
  }

  private upload(bucket: string, objects: Map<string, ObjectRecord>, query: Record<string, string>, headers: http.IncomingHttpHeaders, body: Buffer): Reply {
    let data = body;
    let metadata: Record<string, unknown> = {};
    let contentType = headers['content-type'] ?? 'application/octet-stream';
    if (query.uploadType === 'multipart') {
      try {
        const parsed = parseMultipart(body, contentType);
        ({ data, metadata } = parsed);
        contentType = (metadata.contentType as string | undefined) ?? parsed.contentType ?? 'application/octet-stream';
      } catch (err) {
        return errorReply(400, `bad multipart upload: ${(err as Error).message}`);
      }
    } else if (query.uploadType !== 'media') {
      return errorReply(501, `fake GCS does not implement uploadType=${query.uploadType}`);
    }
    const name = query.name ?? (typeof metadata.name === 'string' ? metadata.name : undefined);
    if (!name) return errorReply(400, 'Required parameter: name', { locationType: 'parameter', location: 'name' });
    const current = objects.get(name);
    if (this.preconditionFails(query, current)) return errorReply(412, undefined, { locationType: 'header', location: 'If-Match' });
    const now = new Date().toISOString();
    const custom = metadata.metadata;
    const record: ObjectRecord = {
      data: Buffer.from(data),
      generation: this.nextGeneration(),
      metageneration: 1,
      contentType,
      created: now,
      updated: now,
      ...(custom && typeof custom === 'object' ? { metadata: { ...(custom as Record<string, string>) } } : {}),
    };
    objects.set(name, record);
    return jsonReply(this.resource(bucket, name, record));
  }

  private list(bucket: string, objects: Map<string, ObjectRecord>, query: Record<string, string>): Reply {
    if (query.delimiter !== undefined) return errorReply(501, 'fake GCS does not implement delimiter listings');
    const prefix = query.prefix ?? '';
    const maxResults = Math.min(query.maxResults !== undefined ? Number(query.maxResults) : 1000, 1000);
    if (!Number.isInteger(maxResults) || maxResults < 1) return errorReply(400, `Invalid value for maxResults: ${query.maxResults}`);
    let after: string | undefined;
    if (query.pageToken !== undefined) {
      if (!/^[A-Za-z0-9_-]+$/.test(query.pageToken)) return errorReply(400, 'Invalid page token.');
      after = Buffer.from(query.pageToken, 'base64url').toString('utf8');
    }
    const names = [...objects.keys()]
      .filter(
        (n) =>
          n.startsWith(prefix) &&
          (query.startOffset === undefined || compareNames(n, query.startOffset) >= 0) &&
          (query.endOffset === undefined || compareNames(n, query.endOffset) < 0) &&
          (after === undefined || compareNames(n, after) > 0),
      )
      .sort(compareNames);
    const page = names.slice(0, maxResults);
    const result: Record<string, unknown> = { kind: 'storage#objects' };
    // Like GCS, `items` is omitted when empty.
    if (page.length > 0) result.items = page.map((n) => this.resource(bucket, n, objects.get(n) as ObjectRecord));
    if (names.length > page.length) result.nextPageToken = Buffer.from(page[page.length - 1], 'utf8').toString('base64url');
    return jsonReply(result);
  }
}

export async function startFakeGcs(options: FakeGcsOptions = {}): Promise<FakeGcs> {
  const fake = new FakeGcsServer(options.buckets);
  fake.addFaults(options.faults ?? []);

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://fake-gcs');
      const query = Object.fromEntries(url.searchParams.entries());
      const method = req.method ?? 'GET';
      const segments = url.pathname.split('/').filter((s, i) => i > 0 || s !== '');
      const request: RequestLog = { method, path: url.pathname, query, ...fake.classify(method, segments, query) };
      fake.requests.push(request);

      // The whole body is read before answering, as GCS does, so faults never break the connection.
      const fault = fake.takeFault(request);
      let reply: Reply;
      if (fault && !fault.applyThenFail) {
        reply = errorReply(fault.status);
      } else {
        reply = fake.handle(request, req.headers, Buffer.concat(chunks));
        if (fault) reply = errorReply(fault.status);
      }
      request.status = reply.status;
      res.writeHead(reply.status, reply.headers);
      res.end(reply.body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const apiEndpoint = `http://127.0.0.1:${port}`;
  fake.endpoint = apiEndpoint;

  const store = new GcsObjectStore({ apiEndpoint, projectId: 'fake-project', retry: options.retry ?? FAST_RETRY });
  return {
    apiEndpoint,
    store,
    requests: fake.requests,
    injectFaults: (faults) => fake.addFaults(Array.isArray(faults) ? faults : [faults]),
    peek: (bucket, name) => {
      const o = fake.buckets.get(bucket)?.get(name);
      return o ? { data: Buffer.from(o.data), generation: o.generation, contentType: o.contentType, ...(o.metadata ? { metadata: { ...o.metadata } } : {}) } : undefined;
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()));
        server.closeAllConnections();
      }),
  };
}
