/**
 * The deployment settings of the configuration: the clean room's catalog, the owner of its Unity Catalog objects,
 * the size of the pool of job principals, run timeouts per compute size, each stack owner's Terraform state, and a participant's Cloud Storage service agent.
 * Every problem names file:line, the field and what is expected.
 */
import { DEFAULT_RUN_TIMEOUT_MINUTES, formatProblem, loadConfig, runTimeoutMinutes, validateConfigDir } from '../../src/config';
import { DEFAULT_JOB_PRINCIPALS, MAX_JOB_PRINCIPALS } from '../../src/engines/databricks/run-access-names';
import { MINIMAL_CLEANROOM_YAML, copyExamples, participantYaml, removeTempConfigs } from './config-fixtures';

afterAll(removeTempConfigs);

const HOST_LINE = '  host: https://1234567890123456.7.gcp.databricks.com/\n';

async function configWith(files: Record<string, string>): Promise<{ dir: string }> {
  const temp = await copyExamples();
  for (const [relative, text] of Object.entries(files)) await temp.write(relative, text);
  return temp;
}

async function problems(files: Record<string, string>): Promise<string[]> {
  const temp = await configWith(files);
  const result = await validateConfigDir(temp.dir);
  expect(result.config).toBeUndefined();
  return result.problems.map((p) => formatProblem(p, temp.dir));
}

const withDatabricks = (extra: string): string => MINIMAL_CLEANROOM_YAML.replace(HOST_LINE, `${HOST_LINE}${extra}`);

describe('databricks.catalog', () => {
  it('defaults to cleanroom_<name> with dashes as underscores, and can be named', async () => {
    expect((await loadConfig((await configWith({ 'cleanroom.yaml': MINIMAL_CLEANROOM_YAML })).dir)).databricks.catalog).toBe('cleanroom_retail_media');
    const named = await configWith({ 'cleanroom.yaml': withDatabricks('  catalog: retail_room\n') });
    expect((await loadConfig(named.dir)).databricks.catalog).toBe('retail_room');
  });

  it.each([
    ['main', /expected a catalog of the clean room's own, not one Databricks creates or reserves/],
    ['hive_metastore', /expected a catalog of the clean room's own, not one Databricks creates or reserves \(hive_metastore, main/],
    ['Retail-Room', /expected the clean room's Unity Catalog catalog/],
    ['x', /expected the clean room's Unity Catalog catalog/],
  ])('refuses %s at its line', async (name, message) => {
    expect(await problems({ 'cleanroom.yaml': withDatabricks(`  catalog: ${name}\n`) })).toEqual([expect.stringMatching(new RegExp(`^cleanroom\\.yaml:7:\\d+ databricks\\.catalog — ${message.source}`))]);
  });

  it("refuses the catalog a participant's own stack creates, named or derived", async () => {
    expect(await problems({ 'cleanroom.yaml': withDatabricks('  catalog: cleanroom_advertiser\n') })).toEqual([
      expect.stringMatching(/^cleanroom\.yaml:7:\d+ databricks\.catalog — expected a clean room catalog other than "cleanroom_advertiser", the catalog participant "advertiser" creates/),
    ]);
    // A clean room named like a participant derives that participant's catalog.
    const sameName = MINIMAL_CLEANROOM_YAML.replace('name: retail-media', 'name: advertiser');
    expect(await problems({ 'cleanroom.yaml': sameName })).toEqual([expect.stringMatching(/^cleanroom\.yaml:1:1 name — expected a clean room catalog other than "cleanroom_advertiser"/)]);
  });
});

describe('databricks.owner', () => {
  it.each(['cleanroom-admins', 'ops@publisher.example', '6b1f0c2e-4d3a-4b5c-9e8f-0123456789ab'])('accepts %s', async (owner) => {
    const temp = await configWith({ 'cleanroom.yaml': withDatabricks(`  owner: ${owner}\n`) });
    expect((await loadConfig(temp.dir)).databricks.owner).toBe(owner);
  });

  it('refuses the runtime principal as owner, at the owner line', async () => {
    const yaml = withDatabricks('  runtime_principal: 6b1f0c2e-4d3a-4b5c-9e8f-0123456789ab\n  owner: 6B1F0C2E-4d3a-4b5c-9e8f-0123456789ab\n');
    expect(await problems({ 'cleanroom.yaml': yaml.replace('owner: 6B1F0C2E', 'owner: 6b1f0c2e') })).toEqual([
      expect.stringMatching(/^cleanroom\.yaml:8:\d+ databricks\.owner — expected an owner other than the runtime principal/),
    ]);
  });

  it("a participant's file may name the owner of its own stack's Unity Catalog objects", async () => {
    const temp = await configWith({ 'participants/advertiser.yaml': participantYaml('advertiser', 'collaborator').replace(/(databricks:\n.*\n)/, '$1  owner: advertiser-admins\n') });
    expect((await loadConfig(temp.dir)).participants.find((p) => p.name === 'advertiser')?.databricks).toEqual({ host: 'https://1111111111111111.1.gcp.databricks.com', owner: 'advertiser-admins' });
    const bad = participantYaml('advertiser', 'collaborator').replace(/(databricks:\n.*\n)/, '$1  owner: "x; DROP"\n');
    expect(await problems({ 'participants/advertiser.yaml': bad })).toEqual([expect.stringMatching(/^participants\/advertiser\.yaml:6:\d+ databricks\.owner — expected who owns the Unity Catalog objects of the participant's stack/)]);
  });

  it('refuses a value that is no principal', async () => {
    expect(await problems({ 'cleanroom.yaml': withDatabricks('  owner: "admins; DROP"\n') })).toEqual([expect.stringMatching(/^cleanroom\.yaml:7:\d+ databricks\.owner — expected who owns/)]);
  });
});

describe('databricks.job_principals', () => {
  it(`defaults to ${DEFAULT_JOB_PRINCIPALS} and takes any whole number from 1 to ${MAX_JOB_PRINCIPALS}`, async () => {
    expect((await loadConfig((await configWith({ 'cleanroom.yaml': MINIMAL_CLEANROOM_YAML })).dir)).databricks.jobPrincipals).toBe(DEFAULT_JOB_PRINCIPALS);
    for (const count of [1, 7, MAX_JOB_PRINCIPALS]) {
      const temp = await configWith({ 'cleanroom.yaml': withDatabricks(`  job_principals: ${count}\n`) });
      expect((await loadConfig(temp.dir)).databricks.jobPrincipals).toBe(count);
    }
  });

  it.each(['0', String(MAX_JOB_PRINCIPALS + 1), '2.5', '-1', 'four', '"4"', '[4]', 'null'])('refuses %s at its line, naming the field and the range', async (value) => {
    expect(await problems({ 'cleanroom.yaml': withDatabricks(`  job_principals: ${value}\n`) })).toEqual([
      expect.stringMatching(new RegExp(`^cleanroom\\.yaml:7:\\d+ databricks\\.job_principals — expected how many Databricks service principals participant code runs as.*a whole number from 1 to ${MAX_JOB_PRINCIPALS}`)),
    ]);
  });
});

describe('run_timeout_minutes', () => {
  it(`gives every offered size ${DEFAULT_RUN_TIMEOUT_MINUTES} minutes unless the file says otherwise`, async () => {
    const plain = await loadConfig((await configWith({ 'cleanroom.yaml': `${MINIMAL_CLEANROOM_YAML}compute_sizes: [Small, Large]\n` })).dir);
    expect(plain.runTimeoutMinutes).toEqual({ Small: DEFAULT_RUN_TIMEOUT_MINUTES, Large: DEFAULT_RUN_TIMEOUT_MINUTES });
    const set = await loadConfig((await configWith({ 'cleanroom.yaml': `${MINIMAL_CLEANROOM_YAML}compute_sizes: [Small, Large]\nrun_timeout_minutes:\n  Large: 240\n` })).dir);
    expect(set.runTimeoutMinutes).toEqual({ Small: DEFAULT_RUN_TIMEOUT_MINUTES, Large: 240 });
    expect(runTimeoutMinutes(set, 'Large')).toBe(240);
    expect(runTimeoutMinutes(set, 'Small')).toBe(DEFAULT_RUN_TIMEOUT_MINUTES);
  });

  it('refuses a size the clean room does not offer, an unknown size and a timeout out of range, each at its line', async () => {
    const yaml = `${MINIMAL_CLEANROOM_YAML}compute_sizes: [Small]\nrun_timeout_minutes:\n  Large: 60\n  Huge: 60\n`;
    expect(await problems({ 'cleanroom.yaml': yaml })).toEqual([
      'cleanroom.yaml:12:3 run_timeout_minutes.Large — expected a compute size listed in compute_sizes (Small); "Large" is not offered',
      expect.stringMatching(/^cleanroom\.yaml:13:3 run_timeout_minutes\.Huge — unknown field; expected one of: 2X-Small, X-Small, Small/),
    ]);
    expect(await problems({ 'cleanroom.yaml': `${MINIMAL_CLEANROOM_YAML}run_timeout_minutes:\n  Small: 0\n` })).toEqual([
      expect.stringMatching(/^cleanroom\.yaml:11:\d+ run_timeout_minutes\.Small — expected a run timeout in minutes: a whole number from 1 to 10080; got number 0/),
    ]);
  });
});

describe('terraform_state', () => {
  it('is optional in both files and read when set', async () => {
    const temp = await configWith({
      'cleanroom.yaml': `${MINIMAL_CLEANROOM_YAML}terraform_state:\n  bucket: publisher-tfstate\n  prefix: cleanroom/retail-media\n`,
      'participants/advertiser.yaml': `${participantYaml('advertiser', 'collaborator')}terraform_state:\n  bucket: advertiser-tfstate\n`,
      'participants/measurement.yaml': participantYaml('measurement', 'collaborator'),
    });
    const config = await loadConfig(temp.dir);
    expect(config.terraformState).toEqual({ bucket: 'publisher-tfstate', prefix: 'cleanroom/retail-media' });
    expect(config.participants.find((p) => p.name === 'advertiser')?.terraform_state).toEqual({ bucket: 'advertiser-tfstate' });
    expect(config.participants.find((p) => p.name === 'measurement')?.terraform_state).toBeUndefined();
    expect((await loadConfig((await configWith({ 'cleanroom.yaml': MINIMAL_CLEANROOM_YAML })).dir)).terraformState).toBeUndefined();
  });

  it('refuses a bad bucket or prefix, at the line', async () => {
    expect(
      await problems({
        'cleanroom.yaml': `${MINIMAL_CLEANROOM_YAML}terraform_state:\n  bucket: Not A Bucket\n  prefix: ../escape\n`,
        'participants/advertiser.yaml': `${participantYaml('advertiser', 'collaborator')}terraform_state:\n  prefix: x\n`,
      }),
    ).toEqual([
      expect.stringMatching(/^cleanroom\.yaml:11:\d+ terraform_state\.bucket — expected the existing GCS bucket holding the operator/),
      expect.stringMatching(/^cleanroom\.yaml:12:\d+ terraform_state\.prefix — expected the object name prefix/),
      expect.stringMatching(/^participants\/advertiser\.yaml:8:\d+ terraform_state\.bucket — missing; expected the existing GCS bucket holding the participant/),
    ]);
  });
});

describe('gcp.storage_service_agent', () => {
  it('is read when set and refuses any other account', async () => {
    const agent = 'service-123456789012@gs-project-accounts.iam.gserviceaccount.com';
    const temp = await configWith({ 'participants/advertiser.yaml': participantYaml('advertiser', 'collaborator').replace(/gcp:\n(.*)\n/, `gcp:\n$1\n  storage_service_agent: ${agent}\n`) });
    expect((await loadConfig(temp.dir)).participants.find((p) => p.name === 'advertiser')?.gcp.storage_service_agent).toBe(agent);
    const wrong = participantYaml('advertiser', 'collaborator').replace(/gcp:\n(.*)\n/, 'gcp:\n$1\n  storage_service_agent: attacker@evil-project.iam.gserviceaccount.com\n');
    expect(await problems({ 'participants/advertiser.yaml': wrong })).toEqual([
      expect.stringMatching(/^participants\/advertiser\.yaml:8:\d+ gcp\.storage_service_agent — expected the Cloud Storage service agent of the participant's project/),
    ]);
  });
});
