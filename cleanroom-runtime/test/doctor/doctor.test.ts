/**
 * `cleanroom doctor` against fakes of the Google Cloud and Databricks APIs that answer as their references document
 * and say no (permission denied, API disabled, not found, 429): each problem is reported with the fix, steps not
 * done yet are "pending", and a participant's run reads nothing but its own project, bucket and workspace.
 */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { loadConfig } from '../../src/config';
import { computePolicyName, runtimeWarehouseName } from '../../src/deployment/resource-names';
import { runDoctor, type Finding } from '../../src/doctor';
import { DatabricksAdmin } from '../../src/doctor/databricks-admin';
import { GoogleApi, rootsUnder } from '../../src/doctor/google-api';
import { CLEANROOM_APIS, CLEANROOM_DEPLOY_PERMISSIONS, PARTICIPANT_APIS, PARTICIPANT_DEPLOY_PERMISSIONS, PREREQUISITE_APIS } from '../../src/doctor/requirements';
import { DatabricksClient } from '../../src/engines/databricks';
import { EXAMPLES_DIR, MINIMAL_CLEANROOM_YAML, REPO_ROOT, copyExamples, removeTempConfigs } from '../config/config-fixtures';
import { startFakeDatabricksAdmin, type FakeDatabricksAdmin } from '../support/fake-databricks-admin';
import { startFakeGoogleApis, type FakeGoogleApis } from '../support/fake-google-apis';

const run = promisify(execFile);

const CLEANROOM_PROJECT = { id: 'publisher-cleanroom', number: '111111111111' };
/** The example participants' projects; their numbers match the storage agents in examples/participants. */
const PARTICIPANT_PROJECTS = [
  { id: 'advertiser-marketing', number: '345678901234', bucket: 'advertiser-cleanroom-data' },
  { id: 'measurement-partner', number: '456789012345', bucket: 'measurement-cleanroom-data' },
  { id: 'publisher-analytics', number: '234567890123', bucket: 'publisher-cleanroom-data' },
];
const TOPIC = '//pubsub.googleapis.com/projects/publisher-cleanroom/topics/retail-media-events';
const RUNTIME_PRINCIPAL = '6b1f0c2e-4d3a-4b5c-9e8f-0123456789ab';

let google: FakeGoogleApis;
let workspace: FakeDatabricksAdmin;

beforeEach(async () => {
  google = await startFakeGoogleApis();
  workspace = await startFakeDatabricksAdmin();
});

afterEach(async () => {
  await google.close();
  await workspace.close();
});

afterAll(removeTempConfigs);

function clients(): { google: GoogleApi; databricks: DatabricksAdmin } {
  return {
    google: new GoogleApi({ token: () => Promise.resolve(google.token), roots: rootsUnder(google.root), sleep: async () => undefined }),
    databricks: new DatabricksAdmin(new DatabricksClient({ host: workspace.host, token: workspace.token, maxAttempts: 3, sleep: async () => undefined })),
  };
}

/** A fresh clean room project: only what is on by default and what the README asks to enable first. */
function freshCleanroomProject(): void {
  google.addProject(CLEANROOM_PROJECT.id, CLEANROOM_PROJECT.number, {
    enabled: [...PREREQUISITE_APIS, 'storage.googleapis.com'],
    granted: CLEANROOM_DEPLOY_PERMISSIONS.map((p) => p.permission),
  });
  workspace.state.metastore = { id: 'ms-1', name: 'europe-west1' };
  workspace.state.me = { userName: 'ops@publisher.example', groups: ['users', 'admins', 'cleanroom-admins'] };
}

/** What `cdktf deploy cleanroom` leaves behind, plus the token and a successful pass. */
function deployedCleanroom(config: { computeSizes: readonly string[] }): void {
  freshCleanroomProject();
  for (const api of CLEANROOM_APIS) google.project(CLEANROOM_PROJECT.id).enabled.add(api);
  google.setService(CLEANROOM_PROJECT.id, 'europe-west1', 'retail-media-runtime', { state: 'CONDITION_SUCCEEDED' });
  google.setJob(CLEANROOM_PROJECT.id, 'europe-west1', 'retail-media-runtime-tick', { state: 'ENABLED', lastAttemptTime: '2025-03-01T10:05:00Z', status: { code: 0 } });
  google.addSecretVersion(CLEANROOM_PROJECT.id, 'retail-media-databricks-token', 'ENABLED');
  workspace.state.catalogs.set('cleanroom_retail_media', { storage_root: 'gs://publisher-cleanroom-state/catalog/', isolation_mode: 'ISOLATED' });
  const canUse = [{ service_principal_name: RUNTIME_PRINCIPAL, all_permissions: [{ permission_level: 'CAN_USE', inherited: false }] }];
  config.computeSizes.forEach((size, i) => workspace.state.policies.set(`POLICY${i}`, { name: computePolicyName('retail-media', size), acl: canUse }));
  workspace.state.warehouses.set('wh-1', { name: runtimeWarehouseName('retail-media'), acl: canUse });
  for (const p of PARTICIPANT_PROJECTS) {
    google.addBucket({ name: p.bucket, project: p.id }).notifications.push({ topic: TOPIC, event_types: ['OBJECT_FINALIZE'], object_name_prefix: 'control/events/_delta_log/', payload_format: 'JSON_API_V1' });
  }
}

async function withRuntimePrincipal(): Promise<string> {
  const temp = await copyExamples();
  const file = temp.file('cleanroom.yaml');
  const text = readFileSync(file, 'utf8');
  await temp.write('cleanroom.yaml', text.replace('  # runtime_principal: 6b1f0c2e-4d3a-4b5c-9e8f-0123456789ab', `  runtime_principal: ${RUNTIME_PRINCIPAL}`));
  return temp.dir;
}

const problems = (findings: Finding[]): Finding[] => findings.filter((f) => f.status === 'problem');
const find = (findings: Finding[], check: RegExp): Finding => {
  const found = findings.find((f) => check.test(f.check));
  if (!found) throw new Error(`no finding for ${check}: ${findings.map((f) => f.check).join(' | ')}`);
  return found;
};

describe('the operator side', () => {
  it('a fresh project ready for its first deploy has no problem: what the deploy will do is pending', async () => {
    freshCleanroomProject();
    const report = await runDoctor({ configDir: EXAMPLES_DIR, env: {}, ...clients() });
    expect(problems(report.findings)).toEqual([]);
    for (const api of ['run.googleapis.com', 'cloudscheduler.googleapis.com', 'secretmanager.googleapis.com']) {
      expect(find(report.findings, new RegExp(`API ${api.replace(/\./g, '\\.')}`))).toMatchObject({ status: 'pending', fix: expect.stringContaining('cdktf deploy cleanroom enables it') });
    }
    expect(find(report.findings, /^API serviceusage/)).toMatchObject({ status: 'ok' });
    expect(find(report.findings, /your permissions on publisher-cleanroom/)).toMatchObject({ status: 'ok' });
    expect(find(report.findings, /Cloud Run service retail-media-runtime/)).toMatchObject({ status: 'pending' });
    expect(find(report.findings, /^storage root of metastore/).detail).toMatch(/none .* each catalog the stacks create has its own storage root/);
    expect(find(report.findings, /^catalog cleanroom_retail_media/)).toMatchObject({ status: 'pending', fix: 'cdktf deploy cleanroom creates it' });
    expect(find(report.findings, /databricks\.storage_service_account/)).toMatchObject({ status: 'pending' });
    // Permissions were asked in one testIamPermissions call of every permission the deploy needs.
    expect(google.requests.filter((r) => r.path.endsWith(':testIamPermissions'))).toHaveLength(1);
  });

  it('names a disabled prerequisite API, missing permissions, a missing metastore and a caller who is no admin, each with its fix', async () => {
    google.addProject(CLEANROOM_PROJECT.id, CLEANROOM_PROJECT.number, {
      enabled: ['serviceusage.googleapis.com'],
      granted: CLEANROOM_DEPLOY_PERMISSIONS.map((p) => p.permission).filter((p) => !p.startsWith('run.') && p !== 'iam.serviceAccounts.actAs'),
    });
    workspace.state.me = { userName: 'analyst@publisher.example', groups: ['users'] };
    const report = await runDoctor({ configDir: EXAMPLES_DIR, env: {}, ...clients() });
    expect(find(report.findings, /^API cloudresourcemanager/)).toEqual({
      status: 'problem',
      check: 'API cloudresourcemanager.googleapis.com in publisher-cleanroom',
      detail: 'disabled, and a deploy needs it first',
      fix: 'gcloud services enable cloudresourcemanager.googleapis.com --project publisher-cleanroom',
    });
    // Resource Manager is off, so testIamPermissions is refused with SERVICE_DISABLED: the finding says to enable it.
    expect(find(report.findings, /your permissions/)).toMatchObject({ status: 'problem', detail: expect.stringMatching(/cannot check: .*cloudresourcemanager\.googleapis\.com has not been used/) });
    google.project(CLEANROOM_PROJECT.id).enabled.add('cloudresourcemanager.googleapis.com');
    const again = await runDoctor({ configDir: EXAMPLES_DIR, env: {}, ...clients() });
    expect(find(again.findings, /your permissions/)).toMatchObject({
      status: 'problem',
      detail: 'missing iam.serviceAccounts.actAs, run.services.create, run.services.setIamPolicy for cdktf deploy cleanroom',
      fix: expect.stringMatching(/^grant the deploying identity roles\/iam\.serviceAccountUser, roles\/run\.admin on publisher-cleanroom/),
    });
    expect(find(again.findings, /Unity Catalog metastore/)).toMatchObject({ status: 'problem', detail: 'no metastore is assigned to the workspace' });
    expect(find(again.findings, /your Databricks identity/)).toMatchObject({ status: 'problem', detail: expect.stringMatching(/not a workspace admin/) });
    expect(find(again.findings, /^owner cleanroom-admins/)).toMatchObject({ status: 'problem', fix: expect.stringMatching(/add analyst@publisher\.example to cleanroom-admins/) });
  });

  it('on a deployed clean room: a token secret without version, a failed last pass, a runtime principal without CAN_USE and missing or unreadable notifications', async () => {
    const configDir = await withRuntimePrincipal();
    const config = await loadConfig(configDir);
    deployedCleanroom(config);
    google.setJob(CLEANROOM_PROJECT.id, 'europe-west1', 'retail-media-runtime-tick', { state: 'ENABLED', lastAttemptTime: '2025-03-01T10:05:00Z', status: { code: 7, message: 'PERMISSION_DENIED' } });
    workspace.state.policies.get('POLICY1')!.acl = [{ group_name: 'users', all_permissions: [{ permission_level: 'CAN_USE', inherited: false }] }];
    const [advertiser, measurement] = PARTICIPANT_PROJECTS;
    google.addBucket({ name: advertiser.bucket, project: advertiser.id, callerMayRead: false });
    google.addBucket({ name: measurement.bucket, project: measurement.id });

    const report = await runDoctor({ configDir, env: {}, ...clients() });
    expect(find(report.findings, /Cloud Run service/)).toMatchObject({ status: 'ok', detail: 'ready' });
    expect(find(report.findings, /^secret retail-media-databricks-token/)).toMatchObject({ status: 'ok', detail: 'latest version 1 enabled' });
    expect(find(report.findings, /last scheduled pass/)).toMatchObject({
      status: 'problem',
      detail: 'the attempt at 2025-03-01T10:05:00Z failed (code 7: PERMISSION_DENIED)',
      fix: 'read the service\'s logs: gcloud run services logs read retail-media-runtime --project publisher-cleanroom --region europe-west1',
    });
    expect(find(report.findings, new RegExp(`on cluster policy "retail-media ${config.computeSizes[1]}"`))).toMatchObject({ status: 'problem', detail: 'no CAN_USE: the runtime cannot submit runs of this size' });
    expect(find(report.findings, new RegExp(`on cluster policy "retail-media ${config.computeSizes[0]}"`))).toMatchObject({ status: 'ok', detail: 'CAN_USE' });
    expect(find(report.findings, /on SQL warehouse "retail-media-runtime"/)).toMatchObject({ status: 'ok' });
    expect(find(report.findings, /^catalog cleanroom_retail_media/)).toMatchObject({ status: 'ok' });
    expect(find(report.findings, new RegExp(`notification of gs://${advertiser.bucket}`))).toMatchObject({
      status: 'problem',
      detail: expect.stringMatching(/^cannot check: permission denied/),
      fix: expect.stringContaining('ask advertiser to run cleanroom doctor --participant advertiser'),
    });
    expect(find(report.findings, new RegExp(`notification of gs://${measurement.bucket}`))).toMatchObject({ status: 'problem', fix: expect.stringMatching(/^measurement runs cdktf deploy participant-measurement/) });
    expect(find(report.findings, /notification of gs:\/\/publisher-cleanroom-data/)).toMatchObject({ status: 'ok' });
  });

  it('a secret without any version is a problem whose fix adds it', async () => {
    // A deployed clean room whose token secret exists (the stack declares it) without any version.
    const fresh = await startFakeGoogleApis({ token: google.token });
    freshCleanroomProject();
    fresh.addProject(CLEANROOM_PROJECT.id, CLEANROOM_PROJECT.number, { enabled: [...PREREQUISITE_APIS, ...CLEANROOM_APIS], granted: CLEANROOM_DEPLOY_PERMISSIONS.map((p) => p.permission) });
    fresh.setService(CLEANROOM_PROJECT.id, 'europe-west1', 'retail-media-runtime', { state: 'CONDITION_SUCCEEDED' });
    fresh.setJob(CLEANROOM_PROJECT.id, 'europe-west1', 'retail-media-runtime-tick', { state: 'ENABLED' });
    fresh.createSecret(CLEANROOM_PROJECT.id, 'retail-media-databricks-token');
    try {
      const report = await runDoctor({
        configDir: EXAMPLES_DIR,
        env: {},
        google: new GoogleApi({ token: () => Promise.resolve(fresh.token), roots: rootsUnder(fresh.root) }),
        databricks: clients().databricks,
      });
      expect(find(report.findings, /^secret retail-media-databricks-token/)).toEqual({
        status: 'problem',
        check: 'secret retail-media-databricks-token',
        detail: 'no version: the runtime has no Databricks token, so no pass reaches Databricks',
        fix: `printf '%s' "$TOKEN" | gcloud secrets versions add retail-media-databricks-token --project publisher-cleanroom --data-file=-`,
      });
      expect(find(report.findings, /last scheduled pass/)).toMatchObject({ status: 'pending', detail: 'no attempt yet' });
    } finally {
      await fresh.close();
    }
  });

  it('retries a 429 (after its Retry-After) and a 503, and says so when credentials are refused', async () => {
    freshCleanroomProject();
    google.injectFault({ path: /serviceusage.*run\.googleapis\.com/, status: 429, times: 1, retryAfter: '0' });
    workspace.failNext(/metastore_summary/, 503, 1);
    const report = await runDoctor({ configDir: EXAMPLES_DIR, env: {}, ...clients() });
    expect(problems(report.findings)).toEqual([]);
    expect(google.requests.filter((r) => /services\/run\.googleapis\.com$/.test(r.path)).map((r) => r.fault)).toEqual([429, undefined]);
    const refused = await runDoctor({
      configDir: EXAMPLES_DIR,
      env: {},
      google: new GoogleApi({ token: () => Promise.resolve('ya29.expired'), roots: rootsUnder(google.root) }),
      databricks: new DatabricksAdmin(new DatabricksClient({ host: workspace.host, token: 'dapi-wrong', maxAttempts: 1 })),
    });
    expect(find(refused.findings, /^API serviceusage/)).toMatchObject({ status: 'problem', detail: 'the Google credentials were refused' });
    expect(find(refused.findings, /Unity Catalog metastore/)).toMatchObject({ status: 'problem', detail: expect.stringMatching(/refused by Databricks .*403 PERMISSION_DENIED/) });
  });
});

describe("a participant's side", () => {
  const advertiser = PARTICIPANT_PROJECTS[0];

  function participantProject(): void {
    google.addProject(advertiser.id, advertiser.number, { enabled: [...PREREQUISITE_APIS, ...PARTICIPANT_APIS], granted: PARTICIPANT_DEPLOY_PERMISSIONS.map((p) => p.permission) });
    workspace.state.metastore = { id: 'ms-2', name: 'advertiser-metastore', storageRoot: 'gs://advertiser-uc-root/' };
    workspace.state.me = { userName: 'data@advertiser.example', groups: ['users'] };
  }

  it('before its first deploy: nothing but pending steps, and only its own project, bucket and workspace are read', async () => {
    participantProject();
    const report = await runDoctor({ configDir: EXAMPLES_DIR, participant: 'advertiser', env: {}, ...clients() });
    expect(report.title).toMatch(/participant "advertiser"/);
    expect(problems(report.findings)).toEqual([]);
    expect(find(report.findings, /bucket gs:\/\/advertiser-cleanroom-data/)).toMatchObject({ status: 'pending', fix: 'cdktf deploy participant-advertiser creates it' });
    expect(find(report.findings, /gcp\.storage_service_agent of advertiser/)).toMatchObject({ status: 'ok' });
    expect(find(report.findings, /^catalog cleanroom_advertiser/)).toMatchObject({ status: 'pending' });
    for (const request of google.requests) {
      expect(request.path).toMatch(new RegExp(`/(projects/${advertiser.id}[/:]|b/${advertiser.bucket}(/|$))`));
    }
  });

  it('a published agent that is not the project\'s is a problem; an unpublished one is pending with the value to add', async () => {
    participantProject();
    const temp = await copyExamples();
    const file = readFileSync(temp.file('participants/advertiser.yaml'), 'utf8');
    await temp.write('participants/advertiser.yaml', file.replace('service-345678901234@', 'service-999999999999@'));
    const wrong = await runDoctor({ configDir: temp.dir, participant: 'advertiser', env: {}, ...clients() });
    expect(find(wrong.findings, /gcp\.storage_service_agent/)).toMatchObject({
      status: 'problem',
      fix: `set storage_service_agent: service-${advertiser.number}@gs-project-accounts.iam.gserviceaccount.com in participants/advertiser.yaml`,
    });
    await temp.write('participants/advertiser.yaml', file.replace(/\n  # The project's Cloud Storage[\s\S]*?storage_service_agent: .*\n/, '\n'));
    const missing = await runDoctor({ configDir: temp.dir, participant: 'advertiser', env: {}, ...clients() });
    expect(find(missing.findings, /gcp\.storage_service_agent/)).toMatchObject({ status: 'pending', fix: expect.stringContaining(`storage_service_agent: service-${advertiser.number}@`) });
  });

  it('after its deploy: a bucket without uniform access or without the notification is a problem', async () => {
    participantProject();
    const bucket = google.addBucket({ name: advertiser.bucket, project: advertiser.id, uniformAccess: false });
    const report = await runDoctor({ configDir: EXAMPLES_DIR, participant: 'advertiser', env: {}, ...clients() });
    expect(find(report.findings, /^bucket gs:/)).toMatchObject({ status: 'problem', detail: expect.stringMatching(/uniform bucket-level access is off/) });
    expect(find(report.findings, /events notification/)).toMatchObject({ status: 'problem', fix: expect.stringMatching(/^cdktf deploy participant-advertiser again/) });
    bucket.uniformAccess = true;
    bucket.notifications.push({ topic: TOPIC, event_types: ['OBJECT_FINALIZE'], object_name_prefix: 'control/events/_delta_log/', payload_format: 'JSON_API_V1' });
    workspace.state.catalogs.set('cleanroom_advertiser', { storage_root: 'gs://advertiser-cleanroom-data/catalog/' });
    const fixed = await runDoctor({ configDir: EXAMPLES_DIR, participant: 'advertiser', env: {}, ...clients() });
    expect(problems(fixed.findings)).toEqual([]);
  });

  it('refuses an unknown participant', async () => {
    await expect(runDoctor({ configDir: EXAMPLES_DIR, participant: 'nobody', env: {}, ...clients() })).rejects.toThrow(/no participant "nobody" in the configuration \(participants: advertiser, measurement, publisher\)/);
  });
});

describe('the command', () => {
  const cli = path.join(REPO_ROOT, 'cleanroom-runtime', 'bin', 'cleanroom.js');

  it('prints each finding with its fix, exits 1 on a problem, and never prints the tokens', async () => {
    freshCleanroomProject();
    google.project(CLEANROOM_PROJECT.id).granted.delete('run.services.create');
    const env = { ...process.env, GOOGLE_OAUTH_ACCESS_TOKEN: google.token, CLEANROOM_GOOGLE_API_ROOT: google.root, DATABRICKS_HOST: workspace.host, DATABRICKS_TOKEN: workspace.token };
    const failure = (await run(process.execPath, [cli, 'doctor', '--config', EXAMPLES_DIR], { env }).catch((e: unknown) => e)) as { code: number; stdout: string };
    expect(failure.code).toBe(1);
    const lines = failure.stdout.split('\n');
    expect(lines[0]).toBe('cleanroom doctor: clean room "retail-media" (project publisher-cleanroom, europe-west1)');
    const index = lines.findIndex((l) => l.includes('your permissions on publisher-cleanroom'));
    expect(lines[index]).toBe('  PROBLEM  your permissions on publisher-cleanroom: missing run.services.create for cdktf deploy cleanroom');
    expect(lines[index + 1]).toMatch(/^ {11}fix: grant the deploying identity roles\/run\.admin on publisher-cleanroom/);
    expect(lines.at(-2)).toMatch(/^1 problem, \d+ pending, \d+ ok$/);
    expect(failure.stdout).not.toContain(google.token);
    expect(failure.stdout).not.toContain(workspace.token);

    google.project(CLEANROOM_PROJECT.id).granted.add('run.services.create');
    const passed = await run(process.execPath, [cli, 'doctor', '--config', EXAMPLES_DIR, '--json'], { env });
    const report = JSON.parse(passed.stdout) as { findings: Finding[] };
    expect(report.findings.filter((f) => f.status === 'problem')).toEqual([]);
  });

  it('an invalid configuration is reported as config validate does', async () => {
    const temp = await copyExamples();
    await temp.write('cleanroom.yaml', MINIMAL_CLEANROOM_YAML.replace('keeper: publisher', 'keeper: nobody'));
    const failure = (await run(process.execPath, [cli, 'doctor', '--config', temp.dir], { env: { ...process.env, GOOGLE_OAUTH_ACCESS_TOKEN: 'x' } }).catch((e: unknown) => e)) as { code: number; stderr: string };
    expect(failure.code).toBe(3); // the configuration is invalid (README: exit codes)
    expect(failure.stderr).toMatch(/cleanroom\.yaml:\d+:\d+ keeper/);
  });
});
