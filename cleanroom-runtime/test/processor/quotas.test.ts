/**
 * Per-participant quotas: registered code, registered datasets and active scheduled jobs. A registration over its
 * quota gets an ERROR saying what to remove; removing makes room again; other participants are not affected.
 */
import { withLimits, type Limits } from '../../src/limits';
import { applyEvents } from '../../src/processor/apply-events';
import type { ProcessorContext } from '../../src/processor/context';
import { ADVERTISER, AGENCY, cli, Harness, KEEPER, seed } from './fixtures';

class QuotaHarness extends Harness {
  constructor(private readonly limits: Limits) {
    super();
  }
  override ctx(): ProcessorContext {
    return { ...super.ctx(), limits: this.limits };
  }
}

test('code: the quota counts the submitter only; a DELETE makes room', () => {
  const h = new QuotaHarness(withLimits({ codePerParticipant: 2 }));
  h.ok(AGENCY, cli.code('agency_a', 'INSERT', 'SELECT 1'));
  h.ok(AGENCY, cli.code('agency_b', 'INSERT', 'SELECT 2'));
  const over = h.send(AGENCY, cli.code('agency_c', 'INSERT', 'SELECT 3'));
  expect(over).toMatchObject({ status: 'ERROR', message: 'you have 2 code registered, the most one participant may have (code_per_participant = 2): delete code you no longer use (CODE DELETE) before registering more' });
  expect(h.state.code.agency_c).toBeUndefined();
  h.ok(AGENCY, cli.code('agency_a', 'UPDATE', 'SELECT 11')); // updates are not registrations
  h.ok(ADVERTISER, cli.code('advertiser_a', 'INSERT', 'SELECT 4'));
  h.ok(AGENCY, cli.code('agency_a', 'DELETE', 'SELECT 1'));
  h.ok(AGENCY, cli.code('agency_c', 'INSERT', 'SELECT 3'));
});

test('datasets: the quota counts the submitter only; a DELETE makes room', () => {
  const h = new QuotaHarness(withLimits({ datasetsPerParticipant: 1 }));
  const facts = { exists: true, schema: null };
  h.at('gs://agency-bucket/input/a', 'parquet', facts).at('gs://agency-bucket/input/b', 'parquet', facts).at('gs://advertiser-bucket/input/a', 'parquet', facts);
  h.ok(AGENCY, seed.data('agency.a', 'INSERT', 'gs://agency-bucket/input/a', 'parquet'));
  expect(h.send(AGENCY, seed.data('agency.b', 'INSERT', 'gs://agency-bucket/input/b', 'parquet'))).toMatchObject({
    status: 'ERROR',
    message: 'you have 1 datasets registered, the most one participant may have (datasets_per_participant = 1): delete datasets you no longer use (DATA DELETE) before registering more',
  });
  h.ok(ADVERTISER, seed.data('advertiser.a', 'INSERT', 'gs://advertiser-bucket/input/a', 'parquet'));
  h.ok(AGENCY, seed.data('agency.a', 'DELETE', '', ''));
  h.ok(AGENCY, seed.data('agency.b', 'INSERT', 'gs://agency-bucket/input/b', 'parquet'));
});

test('scheduled jobs: only active ones count; ad hoc jobs are not limited; deleting one makes room', () => {
  const h = new QuotaHarness(withLimits({ scheduledJobsPerParticipant: 1 }));
  h.ok(KEEPER, cli.code('kp_count', 'INSERT', 'SELECT 1'));
  const output = (name: string) => JSON.stringify({ output: `gs://publisher-bucket/output/${name}` });
  h.ok(KEEPER, seed.job('daily', 'kp_count', output('daily'), 'Small', undefined, '0 6 * * *'));
  expect(h.send(KEEPER, seed.job('hourly', 'kp_count', output('hourly'), 'Small', undefined, '0 * * * *'))).toMatchObject({
    status: 'ERROR',
    message: 'you have 1 active scheduled jobs, the most one participant may have (scheduled_jobs_per_participant = 1): delete a scheduled job (JOB DELETE) before scheduling another',
  });
  h.ok(KEEPER, seed.job('once', 'kp_count', output('once')));
  h.ok(KEEPER, cli.row('JOB', { action: 'DELETE', job_name: 'daily' }));
  h.ok(KEEPER, seed.job('hourly', 'kp_count', output('hourly'), 'Small', undefined, '0 * * * *'));
});

test('in one batch of events (one pass) the counts follow each registration and deletion', () => {
  const h = new QuotaHarness(withLimits({ codePerParticipant: 2 }));
  const envelopes = [
    cli.code('agency_a', 'INSERT', 'SELECT 1'),
    cli.code('agency_b', 'INSERT', 'SELECT 2'),
    cli.code('agency_c', 'INSERT', 'SELECT 3'),
    cli.code('agency_a', 'DELETE', 'SELECT 1'),
    cli.code('agency_c', 'INSERT', 'SELECT 3'),
    cli.code('agency_d', 'INSERT', 'SELECT 4'),
  ].map((row) => h.envelope(AGENCY, row));
  const result = applyEvents(h.state, envelopes, h.ctx());
  expect(result.outcomes.map((o) => o.status)).toEqual(['SUCCESS', 'SUCCESS', 'ERROR', 'SUCCESS', 'SUCCESS', 'ERROR']);
  expect(Object.keys(result.state.code).sort()).toEqual(['agency_b', 'agency_c']);
});
