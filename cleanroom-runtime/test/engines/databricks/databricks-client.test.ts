import { DatabricksClient, normaliseWorkspaceHost } from '../../../src/engines/databricks/databricks-client';
import { DatabricksApiError, EngineUnavailableError } from '../../../src/engines/databricks/errors';
import { fullJitterDelayMs, parseRetryAfterMs } from '../../../src/engines/databricks/retry-policy';
import { startFakeDatabricks, type FakeDatabricks } from '../../support/fake-databricks';

const RUNS_GET = '/api/2.1/jobs/runs/get';

describe('DatabricksClient against the fake Databricks server', () => {
  let fake: FakeDatabricks;
  let waits: number[];

  const client = (overrides: Partial<ConstructorParameters<typeof DatabricksClient>[0]> = {}): DatabricksClient =>
    new DatabricksClient({
      host: fake.host,
      token: fake.token,
      maxAttempts: 4,
      baseDelayMs: 500,
      requestTimeoutMs: 2_000,
      random: () => 0.5,
      sleep: async (ms) => {
        waits.push(ms);
      },
      ...overrides,
    });

  beforeEach(async () => {
    fake = await startFakeDatabricks();
    waits = [];
  });
  afterEach(() => fake.close());

  it('sends the bearer token and parses JSON', async () => {
    const response = await client().get<{ error_code?: string }>('/api/2.0/workspace/export', { path: '/nope' })
      .catch((error: unknown) => error);
    expect(response).toBeInstanceOf(DatabricksApiError);
    expect((response as DatabricksApiError).status).toBe(404);
    expect((response as DatabricksApiError).errorCode).toBe('RESOURCE_DOES_NOT_EXIST');
    expect(fake.requests).toHaveLength(1);
    expect(fake.requests[0]).toMatchObject({ method: 'GET', path: '/api/2.0/workspace/export', query: { path: '/nope' } });
  });

  it('honours Retry-After on 429 and then succeeds', async () => {
    fake.injectFaults({ path: '/api/2.0/workspace/mkdirs', status: 429, times: 2, retryAfter: 7 });
    await client().post('/api/2.0/workspace/mkdirs', { path: '/Cleanroom' });
    expect(waits).toEqual([7000, 7000]);
    expect(fake.requests.map((r) => r.fault)).toEqual([429, 429, undefined]);
  });

  it('retries a 5xx burst with full-jitter exponential backoff, then succeeds', async () => {
    fake.injectFaults({ path: '/api/2.0/workspace/mkdirs', status: 500, times: 2 });
    fake.injectFaults({ path: '/api/2.0/workspace/mkdirs', status: 503, times: 1 });
    await client().post('/api/2.0/workspace/mkdirs', { path: '/Cleanroom' });
    // random() = 0.5 of min(cap, 500 * 2^(n-1)).
    expect(waits).toEqual([250, 500, 1000]);
    expect(fake.requests).toHaveLength(4);
  });

  it('retries connection resets and timeouts', async () => {
    fake.injectFaults({ path: '/api/2.0/workspace/mkdirs', status: 'reset', times: 1 });
    fake.injectFaults({ path: '/api/2.0/workspace/mkdirs', status: 'hang', times: 1 });
    await client({ requestTimeoutMs: 150 }).post('/api/2.0/workspace/mkdirs', { path: '/Cleanroom' });
    expect(fake.requests.map((r) => r.fault)).toEqual(['reset', 'hang', undefined]);
    expect(waits).toHaveLength(2);
  });

  it('throws EngineUnavailableError (never a result) when retries are exhausted, without the token', async () => {
    fake.injectFaults({ path: RUNS_GET, status: 503, times: 10 });
    const error = await client().get(RUNS_GET, { run_id: 1 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(EngineUnavailableError);
    expect((error as EngineUnavailableError).attempts).toBe(4);
    expect((error as EngineUnavailableError).lastStatus).toBe(503);
    expect(String(error)).toContain('TEMPORARILY_UNAVAILABLE');
    expect(String(error)).not.toContain(fake.token);
    expect(fake.requests).toHaveLength(4);
  });

  it('gives up at once when Retry-After exceeds the time budget', async () => {
    fake.injectFaults({ path: RUNS_GET, status: 429, times: 1, retryAfter: 600 });
    const error = await client({ maxElapsedMs: 60_000 }).get(RUNS_GET, { run_id: 1 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(EngineUnavailableError);
    expect(String(error)).toMatch(/budget/);
    expect(waits).toEqual([]);
    expect(fake.requests).toHaveLength(1);
  });

  it('does not retry definitive errors and never shows the token', async () => {
    const badToken = 'dapi-wrong-secret-value-42';
    const error = await client({ token: badToken }).get(RUNS_GET, { run_id: 1 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DatabricksApiError);
    expect((error as DatabricksApiError).status).toBe(403);
    expect(String(error)).not.toContain(badToken);
    expect(JSON.stringify(error)).not.toContain(badToken);
    expect(fake.requests).toHaveLength(1);
  });

  it('scrubs the token even if a server echoes it back', async () => {
    const echo: typeof fetch = async () =>
      new Response(JSON.stringify({ error_code: 'BAD_REQUEST', message: `bad header Bearer ${fake.token}` }), { status: 400 });
    const error = await client({ fetch: echo }).get(RUNS_GET).catch((e: unknown) => e);
    expect(String(error)).toContain('[REDACTED]');
    expect(String(error)).not.toContain(fake.token);
  });

  it('uses a token provider for each attempt', async () => {
    let calls = 0;
    const provider = async (): Promise<string> => {
      calls += 1;
      return fake.token;
    };
    fake.injectFaults({ path: '/api/2.0/workspace/mkdirs', status: 500, times: 1 });
    await client({ token: provider }).post('/api/2.0/workspace/mkdirs', { path: '/x' });
    expect(calls).toBe(2);
  });
});

describe('host and retry arithmetic', () => {
  it('requires https except for loopback fakes', () => {
    expect(normaliseWorkspaceHost('https://1234.1.gcp.databricks.com/')).toBe('https://1234.1.gcp.databricks.com');
    expect(normaliseWorkspaceHost('http://127.0.0.1:8080')).toBe('http://127.0.0.1:8080');
    expect(() => normaliseWorkspaceHost('http://1234.1.gcp.databricks.com')).toThrow(/https/);
    expect(() => normaliseWorkspaceHost('https://user:pw@host.example')).toThrow(/credentials/);
    expect(() => normaliseWorkspaceHost('not a url')).toThrow(/not a URL/);
  });

  it('refuses an empty token with an actionable message', () => {
    expect(() => new DatabricksClient({ host: 'https://h.example', token: ' ' })).toThrow(/DATABRICKS_TOKEN/);
  });

  it('draws full jitter below the capped exponential ceiling', () => {
    const options = { baseDelayMs: 100, maxDelayMs: 1000 };
    expect(fullJitterDelayMs(1, options, () => 0.999)).toBe(99);
    expect(fullJitterDelayMs(3, options, () => 0.999)).toBe(399);
    expect(fullJitterDelayMs(20, options, () => 0.999)).toBe(999);
    expect(fullJitterDelayMs(5, options, () => 0)).toBe(0);
  });

  it('parses Retry-After seconds and HTTP dates', () => {
    const now = Date.parse('2025-01-01T00:00:00Z');
    expect(parseRetryAfterMs('3', now)).toBe(3000);
    expect(parseRetryAfterMs('Wed, 01 Jan 2025 00:00:10 GMT', now)).toBe(10_000);
    expect(parseRetryAfterMs('Tue, 31 Dec 2024 00:00:00 GMT', now)).toBe(0);
    expect(parseRetryAfterMs('soon', now)).toBeUndefined();
    expect(parseRetryAfterMs(null, now)).toBeUndefined();
  });
});
