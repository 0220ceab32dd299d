/**
 * `release:` in participant files and cleanroom.yaml: each participant's policy of its own datasets, clean-room
 * defaults, validated with file:line problems; a participant's file cannot name (and so cannot weaken) another's table.
 */
import { formatProblem, validateConfigDir } from '../../src/config';
import { MINIMAL_CLEANROOM_YAML, copyExamples, participantYaml, removeTempConfigs } from './config-fixtures';

afterAll(removeTempConfigs);

async function validate(files: Record<string, string>) {
  const temp = await copyExamples();
  for (const [file, text] of Object.entries(files)) await temp.write(file, text);
  const result = await validateConfigDir(temp.dir);
  return { config: result.config, problems: result.problems.map((p) => formatProblem(p, temp.dir)) };
}

const advertiser = participantYaml('advertiser', 'collaborator');

test('a participant policy with per-table overrides and clean-room defaults', async () => {
  const { config, problems } = await validate({
    'cleanroom.yaml': `${MINIMAL_CLEANROOM_YAML}release:\n  min_group_size: 10\n  max_output_rows: 5000\n`,
    'participants/advertiser.yaml': `${advertiser}release:\n  identifiers: [Email_SHA256, email_sha256]\n  min_group_size: 50\n  datasets:\n    users: { min_group_size: 100 }\n    advertiser.clicks: { identifiers: [click_id] }\n`,
  });
  expect(problems).toEqual([]);
  expect(config!.release.defaults).toEqual({ minGroupSize: 10, maxOutputRows: 5000 });
  expect(config!.release.participants['advertiser']).toEqual({
    identifiers: ['email_sha256'],
    minGroupSize: 50,
    datasets: { users: { minGroupSize: 100 }, clicks: { identifiers: ['click_id'] } },
  });
  expect(config!.release.participants['measurement']).toEqual({ datasets: {} });
});

test.each([
  ['another participant\'s table', 'release:\n  datasets:\n    publisher.users: { min_group_size: 1 }\n', /^participants\/advertiser\.yaml:10:\d+ release\.datasets\.publisher\.users — expected a table of advertiser's own: "publisher\.users" belongs to publisher, whose release policy only participants\/publisher\.yaml sets/],
  ['a table key that is no table name', 'release:\n  datasets:\n    "Users; drop": { min_group_size: 5 }\n', /^participants\/advertiser\.yaml:10:\d+ release\.datasets\.Users; drop — expected a table name of advertiser/],
  ['the same table twice', 'release:\n  datasets:\n    users: { min_group_size: 5 }\n    advertiser.users: { min_group_size: 6 }\n', /^participants\/advertiser\.yaml:11:\d+ release\.datasets\.advertiser\.users — expected each table once/],
  ['a group size of zero', 'release:\n  min_group_size: 0\n', /^participants\/advertiser\.yaml:9:\d+ release\.min_group_size — expected the smallest group/],
  ['an identifier that is no column name', 'release:\n  identifiers: ["a b"]\n', /^participants\/advertiser\.yaml:9:\d+ release\.identifiers\[0\] — expected a column name/],
  ['a key for another participant', 'release:\n  participants: { publisher: { min_group_size: 1 } }\n', /^participants\/advertiser\.yaml:9:\d+ release\.participants — /],
])('a participant file is refused with the file, line and field: %s', async (_title, section, problem) => {
  const { config, problems } = await validate({ 'participants/advertiser.yaml': `${advertiser}${section}` });
  expect(config).toBeUndefined();
  expect(problems).toEqual([expect.stringMatching(problem)]);
});

test('cleanroom.yaml sets defaults only: per-table entries belong to the tables\' owners', async () => {
  const { config, problems } = await validate({ 'cleanroom.yaml': `${MINIMAL_CLEANROOM_YAML}release:\n  datasets:\n    users: { min_group_size: 1 }\n` });
  expect(config).toBeUndefined();
  expect(problems).toEqual([expect.stringMatching(/^cleanroom\.yaml:\d+:\d+ release\.datasets — /)]);
});
