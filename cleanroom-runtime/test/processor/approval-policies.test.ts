/**
 * Approval policies declared in cleanroom.yaml (`approval:`): the keeper (default), the data owners, a quorum,
 * expiry and run limits, templates approved for anyone, revocation, policy changes mid-flight, and what each
 * participant sees of it. The seed's own rule (the keeper approves) stays the default.
 */
import type { ApprovalPolicy } from '../../src/config/approval-schema';
import { KEEPER_POLICY } from '../../src/config/approval-schema';
import { reconcileApprovals } from '../../src/processor/approval-status';
import type { ParticipantInfo, ProcessorContext } from '../../src/processor/context';
import { viewFor } from '../../src/processor/views';
import { ADVERTISER, AGENCY, cli, Harness, KEEPER, PARTICIPANTS, seed, sourceHash, versionHash } from './fixtures';

const DAY = 86_400_000;

class PolicyHarness extends Harness {
  constructor(public policy: ApprovalPolicy) {
    super();
    for (const [owner, table] of [['publisher', 'users'], ['advertiser', 'conv'], ['agency', 'spend']]) {
      this.at(`gs://${owner}-bucket/input/${table}`, 'delta', { exists: true });
    }
  }
  override ctx(): ProcessorContext {
    return { ...super.ctx(), approval: this.policy };
  }
  datasets(): this {
    this.ok(KEEPER, seed.data('publisher.users', 'INSERT', 'gs://publisher-bucket/input/users', 'delta'));
    this.ok(ADVERTISER, seed.data('advertiser.conv', 'INSERT', 'gs://advertiser-bucket/input/conv', 'delta'));
    this.ok(AGENCY, seed.data('agency.spend', 'INSERT', 'gs://agency-bucket/input/spend', 'delta'));
    return this;
  }
  approve(who: ParticipantInfo, name: string, source: string, opts: { defaults?: Record<string, string>; language?: string } = {}) {
    return this.send(who, cli.approval('CODE_REQUEST_APPROVED', { code_name: name }, versionHash(source, opts), `ok from ${who.name}`));
  }
  status(name: string) {
    const code = this.state.code[name];
    return { status: code.approval.status, approvedBy: Object.keys(code.approval.approvals ?? {}).sort() };
  }
  reconcile(): void {
    reconcileApprovals(this.state, this.ctx());
  }
}

const DATA_OWNERS: ApprovalPolicy = { policy: 'data_owners', autoApprove: [] };
const JOIN = 'SELECT u.country, count(*) AS n FROM publisher.users u JOIN advertiser.conv c ON c.user_id = u.user_id JOIN agency.spend s ON s.user_id = u.user_id GROUP BY u.country';
const OWN_ONLY = 'SELECT count(*) AS n FROM advertiser.conv';
const job = (code: string, name = 'j') => seed.job(name, code, '{"output": "gs://advertiser-bucket/output/j"}');

describe('data_owners: every participant whose datasets the code reads approves', () => {
  test('reads are parsed from SQL; the submitter\'s own datasets count as approved; each owner\'s approval is recorded', () => {
    const h = new PolicyHarness(DATA_OWNERS).datasets();
    expect(h.ok(ADVERTISER, cli.code('adv_join', 'INSERT', JOIN)).message).toMatch(/it awaits the approval of agency, publisher$/);
    expect(h.state.code.adv_join.reads).toEqual(['advertiser.conv', 'agency.spend', 'publisher.users']);
    expect(h.send(ADVERTISER, job('adv_join')).message).toMatch(/is not approved/);
    expect(h.approve(KEEPER, 'adv_join', JOIN).message).toMatch(/^your approval of code "adv_join" version [0-9a-f]{64} is recorded; it awaits agency$/);
    expect(h.status('adv_join')).toEqual({ status: 'CODE_REQUEST_PENDING_APPROVAL', approvedBy: ['publisher'] });
    expect(h.approve(AGENCY, 'adv_join', JOIN).message).toMatch(/approved; jobs can use this version$/);
    expect(h.status('adv_join')).toEqual({ status: 'CODE_REQUEST_APPROVED', approvedBy: ['agency', 'publisher'] });
    h.ok(ADVERTISER, job('adv_join'));
  });

  test('code that reads only its owner\'s datasets is approved on registration', () => {
    const h = new PolicyHarness(DATA_OWNERS).datasets();
    expect(h.ok(ADVERTISER, cli.code('adv_own', 'INSERT', OWN_ONLY)).message).toMatch(/it is approved and can be used in jobs$/);
    expect(h.state.code.adv_own.approval.reason).toBe("it reads no other participant's datasets");
  });

  test('a participant whose data the code does not read cannot approve it; the keeper is no exception', () => {
    const h = new PolicyHarness(DATA_OWNERS).datasets();
    const sql = 'SELECT count(*) AS n FROM agency.spend';
    h.ok(ADVERTISER, cli.code('adv_spend', 'INSERT', sql));
    expect(h.approve(KEEPER, 'adv_spend', sql).message).toBe(`publisher cannot approve "adv_spend": under the approval policy (data_owners) it needs approvals of agency`);
    expect(h.status('adv_spend').status).toBe('CODE_REQUEST_PENDING_APPROVAL');
  });

  test('a notebook declares what it reads; without a declaration every other participant must approve', () => {
    const h = new PolicyHarness(DATA_OWNERS).datasets();
    const py = '# Databricks notebook source\nspark.table("publisher.users").count()\n';
    h.ok(ADVERTISER, { ...cli.code('adv_py', 'INSERT', py, { path: 'adv.py' }) });
    expect(h.state.code.adv_py.reads).toBeUndefined();
    expect(h.state.code.adv_py.approval.note).toBe('agency, publisher');
    const declared = cli.row('CODE', { code_name: 'adv_py2', action: 'INSERT', path_to_notebook: 'adv2.py', notebook_contents: py, notebook_contents_hash: sourceHash(py), reads: 'publisher.users' });
    h.ok(ADVERTISER, declared);
    expect(h.state.code.adv_py2).toMatchObject({ reads: ['publisher.users'], declaredReads: ['publisher.users'], approval: { note: 'publisher' } });
    // The declared reads are part of the version: approving needs the hash that covers them.
    expect(h.approve(KEEPER, 'adv_py2', py, { language: 'PYTHON' }).message).toMatch(/is not a version of "adv_py2"/);
    h.ok(KEEPER, cli.approval('CODE_REQUEST_APPROVED', { code_name: 'adv_py2' }, h.state.code.adv_py2.versions[0].versionHash!, 'ok'));
    expect(h.status('adv_py2').status).toBe('CODE_REQUEST_APPROVED');
  });

  test('SQL declaring fewer reads than it has is refused; a table named by a parameter needs every other participant', () => {
    const h = new PolicyHarness(DATA_OWNERS).datasets();
    const declaredFewer = cli.row('CODE', { code_name: 'sneaky', action: 'INSERT', path_to_notebook: 's.sql', notebook_contents: JOIN, notebook_contents_hash: sourceHash(JOIN), reads: 'publisher.users' });
    expect(h.send(ADVERTISER, declaredFewer).message).toBe(
      'the SQL reads advertiser.conv, agency.spend, which its declared reads (publisher.users) leave out: declare every dataset the code reads (--reads), or leave --reads out for SQL',
    );
    const dynamic = 'SELECT count(*) AS n FROM IDENTIFIER(:table)';
    h.ok(ADVERTISER, cli.code('dynamic', 'INSERT', dynamic));
    expect(h.state.code.dynamic.reads).toBeUndefined();
    expect(h.state.code.dynamic.approval.note).toBe('agency, publisher');
  });

  test.each([
    ["SELECT * FROM delta.`gs://publisher-bucket/input/users`", /delta\.`gs:\/\/publisher-bucket\/input\/users` reads files by path/],
    ["SELECT * FROM parquet.`/tmp/x`", /parquet\.`\/tmp\/x` reads files by path/],
    ["SELECT * FROM read_files('gs://publisher-bucket/input/users')", /read_files\(\.\.\.\) reads files directly/],
  ])('reading files by path is refused at registration: %s', (sql, message) => {
    const h = new PolicyHarness(KEEPER_POLICY).datasets();
    expect(h.send(ADVERTISER, cli.code('by_path', 'INSERT', sql)).message).toMatch(message);
  });

  test('back-quoted and three-part names are reads too', () => {
    const h = new PolicyHarness(DATA_OWNERS).datasets();
    h.ok(ADVERTISER, cli.code('quoted', 'INSERT', 'SELECT * FROM `publisher`.`users` u, spark_catalog.agency.spend s, `Publisher.Users` v'));
    expect(h.state.code.quoted.reads).toEqual(['agency.spend', 'publisher.users']);
  });
});

describe('quorum', () => {
  const QUORUM: ApprovalPolicy = { policy: 'keeper', quorum: { count: 2, approvers: ['publisher', 'agency', 'advertiser'] }, autoApprove: [] };

  test('the keeper and N distinct approvers of the list; the owner\'s own approval does not count', () => {
    const h = new PolicyHarness(QUORUM).datasets();
    h.ok(ADVERTISER, cli.code('adv', 'INSERT', OWN_ONLY));
    expect(h.approve(ADVERTISER, 'adv', OWN_ONLY).message).toMatch(/^advertiser cannot approve "adv"/);
    h.approve(KEEPER, 'adv', OWN_ONLY);
    expect(h.status('adv')).toEqual({ status: 'CODE_REQUEST_PENDING_APPROVAL', approvedBy: ['publisher'] });
    expect(h.state.code.adv.approval.note).toBe('agency');
    h.approve(AGENCY, 'adv', OWN_ONLY);
    expect(h.status('adv')).toEqual({ status: 'CODE_REQUEST_APPROVED', approvedBy: ['agency', 'publisher'] });
  });

  test('an approver\'s rejection rejects; a later new version starts over', () => {
    const h = new PolicyHarness(QUORUM).datasets();
    h.ok(ADVERTISER, cli.code('adv', 'INSERT', OWN_ONLY));
    h.approve(KEEPER, 'adv', OWN_ONLY);
    h.ok(AGENCY, cli.approval('CODE_REQUEST_REJECTED', { code_name: 'adv' }, versionHash(OWN_ONLY), 'too broad'));
    expect(h.state.code.adv.approval).toMatchObject({ status: 'CODE_REQUEST_REJECTED', reason: 'too broad', reviewedBy: 'agency' });
    h.ok(ADVERTISER, cli.code('adv', 'UPDATE', `${OWN_ONLY} -- narrower`));
    expect(h.status('adv')).toEqual({ status: 'CODE_REQUEST_PENDING_APPROVAL', approvedBy: [] });
  });
});

describe('expiry, run limit and revocation', () => {
  test('an approval lapses after expires_after_days: pending again, a LAPSED decision; approving the same version renews it', () => {
    const h = new PolicyHarness({ policy: 'keeper', expiresAfterDays: 7, autoApprove: [] }).datasets();
    h.ok(ADVERTISER, cli.code('adv', 'INSERT', OWN_ONLY));
    h.approve(KEEPER, 'adv', OWN_ONLY);
    h.now += 6 * DAY;
    h.reconcile();
    expect(h.status('adv').status).toBe('CODE_REQUEST_APPROVED');
    h.now += 2 * DAY;
    h.reconcile();
    expect(h.state.code.adv.approval).toMatchObject({ status: 'CODE_REQUEST_PENDING_APPROVAL', note: 'its approval lapsed 7 days after it was given (approval.expires_after_days); approve the same version again to renew it' });
    expect(h.state.code.adv.decisions?.map((d) => [d.decision, d.by])).toEqual([['APPROVED', 'publisher'], ['LAPSED', null]]);
    expect(h.send(ADVERTISER, job('adv')).message).toMatch(/is not approved/);
    h.approve(KEEPER, 'adv', OWN_ONLY);
    h.ok(ADVERTISER, job('adv', 'j2'));
  });

  test('a scheduled job on code whose approval lapsed stops, saying why and how to renew', () => {
    const h = new PolicyHarness({ policy: 'keeper', expiresAfterDays: 7, autoApprove: [] }).datasets();
    h.ok(ADVERTISER, cli.code('adv', 'INSERT', OWN_ONLY));
    h.approve(KEEPER, 'adv', OWN_ONLY);
    h.ok(ADVERTISER, seed.job('weekly', 'adv', '{"output": "gs://advertiser-bucket/output/w"}', 'Small', h.now, '0 6 * * 1'));
    h.now += 8 * DAY;
    h.reconcile();
    const { advanceSchedules } = jest.requireActual<typeof import('../../src/processor/schedules')>('../../src/processor/schedules');
    advanceSchedules(h.state, h.now);
    const weekly = Object.values(h.state.jobs).find((j) => j.jobName === 'weekly')!;
    expect(weekly.status).toBe('STOPPED');
    expect(weekly.statusMessage).toContain('code "adv" is no longer approved: its approval lapsed 7 days after it was given (approval.expires_after_days)');
  });

  test('a revoked approval sends the code back to pending and stops its scheduled jobs at once', () => {
    const h = new PolicyHarness({ policy: 'keeper', autoApprove: [] }).datasets();
    h.ok(ADVERTISER, cli.code('adv', 'INSERT', OWN_ONLY));
    h.approve(KEEPER, 'adv', OWN_ONLY);
    h.ok(ADVERTISER, seed.job('weekly', 'adv', '{"output": "gs://advertiser-bucket/output/w"}', 'Small', h.now, '0 6 * * 1'));
    const revoke = cli.row('CODE_REQUEST_REJECTED', { code_name: 'adv', version_hash: versionHash(OWN_ONLY), reason: 'second thoughts', revoke: true });
    expect(h.ok(KEEPER, revoke).message).toMatch(/^your approval of code "adv" version [0-9a-f]{64} is revoked; it awaits publisher$/);
    expect(h.status('adv')).toEqual({ status: 'CODE_REQUEST_PENDING_APPROVAL', approvedBy: [] });
    const weekly = Object.values(h.state.jobs).find((j) => j.jobName === 'weekly')!;
    const { advanceSchedules } = jest.requireActual<typeof import('../../src/processor/schedules')>('../../src/processor/schedules');
    advanceSchedules(h.state, h.now);
    expect(weekly.jobId in h.state.jobs && h.state.jobs[weekly.jobId].status).toBe('STOPPED');
    expect(h.state.jobs[weekly.jobId].statusMessage).toContain('code "adv" is no longer approved: publisher revoked its approval (second thoughts)');
    expect(h.send(AGENCY, { ...revoke, uuid: 'other-uuid' }).message).toMatch(/^only the keeper can reject code$/);
  });

  test('revoking without having approved is refused', () => {
    const h = new PolicyHarness(DATA_OWNERS).datasets();
    h.ok(ADVERTISER, cli.code('adv', 'INSERT', JOIN));
    const revoke = cli.row('CODE_REQUEST_REJECTED', { code_name: 'adv', version_hash: versionHash(JOIN), reason: '', revoke: true });
    expect(h.send(KEEPER, revoke).message).toMatch(/^you have not approved version [0-9a-f]{64} of "adv": there is no approval of yours to revoke$/);
  });
});

describe('templates and policy changes', () => {
  test('auto_approve: SQL whose content sha256 is listed is approved for anyone', () => {
    const h = new PolicyHarness({ policy: 'data_owners', autoApprove: [sourceHash(JOIN)] }).datasets();
    expect(h.ok(AGENCY, cli.code('template', 'INSERT', JOIN)).message).toMatch(/it is approved and can be used in jobs$/);
    // The same bytes as Python are not the template.
    expect(h.ok(AGENCY, cli.code('template_py', 'INSERT', JOIN, { path: 'x.py' })).message).toMatch(/it awaits the approval of/);
  });

  test('a policy change never widens past approvals: what no longer satisfies it goes back to pending, saying why', () => {
    const h = new PolicyHarness(KEEPER_POLICY).datasets();
    h.ok(ADVERTISER, cli.code('adv_join', 'INSERT', JOIN));
    h.approve(KEEPER, 'adv_join', JOIN);
    h.ok(ADVERTISER, cli.code('adv_own', 'INSERT', OWN_ONLY));
    h.reconcile();
    expect(h.status('adv_join').status).toBe('CODE_REQUEST_APPROVED');
    h.policy = DATA_OWNERS;
    h.reconcile();
    expect(h.state.code.adv_join.approval).toMatchObject({
      status: 'CODE_REQUEST_PENDING_APPROVAL',
      note: 'the approval policy changed: the code now needs approvals of agency, publisher; awaiting agency',
    });
    expect(h.state.code.adv_join.decisions?.at(-1)).toMatchObject({ decision: 'RESET', by: null });
    // Under the new policy, code that reads only its owner's data needs nobody.
    expect(h.status('adv_own').status).toBe('CODE_REQUEST_APPROVED');
    h.approve(AGENCY, 'adv_join', JOIN);
    expect(h.status('adv_join').status).toBe('CODE_REQUEST_APPROVED');
  });
});

describe('what each participant sees', () => {
  test('an approver sees the code it must review and its decisions; a participant with no part in it sees neither', () => {
    const h = new PolicyHarness(DATA_OWNERS).datasets();
    const sql = 'SELECT count(*) AS n FROM agency.spend s JOIN advertiser.conv c ON c.user_id = s.user_id';
    h.ok(ADVERTISER, cli.code('adv_agency', 'INSERT', sql));
    h.approve(AGENCY, 'adv_agency', sql);
    const policy = { participants: PARTICIPANTS, approval: h.policy };
    const agency = viewFor(h.state, AGENCY, KEEPER.name, policy);
    expect(agency.code.map((c) => c.code_name)).toEqual(['adv_agency']);
    expect(agency.approval_status[0]).toMatchObject({ approval_status: 'CODE_REQUEST_APPROVED', approved_by: 'agency', awaiting: null });
    expect(agency.approval_decisions.map((d) => [d.decision, d.decided_by])).toEqual([['APPROVED', 'agency']]);
    h.ok(AGENCY, cli.code('agency_own', 'INSERT', 'SELECT count(*) AS n FROM agency.spend'));
    const advertiser = viewFor(h.state, ADVERTISER, KEEPER.name, policy);
    expect(advertiser.code.map((c) => c.code_name)).toEqual(['adv_agency']);
    expect(advertiser.approval_decisions).toHaveLength(1);
  });
});

describe('hostile approvers', () => {
  const QUORUM_OWNERS: ApprovalPolicy = { policy: 'data_owners', quorum: { count: 2, approvers: ['publisher', 'agency', 'advertiser'] }, autoApprove: [] };

  test.each([
    ['data_owners', DATA_OWNERS],
    ['data_owners with a quorum', QUORUM_OWNERS],
  ])('%s: an approval counts only for the bucket it was read from, whatever its row or payload claims', (_name, policy) => {
    const h = new PolicyHarness(policy).datasets();
    h.ok(ADVERTISER, cli.code('adv_join', 'INSERT', JOIN));
    const claim = cli.row('CODE_REQUEST_APPROVED', { code_name: 'adv_join', version_hash: versionHash(JOIN), reason: 'for publisher', participant: 'publisher', approved_by: 'publisher', reviewed_by: 'publisher' });
    h.ok(AGENCY, { ...claim, user: 'publisher', hostname: 'publisher-laptop' });
    expect(h.status('adv_join')).toEqual({ status: 'CODE_REQUEST_PENDING_APPROVAL', approvedBy: ['agency'] });
    expect(h.state.code.adv_join.approval.note).toContain('publisher');
    // Sent again by the same bucket, the approval does not count twice (a quorum of distinct participants).
    h.send(AGENCY, { ...claim, uuid: 'another-uuid' });
    expect(h.status('adv_join')).toEqual({ status: 'CODE_REQUEST_PENDING_APPROVAL', approvedBy: ['agency'] });
    expect(h.send(ADVERTISER, job('adv_join')).message).toMatch(/is not approved/);
  });

  test.each([
    ['data_owners', DATA_OWNERS],
    ['data_owners with a quorum', QUORUM_OWNERS],
  ])('%s: approving a version that is no longer current is refused and changes nothing', (_name, policy) => {
    const h = new PolicyHarness(policy).datasets();
    h.ok(ADVERTISER, cli.code('adv_join', 'INSERT', JOIN));
    h.approve(KEEPER, 'adv_join', JOIN);
    const updated = `${JOIN} HAVING count(*) >= 50`;
    h.ok(ADVERTISER, cli.code('adv_join', 'UPDATE', updated));
    expect(h.status('adv_join')).toEqual({ status: 'CODE_REQUEST_PENDING_APPROVAL', approvedBy: [] });
    const stale = h.approve(AGENCY, 'adv_join', JOIN);
    expect(stale.status).toBe('ERROR');
    expect(stale.message).toContain(versionHash(updated));
    expect(h.status('adv_join')).toEqual({ status: 'CODE_REQUEST_PENDING_APPROVAL', approvedBy: [] });
  });

  test('a participant that is not an approver of the code cannot approve it', () => {
    const h = new PolicyHarness(DATA_OWNERS).datasets();
    h.ok(ADVERTISER, cli.code('two', 'INSERT', 'SELECT count(*) AS n FROM advertiser.conv c JOIN publisher.users u ON u.user_id = c.user_id'));
    const refused = h.approve(AGENCY, 'two', 'SELECT count(*) AS n FROM advertiser.conv c JOIN publisher.users u ON u.user_id = c.user_id');
    expect(refused.status).toBe('ERROR');
    expect(refused.message).toMatch(/^agency cannot approve "two"/);
    expect(h.status('two')).toEqual({ status: 'CODE_REQUEST_PENDING_APPROVAL', approvedBy: [] });
  });
});
