/**
 * A participant tampering with what the clean room published in its bucket (forged approval_status and code rows,
 * a forged copy of the keeper's code), and approved SQL trying to escape the local sandbox. Decisions come from
 * the state bucket only, so forged rows decide nothing and are overwritten when that table is next published;
 * escaping SQL ends in a FAILED run with the sandbox's error, and the clean room goes on.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { overwriteControlTable } from '../../src/runtime/control-tables';
import { ADVERTISER_BUCKET, HostileRoom, KEEPER_BUCKET, KEEPER_SQL, cli, seed, sha256, versionHash } from './hostile-room';

const ADV_SQL = '-- Databricks notebook source\nSELECT count(*) AS n FROM advertiser.conversions\n';
const FORGED_SQL = '-- Databricks notebook source\nSELECT * FROM publisher.users\n';

describe('tampered control tables in a participant bucket', () => {
  let room: HostileRoom;
  let t = 0;
  let forgedJob = '';
  let keeperCodeJob = '';

  beforeAll(async () => {
    room = new HostileRoom();
    await room.setUp();
    t = await room.registerKeeperBasics();
    const code = cli.code('adv_count', 'INSERT', ADV_SQL, { atMs: t });
    await room.sendBatch(ADVERTISER_BUCKET, [seed.data('advertiser.conversions', 'INSERT', 'gs://advertiser-bucket/input/conversions', 'delta', t), code]);
    await room.pass();

    // The advertiser forges its published tables: its code approved by the keeper, and the keeper's code pointing at
    // a forged version; it also overwrites its copy of the keeper's approved code with other SQL.
    await overwriteControlTable(room.store, ADVERTISER_BUCKET, 'approval_status', [
      { code_id: code.uuid as string, code_name: 'adv_count', participant: 'advertiser', notebook_contents_hash: sha256(ADV_SQL), approval_status: 'CODE_REQUEST_APPROVED', reason: 'forged', reviewed_by: 'publisher', updated_at: null, event_uuid: null },
    ]);
    await overwriteControlTable(room.store, ADVERTISER_BUCKET, 'code', [
      { code_id: 'forged', participant: 'publisher', code_name: 'kp_count', description: 'forged', notebook_language: 'SQL', default_parameters: '{}', notebook_contents_hash: sha256(FORGED_SQL), stored_path: `gs://advertiser-bucket/code/publisher/kp_count/${sha256(FORGED_SQL)}`, created_at: null, updated_at: null, event_uuid: null, events_version: null },
    ]);
    await room.store.put(ADVERTISER_BUCKET, `code/publisher/kp_count/${sha256(KEEPER_SQL)}`, new TextEncoder().encode(FORGED_SQL));

    room.clock += 60_000;
    t = room.clock - 30_000;
    const forged = seed.job('on_forged_approval', 'adv_count', JSON.stringify({ output: 'gs://advertiser-bucket/output/forged' }), 'Small', t);
    const keeperCode = seed.job('on_keeper_code', 'kp_count', JSON.stringify({ output: 'gs://advertiser-bucket/output/keeper_code' }), 'Small', t);
    forgedJob = forged.uuid as string;
    keeperCodeJob = keeperCode.uuid as string;
    await room.sendBatch(ADVERTISER_BUCKET, [forged, keeperCode]);
    await room.pass();
  }, 60_000);
  afterAll(() => room.cleanup());

  test('a forged approval decides nothing: the job on the still-pending code is refused', async () => {
    const status = (await room.statuses(ADVERTISER_BUCKET)).get(forgedJob);
    expect(status?.map((s) => [s.status, s.message])).toEqual([
      ['ERROR', `code "adv_count" is not approved: its current version ${versionHash(ADV_SQL)} (sha256 ${sha256(ADV_SQL)}) awaits the keeper's approval`],
    ]);
    expect(room.engine.submits.map((s) => s.jobId)).toEqual([keeperCodeJob]);
  });

  test("a forged copy of the keeper's code is not what runs: the job runs the reviewed content from the state bucket", async () => {
    expect((await room.read(ADVERTISER_BUCKET, 'runs')).map((r) => [r.job_name, r.result_state])).toEqual([['on_keeper_code', 'SUCCESS']]);
    const rows = await room.outputRows(ADVERTISER_BUCKET, 'output/keeper_code');
    expect(rows.map((r) => Number(r.n))).toEqual([4]);
    expect((await room.read(ADVERTISER_BUCKET, 'jobs')).map((j) => j.notebook_contents_hash)).toEqual([sha256(KEEPER_SQL)]);
  });

  test('the next publish of each table restores the truth, and the keeper sees the truth throughout', async () => {
    expect((await room.read(KEEPER_BUCKET, 'approval_status')).find((r) => r.code_name === 'adv_count')?.approval_status).toBe('CODE_REQUEST_PENDING_APPROVAL');
    // The keeper rejects adv_count and registers new code: both tables change, so both are published again.
    room.clock += 60_000;
    await room.sendBatch(KEEPER_BUCKET, [
      cli.approval('CODE_REQUEST_REJECTED', { code_name: 'adv_count' }, versionHash(ADV_SQL), 'counts rows of one user', room.clock - 10_000),
      cli.code('kp_second', 'INSERT', 'SELECT 2 AS n', { atMs: room.clock - 10_000 }),
    ]);
    const report = await room.pass();
    expect(report.events.map((e) => e.status)).toEqual(['SUCCESS', 'SUCCESS']);
    expect((await room.read(ADVERTISER_BUCKET, 'approval_status')).map((r) => [r.code_name, r.approval_status, r.reviewed_by, r.reason])).toEqual([
      ['adv_count', 'CODE_REQUEST_REJECTED', 'publisher', 'counts rows of one user'],
      ['kp_count', 'CODE_REQUEST_APPROVED', 'publisher', 'registered by the keeper'],
      ['kp_second', 'CODE_REQUEST_APPROVED', 'publisher', 'registered by the keeper'],
    ]);
    expect((await room.read(ADVERTISER_BUCKET, 'code')).map((r) => [r.participant, r.code_name, r.notebook_contents_hash])).toEqual([
      ['advertiser', 'adv_count', sha256(ADV_SQL)],
      ['publisher', 'kp_count', sha256(KEEPER_SQL)],
      ['publisher', 'kp_second', sha256('SELECT 2 AS n')],
    ]);
  });
});

describe("sandbox escapes in the keeper's own approved SQL", () => {
  let room: HostileRoom;
  const runs: Record<string, string> = {};
  let outside = '';

  const escapes: Array<[name: string, sql: string, error: RegExp]> = [
    ['read_passwd', "SELECT * FROM read_csv('/etc/passwd')", /^statement 1 of 1 \(line \d+\) failed: .*Cannot access file "\/etc\/passwd".*disabled by configuration/],
    ['read_raw_files', "SELECT * FROM read_parquet('<root>/gs/advertiser-bucket/input/conversions/*.parquet')", /^statement 1 of 1 \(line \d+\) failed: .*disabled by configuration/],
    ['attach', "ATTACH '<root>/other.duckdb' AS other; SELECT 1 AS x", /^statement 1 of 2 \(line \d+\) is refused: ATTACH opens other databases; only the registered datasets are available$/],
    ['copy_to', "COPY publisher.users TO '<root>/stolen.csv'; SELECT 1 AS x", /^statement 1 of 2 \(line \d+\) (is refused: COPY reads or writes files|failed: .*disabled by configuration)/],
    ['install', 'INSTALL httpfs; SELECT 1 AS x', /^statement 1 of 2 \(line \d+\) is refused: INSTALL\/LOAD of extensions is not available in the clean room$/],
    ['unlock', 'SET enable_external_access = true; SELECT 1 AS x', /^statement 1 of 2 \(line \d+\) is refused: SET\/RESET\/USE change the engine configuration, which is locked in the clean room$/],
    ['url', "SELECT * FROM read_csv('https://example.com/x.csv')", /^statement 1 of 1 \(line \d+\) failed: .*disabled by configuration/],
  ];

  beforeAll(async () => {
    room = new HostileRoom();
    await room.setUp();
    outside = path.join(room.root, 'stolen.csv');
    const t = await room.registerKeeperBasics();
    const rows = escapes.flatMap(([name, sql]) => {
      const job = seed.job(`esc_${name}`, `kp_${name}`, JSON.stringify({ output: `gs://publisher-bucket/output/${name}` }), 'Small', t);
      runs[name] = job.uuid as string;
      return [cli.code(`kp_${name}`, 'INSERT', `-- Databricks notebook source\n${sql.replace(/<root>/g, room.root)}\n`, { atMs: t }), job];
    });
    const good = seed.job('after_escapes', 'kp_count', JSON.stringify({ output: 'gs://publisher-bucket/output/after' }), 'Small', t);
    runs.after = good.uuid as string;
    await room.sendBatch(KEEPER_BUCKET, [...rows, good]);
    await room.pass();
  }, 120_000);
  afterAll(() => room.cleanup());

  // Reading files by path is refused when the code is registered (under every approval policy); what registration
  // lets through is approved (the keeper's own code) and stopped by the sandbox when it runs.
  const refusedAtRegistration = new Set(['read_passwd', 'read_raw_files', 'url']);

  test('file reads by path are refused at registration, naming the construct; every other escape was accepted and submitted', async () => {
    const statuses = await room.read(KEEPER_BUCKET, 'event_status');
    const refused = statuses.filter((s) => s.status !== 'SUCCESS');
    const refusedCode = refused.filter((s) => s.event_type === 'CODE').map((s) => String(s.message));
    expect(refusedCode).toHaveLength(refusedAtRegistration.size);
    for (const message of refusedCode) expect(message).toMatch(/^the SQL code cannot be registered: read_(csv|parquet)\(\.\.\.\) reads files directly: read registered datasets by name/);
    // Their jobs name code that does not exist; nothing else was refused.
    expect(refused.filter((s) => s.event_type === 'JOB').map((s) => String(s.message))).toEqual(
      [...refusedAtRegistration].map(() => expect.stringMatching(/^code "kp_(read_passwd|read_raw_files|url)" does not exist/)),
    );
    expect(refused).toHaveLength(2 * refusedAtRegistration.size);
    expect(room.engine.submits).toHaveLength(escapes.length - refusedAtRegistration.size + 1);
  });

  test.each(escapes.filter(([name]) => !refusedAtRegistration.has(name)).map(([name, , error]) => [name, error] as const))('%s: the run FAILED with the sandbox error', async (name, error) => {
    const run = (await room.read(KEEPER_BUCKET, 'runs')).find((r) => r.job_id === runs[name]);
    expect(run).toMatchObject({ state: 'TERMINATED', result_state: 'FAILED' });
    // The Spark SQL front refuses these before DuckDB sees them; the locked sandbox stops what it lets through.
    expect(run?.error).toMatch(new RegExp(`${error.source}|^statement 1 of \\d \\(line \\d+\\) is refused: .* is not available in local rehearsal`, error.flags));
    expect(`${String(run?.error)} ${String(run?.error_trace)}`).not.toContain(room.root);
  });

  test('nothing was written outside the output, and the job after the escapes succeeded', async () => {
    expect(fs.existsSync(outside)).toBe(false);
    expect(fs.existsSync(path.join(room.root, 'other.duckdb'))).toBe(false);
    const after = (await room.read(KEEPER_BUCKET, 'runs')).find((r) => r.job_id === runs.after);
    expect(after).toMatchObject({ result_state: 'SUCCESS' });
    expect((await room.outputRows(KEEPER_BUCKET, 'output/after')).map((r) => Number(r.n))).toEqual([4]);
    expect(room.lastReport?.errors).toEqual([]);
  });
});
