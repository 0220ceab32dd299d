/**
 * Hostile rows and payloads: broken or oversized JSON, payloads of the wrong shape, missing or null columns and
 * fields, unknown event types and api_versions, unusable uuids, bad parameters, timestamps in the future and
 * duplicate uuids (in one table, across participants, across passes). Raw rows, as a hostile notebook could write
 * them; one commit, one real pass; a good event after them succeeds.
 */
import {
  ADVERTISER_BUCKET,
  AGENCY_BUCKET,
  HostileRoom,
  cli,
  expected,
  outcomeOf,
  rawRow,
  seed,
  sha256,
  type Case,
  versionHash,
} from './hostile-room';

const EVENT_TYPES_TEXT = 'DATA, CODE, CODE_REQUEST_APPROVED, CODE_REQUEST_REJECTED, JOB';
const API_VERSION_TEXT = 'this clean room accepts "1" (the seed\'s notebooks) and "2" (the cleanroom CLI)';
const UUID_TEXT = "use a UUID (letters, digits, '-' or '_', at most 64 characters)";
const NOT_OBJECT = 'payload must be a JSON object of the request fields';
const OUTPUT = 'gs://advertiser-bucket/output/p';

let room: HostileRoom;
let t = 0;
/** The events-table version the corpus was committed in (synthetic ids of rows without a usable uuid use it). */
let corpusVersion: number;
const corpus: Case[] = [];

const jobWith = (parameters: string) => seed.job(`p_${corpus.length}`, 'kp_count', parameters, 'Small', t);
const bigText = (bytes: number) => 'x'.repeat(bytes);

function cases(): Case[] {
  const oversized = JSON.stringify({ data_metastore_name: 'advertiser.big', action: 'INSERT', location: 'gs://advertiser-bucket/input/big', format: 'delta', description: bigText(2 * 1024 * 1024) });
  const bigNotebook = `-- Databricks notebook source\n${'SELECT 1 AS padding;\n'.repeat(55_000)}`;
  const tampered = cli.row('CODE', { code_name: 'adv_tampered', action: 'INSERT', path_to_notebook: 'x.sql', notebook_contents: 'SELECT 2', notebook_contents_hash: sha256('SELECT 1') }, t);
  const v1NotBase64 = 'SELECT 1 -- sent as text, not as the workspace export';
  const fields = (payload: Record<string, unknown>, eventType = 'DATA') => rawRow({ event_type: eventType, payload: JSON.stringify(payload) }, t);
  const dataPayload = { data_metastore_name: 'advertiser.x', action: 'INSERT', location: 'gs://advertiser-bucket/input/conversions', format: 'delta' };
  const jobPayload = { job_name: 'j', code_name: 'kp_count', parameters: JSON.stringify({ output: OUTPUT }), compute: 'Small' };
  const hourLater = t + 30_000 + 60 * 60 * 1000;

  const list: Case[] = [
    // JSON and payload shape.
    { title: 'payload: truncated JSON', row: rawRow({ payload: '{"data_metastore_name": "advertiser.x", ' }, t), message: 'payload is not valid JSON: write the payload with a JSON serializer' },
    { title: "payload: Python repr instead of JSON", row: rawRow({ payload: "{'data_metastore_name': 'advertiser.x'}" }, t), message: 'payload is not valid JSON: write the payload with a JSON serializer' },
    { title: 'payload: an array', row: rawRow({ payload: '[1, 2]' }, t), message: NOT_OBJECT },
    { title: 'payload: a JSON string on a JOB', row: rawRow({ event_type: 'JOB', payload: '"run everything"' }, t), message: NOT_OBJECT },
    { title: 'payload: JSON null on a CODE', row: rawRow({ event_type: 'CODE', payload: 'null' }, t), message: NOT_OBJECT },
    { title: 'payload: api_version 1 approval with an object', row: rawRow({ event_type: 'CODE_REQUEST_APPROVED', api_version: '1', payload: '{"reason": "ok"}' }, t), message: 'payload of an api_version "1" approval must be a JSON string holding the reason' },
    { title: 'payload: over 2 MiB', row: rawRow({ payload: oversized }, t), message: `payload is ${Buffer.byteLength(oversized)} bytes, above the limit of 2097152 bytes: shrink it (notebooks at most 1 MiB)` },
    { title: 'payload: notebook over 1 MiB', row: cli.code('adv_big', 'INSERT', bigNotebook, { atMs: t }), message: `notebook is ${Buffer.byteLength(bigNotebook)} bytes, above the limit of 1048576 bytes (1 MiB): split it or move data out of the code` },

    // Envelope columns.
    { title: 'event_type: unknown', row: rawRow({ event_type: 'DROP_TABLE' }, t), message: `unknown event_type "DROP_TABLE": expected one of ${EVENT_TYPES_TEXT}` },
    { title: 'event_type: lower case', row: rawRow({ event_type: 'job' }, t), message: `unknown event_type "job": expected one of ${EVENT_TYPES_TEXT}` },
    { title: 'event_type: null', row: rawRow({ event_type: null }, t), message: `unknown event_type (missing): expected one of ${EVENT_TYPES_TEXT}` },
    { title: 'api_version: "3"', row: rawRow({ api_version: '3' }, t), message: `unsupported api_version "3": ${API_VERSION_TEXT}` },
    { title: 'api_version: "2.0"', row: rawRow({ api_version: '2.0' }, t), message: `unsupported api_version "2.0": ${API_VERSION_TEXT}` },
    { title: 'api_version: null', row: rawRow({ api_version: null }, t), message: `unsupported api_version (missing): ${API_VERSION_TEXT}` },
    { title: 'uuid: null', row: rawRow({ uuid: null }, t), message: `uuid (missing) is not valid: ${UUID_TEXT}` },
    { title: 'uuid: path traversal', row: rawRow({ uuid: '../../state/00000000000000000001.json' }, t), message: `uuid "../../state/00000000000000000001.json" is not valid: ${UUID_TEXT}` },
    { title: 'uuid: SQL', row: rawRow({ uuid: "x'; DROP TABLE runs; --" }, t), message: `uuid "x'; DROP TABLE runs; --" is not valid: ${UUID_TEXT}` },
    { title: 'timestamp: null', row: rawRow({ timestamp: null }, t), message: 'timestamp is missing: every event needs the time it was written' },
    { title: 'payload: null column', row: rawRow({ payload: null }, t), message: 'payload is missing: it must be a JSON document' },

    // Required fields.
    { title: 'field: data_metastore_name missing', row: fields({ ...dataPayload, data_metastore_name: undefined }), message: 'payload field "data_metastore_name" is required and must not be empty' },
    { title: 'field: location null on INSERT', row: fields({ ...dataPayload, location: null }), message: 'payload field "location" is required and must not be empty' },
    { title: 'field: format blank', row: fields({ ...dataPayload, format: '   ' }), message: 'payload field "format" is required and must not be empty' },
    { title: 'field: format unsupported', row: fields({ ...dataPayload, format: 'exe' }), message: 'format "exe" is not supported: use delta (preferred), parquet, json, avro or csv' },
    { title: 'field: action MERGE', row: fields({ ...dataPayload, action: 'MERGE' }), message: 'payload field "action" is "MERGE": expected INSERT, UPDATE or DELETE' },
    { title: 'field: action a number', row: fields({ ...dataPayload, action: 1 }), message: 'payload field "action" must be a string, got number' },
    { title: 'field: code_name a number', row: fields({ code_name: 7, action: 'INSERT' }, 'CODE'), message: 'payload field "code_name" must be a string, got number' },
    { title: 'field: compute null', row: fields({ ...jobPayload, compute: null }, 'JOB'), message: 'payload field "compute" is required and must not be empty' },
    { title: 'field: job_name an object', row: fields({ ...jobPayload, job_name: { $ne: null } }, 'JOB'), message: 'payload field "job_name" must be a string, got object' },
    { title: 'field: CODE INSERT without contents', row: fields({ code_name: 'adv_empty', action: 'INSERT', path_to_notebook: 'x.sql' }, 'CODE'), message: 'notebook_contents and notebook_contents_hash are required to register code' },
    { title: 'field: content does not match its hash', row: tampered, message: `notebook_contents_hash does not match the contents: sha256 is ${sha256('SELECT 2')}, the event says ${sha256('SELECT 1')}; re-send the event from the unmodified file` },
    {
      title: 'field: api_version 1 notebook that is not a workspace export',
      row: seedCode('adv_v1_text', v1NotBase64),
      message: 'notebook_contents of an api_version "1" event must be the base64 Workspace export of the notebook',
    },

    // Parameters.
    { title: 'parameters: an array', row: jobWith('[1, 2]'), message: 'parameters must be a JSON object of parameter names to values, e.g. {"country": "FR"}' },
    { title: 'parameters: not JSON', row: jobWith(`{output: ${OUTPUT}}`), message: 'parameters is not valid JSON: write a JSON object with double quotes, e.g. {"output": "gs://bucket/output/x"}' },
    { title: 'parameters: a value that is an object', row: jobWith(JSON.stringify({ output: OUTPUT, filter: { $ne: 1 } })), message: 'parameters parameter "filter" must be a string, number or boolean' },
    { title: 'parameters: a null value', row: jobWith(JSON.stringify({ output: OUTPUT, country: null })), message: 'parameters parameter "country" must be a string, number or boolean' },
    { title: 'parameters: an object nested 20000 levels deep (JSON.stringify would overflow the stack)', row: rawRow({ event_type: 'JOB', payload: `{"job_name":"j","code_name":"kp_count","compute":"Small","parameters":${'{"a":'.repeat(20_000)}1${'}'.repeat(20_000)}}` }, t), message: 'payload field "parameters" is nested too deeply: give a flat JSON object of parameter names to values' },
    { title: 'parameters: a number instead of JSON text', row: fields({ ...jobPayload, parameters: 5 }, 'JOB'), message: 'payload field "parameters" must be a string, got number' },
    { title: 'parameters: SQL in a parameter name', row: jobWith(JSON.stringify({ output: OUTPUT, 'x; DROP TABLE t': '1' })), message: 'parameters has the parameter name "x; DROP TABLE t": use letters, digits and \'_\', starting with a letter or \'_\'' },
    { title: 'parameters: 101 of them', row: jobWith(JSON.stringify(Object.fromEntries([['output', OUTPUT], ...Array.from({ length: 100 }, (_, i) => [`p${i}`, 'v'])]))), message: 'parameters has 101 parameters; the limit is 100' },
    { title: 'parameters: a 4097-character value', row: jobWith(JSON.stringify({ output: OUTPUT, v: bigText(4097) })), message: 'parameters parameter "v" is 4097 characters; the limit is 4096' },
    { title: 'default_parameters: not an object', row: cli.code('adv_defaults', 'INSERT', 'SELECT 1', { atMs: t, defaults: '"x"' }), message: 'default_parameters must be a JSON object of parameter names to values, e.g. {"country": "FR"}' },

    // Clocks.
    {
      title: 'timestamp: an hour in the future',
      row: { ...cli.code('adv_future', 'INSERT', 'SELECT 1', { atMs: hourLater }) },
      message: `event timestamp ${new Date(hourLater).toISOString()} is in the future (clean room time ${new Date(t + 30_000).toISOString()}): fix the clock of the machine that wrote it and send the event again`,
    },
    {
      title: 'timestamp: year 9999',
      row: rawRow({ payload: JSON.stringify(dataPayload), timestamp: BigInt(Date.UTC(9999, 0, 1)) * 1000n }, t),
      message: `event timestamp 9999-01-01T00:00:00.000Z is in the future (clean room time ${new Date(t + 30_000).toISOString()}): fix the clock of the machine that wrote it and send the event again`,
    },
    {
      title: 'timestamp: the largest long (beyond any date)',
      row: rawRow({ payload: JSON.stringify(dataPayload), timestamp: 9223372036854775807n }, t),
      message: 'timestamp 9223372036854775807 is outside the range of dates: write the time the event was written (microseconds since 1970)',
    },
    {
      title: 'timestamp: the smallest long',
      row: rawRow({ payload: JSON.stringify(dataPayload), timestamp: -9223372036854775808n }, t),
      message: 'timestamp -9223372036854775808 is outside the range of dates: write the time the event was written (microseconds since 1970)',
    },
  ];
  return list;

  function seedCode(name: string, contents: string): ReturnType<typeof rawRow> {
    const payload = { code_name: name, description: '', path_to_notebook: `/Users/x/${name}`, action: 'INSERT', default_parameters: '{}', notebook_contents: contents, notebook_contents_hash: sha256(contents), notebook_language: 'SQL' };
    return rawRow({ event_type: 'CODE', api_version: '1', payload: JSON.stringify(payload), notebook: '/Repos/x/register_code' }, t);
  }
}

/** Rows without a usable uuid are reported under a synthetic id naming their version and position. */
function withStatusUuids(list: Case[], version: number, firstIndex: number): Case[] {
  return list.map((c, i) => (typeof c.row.uuid === 'string' && /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/.test(c.row.uuid) ? c : { ...c, statusUuid: `no-uuid-v${version}-${firstIndex + i}` }));
}

const DUP = 'dup-0000-0000-0000-0001';
const goodData = () => seed.data('advertiser.conversions', 'INSERT', 'gs://advertiser-bucket/input/conversions', 'delta', t);

beforeAll(async () => {
  room = new HostileRoom();
  await room.setUp();
  t = await room.registerKeeperBasics();
  const list = cases();
  const dupFirst = cli.code('adv_dup_first', 'INSERT', 'SELECT 1', { atMs: t });
  const dupSame = cli.code('adv_dup_same_table', 'INSERT', 'SELECT 2', { atMs: t });
  dupFirst.uuid = DUP;
  dupSame.uuid = DUP;
  // The duplicates go first: rows stamped in the future are ordered after the other participants' events.
  corpusVersion = await room.sendBatch(ADVERTISER_BUCKET, [dupFirst, dupSame, ...list.map((c) => c.row), goodData()]);
  corpus.push(...withStatusUuids(list, corpusVersion, 2));
  // The agency reuses the advertiser's uuid a second later (ordered after it across participants).
  const dupOther = cli.code('agency_dup', 'INSERT', 'SELECT 3', { atMs: t + 1000 });
  dupOther.uuid = DUP;
  await room.sendBatch(AGENCY_BUCKET, [dupOther, cli.code('agency_fine', 'INSERT', 'SELECT 4', { atMs: t + 1000 })]);
  await room.pass();
}, 60_000);
afterAll(() => room.cleanup());

describe('hostile payloads and envelope columns in one pass', () => {
  test('the corpus is big enough', () => {
    expect(corpus.length).toBeGreaterThanOrEqual(40);
  });

  test.each(cases().map((c, i) => [c.title, i] as const))('%s', async (_title, i) => {
    const c = corpus[i];
    expect(outcomeOf(await room.statuses(ADVERTISER_BUCKET), c)).toEqual(expected(c));
  });

  test('processing continued: the dataset sent after all of them is registered; the pass reported no error', async () => {
    const rows = await room.read(ADVERTISER_BUCKET, 'event_status');
    expect(rows[rows.length - 1]).toMatchObject({
      status: 'SUCCESS',
      message: 'dataset advertiser.conversions registered (delta at gs://advertiser-bucket/input/conversions); jobs can read it as advertiser.conversions',
    });
    expect(rows).toHaveLength(corpus.length + 3);
    expect(room.lastReport?.errors).toEqual([]);
    expect((await room.read(ADVERTISER_BUCKET, 'data')).map((d) => d.data_metastore_name)).toEqual(['advertiser.conversions', 'publisher.users']);
  });

  test('no refused event registered anything', async () => {
    const code = (await room.read(ADVERTISER_BUCKET, 'code')).map((c) => c.code_name);
    expect(code).toEqual(['adv_dup_first', 'kp_count']);
    expect(await room.read(ADVERTISER_BUCKET, 'jobs')).toEqual([]);
  });
});

describe('duplicate event uuids', () => {
  const duplicate = `duplicate event: you already sent an event with uuid ${DUP}; send a new event with a fresh uuid`;

  test('the same uuid twice in one table: the first applies, the second is refused', async () => {
    const rows = (await room.statuses(ADVERTISER_BUCKET)).get(DUP) ?? [];
    expect(rows.map((r) => [r.status, r.message])).toEqual([
      ['SUCCESS', `code "adv_dup_first" registered (SQL, sha256 ${sha256('SELECT 1')}, version ${versionHash('SELECT 1')}); it awaits the keeper's approval`],
      ['ERROR', duplicate],
    ]);
  });

  test('another participant using the same uuid is served too: uuids are unique per participant', async () => {
    const rows = await room.read(AGENCY_BUCKET, 'event_status');
    expect(rows.map((r) => [r.event_uuid === DUP, r.status, r.message])).toEqual([
      [true, 'SUCCESS', `code "agency_dup" registered (SQL, sha256 ${sha256('SELECT 3')}, version ${versionHash('SELECT 3')}); it awaits the keeper's approval`],
      [false, 'SUCCESS', `code "agency_fine" registered (SQL, sha256 ${sha256('SELECT 4')}, version ${versionHash('SELECT 4')}); it awaits the keeper's approval`],
    ]);
  });

  test('a uuid processed in an earlier pass is refused in a later one, even for a different request', async () => {
    const again = goodData();
    again.uuid = DUP;
    const fresh = cli.code('adv_after_dup', 'INSERT', 'SELECT 5', { atMs: t });
    await room.sendBatch(ADVERTISER_BUCKET, [again, fresh]);
    const report = await room.pass();
    expect(report.events.map((e) => [e.eventUuid, e.status, e.message])).toEqual([
      [DUP, 'ERROR', duplicate],
      [fresh.uuid, 'SUCCESS', `code "adv_after_dup" registered (SQL, sha256 ${sha256('SELECT 5')}, version ${versionHash('SELECT 5')}); it awaits the keeper's approval`],
    ]);
  });
});
