import { isNewEventsCommit, parsePubSubPush } from '../../src/serve/pubsub-push';
import { pushBody } from './push-bodies';

const COMMIT = 'control/events/_delta_log/00000000000000000007.json';

describe('parsePubSubPush', () => {
  it('reads the bucket, object and event type of a GCS notification', () => {
    const result = parsePubSubPush(pushBody('acme-cleanroom', COMMIT));
    expect(result).toEqual({
      ok: true,
      notification: {
        messageId: '1234567890',
        subscription: 'projects/demo-project/subscriptions/cleanroom-events',
        bucket: 'acme-cleanroom',
        object: COMMIT,
        eventType: 'OBJECT_FINALIZE',
        generation: '1718000000000000',
        eventTime: undefined,
      },
    });
  });

  it('accepts payload format NONE (no data)', () => {
    const body = pushBody('acme-cleanroom', COMMIT);
    delete (body.message as Record<string, unknown>).data;
    expect(parsePubSubPush(body)).toMatchObject({ ok: true, notification: { bucket: 'acme-cleanroom', object: COMMIT } });
  });

  const mutate = (change: (message: Record<string, unknown>) => void): unknown => {
    const body = pushBody('acme-cleanroom', COMMIT);
    change(body.message as Record<string, unknown>);
    return body;
  };

  it.each([
    ['not an object', 'hello', /JSON object/],
    ['no message', { subscription: 'x' }, /"message"/],
    ['no messageId', mutate((m) => delete m.messageId), /messageId/],
    ['no attributes', mutate((m) => delete m.attributes), /attributes/],
    ['no bucketId', mutate((m) => delete (m.attributes as Record<string, unknown>).bucketId), /bucketId/],
    ['an invalid bucket name', mutate((m) => ((m.attributes as Record<string, unknown>).bucketId = '../etc')), /bucketId/],
    ['no objectId', mutate((m) => delete (m.attributes as Record<string, unknown>).objectId), /objectId/],
    ['no eventType', mutate((m) => delete (m.attributes as Record<string, unknown>).eventType), /eventType/],
    ['data that is not base64', mutate((m) => (m.data = '%%%')), /base64/],
    ['data that is not JSON', mutate((m) => (m.data = Buffer.from('not json').toString('base64'))), /JSON/],
    ['data about another object', mutate((m) => (m.data = Buffer.from(JSON.stringify({ bucket: 'acme-cleanroom', name: 'other' })).toString('base64'))), /does not match/],
    ['a non-string subscription', { ...pushBody('acme-cleanroom', COMMIT), subscription: 42 }, /subscription/],
  ])('refuses a body with %s, naming the problem', (_name, body, problem) => {
    const result = parsePubSubPush(body);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.problem).toMatch(problem);
  });
});

describe('isNewEventsCommit', () => {
  const notification = (object: string, eventType = 'OBJECT_FINALIZE') => {
    const result = parsePubSubPush(pushBody('acme-cleanroom', object, eventType));
    if (!result.ok) throw new Error(result.problem);
    return result.notification;
  };

  it('is true for an object created under control/events/_delta_log/', () => {
    expect(isNewEventsCommit(notification(COMMIT))).toBe(true);
  });

  it.each([
    ['another control table', 'control/runs/_delta_log/00000000000000000001.json', 'OBJECT_FINALIZE'],
    ['event data files', 'control/events/part-00000.snappy.parquet', 'OBJECT_FINALIZE'],
    ['outputs', 'output/report/part-0.parquet', 'OBJECT_FINALIZE'],
    ['a prefix lookalike', 'xcontrol/events/_delta_log/00000000000000000001.json', 'OBJECT_FINALIZE'],
    ['a deleted commit', COMMIT, 'OBJECT_DELETE'],
  ])('is false for %s', (_name, object, eventType) => {
    expect(isNewEventsCommit(notification(object, eventType))).toBe(false);
  });
});
