/**
 * Hostile approvals and jobs over real passes: approvals by collaborators, of a stale hash (api_version 2) or of
 * a version written after the approval (api_version 1 rows as the seed writes them), of deleted or mismatched
 * code; jobs on pending, rejected, deleted, stale or another collaborator's code, with unknown compute sizes or
 * schedules; and SQL injection through parameter values, run for real on the local engine.
 */
import {
  ADVERTISER_BUCKET,
  AGENCY_BUCKET,
  HostileRoom,
  KEEPER_BUCKET,
  cli,
  expected,
  outcomeOf,
  seed,
  sha256,
  type Case,
  versionHash,
} from './hostile-room';

const INJECTABLE_SQL = [
  '-- Databricks notebook source',
  'SELECT :label AS label, count(*) AS n',
  'FROM advertiser.conversions',
  'WHERE user_id = :user AND amount >= :min_amount',
  '',
].join('\n');
const STALE_V1 = 'SELECT 1 AS reviewed';
const STALE_V2 = 'SELECT * FROM publisher.users -- changed after the review';
const SIZES = '2X-Small, X-Small, Small, Medium, Large, X-Large, 2X-Large, 3X-Large, 4X-Large';
const REJECTION = 'joins on raw user ids';

let room: HostileRoom;
const ids: Record<string, string> = {};
const approvalCases: Case[] = [];
const jobCases: Case[] = [];
const agencyJobCases: Case[] = [];
/** Cases not sent by the advertiser, and whose bucket they were sent from. */
const sender = new Map<Case, string>();
const injection: Record<'quoted' | 'unquoted' | 'plain', string> = { quoted: '', unquoted: '', plain: '' };

const out = (name: string) => JSON.stringify({ output: `gs://advertiser-bucket/output/${name}` });

beforeAll(async () => {
  room = new HostileRoom();
  await room.setUp();
  let t = await room.registerKeeperBasics();

  // Pass A: the advertiser registers its dataset and five pieces of code (all pending).
  const register = (name: string, source: string) => {
    const row = cli.code(name, 'INSERT', source, { atMs: t, defaults: name === 'adv_inject' ? '{"min_amount": "0"}' : '{}' });
    ids[name] = row.uuid as string;
    return row;
  };
  await room.sendBatch(ADVERTISER_BUCKET, [
    seed.data('advertiser.conversions', 'INSERT', 'gs://advertiser-bucket/input/conversions', 'delta', t),
    register('adv_pending', 'SELECT 1 AS pending'),
    register('adv_rejected', 'SELECT user_id FROM advertiser.conversions'),
    register('adv_deleted', 'SELECT 1 AS deleted'),
    register('adv_stale', STALE_V1),
    register('adv_inject', INJECTABLE_SQL),
  ]);
  const a = await room.pass();
  expect(a.events.map((e) => e.status)).toEqual(Array(6).fill('SUCCESS'));

  // Pass B: the advertiser changes adv_stale and deletes adv_deleted; then the keeper decides, partly on stale facts.
  room.clock += 60_000;
  t = room.clock - 30_000;
  const advertiserB: Case[] = [
    { title: 'approval: a collaborator approves its own code (api_version 2)', row: cli.approval('CODE_REQUEST_APPROVED', { code_name: 'adv_pending' }, versionHash('SELECT 1 AS pending'), 'lgtm', t), message: 'only the keeper can approve code' },
    { title: 'approval: a collaborator approves its own code (api_version 1, seed row)', row: seed.approval('CODE_REQUEST_APPROVED', ids.adv_pending, 'approved by me', t), message: 'only the keeper can approve code' },
    { title: 'approval: a collaborator rejects code', row: seed.approval('CODE_REQUEST_REJECTED', ids.adv_stale, 'no', t), message: 'only the keeper can reject code' },
  ];
  await room.sendBatch(ADVERTISER_BUCKET, [
    cli.code('adv_stale', 'UPDATE', STALE_V2, { atMs: t }),
    cli.row('CODE', { code_name: 'adv_deleted', action: 'DELETE' }, t),
    ...advertiserB.map((c) => c.row),
  ]);
  const agencyB: Case = { title: 'approval: another collaborator rejects code (api_version 1)', row: seed.approval('CODE_REQUEST_REJECTED', ids.adv_inject, 'mine now', t), message: 'only the keeper can reject code' };
  await room.sendBatch(AGENCY_BUCKET, [agencyB.row]);
  sender.set(agencyB, AGENCY_BUCKET);
  const k = t + 1000;
  const keeperB: Case[] = [
    {
      title: 'approval: the keeper approves a hash that is no longer current (api_version 2)',
      row: cli.approval('CODE_REQUEST_APPROVED', { code_id: ids.adv_stale, code_name: 'adv_stale' }, versionHash(STALE_V1), 'reviewed v1', k),
      message: `code "adv_stale" changed since you reviewed it: you reviewed version ${versionHash(STALE_V1)}, the current version is ${versionHash(STALE_V2)} (SQL, content sha256 ${sha256(STALE_V2)}, default parameters {}); review the current version and approve again`,
    },
    {
      title: 'approval: the keeper approves, by id, a version written after the approval (api_version 1)',
      row: seed.approval('CODE_REQUEST_APPROVED', ids.adv_stale, 'looks fine', k),
      message: `code "adv_stale" changed after this request was written (new version sha256 ${sha256(STALE_V2)}); review the current version and approve again`,
    },
    {
      title: 'approval: deleted code',
      row: cli.approval('CODE_REQUEST_APPROVED', { code_name: 'adv_deleted' }, versionHash('SELECT 1 AS deleted'), 'ok', k),
      message: 'code "adv_deleted" does not exist (it may have been deleted): check control.code or control.approval_status',
    },
    {
      title: "approval: an id of one code with another code's name",
      row: cli.approval('CODE_REQUEST_APPROVED', { code_id: ids.adv_inject, code_name: 'adv_pending' }, versionHash(INJECTABLE_SQL), 'ok', k),
      message: `code_id ${ids.adv_inject} is the code "adv_inject", not "adv_pending": send the id and name shown in control.approval_status`,
    },
    {
      title: 'approval: an unknown code id',
      row: cli.approval('CODE_REQUEST_APPROVED', { code_id: 'no-such-code' }, versionHash(INJECTABLE_SQL), 'ok', k),
      message: 'code with id no-such-code does not exist (it may have been deleted): check control.code or control.approval_status',
    },
    {
      title: 'approval: SQL in the code name',
      row: cli.approval('CODE_REQUEST_APPROVED', { code_name: "x' OR '1'='1" }, versionHash(INJECTABLE_SQL), 'ok', k),
      message: `code "x' OR '1'='1" does not exist (it may have been deleted): check control.code or control.approval_status`,
    },
    {
      title: 'approval: without a reviewed hash (api_version 2)',
      row: cli.row('CODE_REQUEST_APPROVED', { code_name: 'adv_pending', reason: 'ok' }, k),
      message: 'the request for "adv_pending" names no version_hash: give the version shown by `cleanroom code pending`; review the current version and approve again',
    },
    {
      title: 'approval: only the content hash, which does not cover language or default parameters (api_version 2)',
      row: cli.row('CODE_REQUEST_APPROVED', { code_name: 'adv_pending', notebook_contents_hash: sha256('SELECT 1 AS pending'), reason: 'ok' }, k),
      message: `the request pins only the content sha256 of "adv_pending", which does not cover its language or default parameters: give version_hash ${versionHash('SELECT 1 AS pending')} (the version shown by \`cleanroom code pending\`); review the current version and approve again`,
    },
    {
      title: 'approval: naming no code',
      row: cli.row('CODE_REQUEST_APPROVED', { notebook_contents_hash: sha256(INJECTABLE_SQL) }, k),
      message: 'payload must name the code: give code_id or code_name (as shown in control.approval_status)',
    },
    {
      title: 'rejection: without a reason',
      row: cli.approval('CODE_REQUEST_REJECTED', { code_name: 'adv_pending' }, versionHash('SELECT 1 AS pending'), '   ', k),
      message: 'a rejection needs a reason: say what must change in "adv_pending" so its owner can fix it',
    },
    {
      title: 'rejection: by the keeper, with a reason (control)',
      row: cli.approval('CODE_REQUEST_REJECTED', { code_name: 'adv_rejected' }, versionHash('SELECT user_id FROM advertiser.conversions'), REJECTION, k),
      status: 'SUCCESS',
      message: `code "adv_rejected" version ${versionHash('SELECT user_id FROM advertiser.conversions')} (sha256 ${sha256('SELECT user_id FROM advertiser.conversions')}) rejected: ${REJECTION}`,
    },
    {
      title: 'approval: by the keeper at the current hash (control)',
      row: cli.approval('CODE_REQUEST_APPROVED', { code_id: ids.adv_inject }, versionHash(INJECTABLE_SQL, { defaults: { min_amount: '0' } }), 'aggregates only', k),
      status: 'SUCCESS',
      message: `code "adv_inject" version ${versionHash(INJECTABLE_SQL, { defaults: { min_amount: '0' } })} (sha256 ${sha256(INJECTABLE_SQL)}, SQL, default parameters {"min_amount":"0"}) approved; jobs can use this version`,
    },
  ];
  await room.sendBatch(KEEPER_BUCKET, keeperB.map((c) => c.row));
  for (const c of keeperB) sender.set(c, KEEPER_BUCKET);
  await room.pass();
  approvalCases.push(...advertiserB, agencyB, ...keeperB);

  // Pass C: jobs.
  room.clock += 60_000;
  t = room.clock - 30_000;
  const job = (name: string, code: string, params = out(name), compute = 'Small', schedule = 'ad-hoc') => seed.job(name, code, params, compute, t, schedule);
  jobCases.push(
    { title: 'job: pending code', row: job('j_pending', 'adv_pending'), message: `code "adv_pending" is not approved: its current version ${versionHash('SELECT 1 AS pending')} (sha256 ${sha256('SELECT 1 AS pending')}) awaits the keeper's approval` },
    { title: 'job: rejected code', row: job('j_rejected', 'adv_rejected'), message: `code "adv_rejected" is not approved: it was rejected: ${REJECTION}; update it and ask for a new review` },
    { title: 'job: deleted code', row: job('j_deleted', 'adv_deleted'), message: 'code "adv_deleted" does not exist: register it first, or check the name in control.code' },
    { title: 'job: code changed after an approval attempt', row: job('j_stale', 'adv_stale'), message: `code "adv_stale" is not approved: its current version ${versionHash(STALE_V2)} (sha256 ${sha256(STALE_V2)}) awaits the keeper's approval` },
    { title: 'job: SQL in the code name', row: job('j_sql', 'kp_count; DROP TABLE code'), message: 'code "kp_count; DROP TABLE code" does not exist: register it first, or check the name in control.code' },
    { title: 'job: unknown compute size', row: job('j_xxl', 'kp_count', out('j_xxl'), 'XXL'), message: `compute "XXL" is not offered: use one of ${SIZES}` },
    { title: 'job: compute size in the wrong case', row: job('j_small', 'kp_count', out('j_small'), 'small'), message: `compute "small" is not offered: use one of ${SIZES}` },
    { title: 'job: SQL in the compute size', row: job('j_compute_sql', 'kp_count', out('j_compute_sql'), "Small'; DROP"), message: `compute "Small'; DROP" is not offered: use one of ${SIZES}` },
    { title: 'job: a Quartz (7-field) schedule', row: job('j_cron', 'kp_count', out('j_cron'), 'Small', '0 0 6 * * ? *'), message: 'schedule "0 0 6 * * ? *" is not valid: expected a cron schedule of 5 fields (minute hour day-of-month month day-of-week, e.g. "*/5 * * * *"); got 7 fields, in UTC; or use "ad-hoc" for a single run' },
    { title: 'job: a schedule that never fires', row: job('j_never', 'kp_count', out('j_never'), 'Small', '0 0 30 2 *'), message: 'schedule "0 0 30 2 *" is refused: it never runs: day 30 does not exist in FEB; choose days that exist in the chosen months' },
  );
  const quoted = job('j_quoted', 'adv_inject', JSON.stringify({ output: 'gs://advertiser-bucket/output/j_quoted', label: "x'; DROP TABLE advertiser.conversions; --", user: "u1' OR '1'='1" }));
  const unquoted = job('j_unquoted', 'adv_inject', JSON.stringify({ output: 'gs://advertiser-bucket/output/j_unquoted', label: 'a', user: 'u1', min_amount: '0 OR 1=1' }));
  const plain = job('j_plain', 'adv_inject', JSON.stringify({ output: 'gs://advertiser-bucket/output/j_plain', label: ':user', user: 'u1', min_amount: 5 }));
  injection.quoted = quoted.uuid as string;
  injection.unquoted = unquoted.uuid as string;
  injection.plain = plain.uuid as string;
  await room.sendBatch(ADVERTISER_BUCKET, [...jobCases.map((c) => c.row), quoted, unquoted, plain]);
  agencyJobCases.push(
    { title: "job: another collaborator's code", row: seed.job('j_foreign', 'adv_inject', JSON.stringify({ output: 'gs://agency-bucket/output/j' }), 'Small', t), message: 'code "adv_inject" is not available to you: you can run your own code and the keeper\'s' },
  );
  await room.sendBatch(AGENCY_BUCKET, agencyJobCases.map((c) => c.row));
  for (const c of agencyJobCases) sender.set(c, AGENCY_BUCKET);
  await room.pass();
}, 60_000);
afterAll(() => room.cleanup());

/** Each case's outcome next to what it must be, titled, so a failure names the case. */
async function compare(list: Case[]): Promise<{ actual: unknown[]; wanted: unknown[] }> {
  const actual: unknown[] = [];
  for (const c of list) actual.push({ title: c.title, ...outcomeOf(await room.statuses(sender.get(c) ?? ADVERTISER_BUCKET), c) });
  return {
    actual,
    wanted: list.map((c) => ({ title: c.title, ...expected(c) })),
  };
}

describe('approvals', () => {
  test('every hostile approval gets its exact ERROR; the keeper\'s valid decisions after them apply', async () => {
    const { actual, wanted } = await compare(approvalCases);
    expect(approvalCases).toHaveLength(16);
    expect(actual).toEqual(wanted);
  });

  test('the refused approvals changed nothing: pending stays pending, stale stays pending, rejected is rejected', async () => {
    const status = Object.fromEntries((await room.read(KEEPER_BUCKET, 'approval_status')).map((r) => [r.code_name, [r.approval_status, r.notebook_contents_hash]]));
    expect(status).toEqual({
      adv_inject: ['CODE_REQUEST_APPROVED', sha256(INJECTABLE_SQL)],
      adv_pending: ['CODE_REQUEST_PENDING_APPROVAL', sha256('SELECT 1 AS pending')],
      adv_rejected: ['CODE_REQUEST_REJECTED', sha256('SELECT user_id FROM advertiser.conversions')],
      adv_stale: ['CODE_REQUEST_PENDING_APPROVAL', sha256(STALE_V2)],
      kp_count: ['CODE_REQUEST_APPROVED', expect.any(String)],
    });
  });
});

describe('jobs', () => {
  test('every hostile job gets its exact ERROR', async () => {
    const { actual, wanted } = await compare([...jobCases, ...agencyJobCases]);
    expect(actual).toHaveLength(11);
    expect(actual).toEqual(wanted);
  });

  test('only the three jobs on approved code were accepted and run; the refused ones never reached the engine', async () => {
    expect(room.engine.submits.map((s) => s.jobId).sort()).toEqual([injection.quoted, injection.unquoted, injection.plain].sort());
    expect((await room.read(ADVERTISER_BUCKET, 'jobs')).map((j) => j.job_name).sort()).toEqual(['j_plain', 'j_quoted', 'j_unquoted']);
    expect(await room.read(AGENCY_BUCKET, 'jobs')).toEqual([]);
  });
});

describe('SQL injection through parameter values, run on the local engine (values are bound, never spliced)', () => {
  const runOf = async (jobId: string) => (await room.read(ADVERTISER_BUCKET, 'runs')).find((r) => r.job_id === jobId);

  test("a value with quotes stays one value: the OR '1'='1' matches nothing and the DROP is just text", async () => {
    expect(await runOf(injection.quoted)).toMatchObject({ state: 'TERMINATED', result_state: 'SUCCESS' });
    const rows = await room.outputRows(ADVERTISER_BUCKET, 'output/j_quoted');
    expect(rows.map((r) => [r.label, Number(r.n)])).toEqual([["x'; DROP TABLE advertiser.conversions; --", 0]]);
  });

  test('a value with clauses compared with a number is a value that is not a number: the run fails, nothing leaks', async () => {
    const run = await runOf(injection.unquoted);
    expect(run).toMatchObject({ state: 'TERMINATED', result_state: 'FAILED' });
    expect(run?.error).toMatch(/^statement 1 of 1 \(line 2\) failed: Conversion Error: Could not convert string '0 OR 1=1' to DOUBLE$/);
  });

  test('the dataset is intact and values are not re-scanned: a later run sees all rows and a literal :user', async () => {
    expect(await runOf(injection.plain)).toMatchObject({ result_state: 'SUCCESS' });
    const rows = await room.outputRows(ADVERTISER_BUCKET, 'output/j_plain');
    expect(rows.map((r) => [r.label, Number(r.n)])).toEqual([[':user', 1]]);
    expect((await room.outputRows(ADVERTISER_BUCKET, 'input/conversions')).map((r) => r.user_id)).toEqual(['u1', 'u3']);
  });
});
