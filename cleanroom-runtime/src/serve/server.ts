/**
 * `cleanroom runtime serve`: the HTTP face of the runtime on Cloud Run.
 *
 *   POST /tick     Cloud Scheduler (OIDC)            → a pass
 *   POST /pubsub   Pub/Sub push of GCS notifications (OIDC) → a pass if a participant's events log changed
 *   GET  /healthz  liveness, no authentication
 *
 * A trigger's response is sent once a pass that started after it has completed (200), or failed (500, so
 * Scheduler and Pub/Sub retry). Holding the request open is what keeps Cloud Run's CPU allocated while the
 * pass runs (CPU is only guaranteed during requests). Bursts are coalesced by PassCoalescer.
 */
import { randomUUID } from 'node:crypto';
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from '../logging/logger';
import { PassCoalescer } from './coalescer';
import { BodyTooLargeError, readBody, sendEmpty, sendJson } from './http-io';
import { authenticate, googleTokenVerifier, type AuthPolicy, type TokenVerifier } from './oidc';
import type { PassTrigger, RunPass } from './pass-trigger';
import { isNewEventsCommit, parsePubSubPush } from './pubsub-push';

export interface ServeOptions<Summary> {
  /** 0 picks a free port (tests). */
  port: number;
  /** Default 0.0.0.0 (Cloud Run routes to all interfaces). */
  host?: string;
  runPass: RunPass<Summary>;
  auth: AuthPolicy;
  logger: Logger;
  /** Largest accepted request body; default 1 MiB (GCS notifications are a few KB). */
  maxBodyBytes?: number;
  /** GCP project, to link request logs to Cloud Trace (`X-Cloud-Trace-Context`). */
  traceProject?: string;
}

export interface ServerHandle {
  url: string;
  port: number;
  /** Passes started so far. */
  readonly passCount: number;
  /** Stops accepting connections, lets in-flight requests and the running (and queued) pass finish. */
  close(): Promise<void>;
}

const DEFAULT_MAX_BODY_BYTES = 1024 * 1024;

export async function startServer<Summary>(options: ServeOptions<Summary>): Promise<ServerHandle> {
  const { logger, auth } = options;
  const verifier: TokenVerifier = auth.verifier ?? googleTokenVerifier();
  const maxBodyBytes = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  const coalescer = new PassCoalescer<Summary>(loggedPass(options.runPass, logger));
  let closing = false;

  const server = http.createServer((req, res) => {
    const started = Date.now();
    const log = logger.child(traceFields(req, options.traceProject));
    res.on('finish', () => {
      // Health probes are frequent and uninteresting: DEBUG.
      const severity = pathOf(req) === '/healthz' ? 'DEBUG' : 'INFO';
      log.log(severity, `${req.method} ${pathOf(req)} ${res.statusCode}`, { httpRequest: httpRequestOf(req, res, started) });
    });
    route(req, res, log).catch((error: unknown) => {
      log.error('request handling failed', { error });
      sendJson(res, 500, { error: 'internal error' });
    });
  });

  async function route(req: IncomingMessage, res: ServerResponse, log: Logger): Promise<void> {
    const path = pathOf(req);
    if (path === '/healthz') {
      if (req.method !== 'GET' && req.method !== 'HEAD') return sendJson(res, 405, { error: 'method not allowed' }, { allow: 'GET, HEAD' });
      return sendJson(res, closing ? 503 : 200, { status: closing ? 'shutting down' : 'ok' });
    }
    if (path !== '/tick' && path !== '/pubsub') return sendJson(res, 404, { error: 'not found' });
    if (req.method !== 'POST') return sendJson(res, 405, { error: 'method not allowed' }, { allow: 'POST' });

    const result = await authenticate(req.headers.authorization, auth, verifier);
    if (!result.ok) {
      // The reason is for operators; the caller learns nothing beyond the status.
      log.warning('caller refused', { auth_failure: result.reason, path });
      const headers: Record<string, string> = result.status === 401 ? { 'www-authenticate': 'Bearer' } : {};
      return sendJson(res, result.status, { error: result.status === 401 ? 'unauthenticated' : 'forbidden' }, headers);
    }
    if (closing) return sendJson(res, 503, { error: 'shutting down' }, { 'retry-after': '5' });

    let body: string;
    try {
      body = await readBody(req, maxBodyBytes);
    } catch (error) {
      if (error instanceof BodyTooLargeError) return sendJson(res, 413, { error: error.message });
      throw error;
    }
    const trigger = path === '/tick' ? { kind: 'schedule' as const, detail: { caller: result.email } } : pubsubTrigger(body, result.email, res, log);
    if (!trigger) return;
    log.debug('pass requested', { trigger: trigger.kind, pass_running: coalescer.busy });
    try {
      await coalescer.request(trigger);
      sendJson(res, 200, { status: 'pass completed' });
    } catch {
      // Already logged with severity ERROR by loggedPass; a non-2xx makes Scheduler/Pub/Sub retry.
      sendJson(res, 500, { error: 'pass failed' });
    }
  }

  function pubsubTrigger(body: string, caller: string, res: ServerResponse, log: Logger): PassTrigger | undefined {
    let json: unknown;
    try {
      json = JSON.parse(body);
    } catch {
      log.warning('pub/sub push refused: body is not JSON');
      sendJson(res, 400, { error: 'body must be a Pub/Sub push message (JSON)' });
      return undefined;
    }
    const parsed = parsePubSubPush(json);
    if (!parsed.ok) {
      log.warning('pub/sub push refused', { problem: parsed.problem });
      sendJson(res, 400, { error: parsed.problem });
      return undefined;
    }
    const n = parsed.notification;
    const fields = { bucket: n.bucket, object: n.object, event_type: n.eventType, message_id: n.messageId, labels: { bucket: n.bucket } };
    if (!isNewEventsCommit(n)) {
      log.debug('notification ignored: not a new events commit', fields);
      sendEmpty(res, 204); // acknowledged, so Pub/Sub does not redeliver it
      return undefined;
    }
    log.info('events commit notified', fields);
    return { kind: 'pubsub', detail: { caller, objects: [{ bucket: n.bucket, object: n.object, generation: n.generation }] } };
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host ?? '0.0.0.0', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const host = options.host && options.host !== '0.0.0.0' ? options.host : '127.0.0.1';
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
  logger.notice('runtime server listening', { port, audience: auth.audience, invokers: auth.allowedServiceAccounts.length });

  let closed: Promise<void> | undefined;
  return {
    url,
    port,
    get passCount() {
      return coalescer.passCount;
    },
    close() {
      closed ??= (async () => {
        closing = true;
        logger.notice('runtime server shutting down', { pass_running: coalescer.busy });
        const stopped = new Promise<void>((resolve) => server.close(() => resolve()));
        server.closeIdleConnections();
        await coalescer.drain();
        await stopped;
        logger.notice('runtime server stopped');
      })();
      return closed;
    },
  };
}

/** Gives each pass an id and logs its start, end and failure (ERROR, with the redacted error). */
function loggedPass<S>(runPass: RunPass<S>, logger: Logger): RunPass<S> {
  return async (trigger) => {
    const passId = randomUUID();
    const log = logger.child({ pass_id: passId, labels: { pass_id: passId } });
    const started = Date.now();
    log.info('pass started', { trigger: trigger.kind, detail: trigger.detail });
    try {
      const summary = await runPass({ ...trigger, passId });
      log.info('pass completed', { duration_ms: Date.now() - started, summary });
      return summary;
    } catch (error) {
      log.error('pass failed', { duration_ms: Date.now() - started, error });
      throw error;
    }
  };
}

function pathOf(req: IncomingMessage): string {
  return (req.url ?? '/').split('?')[0];
}

/** The fields Cloud Logging reads as an HTTP request (never headers such as Authorization). */
function httpRequestOf(req: IncomingMessage, res: ServerResponse, started: number): Record<string, unknown> {
  return {
    requestMethod: req.method,
    requestUrl: pathOf(req),
    status: res.statusCode,
    userAgent: req.headers['user-agent'],
    latency: `${((Date.now() - started) / 1000).toFixed(3)}s`,
  };
}

function traceFields(req: IncomingMessage, project: string | undefined): Record<string, string> {
  const header = req.headers['x-cloud-trace-context'];
  const traceId = typeof header === 'string' ? /^([0-9a-f]{32})/i.exec(header)?.[1] : undefined;
  return project && traceId ? { 'logging.googleapis.com/trace': `projects/${project}/traces/${traceId}` } : {};
}
