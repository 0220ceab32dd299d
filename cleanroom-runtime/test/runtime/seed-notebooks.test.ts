/**
 * The seed's own notebooks against the clean room: every step a participant takes with them (register data and
 * code, approve code with the multi-select, create a job; onboarding's column checks), emulated line by line
 * (seed-notebooks.ts), with real passes between the steps, and the notebooks' own queries run on the published
 * control tables. What the notebooks show and send must be what the clean room meant.
 */
import { runPass, type PassReport } from '../../src/runtime/run-pass';
import { codePathSegment } from '../../src/processor/names';
import { DeltaTable } from '../../src/delta/table';
import { cli, versionHash } from '../processor/fixtures';
import { CONVERSIONS_SCHEMA, LocalCleanRoom, SETTINGS, USERS_SCHEMA } from './pass-fixtures';
import { SeedNotebooks, sha256 } from './seed-notebooks';

const KEEPER = 'publisher-bucket';
const ADVERTISER = 'advertiser-bucket';
const AGENCY = 'agency-bucket';

/** A Databricks SQL notebook as the Workspace exports it: a widget cell, then the query. */
const REACH_SQL = [
  '-- Databricks notebook source',
  'CREATE WIDGET TEXT min_conversions DEFAULT "1"',
  '',
  '-- COMMAND ----------',
  '',
  'SELECT u.country, count(*) AS conversions, sum(c.amount) AS revenue',
  'FROM publisher.users u JOIN advertiser.conversions c ON u.user_id = c.user_id',
  'GROUP BY u.country',
  'HAVING count(*) >= CAST(:min_conversions AS INT)',
  'ORDER BY u.country',
  '',
].join('\n');
const REACH_SQL_V2 = REACH_SQL.replace('ORDER BY u.country', 'ORDER BY revenue DESC, u.country');
const LIFT_SQL = '-- Databricks notebook source\nSELECT count(*) AS n FROM publisher.users\n';
const KEEPER_SQL = '-- Databricks notebook source\nSELECT country, count(*) AS users FROM publisher.users GROUP BY country ORDER BY country\n';

/** The seed's hash: sha256 of the base64 Workspace export, computed here. */
const seedHash = (source: string) => sha256(Buffer.from(source, 'utf8').toString('base64'));
const micros = (ms: number) => BigInt(ms) * 1000n;
/** A Spark TIMESTAMP value as the local engine returns it. */
const timestamp = (ms: number) => ({ ntz: false, timestamp: micros(ms) });

let room: LocalCleanRoom;
let keeper: SeedNotebooks;
let advertiser: SeedNotebooks;
let agency: SeedNotebooks;

async function pass(): Promise<PassReport> {
  const report = await runPass({ config: SETTINGS, store: room.store, engine: room.engine, now: room.now });
  room.clock += 60_000;
  return report;
}

const statusOf = async (bucket: string, uuid: unknown, eventType: string) =>
  (await room.read(bucket, 'event_status')).filter((s) => s.event_uuid === uuid && s.event_type === eventType).map((s) => [s.status, s.message]);

beforeAll(async () => {
  room = new LocalCleanRoom();
  await room.onboard();
  await room.writeDataset(KEEPER, 'input/users', USERS_SCHEMA, [
    { user_id: 'u1', country: 'FR' }, { user_id: 'u2', country: 'DE' }, { user_id: 'u3', country: 'FR' }, { user_id: 'u4', country: 'IT' },
  ]);
  await room.writeDataset(ADVERTISER, 'input/Conversions', CONVERSIONS_SCHEMA, [
    { user_id: 'u1', amount: 10 }, { user_id: 'u3', amount: 5.5 }, { user_id: 'u2', amount: 7 },
  ]);
  // Each notebook writes its rows 30 s before the next pass.
  const written = () => room.clock - 30_000;
  keeper = new SeedNotebooks(room.store, room.root, KEEPER, 'keeper@publisher.example', written);
  advertiser = new SeedNotebooks(room.store, room.root, ADVERTISER, 'analyst@advertiser.example', written);
  agency = new SeedNotebooks(room.store, room.root, AGENCY, 'planner@agency.example', written);
}, 60_000);
afterAll(() => room.cleanup());

describe('the seed notebooks, step by step, with a pass after each', () => {
  let reachId: string;
  let liftId: string;
  let registeredAt: number;

  test('01_onboarding: its column checks pass on the published tables, so it changes nothing', async () => {
    await pass();
    expect(await keeper.columns('code')).toContain('default_parameters');
    expect(await keeper.columns('runs')).toEqual(expect.arrayContaining(['error', 'error_trace']));
    expect(await keeper.columns('events')).toEqual(['event_type', 'uuid', 'payload', 'timestamp', 'user', 'notebook', 'hostname', 'api_version']);
  });

  test('register_data: names in any case are registered lowercase, with the schema the clean room read', async () => {
    const users = await keeper.registerData({ data_metastore_name: 'publisher.Users', description: 'readers', action: 'INSERT' }, { location: 'gs://publisher-bucket/input/users', format: 'delta', schema: USERS_SCHEMA });
    // The notebook's cleaned DDL, lstrip("struct<") included: "user_id:string, country:string" loses its leading "us".
    expect(JSON.parse(users.payload as string).schema).toBe('er_id:string, country:string');
    const conversions = await advertiser.registerData({ data_metastore_name: 'advertiser.Store_Visits_2', description: 'buyers', action: 'INSERT' }, { location: 'gs://advertiser-bucket/input/Conversions', format: 'delta', schema: CONVERSIONS_SCHEMA });
    await pass();
    expect(await statusOf(KEEPER, users.uuid, 'DATA')).toEqual([['SUCCESS', 'dataset publisher.users registered (delta at gs://publisher-bucket/input/users); jobs can read it as publisher.users']]);
    expect(await statusOf(ADVERTISER, conversions.uuid, 'DATA')).toEqual([
      ['SUCCESS', 'dataset advertiser.store_visits_2 registered (delta at gs://advertiser-bucket/input/Conversions); jobs can read it as advertiser.store_visits_2'],
    ]);
    // Renamed as the code expects it (UPDATE of the same name, in another case, is the same dataset).
    const renamed = await advertiser.registerData({ data_metastore_name: 'advertiser.conversions', description: 'buyers', action: 'INSERT' }, { location: 'gs://advertiser-bucket/input/Conversions', format: 'delta', schema: CONVERSIONS_SCHEMA });
    const dropped = await advertiser.registerData({ data_metastore_name: 'ADVERTISER.STORE_VISITS_2', description: '', action: 'DELETE' }, { location: 'gs://advertiser-bucket/input/Conversions', format: 'delta', schema: CONVERSIONS_SCHEMA });
    await pass();
    expect((await statusOf(ADVERTISER, renamed.uuid, 'DATA'))[0][0]).toBe('SUCCESS');
    expect(await statusOf(ADVERTISER, dropped.uuid, 'DATA')).toEqual([['SUCCESS', 'dataset advertiser.store_visits_2 removed from the clean room']]);
    expect((await room.read(KEEPER, 'data')).map((d) => d.data_metastore_name)).toEqual(['advertiser.conversions', 'publisher.users']);
  });

  test('register_code: names with spaces, a widget default as default parameter, the keeper\'s code approved at once', async () => {
    const reach = await advertiser.registerCode(
      { code_name: 'Weekly reach v2', description: 'conversions per country', path_to_notebook: '/Users/analyst@advertiser.example/Weekly reach v2', action: 'INSERT', default_parameters: '{}' },
      { source: REACH_SQL, language: 'SQL' },
    );
    const lift = await agency.registerCode(
      { code_name: 'agency lift', description: 'lift', path_to_notebook: '/Users/planner@agency.example/lift', action: 'INSERT', default_parameters: '{"window": "7"}' },
      { source: LIFT_SQL, language: 'SQL' },
    );
    const own = await keeper.registerCode(
      { code_name: 'kp_count', description: 'users per country', path_to_notebook: '/Users/keeper@publisher.example/kp_count', action: 'INSERT', default_parameters: '{}' },
      { source: KEEPER_SQL, language: 'SQL' },
    );
    // An empty code name sends nothing; a second INSERT of a name is refused by the clean room.
    expect(await advertiser.registerCode({ code_name: '', description: '', path_to_notebook: '', action: 'INSERT', default_parameters: '{}' }, { source: LIFT_SQL, language: 'SQL' })).toBeNull();
    const duplicate = await agency.registerCode(
      { code_name: 'weekly reach V2', description: '', path_to_notebook: '/Users/planner@agency.example/x', action: 'INSERT', default_parameters: '{}' },
      { source: LIFT_SQL, language: 'SQL' },
    );
    registeredAt = room.clock;
    await pass();
    reachId = reach!.uuid as string;
    liftId = lift!.uuid as string;
    expect((await statusOf(ADVERTISER, reachId, 'CODE'))[0][0]).toBe('SUCCESS');
    expect((await statusOf(KEEPER, own!.uuid, 'CODE'))[0]).toEqual(['SUCCESS', expect.stringContaining('it is approved and can be used in jobs')]);
    expect((await statusOf(AGENCY, duplicate!.uuid, 'CODE'))[0]).toEqual(['ERROR', expect.stringMatching(/^code name is not unique: "weekly reach V2" differs from the registered "Weekly reach v2"/)]);
    // The copy in the buckets lives at the name's path segment.
    const copies = (await room.store.list(KEEPER, 'code/advertiser/')).objects.map((o) => o.key);
    expect(copies).toEqual([`code/advertiser/${codePathSegment('Weekly reach v2')}/${sha256(REACH_SQL)}`]);
    expect(codePathSegment('Weekly reach v2')).toMatch(/^_weekly_reach_v2_[0-9a-f]{16}$/);
  });

  test('approve_code: the pending list has every column the notebook shows, with the seed\'s meanings', async () => {
    const pending = await keeper.pendingReviews();
    // Spark orders strings by their bytes: upper case first.
    expect(pending).toEqual([
      {
        id: reachId, name: 'Weekly reach v2', notebook_hash: seedHash(REACH_SQL), participant_name: 'advertiser', description: 'conversions per country',
        default_compute: null, submitted_timestamp: timestamp(registeredAt), notebook_language: 'SQL',
      },
      {
        id: liftId, name: 'agency lift', notebook_hash: seedHash(LIFT_SQL), participant_name: 'agency', description: 'lift',
        default_compute: null, submitted_timestamp: timestamp(registeredAt), notebook_language: 'SQL',
      },
    ]);
    // The hash register_code computed and sent is the one shown.
    const sent = (await DeltaTable.open(room.store, ADVERTISER, 'control/events').then((t) => t.readRows())).find((r) => r.uuid === reachId)!;
    expect(JSON.parse(sent.payload as string).notebook_contents_hash).toBe(pending[0].notebook_hash);
    // A collaborator sees its own code and the keeper's; the keeper's is approved.
    expect((await advertiser.query('select name, participant_name from control.code order by name')).map((r) => [r.name, r.participant_name])).toEqual([
      ['Weekly reach v2', 'advertiser'], ['kp_count', 'publisher'],
    ]);
  });

  test('approve_code: REVIEWING and a REJECT without reason send nothing; APPROVE of a multi-selection sends one row per code, by id', async () => {
    expect(await keeper.approveCode({ action: 'REVIEWING', code_name: 'agency lift,Weekly reach v2', reason: '' })).toEqual([]);
    expect(await keeper.approveCode({ action: 'REJECT', code_name: 'agency lift', reason: '' })).toEqual([]);
    const sent = await keeper.approveCode({ action: 'APPROVE', code_name: 'agency lift,Weekly reach v2', reason: 'aggregates only' });
    expect(sent.map((r) => [r.event_type, r.uuid, r.payload, r.api_version])).toEqual([
      ['CODE_REQUEST_APPROVED', liftId, '"aggregates only"', '1'],
      ['CODE_REQUEST_APPROVED', reachId, '"aggregates only"', '1'],
    ]);
    // Sent but not processed yet: the notebook's list leaves them out (in flight).
    expect(await keeper.pendingReviews()).toEqual([]);
    await pass();
    expect((await statusOf(KEEPER, reachId, 'CODE_REQUEST_APPROVED'))[0][0]).toBe('SUCCESS');
    expect(await keeper.pendingReviews()).toEqual([]);
    expect((await room.read(ADVERTISER, 'approval_status')).find((a) => a.code_id === reachId)?.approval_status).toBe('CODE_REQUEST_APPROVED');
  });

  test('create_job: the dropdown lists approved code the participant may run, with its default parameters; the job runs', async () => {
    expect(await advertiser.approvedCodeNames()).toEqual(['Weekly reach v2', 'kp_count']);
    expect(await agency.approvedCodeNames()).toEqual(['agency lift', 'kp_count']);
    expect(await advertiser.defaultParameters('Weekly reach v2')).toEqual({ min_conversions: '1' });
    expect(await agency.defaultParameters('agency lift')).toEqual({ window: '7' });
    await expect(advertiser.createJob({ job_name: 'reach (May)', code_name: 'Weekly reach v2', parameters: '{}', compute: 'Small' })).rejects.toThrow(/special characters/);
    const job = await advertiser.createJob({
      job_name: 'weekly reach May', code_name: 'Weekly reach v2', parameters: '{"output": "gs://advertiser-bucket/output/reach_may", "min_conversions": "1"}', compute: '2X-Small',
    });
    await pass();
    expect((await statusOf(ADVERTISER, job.uuid, 'JOB'))[0][0]).toBe('SUCCESS');
    await pass();
    const runs = await room.read(ADVERTISER, 'runs');
    expect(runs.map((r) => [r.job_name, r.result_state, r.error])).toEqual([['weekly reach May', 'SUCCESS', null]]);
    const output = await (await DeltaTable.open(room.store, ADVERTISER, 'output/reach_may')).readRows();
    expect(output.map((r) => [r.country, Number(r.conversions), r.revenue])).toEqual([['DE', 1, 7], ['FR', 2, 15.5]]);
  });

  test('an update puts the code back on the list; a hashless approval of a second version is refused and the code stays listed', async () => {
    const update = await advertiser.registerCode(
      { code_name: 'Weekly reach v2', description: 'conversions per country, by revenue', path_to_notebook: '/Users/analyst@advertiser.example/Weekly reach v2', action: 'UPDATE', default_parameters: '{}' },
      { source: REACH_SQL_V2, language: 'SQL' },
    );
    const updatedAt = room.clock;
    await pass();
    expect((await statusOf(ADVERTISER, update!.uuid, 'CODE'))[0][0]).toBe('SUCCESS');
    expect((await keeper.pendingReviews()).map((r) => [r.name, r.notebook_hash, r.submitted_timestamp])).toEqual([
      ['Weekly reach v2', seedHash(REACH_SQL_V2), timestamp(updatedAt)],
    ]);
    expect(await advertiser.approvedCodeNames()).toEqual(['kp_count']);

    await keeper.approveCode({ action: 'APPROVE', code_name: 'Weekly reach v2', reason: 'still aggregates' });
    expect(await keeper.pendingReviews()).toEqual([]);
    const refusedAt = room.clock;
    await pass();
    const [[status, message]] = (await statusOf(KEEPER, reachId, 'CODE_REQUEST_APPROVED')).slice(-1);
    expect(status).toBe('ERROR');
    expect(message).toContain(`approve it with \`cleanroom code approve Weekly reach v2 --hash ${versionHash(REACH_SQL_V2, { defaults: { min_conversions: '1' } })}\``);
    // The decision was processed: the code is listed again, its approval_timestamp the time of that decision.
    expect((await keeper.pendingReviews()).map((r) => r.name)).toEqual(['Weekly reach v2']);
    expect((await room.read(KEEPER, 'approval_status')).find((a) => a.code_id === reachId)?.approval_timestamp).toBe(micros(refusedAt));
    // Kept with the code, not read from that pass's statuses: later passes that rewrite the table keep it.
    const timestampOfReach = async () => (await room.read(KEEPER, 'approval_status')).find((a) => a.code_id === reachId)?.approval_timestamp;
    await room.send(KEEPER, cli.code('kp_other', 'INSERT', 'SELECT 1 AS n', { atMs: room.clock - 30_000 }));
    await pass();
    expect((await room.read(KEEPER, 'approval_status')).map((a) => a.code_name)).toContain('kp_other');
    expect(await timestampOfReach()).toBe(micros(refusedAt));
    await room.send(KEEPER, cli.code('kp_other', 'DELETE', 'SELECT 1 AS n', { atMs: room.clock - 30_000 }));
    await pass();
    expect((await room.read(KEEPER, 'approval_status')).map((a) => a.code_name)).not.toContain('kp_other');
    expect(await timestampOfReach()).toBe(micros(refusedAt));

    // The keeper approves the version with its hash (the CLI); the notebook's list is then empty again.
    await room.send(KEEPER, cli.approval('CODE_REQUEST_APPROVED', { code_name: 'Weekly reach v2' }, versionHash(REACH_SQL_V2, { defaults: { min_conversions: '1' } }), 'reviewed', room.clock - 30_000));
    await pass();
    expect(await keeper.pendingReviews()).toEqual([]);
    expect(await advertiser.approvedCodeNames()).toEqual(['Weekly reach v2', 'kp_count']);
  });

  test('REJECT with a reason; jobs on rejected or deleted code are refused with why', async () => {
    const agencyUpdate = await agency.registerCode(
      { code_name: 'agency lift', description: 'lift', path_to_notebook: '/Users/planner@agency.example/lift', action: 'UPDATE', default_parameters: '{"window": "14"}' },
      { source: LIFT_SQL, language: 'SQL' },
    );
    await pass();
    expect((await statusOf(AGENCY, agencyUpdate!.uuid, 'CODE'))[0][0]).toBe('SUCCESS');
    expect((await keeper.pendingReviews()).map((r) => r.name)).toEqual(['agency lift']);
    await keeper.approveCode({ action: 'REJECT', code_name: 'agency lift', reason: 'a 14-day window identifies people' });
    await pass();
    expect((await room.read(AGENCY, 'approval_status')).find((a) => a.code_id === liftId)).toMatchObject({ approval_status: 'CODE_REQUEST_REJECTED', reason: 'a 14-day window identifies people' });
    expect(await agency.approvedCodeNames()).toEqual(['kp_count']);
    expect(await keeper.pendingReviews()).toEqual([]);

    const onRejected = await agency.createJob({ job_name: 'lift', code_name: 'agency lift', parameters: '{"output": "gs://agency-bucket/output/lift"}', compute: 'Small' });
    const deletion = await advertiser.registerCode({ code_name: 'Weekly reach v2', description: '', path_to_notebook: '', action: 'DELETE', default_parameters: '{}' }, { source: REACH_SQL_V2, language: 'SQL' });
    await pass();
    expect((await statusOf(ADVERTISER, deletion!.uuid, 'CODE'))[0][0]).toBe('SUCCESS');
    const onDeleted = await advertiser.createJob({ job_name: 'weekly reach June', code_name: 'Weekly reach v2', parameters: '{"output": "gs://advertiser-bucket/output/reach_june"}', compute: 'Small' });
    await pass();
    expect(await statusOf(AGENCY, onRejected.uuid, 'JOB')).toEqual([['ERROR', 'code "agency lift" is not approved: it was rejected: a 14-day window identifies people; update it and ask for a new review']]);
    expect(await statusOf(ADVERTISER, onDeleted.uuid, 'JOB')).toEqual([['ERROR', 'code "Weekly reach v2" does not exist: register it first, or check the name in control.code']]);
    expect(await advertiser.approvedCodeNames()).toEqual(['kp_count']);
  });
});
