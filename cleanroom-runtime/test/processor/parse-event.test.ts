import { parseEvent } from '../../src/events/parse-event';
import type { DeltaRow } from '../../src/delta/schema-types';
import { cli, pythonJsonDumps, seed, seedRow, SQL_SOURCE, T0 } from './fixtures';

const parse = (row: DeltaRow) => parseEvent({ participant: 'advertiser', eventsVersion: 7, index: 2, row });
const errorOf = (row: DeltaRow) => {
  const result = parse(row);
  if (result.ok) throw new Error('expected a parse error');
  return result.error;
};

describe('parseEvent: api_version 1 rows as the seed notebooks write them', () => {
  test('DATA keeps the widget and enrichment fields', () => {
    const result = parse(seed.data('advertiser.conversions', 'INSERT', 'gs://advertiser-bucket/input/conversions', 'delta'));
    expect(result.ok && result.event).toMatchObject({
      type: 'DATA', apiVersion: '1', action: 'INSERT', dataMetastoreName: 'advertiser.conversions',
      location: 'gs://advertiser-bucket/input/conversions', format: 'delta', participant: 'advertiser', eventsVersion: 7,
      timestampMs: T0, user: 'someone@example.com',
    });
  });

  test('CODE keeps contents, hash, language and default parameters', () => {
    const row = seed.code('adv_match', 'INSERT', SQL_SOURCE, { defaults: '{"country": "FR"}' });
    const result = parse(row);
    expect(result.ok && result.event).toMatchObject({
      type: 'CODE', action: 'INSERT', codeName: 'adv_match', notebookLanguage: 'SQL', defaultParameters: '{"country": "FR"}',
      notebookContents: Buffer.from(SQL_SOURCE).toString('base64'),
    });
  });

  test('approval: uuid is the code id, payload a JSON string reason; dedup key includes the time', () => {
    const a = parse(seed.approval('CODE_REQUEST_APPROVED', 'code-123', 'looks fine'));
    const b = parse(seed.approval('CODE_REQUEST_APPROVED', 'code-123', 'looks fine', T0 + 1));
    if (!a.ok || !b.ok) throw new Error('expected both to parse');
    expect(a.event).toMatchObject({ type: 'CODE_REQUEST_APPROVED', codeId: 'code-123', reason: 'looks fine', reviewedHash: null, uuid: 'code-123' });
    expect(a.event.dedupKey).not.toBe(b.event.dedupKey);
  });

  test('an approval whose payload is not a JSON string is refused', () => {
    expect(errorOf(seedRow('CODE_REQUEST_REJECTED', 'code-1', '{"reason": "x"}', T0)).message).toBe(
      'payload of an api_version "1" approval must be a JSON string holding the reason',
    );
  });

  test('JOB keeps parameters text and schedule', () => {
    const result = parse(seed.job('match_job', 'adv_match', '{"output": "gs://advertiser-bucket/output/m"}'));
    expect(result.ok && result.event).toMatchObject({ type: 'JOB', jobName: 'match_job', codeName: 'adv_match', compute: 'Small', schedule: 'ad-hoc', parameters: '{"output": "gs://advertiser-bucket/output/m"}' });
  });
});

describe('parseEvent: api_version 2 and envelope errors', () => {
  test('v2 approval carries code id, name and reviewed version hash; dedup key is the participant and the fresh uuid', () => {
    const row = cli.approval('CODE_REQUEST_APPROVED', { code_id: 'c1', code_name: 'n' }, 'ab'.repeat(32), 'ok');
    const result = parse(row);
    expect(result.ok && result.event).toMatchObject({ codeId: 'c1', codeName: 'n', reviewedVersionHash: 'ab'.repeat(32), reviewedHash: null, reason: 'ok', dedupKey: `advertiser/${row.uuid}` });
  });

  test('v2 approval must name the code', () => {
    expect(errorOf(cli.row('CODE_REQUEST_APPROVED', { notebook_contents_hash: 'x', reason: '' })).message).toBe(
      'payload must name the code: give code_id or code_name (as shown in control.approval_status)',
    );
  });

  test('unknown api_version', () => {
    const row: DeltaRow = { ...seed.data('advertiser.t', 'INSERT', 'gs://advertiser-bucket/input/t', 'delta'), api_version: '9' };
    const error = errorOf(row);
    expect(error.message).toBe('unsupported api_version "9": this clean room accepts "1" (the seed\'s notebooks) and "2" (the cleanroom CLI)');
    expect(error.uuid).toBe(row.uuid);
  });

  test('unknown event type', () => {
    expect(errorOf(seedRow('DROP_TABLE', 'u-1', '{}', T0)).message).toBe(
      'unknown event_type "DROP_TABLE": expected one of DATA, CODE, CODE_REQUEST_APPROVED, CODE_REQUEST_REJECTED, JOB',
    );
  });

  test('missing or hostile uuid gets a synthetic id for its status row', () => {
    const error = errorOf({ ...seedRow('DATA', 'x', '{}', T0), uuid: '../../etc' });
    expect(error.message).toMatch(/^uuid "..\/..\/etc" is not valid/);
    expect(error.uuid).toBe('no-uuid-v7-2');
    expect(error.dedupKey).toBeNull();
  });

  test('missing timestamp, missing payload, invalid JSON, non-object payload', () => {
    expect(errorOf({ ...seedRow('DATA', 'u1', '{}', T0), timestamp: null }).message).toBe('timestamp is missing: every event needs the time it was written');
    expect(errorOf({ ...seedRow('DATA', 'u1', '{}', T0), payload: null }).message).toBe('payload is missing: it must be a JSON document');
    expect(errorOf(seedRow('DATA', 'u1', '{nope', T0)).message).toBe('payload is not valid JSON: write the payload with a JSON serializer');
    expect(errorOf(seedRow('JOB', 'u1', '[1]', T0)).message).toBe('payload must be a JSON object of the request fields');
  });

  test('payload over the size limit', () => {
    const big = pythonJsonDumps({ code_name: 'x', action: 'INSERT', notebook_contents: 'a'.repeat(2 * 1024 * 1024) });
    expect(errorOf(seedRow('CODE', 'u1', big, T0)).message).toMatch(/^payload is \d+ bytes, above the limit of 2097152 bytes/);
  });

  test('missing, empty and mistyped fields; bad action', () => {
    expect(errorOf(seedRow('DATA', 'u1', '{"action": "INSERT"}', T0)).message).toBe('payload field "data_metastore_name" is required and must not be empty');
    expect(errorOf(seedRow('JOB', 'u1', '{"job_name": 3}', T0)).message).toBe('payload field "job_name" must be a string, got number');
    expect(errorOf(seedRow('CODE', 'u1', '{"code_name": "c", "action": "MERGE"}', T0)).message).toBe('payload field "action" is "MERGE": expected INSERT, UPDATE or DELETE');
    expect(errorOf(seedRow('DATA', 'u1', '{"data_metastore_name": "a.b", "action": "INSERT", "format": "delta"}', T0)).message).toBe('payload field "location" is required and must not be empty');
  });

  test('DATA DELETE needs no location or format', () => {
    expect(parse(seedRow('DATA', 'u1', '{"data_metastore_name": "a.b", "action": "DELETE"}', T0)).ok).toBe(true);
  });
});
