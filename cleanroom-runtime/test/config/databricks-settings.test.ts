/**
 * The optional Databricks settings of cleanroom.yaml that the infrastructure needs after the first deploy of the
 * clean room stack: the storage credential's Google service account and the runtime's Databricks principal.
 */
import { formatProblem, loadConfig, validateConfigDir } from '../../src/config';
import { DEFAULT_JOB_PRINCIPALS } from '../../src/engines/databricks/run-access-names';
import { MINIMAL_CLEANROOM_YAML, copyExamples, removeTempConfigs } from './config-fixtures';

afterAll(removeTempConfigs);

const HOST_LINE = '  host: https://1234567890123456.7.gcp.databricks.com/\n';

async function withDatabricks(extra: string): Promise<{ dir: string }> {
  const temp = await copyExamples();
  await temp.write('cleanroom.yaml', MINIMAL_CLEANROOM_YAML.replace(HOST_LINE, `${HOST_LINE}${extra}`));
  return temp;
}

describe('databricks.storage_service_account and databricks.runtime_principal', () => {
  it('are optional: absent, the config has neither', async () => {
    const temp = await withDatabricks('');
    const config = await loadConfig(temp.dir);
    expect(config.databricks).toEqual({ host: 'https://1234567890123456.7.gcp.databricks.com', catalog: 'cleanroom_retail_media', jobPrincipals: DEFAULT_JOB_PRINCIPALS });
  });

  it('are read into the config when set', async () => {
    const temp = await withDatabricks(
      '  storage_service_account: db-uc-storage-0a1b2c@uc-europewest1.iam.gserviceaccount.com\n  runtime_principal: 6b1f0c2e-4d3a-4b5c-9e8f-0123456789ab\n',
    );
    expect((await loadConfig(temp.dir)).databricks).toEqual({
      host: 'https://1234567890123456.7.gcp.databricks.com',
      storageServiceAccount: 'db-uc-storage-0a1b2c@uc-europewest1.iam.gserviceaccount.com',
      runtimePrincipal: '6b1f0c2e-4d3a-4b5c-9e8f-0123456789ab',
      catalog: 'cleanroom_retail_media',
      jobPrincipals: DEFAULT_JOB_PRINCIPALS,
    });
    const user = await withDatabricks('  runtime_principal: cleanroom-ops@publisher.example\n');
    expect((await loadConfig(user.dir)).databricks.runtimePrincipal).toBe('cleanroom-ops@publisher.example');
  });

  it('refuse what is not a service account email or a principal, naming line, field and expectation', async () => {
    const temp = await withDatabricks('  storage_service_account: allAuthenticatedUsers\n  runtime_principal: "admins; DROP"\n');
    const result = await validateConfigDir(temp.dir);
    expect(result.config).toBeUndefined();
    expect(result.problems.map((p) => formatProblem(p, temp.dir))).toEqual([
      expect.stringMatching(/^cleanroom\.yaml:7:\d+ databricks\.storage_service_account — expected the Google service account email .*storage_service_account of the first `cdktf deploy cleanroom`/),
      expect.stringMatching(/^cleanroom\.yaml:8:\d+ databricks\.runtime_principal — expected the Databricks principal whose token the runtime uses/),
    ]);
  });

  it('refuse a user account in place of a service account', async () => {
    const temp = await withDatabricks('  storage_service_account: someone@gmail.com\n');
    const result = await validateConfigDir(temp.dir);
    expect(result.problems.map((p) => p.field)).toEqual(['databricks.storage_service_account']);
  });
});
