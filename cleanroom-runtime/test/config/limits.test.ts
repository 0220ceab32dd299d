/**
 * The limits: one definition (src/limits.ts), overridable in the `limits:` section of cleanroom.yaml, validated like
 * every other field, and listed in README with their defaults.
 */
import { promises as fs } from 'fs';
import * as path from 'path';
import { DEFAULT_LIMITS, LIMIT_DEFINITIONS } from '../../src/limits';
import { MINIMAL_CLEANROOM_YAML, REPO_ROOT, removeTempConfigs, validateWithCleanroomYaml } from './config-fixtures';

afterAll(removeTempConfigs);

const validate = validateWithCleanroomYaml;

test('without a limits section every default applies', async () => {
  const { config, problems } = await validate(MINIMAL_CLEANROOM_YAML);
  expect(problems).toEqual([]);
  expect(config!.limits).toEqual(DEFAULT_LIMITS);
});

test('a limits section overrides the limits it names, by their snake_case keys', async () => {
  const { config, problems } = await validate(`${MINIMAL_CLEANROOM_YAML}limits:\n  events_per_pass: 500\n  participant_read_timeout_ms: 5000\n`);
  expect(problems).toEqual([]);
  expect(config!.limits).toEqual({ ...DEFAULT_LIMITS, eventsPerPass: 500, participantReadTimeoutMs: 5000 });
});

test('unknown limits and values that are not whole numbers >= 1 are refused at their position', async () => {
  const { config, problems } = await validate(`${MINIMAL_CLEANROOM_YAML}limits:\n  events_per_pass: 0\n  parquet_rows: 1.5\n  rows: 3\n`);
  expect(config).toBeUndefined();
  expect(problems).toEqual([
    expect.stringMatching(/^cleanroom\.yaml:\d+:\d+ limits\.events_per_pass — .*whole number >= 1 \(default 10000\)/),
    expect.stringMatching(/^cleanroom\.yaml:\d+:\d+ limits\.parquet_rows — .*whole number >= 1 \(default 1000000\)/),
    expect.stringMatching(/^cleanroom\.yaml:\d+:\d+ limits\.rows — unknown field; expected one of: delta_commit_bytes, /),
  ]);
});

test('README lists every limit with its key and default', async () => {
  const readme = await fs.readFile(path.join(REPO_ROOT, 'README.md'), 'utf8');
  for (const limit of LIMIT_DEFINITIONS) {
    expect(readme).toMatch(new RegExp(`\\| \`${limit.key}\` \\| ${limit.default.toLocaleString('en-US').replace(/,/g, ',?')}`));
  }
});
