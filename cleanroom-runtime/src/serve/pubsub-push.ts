/**
 * Pub/Sub push deliveries of Cloud Storage notifications
 * (https://cloud.google.com/pubsub/docs/push, https://cloud.google.com/storage/docs/pubsub-notifications):
 *   { message: { data: base64(object resource JSON), attributes: { bucketId, objectId, eventType, ... },
 *                messageId }, subscription }
 * Only new commits of a participant's events table (`control/events/_delta_log/`) call for a pass.
 */

export const EVENTS_LOG_PREFIX = 'control/events/_delta_log/';

/** The object a notification is about. */
export interface GcsNotification {
  messageId: string;
  subscription?: string;
  bucket: string;
  object: string;
  eventType: string;
  generation?: string;
  eventTime?: string;
}

export type PushParseResult = { ok: true; notification: GcsNotification } | { ok: false; problem: string };

const MAX_NAME_LENGTH = 1024; // GCS object names are at most 1024 bytes.

export function parsePubSubPush(body: unknown): PushParseResult {
  if (!isRecord(body)) return fail('body must be a JSON object with a "message" field');
  const message = body.message;
  if (!isRecord(message)) return fail('"message" must be an object');
  const messageId = message.messageId ?? message.message_id;
  if (typeof messageId !== 'string' || messageId === '') return fail('"message.messageId" must be a non-empty string');
  if (body.subscription !== undefined && typeof body.subscription !== 'string') return fail('"subscription" must be a string');

  const attributes = message.attributes;
  if (!isRecord(attributes)) return fail('"message.attributes" must be an object (a Cloud Storage notification)');
  const { bucketId, objectId, eventType } = attributes;
  if (typeof bucketId !== 'string' || !/^[a-z0-9][a-z0-9._-]{1,220}[a-z0-9]$/.test(bucketId)) {
    return fail('"message.attributes.bucketId" must be a bucket name');
  }
  if (typeof objectId !== 'string' || objectId === '' || objectId.length > MAX_NAME_LENGTH) {
    return fail('"message.attributes.objectId" must be an object name');
  }
  if (typeof eventType !== 'string' || eventType === '') return fail('"message.attributes.eventType" must be a string');

  if (message.data !== undefined) {
    const problem = checkData(message.data, bucketId, objectId);
    if (problem) return fail(problem);
  }
  return {
    ok: true,
    notification: {
      messageId,
      subscription: body.subscription,
      bucket: bucketId,
      object: objectId,
      eventType,
      generation: typeof attributes.objectGeneration === 'string' ? attributes.objectGeneration : undefined,
      eventTime: typeof attributes.eventTime === 'string' ? attributes.eventTime : undefined,
    },
  };
}

/** With payload format JSON_API_V1 the data is the object resource; it must agree with the attributes. */
function checkData(data: unknown, bucket: string, object: string): string | undefined {
  if (typeof data !== 'string' || !/^[A-Za-z0-9+/_-]*={0,2}$/.test(data)) return '"message.data" must be base64';
  if (data === '') return undefined;
  let resource: unknown;
  try {
    resource = JSON.parse(Buffer.from(data, 'base64').toString('utf8'));
  } catch {
    return '"message.data" must be base64-encoded JSON (notification payload format JSON_API_V1)';
  }
  if (!isRecord(resource)) return '"message.data" must decode to a JSON object';
  if (resource.bucket !== undefined && resource.bucket !== bucket) return '"message.data.bucket" does not match attributes.bucketId';
  if (resource.name !== undefined && resource.name !== object) return '"message.data.name" does not match attributes.objectId';
  return undefined;
}

/** True for a notification that may carry new events: an object created under the events table's log. */
export function isNewEventsCommit(notification: GcsNotification): boolean {
  return notification.eventType === 'OBJECT_FINALIZE' && notification.object.startsWith(EVENTS_LOG_PREFIX);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function fail(problem: string): PushParseResult {
  return { ok: false, problem };
}
