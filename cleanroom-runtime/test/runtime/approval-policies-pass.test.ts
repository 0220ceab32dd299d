/**
 * Approval policies through real passes on a local clean room: a data_owners clean room where each data owner
 * approves and a run sees only the datasets its code reads; an approval that lapses after its run limit; a policy
 * change in the configuration between passes.
 */
import type { ApprovalPolicy } from '../../src/config/approval-schema';
import { runPass } from '../../src/runtime/run-pass';
import type { RuntimeSettings } from '../../src/runtime/settings';
import { loadLatestState } from '../../src/runtime/state-store';
import { cli, seed, versionHash } from '../processor/fixtures';
import { CONVERSIONS_SCHEMA, LocalCleanRoom, SETTINGS, USERS_SCHEMA } from './pass-fixtures';

const JOIN = 'SELECT u.country, count(*) AS n FROM publisher.users u JOIN advertiser.conversions c ON c.user_id = u.user_id GROUP BY u.country ORDER BY u.country';

let room: LocalCleanRoom;
let settings: RuntimeSettings;
const pass = () => runPass({ config: settings, store: room.store, engine: room.engine, now: room.now });
const state = async () => (await loadLatestState(room.store, SETTINGS.stateBucket)).state;

async function setUp(approval: ApprovalPolicy): Promise<void> {
  room = new LocalCleanRoom();
  settings = { ...SETTINGS, approval };
  await room.onboard();
  await room.writeDataset('publisher-bucket', 'input/users', USERS_SCHEMA, [{ user_id: 'u1', country: 'FR' }, { user_id: 'u2', country: 'DE' }]);
  await room.writeDataset('advertiser-bucket', 'input/conversions', CONVERSIONS_SCHEMA, [{ user_id: 'u1', amount: 3 }]);
  await room.writeDataset('agency-bucket', 'input/spend', CONVERSIONS_SCHEMA, [{ user_id: 'u2', amount: 7 }]);
  const t = room.clock - 60_000;
  await room.send('publisher-bucket', seed.data('publisher.users', 'INSERT', 'gs://publisher-bucket/input/users', 'delta', t));
  await room.send('advertiser-bucket', seed.data('advertiser.conversions', 'INSERT', 'gs://advertiser-bucket/input/conversions', 'delta', t));
  await room.send('agency-bucket', seed.data('agency.spend', 'INSERT', 'gs://agency-bucket/input/spend', 'delta', t));
  await room.send('advertiser-bucket', cli.code('adv_join', 'INSERT', JOIN, { atMs: t + 1 }));
  await pass();
  room.clock += 60_000;
}

afterEach(() => room.cleanup());

test('data_owners: the publisher (whose data the code reads) approves, the agency is not asked; the run sees only the datasets the code reads', async () => {
  await setUp({ policy: 'data_owners', autoApprove: [] });
  const pending = (await room.read('publisher-bucket', 'approval_status')).find((r) => r.code_name === 'adv_join');
  expect(pending).toMatchObject({ approval_status: 'CODE_REQUEST_PENDING_APPROVAL', awaiting: 'publisher', approved_by: '' });
  expect((await room.read('agency-bucket', 'approval_status')).map((r) => r.code_name)).toEqual([]);
  await room.send('agency-bucket', cli.approval('CODE_REQUEST_APPROVED', { code_name: 'adv_join' }, versionHash(JOIN), 'not mine to approve', room.clock - 5000));
  await room.send('publisher-bucket', cli.approval('CODE_REQUEST_APPROVED', { code_name: 'adv_join' }, versionHash(JOIN), 'aggregates only', room.clock - 4000));
  const decided = await pass();
  expect(decided.events.map((e) => [e.participant, e.status])).toEqual([['agency', 'ERROR'], ['publisher', 'SUCCESS']]);
  expect((await room.read('advertiser-bucket', 'approval_status'))[0]).toMatchObject({ approval_status: 'CODE_REQUEST_APPROVED', approved_by: 'publisher' });
  expect((await room.read('advertiser-bucket', 'approval_decisions')).map((d) => [d.decision, d.decided_by])).toEqual([['APPROVED', 'publisher']]);

  room.clock += 60_000;
  await room.send('advertiser-bucket', seed.job('j', 'adv_join', '{"output": "gs://advertiser-bucket/output/j"}', 'Small', room.clock - 1000));
  await pass();
  expect(room.engine.submits.map((s) => s.datasets.map((d) => `${d.participant}.${d.table}`))).toEqual([['advertiser.conversions', 'publisher.users']]);
  expect((await room.read('advertiser-bucket', 'runs'))[0]).toMatchObject({ result_state: 'SUCCESS' });
});

test('max_runs: the approval lapses after its runs; further jobs are refused until it is renewed', async () => {
  await setUp({ policy: 'keeper', maxRuns: 1, autoApprove: [] });
  await room.send('publisher-bucket', cli.approval('CODE_REQUEST_APPROVED', { code_name: 'adv_join' }, versionHash(JOIN), 'once', room.clock - 4000));
  await pass();
  room.clock += 60_000;
  const job = (name: string) => seed.job(name, 'adv_join', `{"output": "gs://advertiser-bucket/output/${name}"}`, 'Small', room.clock - 1000);
  await room.send('advertiser-bucket', job('first'));
  expect((await pass()).submitted).toHaveLength(1);
  expect((await state()).code.adv_join.approval.runs).toBe(1);
  room.clock += 60_000;
  await pass();
  expect((await state()).code.adv_join.approval).toMatchObject({ status: 'CODE_REQUEST_PENDING_APPROVAL', note: expect.stringMatching(/^its approval lapsed after 1 runs \(approval.max_runs\)/) });
  await room.send('advertiser-bucket', job('second'));
  const refused = await pass();
  expect(refused.events.map((e) => [e.status, e.message])).toEqual([['ERROR', expect.stringMatching(/is not approved/)]]);
  expect((await room.read('advertiser-bucket', 'approval_decisions')).map((d) => d.decision)).toEqual(['APPROVED', 'LAPSED']);
});

test('a policy change between passes sends approved code that no longer satisfies it back to pending, with the reason', async () => {
  await setUp({ policy: 'keeper', autoApprove: [] });
  await room.send('publisher-bucket', cli.approval('CODE_REQUEST_APPROVED', { code_name: 'adv_join' }, versionHash(JOIN), 'ok', room.clock - 4000));
  await pass();
  settings = { ...settings, approval: { policy: 'keeper', quorum: { count: 1, approvers: ['agency'] }, autoApprove: [] } };
  room.clock += 60_000;
  const report = await pass();
  expect(report.events).toEqual([]);
  const row = (await room.read('advertiser-bucket', 'approval_status'))[0];
  expect(row).toMatchObject({ approval_status: 'CODE_REQUEST_PENDING_APPROVAL', approved_by: 'publisher', awaiting: 'agency' });
  expect(row.status_message).toMatch(/^the approval policy changed: the code now needs approvals of publisher and 1 of agency/);
  // Nothing changes at the next pass: an idle pass writes nothing.
  room.store.reset();
  await pass();
  expect(room.store.writes()).toBe(0);
});
