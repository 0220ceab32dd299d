/** The strictest release policy of every dataset a run reads wins; each bound remembers which dataset set it. */
import { datasetReleasePolicy, describeReleasePolicy, releasePolicyFor, type ReleasePolicySources } from '../../src/processor/release-policy';

const sources: ReleasePolicySources = {
  defaults: { minGroupSize: 10, maxOutputRows: 5000 },
  participants: {
    publisher: { identifiers: ['user_id'], minGroupSize: 50, datasets: { users: { minGroupSize: 100, identifiers: ['user_id', 'email'] }, sales: { maxOutputRows: 100 } } },
    advertiser: { identifiers: ['device_id'], minGroupSize: 5, datasets: {} },
    measurement: { datasets: {} },
  },
};
const registered = ['advertiser.clicks', 'measurement.panel', 'publisher.sales', 'publisher.users'];

test('a per-table entry overrides its owner\'s defaults field by field', () => {
  expect(datasetReleasePolicy('publisher.users', sources)).toEqual({ identifiers: ['user_id', 'email'], minGroupSize: 100 });
  expect(datasetReleasePolicy('publisher.sales', sources)).toEqual({ identifiers: ['user_id'], minGroupSize: 50, maxOutputRows: 100 });
  expect(datasetReleasePolicy('measurement.panel', sources)).toEqual({});
});

test('across datasets: identifiers united, the largest group size, the smallest row cap', () => {
  const policy = releasePolicyFor(['publisher.users', 'advertiser.clicks', 'publisher.sales'], registered, sources);
  expect(policy.datasets).toEqual(['advertiser.clicks', 'publisher.sales', 'publisher.users']);
  expect(policy.identifiers).toEqual([
    { dataset: 'advertiser.clicks', column: 'device_id' },
    { dataset: 'publisher.sales', column: 'user_id' },
    { dataset: 'publisher.users', column: 'email' },
    { dataset: 'publisher.users', column: 'user_id' },
  ]);
  expect(policy.minGroupSize).toEqual({ value: 100, setBy: ['publisher.users'] });
  expect(policy.maxOutputRows).toEqual({ value: 100, setBy: ['publisher.sales'] });
});

test('a looser participant value never loosens the clean room\'s defaults or another dataset\'s policy', () => {
  const policy = releasePolicyFor(['advertiser.clicks', 'measurement.panel'], registered, sources);
  expect(policy.minGroupSize).toEqual({ value: 10, setBy: ['cleanroom.yaml'] });
  expect(policy.maxOutputRows).toEqual({ value: 5000, setBy: ['cleanroom.yaml'] });
  const withPublisher = releasePolicyFor(['advertiser.clicks', 'publisher.sales'], registered, sources);
  expect(withPublisher.minGroupSize).toEqual({ value: 50, setBy: ['publisher.sales'] });
});

test('code whose reads are unknown gets the policies of every registered dataset', () => {
  const policy = releasePolicyFor(undefined, registered, sources);
  expect(policy.datasets).toEqual(registered);
  expect(policy.minGroupSize?.value).toBe(100);
  expect(policy.maxOutputRows?.value).toBe(100);
});

test('equal bounds name every dataset that sets them; no policy at all says so', () => {
  const equal: ReleasePolicySources = { defaults: {}, participants: { a: { minGroupSize: 7, datasets: {} }, b: { minGroupSize: 7, datasets: {} } } };
  expect(releasePolicyFor(['b.t', 'a.t'], [], equal).minGroupSize).toEqual({ value: 7, setBy: ['a.t', 'b.t'] });
  expect(describeReleasePolicy(releasePolicyFor(['x.t'], [], { defaults: {}, participants: {} }))).toBe('no release policy applies');
  expect(describeReleasePolicy(releasePolicyFor(['publisher.users'], registered, sources))).toBe(
    'identifiers publisher.users.email, publisher.users.user_id never released; rows under a group size of 100 suppressed (publisher.users); at most 5000 rows (cleanroom.yaml)',
  );
});
