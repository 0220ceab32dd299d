/**
 * Security properties of the whole example app, asserted on the synthesized JSON of every stack
 * (one synth shared by all assertions).
 */
import { StorageBucket } from '@cdktf/provider-google/lib/storage-bucket';
import { CLEANROOM_READ_ROLE, CLEANROOM_WRITE_ROLE, runtimeReadCondition, runtimeWriteCondition } from '../constructs/cleanroom-access';
import { COMPUTE_BUCKET_ROLE, COMPUTE_OUTPUT_ROLE, COMPUTE_READ_ROLE } from '../constructs/cleanroom-compute-access';
import { DATASET_LOCATION_PRIVILEGES, OUTPUT_LOCATION_PRIVILEGES } from '../constructs/participant-data-locations';
import {
  DEFAULT_JOB_PRINCIPALS,
  JOB_PRINCIPAL_CATALOG_PRIVILEGES,
  JOB_PRINCIPAL_STAGING_SCHEMA_PRIVILEGES,
} from 'cleanroom-runtime/src/engines/databricks/run-access-names';
import { RUNTIME_SECRET_ROLE, RUNTIME_STATE_BUCKET_ROLE, TOKEN_FILE_NAME, TOKEN_MOUNT_PATH } from '../constructs/runtime-service';
import type { CleanroomDefinition } from '../stacks/cleanroom-app';
import { EXAMPLES_DIR, allStrings, definitionFromDir, entries, ofType, synthDefinition, type JsonObject, type SynthesizedApp } from './support/synth';

const TOKEN_CANARY = 'dapi0123456789abcdef0123456789abcdef-canary';

let definition: CleanroomDefinition;
let app: SynthesizedApp;
let savedToken: string | undefined;

beforeAll(async () => {
  // A token in the deployer's environment must never leak into Terraform.
  savedToken = process.env.DATABRICKS_TOKEN;
  process.env.DATABRICKS_TOKEN = TOKEN_CANARY;
  definition = await definitionFromDir(EXAMPLES_DIR);
  app = synthDefinition(definition);
});

afterAll(() => {
  if (savedToken === undefined) delete process.env.DATABRICKS_TOKEN;
  else process.env.DATABRICKS_TOKEN = savedToken;
});

const participantStacks = (): string[] => [...app.json.keys()].filter((id) => id.startsWith('participant-'));
const runtimeMember = (): string => `serviceAccount:${definition.serviceAccountEmail}`;

test('the example app has the clean room stack and one stack per participant', () => {
  expect([...app.json.keys()].sort()).toEqual(['cleanroom', ...definition.participants.map((p) => `participant-${p.name}`)].sort());
  expect(definition.participants.length).toBeGreaterThanOrEqual(3);
});

test('no public principal appears anywhere', () => {
  for (const [stack, json] of app.json) {
    const strings = allStrings(json);
    expect({ stack, hits: strings.filter((s) => /allUsers|allAuthenticatedUsers/.test(s)) }).toEqual({ stack, hits: [] });
  }
});

test('every bucket is private: public access prevention enforced, uniform access, versioned, old versions expire', () => {
  const buckets = ofType(entries(app), 'google_storage_bucket');
  expect(buckets.map((b) => b.body.name).sort()).toEqual([definition.stateBucket, ...definition.participants.map((p) => p.bucket)].sort());
  for (const { body } of buckets) {
    expect(body).toMatchObject({ public_access_prevention: 'enforced', uniform_bucket_level_access: true, versioning: { enabled: true } });
    expect(body.lifecycle_rule).toEqual([
      { action: { type: 'Delete' }, condition: { days_since_noncurrent_time: 30, with_state: 'ARCHIVED' } },
    ]);
  }
  for (const stack of participantStacks()) {
    expect(app.text.get(stack)).toHaveResourceWithProperties(StorageBucket, { public_access_prevention: 'enforced', uniform_bucket_level_access: true });
  }
});

test('no ACLs, no authoritative IAM and no project-, folder- or organization-level grants', () => {
  const types = new Set(entries(app).map((e) => e.type));
  const forbidden = [...types].filter(
    (t) => /_acl$|access_control$/.test(t) || /_iam_(binding|policy)$/.test(t) || /^google_(project|folder|organization)_iam_/.test(t),
  );
  expect(forbidden).toEqual([]);
});

// Deliberately changed: the runtime had object admin on the whole bucket; it now reads input/ output/ control/ code/
// and writes control/ (never control/events/) and code/, each through an IAM condition.
test("each participant stack grants the clean room two conditioned roles on exactly its own bucket: read its folders, write control/ and code/", () => {
  for (const participant of definition.participants) {
    const stack = `participant-${participant.name}`;
    const grants = ofType(entries(app, 'resource', [stack]), 'google_storage_bucket_iam_member').map((g) => g.body);
    // Every grant in the stack (clean room, storage credential) is on the participant's own bucket.
    expect(new Set(grants.map((g) => g.bucket))).toEqual(new Set([participant.bucket]));
    const cleanroomGrants = grants.filter((g) => g.member === runtimeMember());
    expect(cleanroomGrants).toEqual([
      expect.objectContaining({ bucket: participant.bucket, role: CLEANROOM_READ_ROLE, condition: expect.objectContaining({ expression: runtimeReadCondition(participant.bucket) }) }),
      expect.objectContaining({ bucket: participant.bucket, role: CLEANROOM_WRITE_ROLE, condition: expect.objectContaining({ expression: runtimeWriteCondition(participant.bucket) }) }),
    ]);
    expect(String((cleanroomGrants[1].condition as JsonObject).expression)).toContain(`!resource.name.startsWith("projects/_/buckets/${participant.bucket}/objects/control/events/")`);
  }
});

test('the runtime identity has object admin on the state bucket and access to the one token secret, nothing else', () => {
  const all = entries(app);
  const holders = all.filter((e) => e.type.endsWith('_iam_member') && e.body.member === runtimeMember());
  const cleanroomGrants = holders.filter((h) => h.stack === 'cleanroom').map((h) => ({ type: h.type, role: h.body.role }));
  expect(cleanroomGrants.sort((a, b) => a.type.localeCompare(b.type))).toEqual([
    { type: 'google_secret_manager_secret_iam_member', role: RUNTIME_SECRET_ROLE },
    { type: 'google_storage_bucket_iam_member', role: RUNTIME_STATE_BUCKET_ROLE },
  ]);
  const stateGrant = holders.find((h) => h.type === 'google_storage_bucket_iam_member' && h.stack === 'cleanroom');
  expect(stateGrant?.body.bucket).toBe(definition.stateBucket);
  const secrets = ofType(all, 'google_secret_manager_secret');
  expect(secrets).toHaveLength(1);
  const secretGrant = holders.find((h) => h.type === 'google_secret_manager_secret_iam_member');
  expect(secretGrant?.body.secret_id).toBe(`\${google_secret_manager_secret.${secrets[0].name}.secret_id}`);
  // Elsewhere the runtime only appears through the participants' CleanroomAccess grants, always conditioned.
  expect(holders.filter((h) => h.stack !== 'cleanroom').map((h) => h.body.role)).toEqual(participantStacks().flatMap(() => [CLEANROOM_READ_ROLE, CLEANROOM_WRITE_ROLE]));
  expect(holders.filter((h) => h.stack !== 'cleanroom' && h.body.condition === undefined)).toEqual([]);
});

test('only the invoker account may call the service, with OIDC tokens for the service audience', () => {
  const cleanroom = entries(app, 'resource', ['cleanroom']);
  const [service] = ofType(cleanroom, 'google_cloud_run_v2_service');
  const invokerRef = `\${${'google_service_account'}.${ofType(cleanroom, 'google_service_account').find((s) => String(s.body.account_id).endsWith('invoker'))?.name}.email}`;
  expect(service.body.ingress).toBe('INGRESS_TRAFFIC_INTERNAL_ONLY');
  const audience = (service.body.custom_audiences as string[])[0];
  expect(ofType(cleanroom, 'google_cloud_run_v2_service_iam_member').map((m) => m.body)).toEqual([
    expect.objectContaining({ role: 'roles/run.invoker', member: `serviceAccount:${invokerRef}` }),
  ]);
  const [job] = ofType(cleanroom, 'google_cloud_scheduler_job');
  expect(job.body.schedule).toBe(definition.runtime.schedule);
  expect(job.body.http_target).toMatchObject({ http_method: 'POST', oidc_token: { service_account_email: invokerRef, audience } });
  const [push] = ofType(cleanroom, 'google_pubsub_subscription');
  expect(push.body.push_config).toMatchObject({ oidc_token: { service_account_email: invokerRef, audience } });
  const env = ((service.body.template as JsonObject).containers as JsonObject[])[0].env as JsonObject[];
  expect(env).toEqual(expect.arrayContaining([{ name: 'CLEANROOM_AUDIENCE', value: audience }, { name: 'CLEANROOM_INVOKERS', value: invokerRef }]));
});

// Deliberately changed: the token was a secret environment variable (which keeps the first revision from starting
// before a version exists); it is now a file of a secret volume, read at each use.
test('the Databricks token is a mounted Secret Manager secret: no secret version, no plain value, nothing inlined', () => {
  const all = entries(app);
  expect(ofType(all, 'google_secret_manager_secret_version')).toEqual([]);
  const [service] = ofType(all, 'google_cloud_run_v2_service');
  const template = service.body.template as JsonObject;
  const env = (template.containers as JsonObject[])[0].env as JsonObject[];
  expect(env.find((e) => e.name === 'DATABRICKS_TOKEN')).toBeUndefined();
  expect(env).toContainEqual({ name: 'DATABRICKS_TOKEN_FILE', value: `${TOKEN_MOUNT_PATH}/${TOKEN_FILE_NAME}` });
  const volume = (template.volumes as JsonObject[]).find((v) => v.secret !== undefined);
  expect(volume).toEqual({ name: 'databricks-token', secret: { secret: expect.stringMatching(/^\$\{google_secret_manager_secret\./), items: [{ version: 'latest', path: TOKEN_FILE_NAME }] } });
  // No variable looks like a credential with a plain value.
  expect(env.filter((e) => /TOKEN$|SECRET|PASSWORD|KEY/i.test(String(e.name)) && e.value !== undefined)).toEqual([]);
  for (const [stack, text] of app.text) {
    expect({ stack, inlined: text.includes(TOKEN_CANARY) || /dapi[0-9a-f]{32}/.test(text) }).toEqual({ stack, inlined: false });
    // Neither provider is configured with a credential: each deployer brings its own.
    for (const provider of Object.values((app.json.get(stack)?.provider ?? {}) as Record<string, JsonObject[]>)) {
      for (const config of provider) expect(Object.keys(config).filter((k) => /token|password|credentials|secret|key/i.test(k))).toEqual([]);
    }
  }
});

test('participant stacks are self-contained: own providers, no references to other stacks', () => {
  for (const participant of definition.participants) {
    const json = app.json.get(`participant-${participant.name}`) as JsonObject;
    const provider = json.provider as Record<string, JsonObject[]>;
    expect(provider.google).toEqual([expect.objectContaining({ project: participant.gcpProject })]);
    expect(provider.databricks).toEqual([expect.objectContaining({ host: participant.databricksHost })]);
    const text = app.text.get(`participant-${participant.name}`) as string;
    expect(text).not.toMatch(/terraform_remote_state|cross-stack-output/);
    // Only the clean room's service account and topic (both from config) point outside the participant's project.
    const [notification] = ofType(entries(app, 'resource', [`participant-${participant.name}`]), 'google_storage_notification');
    expect(notification.body).toMatchObject({
      bucket: participant.bucket,
      topic: `projects/${definition.gcpProject}/topics/${definition.name}-events`,
      object_name_prefix: 'control/events/_delta_log/',
      event_types: ['OBJECT_FINALIZE'],
      payload_format: 'JSON_API_V1',
    });
  }
});

// Deliberately changed: the agents were read from each participant's project (a data source needing access there);
// they now come from each participant's reviewed config.
test("each participant's published storage agent, and nobody else, may publish to the events topic", () => {
  const cleanroom = app.json.get('cleanroom') as JsonObject;
  expect(((cleanroom.data ?? {}) as JsonObject).google_storage_project_service_account).toBeUndefined();
  const publishers = ofType(entries(app, 'resource', ['cleanroom']), 'google_pubsub_topic_iam_member').map((p) => p.body);
  expect(publishers.map((p) => p.member).sort()).toEqual(definition.participants.map((p) => `serviceAccount:${String(p.storageServiceAgent)}`).sort());
  for (const grant of publishers) expect(grant.role).toBe('roles/pubsub.publisher');
});

describe("the clean room's Databricks compute reaching participant data", () => {
  const STORAGE_ACCOUNT = 'db-uc-storage-0a1b2c3d@uc-europewest1.iam.gserviceaccount.com';
  const RUNTIME_PRINCIPAL = '6b1f0c2e-4d3a-4b5c-9e8f-0123456789ab';
  let granted: SynthesizedApp;

  beforeAll(() => {
    granted = synthDefinition({ ...definition, databricksStorageServiceAccount: STORAGE_ACCOUNT, databricksRuntimePrincipal: RUNTIME_PRINCIPAL });
  });

  const storageMember = `serviceAccount:${STORAGE_ACCOUNT}`;

  test('one storage credential (a Databricks-managed Google service account) whose email is a stack output', () => {
    const cleanroom = granted.json.get('cleanroom') as JsonObject;
    const credentials = ofType(entries(granted, 'resource', ['cleanroom']), 'databricks_storage_credential');
    expect(credentials).toHaveLength(1);
    expect(credentials[0].body).toMatchObject({ databricks_gcp_service_account: {}, isolation_mode: 'ISOLATION_MODE_ISOLATED' });
    expect(credentials[0].body).not.toHaveProperty('gcp_service_account_key');
    expect((cleanroom.output as Record<string, JsonObject>).storage_service_account.value).toBe(
      `\${databricks_storage_credential.${credentials[0].name}.databricks_gcp_service_account[0].email}`,
    );
    // Participant stacks never declare the clean room's credential.
    expect(ofType(entries(granted, 'resource', participantStacks()), 'databricks_storage_credential').map((c) => c.body.name)).not.toContain(credentials[0].body.name);
  });

  // Deliberately changed: one location over the whole bucket became one over input/ and one over output/.
  test("external locations over each participant's input/ and output/ only (and the catalog's storage), through that credential", () => {
    const cleanroom = entries(granted, 'resource', ['cleanroom']);
    const [credential] = ofType(cleanroom, 'databricks_storage_credential');
    const locations = ofType(cleanroom, 'databricks_external_location').map((l) => l.body);
    expect(locations.map((l) => l.url).sort()).toEqual(
      [...definition.participants.flatMap((p) => [`gs://${p.bucket}/input/`, `gs://${p.bucket}/output/`]), `gs://${definition.stateBucket}/catalog/`, `gs://${definition.stateBucket}/staging/`].sort(),
    );
    for (const location of locations) {
      expect(location).toMatchObject({ credential_name: `\${databricks_storage_credential.${credential.name}.name}`, isolation_mode: 'ISOLATION_MODE_ISOLATED' });
      expect(location.read_only ?? false).toBe(false);
    }
  });

  // Deliberately changed: the job principal had READ FILES on every dataset location. A principal with a privilege on
  // an external location reaches any path inside it (https://docs.databricks.com/sql/language-manual/sql-ref-external-locations.html),
  // while an external table's readers need no access to its location (https://docs.databricks.com/sql/language-manual/sql-ref-external-tables.html):
  // participant code reads tables through the per-run grants only.
  test("only the runtime's principal has privileges on each participant's locations: reads datasets, writes output/", () => {
    const cleanroom = entries(granted, 'resource', ['cleanroom']);
    const locations = ofType(cleanroom, 'databricks_external_location').filter((l) => String(l.body.url).startsWith('gs://') && !String(l.body.url).startsWith(`gs://${definition.stateBucket}/`));
    const participantLocations = new Set(locations.map((l) => `\${databricks_external_location.${l.name}.id}`));
    const grants = ofType(cleanroom, 'databricks_grants').map((g) => g.body).filter((g) => participantLocations.has(String(g.external_location)));
    expect(grants.map((g) => g.external_location).sort()).toEqual([...participantLocations].sort());
    for (const location of locations) {
      const grant = grants.find((g) => g.external_location === `\${databricks_external_location.${location.name}.id}`) as JsonObject;
      expect(Object.keys(grant).filter((k) => !['external_location', 'grant', 'depends_on'].includes(k))).toEqual([]);
      const privileges = String(location.body.url).endsWith('/output/') ? OUTPUT_LOCATION_PRIVILEGES : DATASET_LOCATION_PRIVILEGES;
      expect(grant.grant).toEqual([{ principal: RUNTIME_PRINCIPAL, privileges: [...privileges] }]);
    }
    expect([...DATASET_LOCATION_PRIVILEGES].sort()).toEqual(['CREATE_EXTERNAL_TABLE', 'READ_FILES']);
    expect([...OUTPUT_LOCATION_PRIVILEGES].sort()).toEqual(['READ_FILES', 'WRITE_FILES']);
  });

  // Deliberately changed: one job principal held SELECT on the whole catalog, READ FILES on the datasets and READ/WRITE
  // FILES on all of staging. Each principal of the pool now holds only what entering takes; the runtime grants a run's
  // tables and staging volume to its principal for that run.
  test('no job principal holds a privilege on any external location, nor any privilege on data: only entering the catalog and the staging schema', () => {
    const cleanroom = entries(granted, 'resource', ['cleanroom']);
    const jobs = ofType(cleanroom, 'databricks_service_principal').map((p) => `\${databricks_service_principal.${p.name}.application_id}`);
    expect(jobs).toHaveLength(DEFAULT_JOB_PRINCIPALS);
    const held = ofType(cleanroom, 'databricks_grants').flatMap((g) =>
      (g.body.grant as Array<{ principal: string; privileges: string[] }>).filter((e) => jobs.includes(e.principal)).map((e) => ({ principal: e.principal, on: Object.keys(g.body).filter((k) => k !== 'grant' && k !== 'depends_on'), privileges: e.privileges })),
    );
    for (const job of jobs) {
      expect(held.filter((h) => h.principal === job)).toEqual([
        { principal: job, on: ['catalog'], privileges: [...JOB_PRINCIPAL_CATALOG_PRIVILEGES] },
        { principal: job, on: ['schema'], privileges: [...JOB_PRINCIPAL_STAGING_SCHEMA_PRIVILEGES] },
      ]);
    }
    expect([...JOB_PRINCIPAL_CATALOG_PRIVILEGES, ...JOB_PRINCIPAL_STAGING_SCHEMA_PRIVILEGES]).toEqual(['USE_CATALOG', 'USE_SCHEMA']);
    // Nobody holds SELECT, MODIFY or ALL PRIVILEGES statically on any catalog, schema or table of the clean room.
    const dataPrivileges = ofType(cleanroom, 'databricks_grants').flatMap((g) => (g.body.grant as Array<{ privileges: string[] }>).flatMap((e) => e.privileges)).filter((p) => /^(SELECT|MODIFY|ALL_PRIVILEGES)$/.test(p));
    expect(dataPrivileges).toEqual([]);
  });

  // Deliberately changed: objectViewer on the whole bucket became objectViewer below input/ only.
  test("the credential's account gets grants only on participant buckets: bucket metadata, read input/, write below output/ only", () => {
    const holders = entries(granted).filter((e) => allStrings(e.body).includes(storageMember));
    expect(holders.every((h) => h.type === 'google_storage_bucket_iam_member')).toBe(true);
    expect(holders.some((h) => h.stack === 'cleanroom')).toBe(false);
    for (const participant of definition.participants) {
      const mine = holders.filter((h) => h.stack === `participant-${participant.name}`).map((h) => h.body);
      expect(new Set(mine.map((g) => g.bucket))).toEqual(new Set([participant.bucket]));
      const unconditioned = mine.filter((g) => g.condition === undefined).map((g) => g.role);
      expect(unconditioned).toEqual([COMPUTE_BUCKET_ROLE]);
      const conditioned = mine.filter((g) => g.condition !== undefined);
      expect(conditioned).toEqual([
        expect.objectContaining({
          role: COMPUTE_READ_ROLE,
          condition: expect.objectContaining({ expression: `resource.name.startsWith("projects/_/buckets/${participant.bucket}/objects/input/")` }),
        }),
        expect.objectContaining({
          role: COMPUTE_OUTPUT_ROLE,
          condition: expect.objectContaining({ expression: `resource.name.startsWith("projects/_/buckets/${participant.bucket}/objects/output/")` }),
        }),
      ]);
    }
    // Nothing reads an object's content or writes anywhere without a condition: the only unconditioned role is the
    // bucket reader Databricks requires, which grants bucket metadata and listing.
    expect(holders.filter((h) => h.body.condition === undefined && h.body.role !== COMPUTE_BUCKET_ROLE)).toEqual([]);
  });

  test('still no project-, folder- or organization-level grants and no public principal', () => {
    const types = new Set(entries(granted).map((e) => e.type));
    expect([...types].filter((t) => /^google_(project|folder|organization)_iam_/.test(t) || /_iam_(binding|policy)$/.test(t))).toEqual([]);
    for (const [, json] of granted.json) expect(allStrings(json).filter((s) => /allUsers|allAuthenticatedUsers/.test(s))).toEqual([]);
  });

  test('each participant output says whether the grant is in place or pending', () => {
    for (const participant of definition.participants) {
      const pending = ((app.json.get(`participant-${participant.name}`) as JsonObject).output as Record<string, JsonObject>).cleanroom_compute_access.value;
      expect(pending).toMatch(/^pending: databricks\.storage_service_account is not set in cleanroom\.yaml/);
      expect(pending).toContain(`cdktf deploy participant-${participant.name}`);
      const done = ((granted.json.get(`participant-${participant.name}`) as JsonObject).output as Record<string, JsonObject>).cleanroom_compute_access.value;
      expect(done).toBe(`granted: ${STORAGE_ACCOUNT} reads below gs://${participant.bucket}/input/ and writes below gs://${participant.bucket}/output/ only`);
    }
    // Without the field, nobody but the runtime's service account and the participant's own credential is granted.
    const pendingGrants = ofType(entries(app, 'resource', participantStacks()), 'google_storage_bucket_iam_member');
    for (const grant of pendingGrants.filter((g) => g.body.member !== runtimeMember())) {
      expect(grant.body.member).toMatch(/^serviceAccount:\$\{databricks_storage_credential\.control-catalog_credential_[^.]+\.databricks_gcp_service_account\[0\]\.email\}$/);
    }
  });

  test('job clusters use a Unity Catalog access mode and no cluster-wide Google identity', () => {
    const policies = ofType(entries(granted, 'resource', ['cleanroom']), 'databricks_cluster_policy');
    expect(policies.length).toBe(definition.computeSizes.length);
    for (const policy of policies) {
      const rules = JSON.parse(String(policy.body.definition)) as Record<string, JsonObject>;
      expect(rules.data_security_mode).toEqual({ type: 'fixed', value: 'SINGLE_USER' });
      expect(rules['gcp_attributes.google_service_account']).toEqual({ type: 'forbidden' });
    }
  });
});
