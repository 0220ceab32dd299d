/** Runs the real CLI (`node cleanroom-runtime/bin/cleanroom.js config validate`) as an operator would. */
import { spawnSync } from 'child_process';
import * as path from 'path';
import { REPO_ROOT, copyExamples, participantYaml, removeTempConfigs } from './config-fixtures';

afterAll(removeTempConfigs);

function validate(args: string[], cwd = REPO_ROOT): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync(process.execPath, [path.join(REPO_ROOT, 'cleanroom-runtime/bin/cleanroom.js'), 'config', 'validate', ...args], {
    cwd,
    encoding: 'utf8',
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe('cleanroom config validate', () => {
  it('exits 0 with a one-line summary for a valid folder', () => {
    const result = validate(['examples']);
    expect(result.status).toBe(0);
    expect(result.stdout).toBe('examples/cleanroom.yaml is valid: clean room "retail-media", 3 participants, keeper "publisher"\n');
  });

  it('validates the current folder by default and prints each problem on its own line, paths relative to the cwd', async () => {
    const temp = await copyExamples();
    await temp.write('participants/advertiser.yaml', participantYaml('advertiser', 'keeper'));
    await temp.write('participants/measurement.yaml', `${participantYaml('measurement', 'collaborator')}extra: true\n`);
    const result = validate([], temp.dir);
    expect(result.status).toBe(3); // the configuration is invalid
    // Problems and their count are diagnostics: all on stderr, nothing on stdout.
    expect(result.stdout).toBe('');
    expect(result.stderr.split('\n')).toEqual([
      'participants/advertiser.yaml:2:1 role — expected collaborator, as there is exactly one keeper and cleanroom.yaml names "publisher"; got keeper',
      'participants/measurement.yaml:8:1 extra — unknown field; expected one of: name, role, bucket, databricks, gcp, terraform_state, release',
      '2 problems in the configuration at .',
      '',
    ]);
  });
});
