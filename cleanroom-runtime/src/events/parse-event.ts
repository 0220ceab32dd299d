/**
 * Structural parsing of an events row: envelope columns, api_version, event type and payload shape.
 * Business rules (names, ownership, approvals...) live in the processor; this only turns hostile JSON into
 * typed fields or one actionable message.
 */
import {
  ACTIONS,
  API_VERSIONS,
  EVENT_TYPES,
  type Action,
  type ApiVersion,
  type CleanroomEvent,
  type EventBase,
  type EventEnvelope,
  type EventType,
  type UnparsableEvent,
} from './event-model';
import { DEFAULT_LIMITS, describeBytes, type Limits } from '../limits';

/** The bounds a row's fields are held to (src/limits.ts): the whole payload and each of its text fields. */
export type PayloadLimits = Pick<Limits, 'eventPayloadBytes' | 'eventDescriptionBytes' | 'eventParametersBytes' | 'eventFieldBytes'>;

/** A whole payload above this is refused before JSON parsing (notebook contents are limited separately). */
export const MAX_PAYLOAD_BYTES = DEFAULT_LIMITS.eventPayloadBytes;

/** JavaScript dates end at ±8.64e15 ms (year ±275760); a timestamp beyond cannot be compared or shown. */
const MAX_DATE_MS = 8.64e15;

const UUID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/;

export type ParseResult = { ok: true; event: CleanroomEvent } | { ok: false; error: UnparsableEvent };

class PayloadError extends Error {}

/** A stable stand-in id for rows without a usable uuid, so their event_status row can still be found. */
export function syntheticEventId(envelope: EventEnvelope): string {
  return envelope.syntheticId ?? `no-uuid-v${envelope.eventsVersion}-${envelope.index}`;
}

/** Never throws: any row gives a parsed event or one message, every field within `limits`. */
export function parseEvent(envelope: EventEnvelope, limits: PayloadLimits = DEFAULT_LIMITS): ParseResult {
  const { row } = envelope;
  const rawType = typeof row.event_type === 'string' ? row.event_type.slice(0, 64) : null;
  const rawUuid = typeof row.uuid === 'string' ? row.uuid : null;
  const fail = (message: string, usableUuid = false): ParseResult => ({
    ok: false,
    error: {
      uuid: usableUuid && rawUuid !== null ? rawUuid : syntheticEventId(envelope),
      // A well-formed uuid is used up even when the row is refused, so no later event gets a second row under it.
      dedupKey: usableUuid && rawUuid !== null ? dedupKeyOf(envelope.participant, rawUuid, row.api_version, rawType, row.timestamp) : null,
      eventType: rawType,
      message,
    },
  });

  if (envelope.unreadable !== undefined) return fail(envelope.unreadable);
  if (rawUuid === null || !UUID_PATTERN.test(rawUuid)) {
    return fail(`uuid ${describe(row.uuid)} is not valid: use a UUID (letters, digits, '-' or '_', at most 64 characters)`);
  }
  const apiVersion = row.api_version;
  if (typeof apiVersion !== 'string' || !(API_VERSIONS as readonly string[]).includes(apiVersion)) {
    return fail(
      `unsupported api_version ${describe(apiVersion)}: this clean room accepts "1" (the seed's notebooks) and "2" (the cleanroom CLI)`,
      true,
    );
  }
  if (rawType === null || !(EVENT_TYPES as readonly string[]).includes(rawType)) {
    return fail(`unknown event_type ${describe(row.event_type)}: expected one of ${EVENT_TYPES.join(', ')}`, true);
  }
  const timestampMs = toMillis(row.timestamp);
  if (timestampMs === null) return fail('timestamp is missing: every event needs the time it was written', true);
  if (Math.abs(timestampMs) > MAX_DATE_MS) {
    return fail(`timestamp ${String(row.timestamp)} is outside the range of dates: write the time the event was written (microseconds since 1970)`, true);
  }
  if (typeof row.payload !== 'string') return fail('payload is missing: it must be a JSON document', true);
  const payloadBytes = Buffer.byteLength(row.payload, 'utf8');
  if (payloadBytes > limits.eventPayloadBytes) {
    return fail(`payload is ${payloadBytes} bytes, above the limit of ${limits.eventPayloadBytes} bytes: shrink it (notebooks at most 1 MiB)`, true);
  }
  if (typeof row.user === 'string' && Buffer.byteLength(row.user, 'utf8') > limits.eventFieldBytes) {
    return fail(`column "user" is ${Buffer.byteLength(row.user, 'utf8')} bytes, above the limit of ${describeBytes(limits.eventFieldBytes)} (event_field_bytes): write the user's name or email`, true);
  }
  let payload: unknown;
  try {
    payload = JSON.parse(row.payload);
  } catch {
    return fail('payload is not valid JSON: write the payload with a JSON serializer', true);
  }

  const type = rawType as EventType;
  const version = apiVersion as ApiVersion;
  const base = {
    uuid: rawUuid,
    dedupKey: dedupKeyOf(envelope.participant, rawUuid, version, type, row.timestamp),
    apiVersion: version,
    timestampMs,
    user: typeof row.user === 'string' ? row.user : null,
    participant: envelope.participant,
    eventsVersion: envelope.eventsVersion,
  };
  try {
    return { ok: true, event: buildEvent(type, version, payload, base, new Fields(limits)) };
  } catch (error) {
    if (error instanceof PayloadError) return fail(error.message, true);
    throw error;
  }
}

/**
 * `<participant>/<uuid>`: uuids are unique per participant, so another participant's event (even with a uuid it
 * has seen) can never use up this one's. A v1 approval's uuid is the code id, repeated by every approval of that
 * code: the time tells them apart.
 */
function dedupKeyOf(participant: string, uuid: string, apiVersion: unknown, eventType: string | null, timestamp: unknown): string {
  const isV1Approval = apiVersion === '1' && (eventType === 'CODE_REQUEST_APPROVED' || eventType === 'CODE_REQUEST_REJECTED');
  return `${participant}/${isV1Approval ? `${eventType}:${uuid}@${String(timestamp)}` : uuid}`;
}

/** The key states written before keys were per participant used for the same event (no participant in front). */
export function legacyDedupKey(key: string): string {
  return key.slice(key.indexOf('/') + 1);
}

function buildEvent(type: EventType, version: ApiVersion, payload: unknown, base: EventBase, fields: Fields): CleanroomEvent {
  const { optional, required, jsonText } = fields;
  if (type === 'CODE_REQUEST_APPROVED' || type === 'CODE_REQUEST_REJECTED') {
    if (version === '1') {
      if (typeof payload !== 'string') {
        throw new PayloadError('payload of an api_version "1" approval must be a JSON string holding the reason');
      }
      return { ...base, type, codeId: base.uuid, codeName: null, reviewedHash: null, reviewedVersionHash: null, revoke: false, reason: fields.bounded('reason', payload).trim() };
    }
    const p = asObject(payload);
    if (optional(p, 'code_id') === null && optional(p, 'code_name') === null) {
      throw new PayloadError('payload must name the code: give code_id or code_name (as shown in control.approval_status)');
    }
    return {
      ...base,
      type,
      codeId: optional(p, 'code_id'),
      codeName: optional(p, 'code_name'),
      reviewedHash: optional(p, 'notebook_contents_hash'),
      reviewedVersionHash: optional(p, 'version_hash'),
      revoke: type === 'CODE_REQUEST_REJECTED' && (p.revoke === true || p.revoke === 'true'),
      reason: (optional(p, 'reason') ?? '').trim(),
    };
  }
  const p = asObject(payload);
  switch (type) {
    case 'DATA': {
      const action = actionOf(p, fields);
      const needsLocation = action !== 'DELETE';
      return {
        ...base,
        type,
        action,
        dataMetastoreName: required(p, 'data_metastore_name'),
        description: optional(p, 'description'),
        location: (needsLocation ? required(p, 'location') : optional(p, 'location')) ?? '',
        format: (needsLocation ? required(p, 'format') : optional(p, 'format')) ?? '',
      };
    }
    case 'CODE':
      return {
        ...base,
        type,
        action: actionOf(p, fields),
        codeName: required(p, 'code_name'),
        description: optional(p, 'description'),
        pathToNotebook: optional(p, 'path_to_notebook') ?? '',
        defaultParameters: jsonText(p, 'default_parameters'),
        notebookContents: optional(p, 'notebook_contents'),
        notebookContentsHash: optional(p, 'notebook_contents_hash'),
        notebookLanguage: optional(p, 'notebook_language'),
        reads: optional(p, 'reads'),
        groupSizeColumn: optional(p, 'group_size_column'),
        defaultCompute: optional(p, 'default_compute'),
      };
    case 'JOB': {
      const action = p.action === undefined || p.action === null ? 'INSERT' : actionOf(p, fields);
      // A DELETE names only the job; the other fields are ignored.
      const field = action === 'DELETE' ? (name: string) => optional(p, name) ?? '' : (name: string) => required(p, name);
      return {
        ...base,
        type,
        action,
        jobName: required(p, 'job_name'),
        codeName: field('code_name'),
        parameters: action === 'DELETE' ? '{}' : (jsonText(p, 'parameters') ?? '{}'),
        compute: field('compute'),
        schedule: optional(p, 'schedule') ?? 'ad-hoc',
      };
    }
  }
}

function asObject(payload: unknown): Record<string, unknown> {
  if (typeof payload !== 'object' || payload === null || Array.isArray(payload)) {
    throw new PayloadError('payload must be a JSON object of the request fields');
  }
  return payload as Record<string, unknown>;
}

/** Reads payload text fields, each within its limit (a description, parameters, or any other field). */
class Fields {
  constructor(private readonly limits: PayloadLimits) {}

  /** `value` when within the limit of `field`; a PayloadError naming the field and its limit otherwise. */
  bounded = (field: string, value: string): string => {
    const [limit, key] = this.limitOf(field);
    const bytes = Buffer.byteLength(value, 'utf8');
    if (bytes > limit) {
      throw new PayloadError(`payload field "${field}" is ${bytes} bytes, above the limit of ${describeBytes(limit)} (${key}): shorten it`);
    }
    return value;
  };

  optional = (p: Record<string, unknown>, field: string): string | null => {
    const value = ownValue(p, field);
    if (value === undefined || value === null) return null;
    if (typeof value !== 'string') throw new PayloadError(`payload field "${field}" must be a string, got ${typeof value}`);
    return this.bounded(field, value);
  };

  required = (p: Record<string, unknown>, field: string): string => {
    const value = this.optional(p, field);
    if (value === null || value.trim() === '') throw new PayloadError(`payload field "${field}" is required and must not be empty`);
    return value;
  };

  /** Fields holding JSON text (parameters): the seed writes a string; a JSON object is accepted too. */
  jsonText = (p: Record<string, unknown>, field: string): string | null => {
    const value = ownValue(p, field);
    if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
      let text: string;
      try {
        text = JSON.stringify(value);
      } catch {
        // JSON.stringify recurses: a deeply nested value would overflow the stack and stop the whole pass.
        throw new PayloadError(`payload field "${field}" is nested too deeply: give a flat JSON object of parameter names to values`);
      }
      return this.bounded(field, text);
    }
    return this.optional(p, field);
  };

  private limitOf(field: string): [number, string] {
    if (field === 'description' || field === 'reason') return [this.limits.eventDescriptionBytes, 'event_description_bytes'];
    if (field === 'parameters' || field === 'default_parameters') return [this.limits.eventParametersBytes, 'event_parameters_bytes'];
    // The notebook is bounded by the payload's limit and, decoded, by the notebook's own (processor/code-content.ts).
    if (field === 'notebook_contents') return [this.limits.eventPayloadBytes, 'event_payload_bytes'];
    return [this.limits.eventFieldBytes, 'event_field_bytes'];
  }
}

/** A payload's own field, never an inherited one (`constructor`, `__proto__`...). */
function ownValue(p: Record<string, unknown>, field: string): unknown {
  return Object.hasOwn(p, field) ? p[field] : undefined;
}

function actionOf(p: Record<string, unknown>, fields: Fields): Action {
  const action = fields.required(p, 'action').toUpperCase();
  if (!(ACTIONS as readonly string[]).includes(action)) {
    throw new PayloadError(`payload field "action" is ${describe(p.action)}: expected INSERT, UPDATE or DELETE`);
  }
  return action as Action;
}

function toMillis(value: unknown): number | null {
  if (typeof value === 'bigint') return Number(value / 1000n);
  if (typeof value === 'number' && Number.isFinite(value)) return Math.floor(value / 1000);
  return null;
}

function describe(value: unknown): string {
  if (value === null || value === undefined) return '(missing)';
  const text = typeof value === 'string' ? value : String(value);
  return JSON.stringify(text.length > 80 ? `${text.slice(0, 80)}…` : text);
}
