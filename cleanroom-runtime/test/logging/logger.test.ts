import { createLogger } from '../../src/logging/logger';
import { REDACTED } from '../../src/logging/redact';
import { LogCapture } from './log-capture';

const FIXED_TIME = new Date('2024-06-10T12:00:00.000Z');
const DATABRICKS_TOKEN = 'dapi0123456789abcdef0123456789abcdef';
const PLANTED = 'S3cr3t-planted-value-42';
const JWT = 'eyJhbGciOiJSUzI1NiIsImtpZCI6ImsifQ.eyJlbWFpbCI6ImFAYi5jIn0.c2lnbmF0dXJlLWJ5dGVz';

function setup(options: Parameters<typeof createLogger>[0] = {}) {
  const out = new LogCapture();
  const logger = createLogger({ stream: out, now: () => FIXED_TIME, redact: { env: {} }, ...options });
  return { out, logger };
}

describe('createLogger (JSON for Cloud Logging)', () => {
  it('writes one JSON object per line with severity, message, time and context fields', () => {
    const { out, logger } = setup();
    logger.child({ pass_id: 'p-1', labels: { pass_id: 'p-1' } }).info('event applied', { event_uuid: 'e-1', participant: 'acme' });
    logger.warning('slow list', { participant: 'globex' });
    expect(out.lines).toHaveLength(2);
    expect(out.entries()).toEqual([
      { severity: 'INFO', message: 'event applied', time: FIXED_TIME.toISOString(), pass_id: 'p-1', event_uuid: 'e-1', participant: 'acme', 'logging.googleapis.com/labels': { pass_id: 'p-1' } },
      { severity: 'WARNING', message: 'slow list', time: FIXED_TIME.toISOString(), participant: 'globex' },
    ]);
  });

  it('drops entries below the minimum severity', () => {
    const { out, logger } = setup({ minSeverity: 'NOTICE' });
    logger.debug('d');
    logger.info('i');
    logger.notice('n');
    logger.error('e');
    expect(out.entries().map((e) => e.severity)).toEqual(['NOTICE', 'ERROR']);
  });

  it('sends WARNING and ERROR to the error stream when one is given', () => {
    const out = new LogCapture();
    const err = new LogCapture();
    const logger = createLogger({ stream: out, errorStream: err, redact: { env: {} } });
    logger.info('fine');
    logger.error('broken');
    expect(out.entries().map((e) => e.message)).toEqual(['fine']);
    expect(err.entries().map((e) => e.message)).toEqual(['broken']);
  });

  it('serializes errors with their stack (stack_trace for Error Reporting) and survives cycles', () => {
    const { out, logger } = setup();
    const cyclic: Record<string, unknown> = { name: 'loop' };
    cyclic.self = cyclic;
    logger.error('pass failed', { error: new Error('boom'), cyclic });
    const [entry] = out.entries();
    expect(entry.error).toMatchObject({ name: 'Error', message: 'boom' });
    expect(String(entry.stack_trace)).toContain('boom');
    expect(entry.cyclic).toEqual({ name: 'loop', self: '[Circular]' });
  });

  it('prints text instead of JSON on a terminal', () => {
    const tty = new LogCapture(true);
    createLogger({ stream: tty, now: () => FIXED_TIME, redact: { env: {} } }).info('hello', { participant: 'acme' });
    expect(tty.lines[0]).toBe('12:00:00.000 INFO    hello  participant=acme');
  });
});

describe('redaction: no secret ever reaches the output', () => {
  const savedToken = process.env.DATABRICKS_TOKEN;
  afterEach(() => {
    if (savedToken === undefined) delete process.env.DATABRICKS_TOKEN;
    else process.env.DATABRICKS_TOKEN = savedToken;
  });

  it('removes the value of a secret env variable (DATABRICKS_TOKEN) wherever it appears', () => {
    process.env.DATABRICKS_TOKEN = PLANTED; // not token-shaped: only the env registration can catch it
    const out = new LogCapture();
    const logger = createLogger({ stream: out }); // default redaction reads process.env
    logger.info(`connecting with ${PLANTED}`);
    logger.error('request failed', { error: new Error(`401 for token ${PLANTED}`), detail: { nested: [PLANTED] } });
    expect(out.text).not.toContain(PLANTED);
    expect(out.text).toContain(REDACTED);
    expect(out.entries()[0].message).toBe(`connecting with ${REDACTED}`);
  });

  it('replaces values under secret keys, at any depth, including Authorization headers', () => {
    const { out, logger } = setup();
    logger.info('calling databricks', {
      request: { headers: { Authorization: `Bearer ${PLANTED}`, 'content-type': 'application/json' } },
      config: { databricks_token: PLANTED, password: PLANTED, clientSecret: PLANTED },
      participant: 'acme',
    });
    const [entry] = out.entries();
    expect(out.text).not.toContain(PLANTED);
    expect(entry.request).toEqual({ headers: { Authorization: REDACTED, 'content-type': 'application/json' } });
    expect(entry.config).toEqual({ databricks_token: REDACTED, password: REDACTED, clientSecret: REDACTED });
    expect(entry.participant).toBe('acme');
  });

  it('removes token-shaped text: bearer tokens, JWTs, Databricks tokens, key=value secrets', () => {
    const { out, logger } = setup();
    logger.warning(`Invalid token signature: ${JWT}`);
    logger.warning(`header was "Authorization: Bearer ${PLANTED}"`);
    logger.error('databricks said no', { error: new Error(`token ${DATABRICKS_TOKEN} is expired`) });
    logger.info(`jdbc:databricks://host;password=${PLANTED};ssl=1 and https://x/?access_token=${PLANTED}&a=1`);
    expect(out.text).not.toContain(PLANTED);
    expect(out.text).not.toContain(JWT.split('.')[2]);
    expect(out.text).not.toContain(DATABRICKS_TOKEN);
    expect(out.entries()[1].message).toBe(`header was "Authorization: Bearer ${REDACTED}"`);
    expect(out.entries()[3].message).toContain('ssl=1');
  });

  it('removes values registered at run time, in this logger and its children', () => {
    const { out, logger } = setup();
    const child = logger.child({ pass_id: 'p-2' });
    logger.registerSecret(PLANTED);
    child.info('value', { plain: `prefix-${PLANTED}-suffix` });
    expect(out.text).not.toContain(PLANTED);
    expect(out.entries()[0].plain).toBe(`prefix-${REDACTED}-suffix`);
  });

  it('keeps ordinary text intact', () => {
    const { out, logger } = setup();
    logger.info('processed 3 events for acme', { event_uuid: '7d0f-11', participant: 'acme', count: 3 });
    expect(out.entries()[0]).toMatchObject({ message: 'processed 3 events for acme', event_uuid: '7d0f-11', count: 3 });
  });
});
