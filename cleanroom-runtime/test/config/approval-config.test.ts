/**
 * `approval:` in cleanroom.yaml: the policy, reviewed like any other change, validated with file:line problems; the
 * keeper policy when absent.
 */
import { MINIMAL_CLEANROOM_YAML, removeTempConfigs, validateWithCleanroomYaml } from './config-fixtures';

afterAll(removeTempConfigs);

const validate = validateWithCleanroomYaml;

test('without an approval section the keeper approves (the seed\'s rule)', async () => {
  const { config, problems } = await validate(MINIMAL_CLEANROOM_YAML);
  expect(problems).toEqual([]);
  expect(config!.approval).toEqual({ policy: 'keeper', autoApprove: [] });
});

test('every setting of a data_owners policy with a quorum, expiry, run limit and templates', async () => {
  const hash = 'a'.repeat(64);
  const yaml = `${MINIMAL_CLEANROOM_YAML}approval:\n  policy: data_owners\n  quorum: 2\n  approvers: [publisher, measurement]\n  expires_after_days: 30\n  max_runs: 10\n  auto_approve: ['${hash}']\n`;
  const { config, problems } = await validate(yaml);
  expect(problems).toEqual([]);
  expect(config!.approval).toEqual({ policy: 'data_owners', quorum: { count: 2, approvers: ['publisher', 'measurement'] }, expiresAfterDays: 30, maxRuns: 10, autoApprove: [hash] });
});

test.each([
  ['an unknown policy', 'approval:\n  policy: everyone\n', /^cleanroom\.yaml:\d+:\d+ approval\.policy — expected who approves code: keeper .* or data_owners/],
  ['a quorum without approvers', 'approval:\n  quorum: 1\n', /^cleanroom\.yaml:\d+:\d+ approval\.approvers — expected the list of approvers that approval\.quorum counts/],
  ['a quorum above the approvers', 'approval:\n  quorum: 3\n  approvers: [publisher, advertiser]\n', /^cleanroom\.yaml:\d+:\d+ approval\.quorum — expected at most 2 \(the number of distinct approvers\); got 3/],
  ['an approver listed twice', 'approval:\n  quorum: 1\n  approvers: [publisher, publisher]\n', /^cleanroom\.yaml:\d+:\d+ approval\.approvers\[1\] — expected each approver once; "publisher" is listed twice/],
  ['an approver who is not a participant', 'approval:\n  quorum: 1\n  approvers: [publisher, nobody]\n', /^cleanroom\.yaml:12:\d+ approval\.approvers\[1\] — expected a participant of this clean room \(advertiser, measurement, publisher\); there is no participants\/nobody\.yaml/],
  ['a template that is not a sha256', 'approval:\n  auto_approve: [abc]\n', /^cleanroom\.yaml:\d+:\d+ approval\.auto_approve\[0\] — expected a sha256 hex digest/],
  ['an expiry of zero days', 'approval:\n  expires_after_days: 0\n', /^cleanroom\.yaml:\d+:\d+ approval\.expires_after_days — /],
])('refused with the file, line and field: %s', async (_title, section, problem) => {
  const { config, problems } = await validate(`${MINIMAL_CLEANROOM_YAML}${section}`);
  expect(config).toBeUndefined();
  expect(problems).toEqual([expect.stringMatching(problem)]);
});
