/**
 * Property-based tests of the event parser: whatever a participant writes in an events row (any column value, any
 * payload text or JSON, deep nesting, any Unicode, missing fields), parseEvent returns a parsed event or one parse
 * error with a message — it never throws — and every text field of a parsed event is within its limit.
 */
import fc from 'fast-check';
import { EVENT_TYPES } from '../../src/events/event-model';
import { parseEvent, type PayloadLimits } from '../../src/events/parse-event';
import type { DeltaRow, DeltaValue } from '../../src/delta/schema-types';
import { DEFAULT_LIMITS } from '../../src/limits';

const RUNS = { numRuns: 300 };

/** Any column value the Delta reader can produce, and then some. */
const anyValue: fc.Arbitrary<DeltaValue | undefined> = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 200 }),
  fc.string({ unit: 'grapheme', maxLength: 50 }),
  fc.integer(),
  fc.double(),
  fc.bigInt({ min: -(2n ** 70n), max: 2n ** 70n }),
  fc.boolean(),
  fc.constant(null),
  fc.constant(undefined),
  fc.uint8Array({ maxLength: 32 }),
);

const FIELDS = ['action', 'data_metastore_name', 'description', 'location', 'format', 'code_name', 'path_to_notebook', 'default_parameters',
  'notebook_contents', 'notebook_contents_hash', 'notebook_language', 'job_name', 'parameters', 'compute', 'schedule', 'code_id', 'reason'];

/** Payload objects built from the real field names, with any JSON (deep, odd, huge keys) as values. */
const payloadObject = fc.dictionary(
  fc.oneof(fc.constantFrom(...FIELDS, '__proto__', 'constructor'), fc.string({ unit: 'grapheme', maxLength: 20 })),
  fc.oneof(fc.jsonValue({ maxDepth: 6 }), fc.string({ unit: 'binary', maxLength: 300 }), fc.constantFrom('INSERT', 'UPDATE', 'DELETE', 'delete')),
  { maxKeys: 12 },
);

const payloadText = fc.oneof(
  payloadObject.map((p) => JSON.stringify(p)),
  fc.json({ maxDepth: 8 }),
  fc.string({ unit: 'binary', maxLength: 500 }),
  fc.integer({ min: 1, max: 50_000 }).map((depth) => `{"parameters": ${'['.repeat(depth)}${']'.repeat(depth)}}`),
  fc.integer({ min: 1, max: 20_000 }).map((depth) => `{"default_parameters": ${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}}`),
);

const row: fc.Arbitrary<DeltaRow> = fc.record(
  {
    event_type: fc.oneof(fc.constantFrom(...EVENT_TYPES), anyValue),
    uuid: fc.oneof(fc.uuid(), anyValue),
    payload: fc.oneof(payloadText, anyValue),
    timestamp: fc.oneof(fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }), anyValue),
    user: anyValue,
    notebook: anyValue,
    hostname: anyValue,
    api_version: fc.oneof(fc.constantFrom('1', '2'), anyValue),
  },
  { requiredKeys: [] },
) as fc.Arbitrary<DeltaRow>;

const envelope = (r: DeltaRow, version = 3, index = 1) => ({ participant: 'agency', eventsVersion: version, index, row: r });

/** Fields from the row's columns, not the payload: the uuid (at most 64 characters) and what derives from it. */
const ENVELOPE_FIELDS = new Set(['user', 'uuid', 'dedupKey', 'participant', 'codeId']);

/** Byte length of every text field of a parsed event, by the limit it falls under. */
function withinLimits(event: Record<string, unknown>, limits: PayloadLimits): string[] {
  const over: string[] = [];
  for (const [field, value] of Object.entries(event)) {
    if (typeof value !== 'string') continue;
    const bytes = Buffer.byteLength(value, 'utf8');
    const limit =
      field === 'description' || field === 'reason'
        ? limits.eventDescriptionBytes
        : field === 'parameters' || field === 'defaultParameters'
          ? limits.eventParametersBytes
          : field === 'notebookContents'
            ? limits.eventPayloadBytes
            : ENVELOPE_FIELDS.has(field)
              ? Math.max(limits.eventFieldBytes, 256)
              : limits.eventFieldBytes;
    if (bytes > limit) over.push(`${field}: ${bytes} > ${limit}`);
  }
  return over;
}

test('any row: a parsed event or a parse error with a message, never a throw', () => {
  fc.assert(
    fc.property(row, fc.nat(1_000_000), fc.nat(10_000), (r, version, index) => {
      const result = parseEvent(envelope(r, version, index));
      if (result.ok) {
        expect(withinLimits(result.event as unknown as Record<string, unknown>, DEFAULT_LIMITS)).toEqual([]);
      } else {
        expect(result.error.message.length).toBeGreaterThan(0);
        expect(result.error.message.length).toBeLessThan(1000);
        expect(typeof result.error.uuid).toBe('string');
      }
    }),
    RUNS,
  );
});

test('well-formed envelopes with any payload: refused or within the limits, under small limits too', () => {
  const limits: PayloadLimits = { eventPayloadBytes: 4096, eventDescriptionBytes: 64, eventParametersBytes: 128, eventFieldBytes: 32 };
  fc.assert(
    fc.property(fc.constantFrom(...EVENT_TYPES), fc.constantFrom('1', '2'), payloadText, (eventType, apiVersion, payload) => {
      const r: DeltaRow = { event_type: eventType, uuid: 'f0e1d2c3-0000-4000-8000-000000000001', payload, timestamp: 1_768_467_600_000_000n, user: 'cli', api_version: apiVersion };
      for (const bounds of [limits, DEFAULT_LIMITS]) {
        const result = parseEvent(envelope(r), bounds);
        if (result.ok) expect(withinLimits(result.event as unknown as Record<string, unknown>, bounds)).toEqual([]);
        else expect(result.error.message).toMatch(/\S/);
      }
    }),
    RUNS,
  );
});

test('a field over its limit is refused with a message naming the field, the size and the limit key', () => {
  fc.assert(
    fc.property(fc.constantFrom('description', 'default_parameters', 'path_to_notebook', 'code_name'), fc.integer({ min: 1, max: 2000 }), fc.string({ unit: 'grapheme', minLength: 1, maxLength: 1 }), (field, extra, unit) => {
      const limits: PayloadLimits = { eventPayloadBytes: 1024 * 1024, eventDescriptionBytes: 100, eventParametersBytes: 200, eventFieldBytes: 50 };
      const limit = field === 'description' ? 100 : field === 'default_parameters' ? 200 : 50;
      const value = unit.repeat(Math.ceil((limit + extra) / Buffer.byteLength(unit)));
      const payload = { code_name: 'q', action: 'INSERT', path_to_notebook: 'q.sql', notebook_contents: 'SELECT 1', notebook_contents_hash: 'a'.repeat(64), [field]: value };
      const r: DeltaRow = { event_type: 'CODE', uuid: 'u-1', payload: JSON.stringify(payload), timestamp: 1n, api_version: '2' };
      const result = parseEvent(envelope(r), limits);
      expect(result.ok).toBe(false);
      if (!result.ok) expect(result.error.message).toMatch(new RegExp(`^payload field "${field}" is ${Buffer.byteLength(value)} bytes, above the limit of ${limit} bytes \\(event_\\w+_bytes\\): shorten it$`));
    }),
    RUNS,
  );
});
