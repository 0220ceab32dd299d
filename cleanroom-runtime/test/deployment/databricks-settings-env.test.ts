/**
 * The deployed runtime's Databricks settings set by the stack: the token as a mounted secret file
 * (DATABRICKS_TOKEN_FILE) and the clean room's catalog (CLEANROOM_DATABRICKS_CATALOG).
 *
 * Cloud Run reads a secret mounted as a volume from Secret Manager, at its latest version, on each read of the file,
 * and does not check it when an instance starts (https://cloud.google.com/run/docs/configuring/services/secrets):
 * the service must start without a token and pick up a rotated one without a restart.
 */
import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { loadConfig } from '../../src/config';
import { buildEngine, databricksCatalog, deploymentProblems, fileTokenProvider, readDeploymentSettings, type DatabricksDeploymentSettings } from '../../src/deployment';
import { DatabricksApiError } from '../../src/engines/databricks';
import { EngineUnavailableError, RunNotFoundError } from '../../src/engines/errors';
import { startFakeDatabricks, type FakeDatabricks } from '../support/fake-databricks';
import { EXAMPLES_DIR } from '../config/config-fixtures';

const BASE = {
  CLEANROOM_DATABRICKS_WAREHOUSE_ID: 'abc123warehouse',
  // One policy per size the example offers (the seed's nine).
  CLEANROOM_DATABRICKS_POLICY_IDS: JSON.stringify({ '2X-Small': 'P0', 'X-Small': 'P1', Small: 'P2', Medium: 'P3', Large: 'P4', 'X-Large': 'P5', '2X-Large': 'P6', '3X-Large': 'P7', '4X-Large': 'P8' }),
};

let dir: string;
beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'cleanroom-token-'));
});
afterAll(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

describe('readDeploymentSettings', () => {
  it('takes the token from a file, the catalog from the stack', () => {
    const read = readDeploymentSettings({ ...BASE, DATABRICKS_TOKEN_FILE: '/run/secrets/databricks/token', CLEANROOM_DATABRICKS_CATALOG: 'cleanroom_retail_media' });
    expect(read).toEqual({
      ok: true,
      settings: { kind: 'databricks', tokenFile: '/run/secrets/databricks/token', warehouseId: 'abc123warehouse', policyIds: JSON.parse(BASE.CLEANROOM_DATABRICKS_POLICY_IDS) as object, catalog: 'cleanroom_retail_media' },
    });
  });

  it('takes the job principals participant code runs as from the stack, and refuses what is not a pool of principals', async () => {
    const pool = ['0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d', '1a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d'];
    const read = readDeploymentSettings({ ...BASE, DATABRICKS_TOKEN: 'dapi-x', CLEANROOM_DATABRICKS_JOB_PRINCIPALS: pool.join(',') });
    expect(read).toMatchObject({ ok: true, settings: { jobPrincipals: pool } });
    // The older single variable is a pool of one.
    expect(readDeploymentSettings({ ...BASE, DATABRICKS_TOKEN: 'dapi-x', CLEANROOM_DATABRICKS_JOB_PRINCIPAL: pool[0]! })).toMatchObject({ ok: true, settings: { jobPrincipals: [pool[0]] } });
    const problems = (env: Record<string, string>): string[] => {
      const result = readDeploymentSettings({ ...BASE, DATABRICKS_TOKEN: 'dapi-x', ...env });
      return result.ok ? [] : result.problems;
    };
    expect(problems({ CLEANROOM_DATABRICKS_JOB_PRINCIPALS: `${pool[0]},admins` })).toEqual(['CLEANROOM_DATABRICKS_JOB_PRINCIPALS: "admins" is neither a service principal application id nor a user email']);
    expect(problems({ CLEANROOM_DATABRICKS_JOB_PRINCIPAL: 'admins' })).toEqual(['CLEANROOM_DATABRICKS_JOB_PRINCIPAL: "admins" is neither a service principal application id nor a user email']);
    expect(problems({ CLEANROOM_DATABRICKS_JOB_PRINCIPALS: `${pool[0]},${pool[0]!.toUpperCase()}` })).toEqual([expect.stringMatching(/lists a principal twice/)]);
    expect(problems({ CLEANROOM_DATABRICKS_JOB_PRINCIPALS: pool[0]!, CLEANROOM_DATABRICKS_JOB_PRINCIPAL: pool[1]! })).toEqual([expect.stringMatching(/both set/)]);
    // The engine built from those settings isolates runs on that pool.
    const fake = await startFakeDatabricks({ servicePrincipals: Object.fromEntries(pool.map((p) => [p, { users: ['cleanroom-runtime@example.com'] }])) });
    try {
      const config = await loadConfig(EXAMPLES_DIR);
      const settings = { ...(read.ok ? read.settings : ({} as never)), host: fake.host, token: fake.token } as DatabricksDeploymentSettings;
      const engine = buildEngine(config, settings);
      expect(engine.isolation?.jobPrincipals).toEqual(pool);
      await expect(engine.submit({
        jobId: 'job-1', jobName: 'j', participant: 'advertiser', compute: '2X-Small', datasets: [], parameters: {}, outputLocation: 'gs://b/output/x',
        code: { participant: 'advertiser', name: 'n', hash: createHash('sha256').update('1').digest('hex'), language: 'PYTHON', content: '1' },
        access: { principal: pool[1]!, reads: [], staging: null },
      })).resolves.toEqual({ runId: expect.any(String) });
      expect(fake.requests.find((r) => r.path === '/api/2.1/jobs/runs/submit')?.body).toMatchObject({ run_as: { service_principal_name: pool[1] } });
    } finally {
      await fake.close();
    }
  });

  it('needs exactly one of DATABRICKS_TOKEN and DATABRICKS_TOKEN_FILE, an absolute file, and a catalog name', () => {
    const problems = (env: Record<string, string>): string[] => {
      const read = readDeploymentSettings({ ...BASE, ...env });
      return read.ok ? [] : read.problems;
    };
    expect(problems({})).toEqual([expect.stringMatching(/^DATABRICKS_TOKEN is not set: set DATABRICKS_TOKEN_FILE to the file of the mounted Databricks token secret/)]);
    expect(problems({ DATABRICKS_TOKEN: 'dapi-x', DATABRICKS_TOKEN_FILE: '/run/secrets/databricks/token' })).toEqual([expect.stringMatching(/both set: keep one/)]);
    expect(problems({ DATABRICKS_TOKEN_FILE: 'token' })).toEqual(['DATABRICKS_TOKEN_FILE "token" is not an absolute path']);
    expect(problems({ DATABRICKS_TOKEN: 'dapi-x', CLEANROOM_DATABRICKS_CATALOG: 'main; DROP' })).toEqual([expect.stringMatching(/^CLEANROOM_DATABRICKS_CATALOG "main; DROP" is not a catalog name/)]);
  });

  it("the stack's catalog must be the config's (a config change not yet deployed is named), and defaults to it", async () => {
    const config = await loadConfig(EXAMPLES_DIR);
    const settings = (catalog?: string): DatabricksDeploymentSettings => ({ kind: 'databricks', token: 'dapi-x', warehouseId: 'w', policyIds: { '2X-Small': 'z', 'X-Small': 'a', Small: 'b', Medium: 'c', Large: 'd', 'X-Large': 'e', '2X-Large': 'f', '3X-Large': 'g', '4X-Large': 'h' }, ...(catalog ? { catalog } : {}) });
    expect(deploymentProblems(config, settings(config.databricks.catalog))).toEqual([]);
    expect(deploymentProblems(config, settings('other_catalog'))).toEqual([
      expect.stringMatching(/^CLEANROOM_DATABRICKS_CATALOG is "other_catalog" but cleanroom\.yaml names the catalog "cleanroom_retail_media"; redeploy the cleanroom stack/),
    ]);
    expect(databricksCatalog(config, settings())).toBe('cleanroom_retail_media');
    expect(databricksCatalog(config, settings('declared_catalog'))).toBe('declared_catalog');
  });
});

describe('fileTokenProvider', () => {
  it('reads and trims the token, reuses it for the TTL, then reads the file again (a rotated token is picked up)', async () => {
    const file = path.join(dir, 'rotating');
    await fs.writeFile(file, 'dapi-first\n');
    let now = 1_000;
    const seen: string[] = [];
    const provider = fileTokenProvider(file, { ttlMs: 60_000, now: () => now, onToken: (t) => seen.push(t) });
    expect(await provider()).toBe('dapi-first');
    await fs.writeFile(file, 'dapi-second');
    now += 59_999;
    expect(await provider()).toBe('dapi-first');
    now += 2;
    expect(await provider()).toBe('dapi-second');
    expect(seen).toEqual(['dapi-first', 'dapi-second']);
  });

  it('a missing, empty or malformed file is an outage (EngineUnavailableError) saying how to add the token, never the content', async () => {
    const missing = fileTokenProvider(path.join(dir, 'absent'));
    await expect(missing()).rejects.toBeInstanceOf(EngineUnavailableError);
    await expect(missing()).rejects.toThrow(/cannot be read \(ENOENT\).*gcloud secrets versions add <clean room>-databricks-token --data-file=-/);
    const empty = path.join(dir, 'empty');
    await fs.writeFile(empty, '  \n');
    await expect(fileTokenProvider(empty)()).rejects.toThrow(/does not hold a token \(not a single token\)/);
    const twoWords = path.join(dir, 'two');
    await fs.writeFile(twoWords, 'dapi-secret-part another-part');
    const error = (await fileTokenProvider(twoWords)().catch((e: unknown) => e)) as Error;
    expect(error).toBeInstanceOf(EngineUnavailableError);
    expect(error.message).not.toContain('dapi-secret-part');
    const huge = path.join(dir, 'huge');
    await fs.writeFile(huge, 'x'.repeat(64 * 1024));
    await expect(fileTokenProvider(huge)()).rejects.toThrow(/too large/);
  });
});

describe('the deployed engine with DATABRICKS_TOKEN_FILE', () => {
  let fake: FakeDatabricks;
  beforeAll(async () => {
    fake = await startFakeDatabricks();
  });
  afterAll(async () => {
    await fake.close();
  });

  it('starts without a token, fails passes as an outage until one is added, then authenticates with it', async () => {
    const config = await loadConfig(EXAMPLES_DIR);
    const file = path.join(dir, 'mounted-token');
    const read = readDeploymentSettings({ ...BASE, DATABRICKS_HOST: fake.host, DATABRICKS_TOKEN_FILE: file });
    if (!read.ok) throw new Error(read.problems.join('; '));
    const redacted: string[] = [];
    const engine = buildEngine(config, read.settings, { onSecret: (value) => redacted.push(value), tuning: { databricks: { maxAttempts: 1 } } });
    // No secret version yet: the file cannot be read; the run is not failed, the pass is postponed.
    await expect(engine.getRun('4242')).rejects.toBeInstanceOf(EngineUnavailableError);
    // A wrong token reaches Databricks and is refused (the fake checks the bearer token as Databricks does).
    await fs.writeFile(file, 'dapi-wrong-token');
    const refused = buildEngine(config, read.settings, { tuning: { databricks: { maxAttempts: 1 } } });
    await expect(refused.getRun('4242')).rejects.toBeInstanceOf(DatabricksApiError);
    // The real token: the request is authenticated (the fake knows no run 4242).
    await fs.writeFile(file, `${fake.token}\n`);
    const authenticated = buildEngine(config, read.settings, { onSecret: (value) => redacted.push(value), tuning: { databricks: { maxAttempts: 1 } } });
    await expect(authenticated.getRun('4242')).rejects.toBeInstanceOf(RunNotFoundError);
    expect(redacted).toEqual([fake.token]);
  });
});
