import { createLogger } from '../../src/logging/logger';
import type { PassTrigger } from '../../src/serve/pass-trigger';
import { startServer, type ServerHandle } from '../../src/serve/server';
import { LogCapture } from '../logging/log-capture';
import { request } from './http-client';
import { AUDIENCE, cloudRunFront, createIssuer, idToken, PUSH_SA, SCHEDULER_SA, tamperedToken } from './id-tokens';
import { pushBody } from './push-bodies';

const issuer = createIssuer();
const COMMIT = 'control/events/_delta_log/00000000000000000003.json';
const PLANTED_DATABRICKS_TOKEN = 'dapi-planted-secret-0f0f0f0f';

/** A pass the test controls: it records its triggers and, while `gate` is closed, does not finish. */
class ControlledPass {
  readonly triggers: PassTrigger[] = [];
  private release: (() => void) | undefined;
  private gate: Promise<void> = Promise.resolve();
  failWith: Error | undefined;
  /** Fails only the pass with this index (0-based). */
  failPass: number | undefined;
  private active = 0;
  maxConcurrent = 0;

  close(): void {
    this.gate = new Promise((resolve) => (this.release = resolve));
  }
  open(): void {
    this.release?.();
    this.gate = Promise.resolve();
  }
  readonly run = async (trigger: PassTrigger): Promise<{ eventsApplied: number }> => {
    const index = this.triggers.push(trigger) - 1;
    this.active += 1;
    this.maxConcurrent = Math.max(this.maxConcurrent, this.active);
    try {
      await this.gate;
      if (this.failWith) throw this.failWith;
      if (this.failPass === index) throw new Error(`pass ${index} fails`);
      return { eventsApplied: 1 };
    } finally {
      this.active -= 1;
    }
  };
}

let server: ServerHandle;
let pass: ControlledPass;
let logs: LogCapture;

beforeEach(async () => {
  pass = new ControlledPass();
  logs = new LogCapture();
  const logger = createLogger({ stream: logs, minSeverity: 'DEBUG', redact: { env: { DATABRICKS_TOKEN: PLANTED_DATABRICKS_TOKEN } } });
  server = await startServer({
    port: 0,
    host: '127.0.0.1',
    runPass: pass.run,
    auth: { audience: AUDIENCE, allowedServiceAccounts: [SCHEDULER_SA, PUSH_SA], verifier: issuer.verifier },
    logger,
  });
});

afterEach(async () => {
  pass.open();
  await server.close();
});

const auth = (email = SCHEDULER_SA) => ({ authorization: `Bearer ${idToken(issuer, email)}` });
const tick = (headers: Record<string, string> = auth()) => request(`${server.url}/tick`, 'POST', { headers });
const push = (body: unknown, headers: Record<string, string> = auth(PUSH_SA)) =>
  request(`${server.url}/pubsub`, 'POST', { headers, body: typeof body === 'string' ? body : JSON.stringify(body) });

/** Resolves once `count` log entries with this message have been written. */
function logged(message: string, count: number): Promise<void> {
  return new Promise((resolve) => {
    const seen = () => logs.entries().filter((e) => e.message === message).length;
    if (seen() >= count) return resolve();
    logs.onEntry(() => {
      if (seen() >= count) resolve();
    });
  });
}

describe('GET /healthz', () => {
  it('answers 200 without authentication and runs no pass', async () => {
    const reply = await request(`${server.url}/healthz`, 'GET');
    expect(reply.status).toBe(200);
    expect(JSON.parse(reply.body)).toEqual({ status: 'ok' });
    expect(pass.triggers).toHaveLength(0);
  });
});

describe('POST /tick (Cloud Scheduler)', () => {
  it('runs a pass for an allowed caller and answers once it has completed', async () => {
    const reply = await tick();
    expect(reply.status).toBe(200);
    expect(pass.triggers).toEqual([{ kind: 'schedule', detail: { caller: SCHEDULER_SA }, passId: expect.any(String) }]);
    const completed = logs.entries().find((e) => e.message === 'pass completed');
    expect(completed).toMatchObject({ severity: 'INFO', pass_id: pass.triggers[0].passId, summary: { eventsApplied: 1 } });
  });

  it.each([
    ['no Authorization header', {}, 401],
    ['a token for another audience', { authorization: `Bearer ${idToken(issuer, SCHEDULER_SA, { claims: { aud: 'https://elsewhere' } })}` }, 401],
    ['a tampered token', { authorization: `Bearer ${tamperedToken(issuer, 'x@p.iam.gserviceaccount.com', SCHEDULER_SA)}` }, 401],
    ['an unlisted service account', { authorization: `Bearer ${idToken(issuer, 'intruder@demo-project.iam.gserviceaccount.com')}` }, 403],
  ])('refuses %s without running a pass or explaining why', async (_name, headers, status) => {
    const reply = await tick(headers as Record<string, string>);
    expect(reply.status).toBe(status);
    expect(JSON.parse(reply.body)).toEqual({ error: status === 401 ? 'unauthenticated' : 'forbidden' });
    expect(pass.triggers).toHaveLength(0);
    expect(logs.entries().find((e) => e.message === 'caller refused')).toMatchObject({ severity: 'WARNING' });
  });

  it('answers 500 when the pass fails, logged as ERROR, so the scheduler retries', async () => {
    pass.failWith = new Error('state bucket unreachable');
    const reply = await tick();
    expect(reply.status).toBe(500);
    expect(reply.body).not.toContain('unreachable');
    const failure = logs.entries().find((e) => e.message === 'pass failed');
    expect(failure).toMatchObject({ severity: 'ERROR', error: { message: 'state bucket unreachable' } });
  });

  it('answers 404 for unknown paths and 405 for wrong methods', async () => {
    expect((await request(`${server.url}/nope`, 'POST', { headers: auth() })).status).toBe(404);
    expect((await request(`${server.url}/tick`, 'GET', { headers: auth() })).status).toBe(405);
    expect(pass.triggers).toHaveLength(0);
  });
});

describe('POST /pubsub (GCS notifications via Pub/Sub push)', () => {
  it('runs a pass for a new events commit, naming the object', async () => {
    const reply = await push(pushBody('acme-cleanroom', COMMIT));
    expect(reply.status).toBe(200);
    expect(pass.triggers[0]).toMatchObject({ kind: 'pubsub', detail: { caller: PUSH_SA, objects: [{ bucket: 'acme-cleanroom', object: COMMIT }] } });
    expect(logs.entries().find((e) => e.message === 'events commit notified')).toMatchObject({ bucket: 'acme-cleanroom', object: COMMIT });
  });

  it('acknowledges other objects with 204 and runs no pass', async () => {
    const reply = await push(pushBody('acme-cleanroom', 'output/report/part-0.parquet'));
    expect(reply.status).toBe(204);
    expect(pass.triggers).toHaveLength(0);
  });

  it.each([
    ['not JSON', '{"message":'],
    ['no attributes', { message: { messageId: '1', data: '' }, subscription: 's' }],
    ['data that does not decode', { message: { messageId: '1', data: '!!', attributes: { bucketId: 'acme-cleanroom', objectId: COMMIT, eventType: 'OBJECT_FINALIZE' } } }],
  ])('answers 400 for a body with %s', async (_name, body) => {
    const reply = await push(body);
    expect(reply.status).toBe(400);
    expect(pass.triggers).toHaveLength(0);
  });

  it('authenticates before reading the body', async () => {
    const reply = await push(pushBody('acme-cleanroom', COMMIT), {});
    expect(reply.status).toBe(401);
    expect(pass.triggers).toHaveLength(0);
  });
});

describe('coalescing', () => {
  it('answers a burst of 10 notifications with 2 passes: the running one and one follow-up covering the rest', async () => {
    pass.close();
    const first = push(pushBody('acme-cleanroom', COMMIT, 'OBJECT_FINALIZE', 'm0'));
    await logged('pass started', 1);
    const rest = Array.from({ length: 9 }, (_, i) =>
      push(pushBody(i % 2 === 0 ? 'acme-cleanroom' : 'globex-cleanroom', `control/events/_delta_log/0000000000000000000${i}.json`, 'OBJECT_FINALIZE', `m${i + 1}`)),
    );
    await logged('pass requested', 10);
    let firstSettled = false;
    void first.then(() => (firstSettled = true));
    await Promise.resolve();
    expect(firstSettled).toBe(false); // the pass is still running, so no answer yet
    pass.open();
    const replies = await Promise.all([first, ...rest]);
    expect(replies.map((r) => r.status)).toEqual(Array(10).fill(200));
    expect(pass.triggers).toHaveLength(2);
    expect(server.passCount).toBe(2);
    expect(pass.triggers[1]).toMatchObject({ kind: 'pubsub', detail: { coalesced: 9 } });
    expect(pass.triggers[1].detail?.objects).toHaveLength(9);
  });

  it('runs passes one at a time and fails only the callers of the failed pass', async () => {
    pass.close();
    pass.failPass = 0;
    const first = tick();
    await logged('pass started', 1);
    const second = tick();
    const third = tick();
    await logged('pass requested', 3);
    pass.open();
    const replies = await Promise.all([first, second, third]);
    expect(replies.map((r) => r.status)).toEqual([500, 200, 200]);
    expect(pass.triggers).toHaveLength(2);
    expect(pass.maxConcurrent).toBe(1);
  });
});

describe('graceful shutdown (SIGTERM on Cloud Run)', () => {
  it('stops accepting connections but finishes the running pass and answers its caller', async () => {
    pass.close();
    const inFlight = tick();
    await logged('pass started', 1);
    const closing = server.close();
    await expect(request(`${server.url}/healthz`, 'GET')).rejects.toThrow(/ECONNREFUSED/);
    pass.open();
    expect((await inFlight).status).toBe(200);
    await closing;
    expect(logs.entries().map((e) => e.message)).toEqual(expect.arrayContaining(['pass completed', 'runtime server stopped']));
  });
});

describe('logs of the server', () => {
  it('are JSON with a severity and never contain a token, header or secret', async () => {
    const token = idToken(issuer, SCHEDULER_SA);
    const forged = tamperedToken(issuer, 'x@p.iam.gserviceaccount.com', SCHEDULER_SA);
    await tick({ authorization: `Bearer ${token}` });
    await tick({ authorization: `Bearer ${forged}` }); // google-auth-library's error message embeds the whole token
    pass.failWith = new Error(`Databricks refused token ${PLANTED_DATABRICKS_TOKEN} (Authorization: Bearer ${token})`);
    await tick({ authorization: `Bearer ${token}` });
    await push(pushBody('acme-cleanroom', COMMIT), { authorization: `Bearer ${token}` });

    expect(logs.lines.length).toBeGreaterThan(5);
    for (const entry of logs.entries()) expect(['DEBUG', 'INFO', 'NOTICE', 'WARNING', 'ERROR']).toContain(entry.severity);
    for (const secret of [token, token.split('.')[2], forged.split('.')[1], PLANTED_DATABRICKS_TOKEN]) {
      expect(logs.text).not.toContain(secret);
    }
    expect(logs.entries().some((e) => e.severity === 'ERROR' && JSON.stringify(e).includes('Databricks refused token [REDACTED]'))).toBe(true);
  });
});

// Behind Cloud Run's IAM check the service may receive the caller's token with its signature removed
// (https://cloud.google.com/run/docs/authenticating/service-to-service: "SIGNATURE_REMOVED_BY_GOOGLE").
describe('tokens passed on by Cloud Run with the signature removed', () => {
  async function serverBehindIam(iamChecked: boolean): Promise<{ handle: ServerHandle; runs: ControlledPass }> {
    const runs = new ControlledPass();
    const handle = await startServer({
      port: 0,
      host: '127.0.0.1',
      runPass: runs.run,
      auth: { audience: AUDIENCE, allowedServiceAccounts: [SCHEDULER_SA, PUSH_SA], verifier: issuer.verifier, iamChecked },
      logger: createLogger({ stream: new LogCapture(), minSeverity: 'DEBUG' }),
    });
    return { handle, runs };
  }
  const stripped = (email: string) => ({ authorization: `Bearer ${cloudRunFront(idToken(issuer, email))}` });

  test('accepted on /tick and /pubsub when the service is behind the IAM check (CLEANROOM_IAM_CHECKED=true)', async () => {
    const { handle, runs } = await serverBehindIam(true);
    try {
      expect((await request(`${handle.url}/tick`, 'POST', { headers: stripped(SCHEDULER_SA) })).status).toBe(200);
      const reply = await request(`${handle.url}/pubsub`, 'POST', { headers: stripped(PUSH_SA), body: JSON.stringify(pushBody('acme-cleanroom', COMMIT)) });
      expect(reply.status).toBeLessThan(300);
      expect(runs.triggers.length).toBeGreaterThanOrEqual(1);
      // Still checked: a caller that is not an invoker is refused even behind the IAM check.
      expect((await request(`${handle.url}/tick`, 'POST', { headers: stripped('someone@example.iam.gserviceaccount.com') })).status).toBe(403);
    } finally {
      await handle.close();
    }
  });

  test('refused (401) on /tick and /pubsub without that setting, and no pass runs', async () => {
    const { handle, runs } = await serverBehindIam(false);
    try {
      expect((await request(`${handle.url}/tick`, 'POST', { headers: stripped(SCHEDULER_SA) })).status).toBe(401);
      expect((await request(`${handle.url}/pubsub`, 'POST', { headers: stripped(PUSH_SA), body: JSON.stringify(pushBody('acme-cleanroom', COMMIT)) })).status).toBe(401);
      expect(runs.triggers).toEqual([]);
    } finally {
      await handle.close();
    }
  });
});
