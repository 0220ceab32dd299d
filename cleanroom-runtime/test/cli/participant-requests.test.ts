/** `cleanroom data|code|job ...`: each command appends exactly one well-formed api_version 2 event, or none and says why. */
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { sha256, versionHash } from '../processor/fixtures';
import { micros, REPO_ROOT, Sandbox, START_MS } from './participant-harness';

let box: Sandbox;
beforeEach(async () => {
  box = await Sandbox.create();
});
afterEach(async () => {
  await box.remove();
});

const SQL = 'SELECT country, count(*) AS n FROM advertiser.conversions GROUP BY country\n';

describe('identity', () => {
  test('missing identity names both ways to give it and the participants', async () => {
    const result = await box.run(['data', 'delete', 'advertiser.x']);
    expect(result.error?.message).toBe('who are you? Give your participant name with --as <participant> or CLEANROOM_PARTICIPANT (one of: advertiser, measurement, publisher)');
    expect(await box.eventRows('advertiser')).toEqual([]);
  });

  test('an unknown participant is refused; CLEANROOM_PARTICIPANT is used when --as is absent', async () => {
    const unknown = await box.run(['data', 'delete', 'advertiser.x', '--as', 'mallory']);
    expect(unknown.error?.message).toBe('participant "mallory" is not in the clean room "retail-media": use one of advertiser, measurement, publisher');
    const fromEnv = await box.run(['data', 'delete', 'advertiser.x'], { env: { CLEANROOM_PARTICIPANT: 'advertiser' } });
    expect(fromEnv.error).toBeUndefined();
    expect(await box.parsedEvents('advertiser')).toHaveLength(1);
  });

  test('a missing configuration folder is a clear error', async () => {
    const result = await box.run(['data', 'delete', 'advertiser.x', '--as', 'advertiser', '--config', path.join(box.dir, 'nope')]);
    expect(result.error?.message).toContain(`cannot use the clean room configuration at ${path.join(box.dir, 'nope')}`);
  });
});

describe('data', () => {
  test('register appends one DATA INSERT event with the seed envelope and prints its uuid', async () => {
    const uuid = box.nextUuid();
    const result = await box.run([
      'data', 'register', 'advertiser.conversions', '--as', 'advertiser',
      '--location', 'gs://advertiser-cleanroom-data/input/conversions/', '--format', 'DELTA', '--description', 'orders by day',
    ]);
    expect(result.error).toBeUndefined();
    expect(result.stdout).toBe(`${uuid}\n`);
    const rows = await box.eventRows('advertiser');
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ uuid, event_type: 'DATA', user: 'alice@example.com', notebook: 'cleanroom-cli', hostname: 'test-host', api_version: '2', timestamp: BigInt(START_MS) * 1000n });
    const [event] = await box.parsedEvents('advertiser');
    expect(event).toMatchObject({ type: 'DATA', action: 'INSERT', dataMetastoreName: 'advertiser.conversions', location: 'gs://advertiser-cleanroom-data/input/conversions', format: 'delta', description: 'orders by day' });
  });

  test('update and delete map to UPDATE and DELETE; delete needs no location', async () => {
    await box.run(['data', 'update', 'advertiser.conversions', '--as', 'advertiser', '--location', 'gs://advertiser-cleanroom-data/input/c2', '--format', 'parquet']);
    await box.run(['data', 'delete', 'advertiser.conversions', '--as', 'advertiser']);
    const events = await box.parsedEvents('advertiser');
    expect(events.map((e) => e.type === 'DATA' && [e.action, e.location, e.format])).toEqual([['UPDATE', 'gs://advertiser-cleanroom-data/input/c2', 'parquet'], ['DELETE', '', '']]);
  });

  test('update leaves out a description not given (the clean room keeps it); --description "" clears it', async () => {
    const where = ['--as', 'advertiser', '--location', 'gs://advertiser-cleanroom-data/input/c2', '--format', 'delta'];
    await box.run(['data', 'update', 'advertiser.conversions', ...where]);
    await box.run(['data', 'update', 'advertiser.conversions', ...where, '--description', '']);
    const payloads = (await box.eventRows('advertiser')).map((row) => JSON.parse(String(row.payload)) as Record<string, unknown>);
    expect(payloads.map((p) => ['description' in p, p.description])).toEqual([[false, undefined], [true, '']]);
  });

  test.each([
    [['publisher.users', '--location', 'gs://advertiser-cleanroom-data/input/u', '--format', 'delta'], 'data_metastore_name "publisher.users" is in database "publisher": you can only register tables of your own database, advertiser.<table>'],
    [['advertiser.users', '--location', 'gs://publisher-cleanroom-data/input/u', '--format', 'delta'], 'location gs://publisher-cleanroom-data/input/u is outside your bucket gs://advertiser-cleanroom-data: register data stored in your own bucket (e.g. gs://advertiser-cleanroom-data/input/<table>)'],
    [['advertiser.users', '--location', 'gs://advertiser-cleanroom-data/input/u', '--format', 'excel'], 'format "excel" is not supported: use delta (preferred), parquet, json, avro or csv'],
    [['advertiser.users', '--format', 'delta'], '--location is required to register a dataset: where it is stored, e.g. --location gs://advertiser-cleanroom-data/input/users'],
  ])('register %j is refused before any event is written', async (args, message) => {
    const result = await box.run(['data', 'register', ...args, '--as', 'advertiser']);
    expect(result.error?.message).toBe(message);
    expect(await box.eventRows('advertiser')).toEqual([]);
  });
});

describe('code', () => {
  test('register sends the source, its sha256 and the language from the extension', async () => {
    const file = await box.writeFile('lift.sql', SQL);
    const result = await box.run(['code', 'register', 'adv_lift', '--as', 'advertiser', '--file', file, '--description', 'lift', '--default-params', '{"country": "FR", "days": 7}']);
    expect(result.error).toBeUndefined();
    expect(result.stderr).toContain(`SQL code, sha256 ${sha256(SQL)}`);
    const [event] = await box.parsedEvents('advertiser');
    expect(event).toMatchObject({
      type: 'CODE', action: 'INSERT', codeName: 'adv_lift', description: 'lift', pathToNotebook: 'lift.sql',
      notebookContents: SQL, notebookContentsHash: sha256(SQL), notebookLanguage: 'SQL', defaultParameters: '{"country":"FR","days":7}',
    });
  });

  test.each([
    ['job.py', 'print(1)\n', 'PYTHON'],
    ['job.scala', 'println(1)\n', 'SCALA'],
    ['job.r', 'x <- 1\n', 'R'],
    ['export.txt', '-- Databricks notebook source\nSELECT 1\n', 'SQL'],
    ['export.txt', '# Databricks notebook source\nprint(1)\n', 'PYTHON'],
    ['export.txt', '// Databricks notebook source\nprintln(1)\n', 'SCALA'],
  ])('%s with %j is %s', async (name, text, language) => {
    const file = await box.writeFile(name, text);
    await box.run(['code', 'register', 'c1', '--as', 'advertiser', '--file', file]);
    const [event] = await box.parsedEvents('advertiser');
    expect(event.type === 'CODE' && [event.notebookLanguage, event.notebookContentsHash]).toEqual([language, sha256(text)]);
  });

  test('unknown language, bad default parameters and bad names are refused without an event', async () => {
    const txt = await box.writeFile('notes.txt', 'SELECT 1\n');
    const sql = await box.writeFile('ok.sql', SQL);
    const language = await box.run(['code', 'register', 'c1', '--as', 'advertiser', '--file', txt]);
    expect(language.error?.message).toBe(`--file ${txt}: cannot tell the notebook's language: start it with a Databricks source header (e.g. '-- Databricks notebook source') or use a .sql, .py, .scala or .r file`);
    const params = await box.run(['code', 'register', 'c1', '--as', 'advertiser', '--file', sql, '--default-params', "{country: 'FR'}"]);
    expect(params.error?.message).toBe('--default-params is not valid JSON: write a JSON object with double quotes, e.g. {"output": "gs://bucket/output/x"}');
    const name = await box.run(['code', 'register', '../etc', '--as', 'advertiser', '--file', sql]);
    expect(name.error?.message).toContain('code name "../etc" is not allowed');
    const missing = await box.run(['code', 'update', 'c1', '--as', 'advertiser']);
    expect(missing.error?.message).toBe('--file is required to update code: the notebook or SQL file to send (- reads standard input)');
    expect(await box.eventRows('advertiser')).toEqual([]);
  });

  test('update sends only the fields given, so the clean room keeps the others; "" and {} are sent to clear', async () => {
    const file = await box.writeFile('v2.sql', SQL);
    await box.run(['code', 'update', 'adv_lift', '--as', 'advertiser', '--file', file]);
    await box.run(['code', 'update', 'adv_lift', '--as', 'advertiser', '--file', file, '--description', '', '--default-params', '{}']);
    await box.run(['code', 'register', 'adv_new', '--as', 'advertiser', '--file', file]);
    const payloads = (await box.eventRows('advertiser')).map((row) => JSON.parse(String(row.payload)) as Record<string, unknown>);
    expect(payloads.map((p) => [p.action, p.description, p.default_parameters])).toEqual([
      ['UPDATE', undefined, undefined],
      ['UPDATE', '', '{}'],
      ['INSERT', '', '{}'],
    ]);
  });

  test('delete sends a CODE DELETE without contents', async () => {
    await box.run(['code', 'delete', 'adv_lift', '--as', 'advertiser']);
    const [event] = await box.parsedEvents('advertiser');
    expect(event).toMatchObject({ type: 'CODE', action: 'DELETE', codeName: 'adv_lift', notebookContents: null, notebookContentsHash: null });
  });
});

describe('code approve / reject', () => {
  const HASH = sha256(SQL);

  const VERSION = versionHash(SQL);
  const pendingRow = { code_id: 'code-41', code_name: 'adv_lift', participant: 'advertiser', notebook_contents_hash: HASH, version_hash: VERSION, approval_status: 'CODE_REQUEST_PENDING_APPROVAL', reason: null, reviewed_by: null, updated_at: micros('2024-06-01T10:00:00Z'), event_uuid: 'e-1' };

  test('approve pins the reviewed version hash and the code id from the published approval_status', async () => {
    await box.publish('publisher', 'approval_status', [pendingRow]);
    const uuid = box.nextUuid();
    const result = await box.run(['code', 'approve', 'adv_lift', '--as', 'publisher', '--hash', VERSION.toUpperCase(), '--reason', 'aggregates only']);
    expect(result.stdout).toBe(`${uuid}\n`);
    const [event] = await box.parsedEvents('publisher');
    expect(event).toMatchObject({ type: 'CODE_REQUEST_APPROVED', uuid, dedupKey: `publisher/${uuid}`, codeId: 'code-41', codeName: 'adv_lift', reviewedVersionHash: VERSION, reviewedHash: HASH, reason: 'aggregates only' });
  });

  test('the content sha256 given instead of the version hash is refused with the version to approve', async () => {
    await box.publish('publisher', 'approval_status', [pendingRow]);
    const result = await box.run(['code', 'approve', 'adv_lift', '--as', 'publisher', '--hash', HASH]);
    expect(result.error?.message).toBe(
      `${HASH} is the content sha256 of "adv_lift"; approve its version hash ${VERSION} (shown by \`cleanroom code pending\`), which also covers its language and default parameters`,
    );
    expect(await box.eventRows('publisher')).toEqual([]);
  });

  test('reject without --reason, a malformed hash and a collaborator are refused without an event', async () => {
    const noReason = await box.run(['code', 'reject', 'adv_lift', '--as', 'publisher', '--hash', HASH]);
    expect(noReason.error?.message).toBe('--reason is required to reject code: say what must change in "adv_lift" so its owner can fix it');
    const badHash = await box.run(['code', 'approve', 'adv_lift', '--as', 'publisher', '--hash', 'abc123']);
    expect(badHash.error?.message).toBe('--hash "abc123" is not a sha256 hex digest (64 hex characters): copy the version hash from `cleanroom code pending`');
    const collaborator = await box.run(['code', 'approve', 'adv_lift', '--as', 'advertiser', '--hash', HASH]);
    expect(collaborator.error?.message).toBe('only the keeper (publisher) can approve code; advertiser is a collaborator');
    expect(await box.eventRows('publisher')).toEqual([]);
    expect(await box.eventRows('advertiser')).toEqual([]);
  });

  test('reject with a reason and no published table sends the name only', async () => {
    await box.run(['code', 'reject', 'adv_lift', '--as', 'publisher', '--hash', HASH, '--reason', 'returns user ids']);
    const [event] = await box.parsedEvents('publisher');
    expect(event).toMatchObject({ type: 'CODE_REQUEST_REJECTED', codeId: null, codeName: 'adv_lift', reviewedVersionHash: HASH, reviewedHash: null, reason: 'returns user ids' });
  });
});

describe('job submit', () => {
  test('appends one JOB event with normalised parameters and the compute size', async () => {
    const result = await box.run(['job', 'submit', 'weekly_lift', '--as', 'advertiser', '--code', 'adv_lift', '--params', '{"output": "gs://advertiser-cleanroom-data/output/weekly", "days": 7}', '--compute', 'Small']);
    expect(result.error).toBeUndefined();
    const [event] = await box.parsedEvents('advertiser');
    expect(event).toMatchObject({ type: 'JOB', jobName: 'weekly_lift', codeName: 'adv_lift', parameters: '{"output":"gs://advertiser-cleanroom-data/output/weekly","days":7}', compute: 'Small', schedule: 'ad-hoc' });
  });

  test.each([
    [['--params', 'output=gs://x', '--compute', 'Small'], '--params is not valid JSON: write a JSON object with double quotes, e.g. {"output": "gs://bucket/output/x"}'],
    [['--params', '["a"]', '--compute', 'Small'], '--params must be a JSON object of parameter names to values, e.g. {"country": "FR"}'],
    [['--params', '{"output": "gs://advertiser-cleanroom-data/output/w"}', '--compute', '5X-Large'], '--compute "5X-Large" is not offered by this clean room: use one of 2X-Small, X-Small, Small, Medium, Large, X-Large, 2X-Large, 3X-Large, 4X-Large'],
    [['--params', '{"output": "gs://publisher-cleanroom-data/output/w"}', '--compute', 'Small'], 'parameter "output" gs://publisher-cleanroom-data/output/w is outside gs://advertiser-cleanroom-data/output/: write results below your own output folder, e.g. gs://advertiser-cleanroom-data/output/<job name>'],
  ])('%j is refused before any event is written', async (args, message) => {
    const result = await box.run(['job', 'submit', 'weekly', '--as', 'advertiser', '--code', 'adv_lift', ...args]);
    expect(result.error?.message).toBe(message);
    expect(await box.eventRows('advertiser')).toEqual([]);
  });

  test('without "output" in --params or in the published defaults of the code, it is refused', async () => {
    await box.publish('advertiser', 'code', [
      { code_id: 'c-1', participant: 'advertiser', code_name: 'adv_lift', description: '', notebook_language: 'SQL', default_parameters: '{"days":"7"}', notebook_contents_hash: sha256(SQL), stored_path: null, created_at: null, updated_at: null, event_uuid: 'e', events_version: 1n },
    ]);
    const result = await box.run(['job', 'submit', 'weekly', '--as', 'advertiser', '--code', 'adv_lift', '--compute', 'Small']);
    expect(result.error?.message).toBe('parameter "output" is required: add it to --params, e.g. --params \'{"output": "gs://advertiser-cleanroom-data/output/<job name>"}\'');
    expect(await box.eventRows('advertiser')).toEqual([]);
  });
});

describe('scheduled jobs', () => {
  test('--schedule sends the normalised cron; a bad one is refused before any event is written', async () => {
    const args = ['job', 'submit', 'weekly', '--as', 'advertiser', '--code', 'adv_lift', '--params', '{"output": "gs://advertiser-cleanroom-data/output/weekly"}', '--compute', 'Small'];
    expect((await box.run([...args, '--schedule', '0  6 * * MON'])).error).toBeUndefined();
    const [event] = await box.parsedEvents('advertiser');
    expect(event).toMatchObject({ type: 'JOB', action: 'INSERT', jobName: 'weekly', schedule: '0 6 * * MON' });
    const bad = await box.run([...args, '--schedule', '0 0 31 2 *']);
    expect(bad.error?.message).toBe('--schedule: schedule "0 0 31 2 *" is refused: it never runs: day 31 does not exist in FEB; choose days that exist in the chosen months');
    expect(await box.eventRows('advertiser')).toHaveLength(1);
  });

  test('job delete sends a JOB DELETE naming the job only', async () => {
    expect((await box.run(['job', 'delete', 'weekly', '--as', 'advertiser'])).error).toBeUndefined();
    const [event] = await box.parsedEvents('advertiser');
    expect(event).toMatchObject({ type: 'JOB', action: 'DELETE', jobName: 'weekly', codeName: '', compute: '' });
    expect((await box.run(['job', 'delete', 'bad/name', '--as', 'advertiser'])).error?.message).toMatch(/^job name "bad\/name" is not allowed/);
  });
});

describe('the installed CLI', () => {
  test('bin/cleanroom.js registers the participant commands and writes to the local root', async () => {
    const result = spawnSync(
      process.execPath,
      [path.join(REPO_ROOT, 'cleanroom-runtime/bin/cleanroom.js'), 'data', 'register', 'measurement.exposures', '--location', 'gs://measurement-cleanroom-data/input/exposures', '--format', 'parquet'],
      { encoding: 'utf8', env: { ...process.env, CLEANROOM_PARTICIPANT: 'measurement', CLEANROOM_CONFIG_DIR: box.configDir, CLEANROOM_LOCAL_ROOT: box.localRoot } },
    );
    expect(result.stderr).toBe('DATA event written to gs://measurement-cleanroom-data/control/events (version 1)\n');
    expect(result.status).toBe(0);
    const [event] = await box.parsedEvents('measurement');
    expect(result.stdout).toBe(`${event.uuid}\n`);
    expect(event.uuid).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(event).toMatchObject({ type: 'DATA', dataMetastoreName: 'measurement.exposures', format: 'parquet' });
  });
});
