/** Each construct on its own: what it declares, and the validation errors it raises (asserted by message). */
import { Testing, TerraformStack } from 'cdktf';
import type { Construct } from 'constructs';
import { ClusterPolicy } from '@cdktf/provider-databricks/lib/cluster-policy';
import { SqlEndpoint } from '@cdktf/provider-databricks/lib/sql-endpoint';
import { CONTROL_TABLES } from 'cleanroom-runtime/src/control/tables';
import { struct } from 'cleanroom-runtime/src/delta/schema-types';
import { CleanroomAccess } from '../constructs/cleanroom-access';
import { CleanroomComputeAccess, outputOnlyExpression } from '../constructs/cleanroom-compute-access';
import { ComputeSizes } from '../constructs/compute-sizes';
import { ParticipantDataLocations } from '../constructs/participant-data-locations';
import { CONTROL_TABLE_PROPERTIES, ControlCatalog } from '../constructs/control-catalog';
import { deltaTypeToSql } from '../constructs/delta-sql-types';
import { EventsNotification } from '../constructs/events-notification';
import { PARTICIPANT_FOLDERS, ParticipantBucket } from '../constructs/participant-bucket';
import { DEFAULT_RUNTIME_IMAGE, RuntimeService, invokerAccountId, type RuntimeServiceProps } from '../constructs/runtime-service';
import { CleanroomStack } from '../stacks/cleanroom-stack';
import { ParticipantStack } from '../stacks/participant-stack';
import { SecureBucket } from '../constructs/secure-bucket';
import { InvalidPropsError } from '../constructs/validation';
import type { JsonObject } from './support/synth';

/** Synthesizes what `build` declares in a fresh stack and returns the parsed JSON. */
function synth(build: (scope: Construct) => void): JsonObject {
  return JSON.parse(Testing.synthScope(build)) as JsonObject;
}

function resources(json: JsonObject, type: string): JsonObject[] {
  return Object.values(((json.resource as Record<string, Record<string, JsonObject>>) ?? {})[type] ?? {});
}

/** The error thrown while declaring, so its message can be asserted. */
function errorOf(build: (scope: Construct) => void): InvalidPropsError {
  const stack = new TerraformStack(Testing.app(), 'test');
  try {
    build(stack);
  } catch (error) {
    if (error instanceof InvalidPropsError) return error;
    throw error;
  }
  throw new Error('expected an InvalidPropsError');
}

const runtimeProps: RuntimeServiceProps = {
  cleanroomName: 'demo',
  project: 'demo-cleanroom',
  region: 'europe-west1',
  schedule: '*/5 * * * *',
  serviceAccountEmail: 'cleanroom-runtime@demo-cleanroom.iam.gserviceaccount.com',
  stateBucketName: 'demo-cleanroom-state',
  databricksHost: 'https://1234.5.gcp.databricks.com',
  databricksWarehouseId: '0123456789abcdef',
  databricksPolicyIds: { Small: 'E0631F5C0D000A2B', Large: 'E0631F5C0D000A2C' },
  databricksCatalog: 'cleanroom_demo',
  participantStorageAgents: [
    'service-111111111111@gs-project-accounts.iam.gserviceaccount.com',
    'service-222222222222@gs-project-accounts.iam.gserviceaccount.com',
    'service-111111111111@gs-project-accounts.iam.gserviceaccount.com',
  ],
};

function containerEnv(service: JsonObject): JsonObject[] {
  return ((service.template as JsonObject).containers as JsonObject[])[0].env as JsonObject[];
}

describe('SecureBucket and ParticipantBucket', () => {
  test('the participant bucket gets the seed folder layout as directory markers', () => {
    const json = synth((s) => new ParticipantBucket(s, 'bucket', { bucketName: 'alpha-data', location: 'europe-west1' }));
    const objects = resources(json, 'google_storage_bucket_object');
    expect(objects.map((o) => o.name).sort()).toEqual([...PARTICIPANT_FOLDERS].sort());
    expect(PARTICIPANT_FOLDERS).toEqual(['control/', 'input/', 'output/', 'code/', 'cluster-logs/', 'audit-logs/']);
    for (const object of objects) expect(object.bucket).toMatch(/^\$\{google_storage_bucket\./);
  });

  test('retention of old versions and labels are configurable', () => {
    const json = synth((s) => new SecureBucket(s, 'b', { bucketName: 'alpha-data', location: 'EU', noncurrentVersionRetentionDays: 7, labels: { team: 'ads' } }));
    const [bucket] = resources(json, 'google_storage_bucket');
    expect(bucket).toMatchObject({ location: 'EU', labels: { team: 'ads', 'managed-by': 'cleanroom' }, force_destroy: false });
    expect(bucket.lifecycle_rule).toEqual([{ action: { type: 'Delete' }, condition: { days_since_noncurrent_time: 7, with_state: 'ARCHIVED' } }]);
  });

  test('invalid props are all reported, each naming its field', () => {
    const error = errorOf((s) => new ParticipantBucket(s, 'bucket', { bucketName: 'Bad_Bucket!', location: 'europe west', noncurrentVersionRetentionDays: 0, labels: { Team: 'x' } }));
    expect(error.message).toContain('ParticipantBucket "bucket"');
    expect(error.problems).toHaveLength(4);
    expect(error.message).toMatch(/bucketName — expected 3–63 characters.*\(got "Bad_Bucket!"\)/);
    expect(error.message).toMatch(/location — expected a GCS location/);
    expect(error.message).toMatch(/noncurrentVersionRetentionDays — expected a whole number of days ≥ 1 \(got 0\)/);
    expect(error.message).toMatch(/labels\.Team — expected a label key/);
    expect(errorOf((s) => new SecureBucket(s, 'b', { bucketName: 'google-data', location: 'EU' })).message).toMatch(/bucketName — expected a name that does not start with "goog"/);
  });
});

describe('CleanroomAccess', () => {
  test('reads input/ output/ control/ code/ and writes control/ (never control/events/) and code/ of the one bucket, through IAM conditions', () => {
    const text = Testing.synthScope((s) => new CleanroomAccess(s, 'access', { bucketName: 'alpha-data', cleanroomServiceAccountEmail: 'cr-runtime@demo-cleanroom.iam.gserviceaccount.com' }));
    const grants = resources(JSON.parse(text) as JsonObject, 'google_storage_bucket_iam_member');
    expect(grants.map((g) => [g.bucket, g.role, g.member])).toEqual([
      ['alpha-data', 'roles/storage.objectViewer', 'serviceAccount:cr-runtime@demo-cleanroom.iam.gserviceaccount.com'],
      ['alpha-data', 'roles/storage.objectAdmin', 'serviceAccount:cr-runtime@demo-cleanroom.iam.gserviceaccount.com'],
    ]);
    const objects = (prefix: string): string => `resource.name.startsWith("projects/_/buckets/alpha-data/objects/${prefix}")`;
    const list = (prefix: string): string => `api.getAttribute("storage.googleapis.com/objectListPrefix", "").startsWith("${prefix}")`;
    expect((grants[0].condition as JsonObject).expression).toBe(
      `(${['input/', 'output/', 'control/', 'code/'].map(objects).join(' || ')}) || ${['input/', 'output/', 'control/', 'code/'].map(list).join(' || ')}`,
    );
    expect((grants[1].condition as JsonObject).expression).toBe(`(${objects('control/')} || ${objects('code/')}) && !${objects('control/events/')}`);
  });

  test.each(['allUsers', 'allAuthenticatedUsers', 'user:someone@example.com', 'group:ops@example.com'])('refuses "%s" as the clean room principal', (principal) => {
    const error = errorOf((s) => new CleanroomAccess(s, 'access', { bucketName: 'alpha-data', cleanroomServiceAccountEmail: principal }));
    expect(error.message).toMatch(/cleanroomServiceAccountEmail — expected a user-managed service account email/);
  });
});

describe('ControlCatalog', () => {
  test('SQL types are derived from Delta types, nested ones included', () => {
    expect(deltaTypeToSql('long')).toBe('bigint');
    expect(deltaTypeToSql('integer')).toBe('int');
    expect(deltaTypeToSql('timestamp_ntz')).toBe('timestamp_ntz');
    expect(deltaTypeToSql('decimal(12,3)')).toBe('decimal(12,3)');
    expect(deltaTypeToSql({ type: 'array', elementType: struct([['a', 'short'], ['b', 'binary']]), containsNull: true })).toBe('array<struct<a:smallint,b:binary>>');
    expect(deltaTypeToSql({ type: 'map', keyType: 'string', valueType: 'double', valueContainsNull: false })).toBe('map<string,double>');
  });

  test('declares every control table as an external Delta table whose columns come from CONTROL_TABLES', () => {
    const json = synth((s) => new ControlCatalog(s, 'catalog', { participantName: 'alpha', bucketName: 'alpha-data', warehouseId: 'abcdef0123456789' }));
    const tables = resources(json, 'databricks_sql_table');
    expect(tables.map((t) => t.name).sort()).toEqual(Object.keys(CONTROL_TABLES).sort());
    for (const table of tables) {
      const schema = CONTROL_TABLES[table.name as keyof typeof CONTROL_TABLES];
      expect(table).toMatchObject({
        catalog_name: 'cleanroom_alpha',
        schema_name: 'control',
        table_type: 'EXTERNAL',
        data_source_format: 'DELTA',
        storage_location: `gs://alpha-data/control/${String(table.name)}`,
        warehouse_id: 'abcdef0123456789',
        properties: CONTROL_TABLE_PROPERTIES,
      });
      expect(table.column).toEqual(schema.fields.map((f) => ({ name: f.name, type: deltaTypeToSql(f.type), nullable: f.nullable })));
    }
    const events = tables.find((t) => t.name === 'events') as JsonObject;
    // The seed's events schema, exactly.
    expect((events.column as JsonObject[]).map((c) => `${String(c.name)} ${String(c.type)}`)).toEqual([
      'event_type string', 'uuid string', 'payload string', 'timestamp timestamp', 'user string', 'notebook string', 'hostname string', 'api_version string',
    ]);
  });

  test('Unity Catalog: credential, external locations over control/ and the catalog storage, catalog with a storage root, schemas', () => {
    const json = synth((s) => new ControlCatalog(s, 'catalog', { participantName: 'alpha_co', bucketName: 'alpha-data' }));
    expect(resources(json, 'databricks_storage_credential')).toEqual([expect.objectContaining({ name: 'cleanroom-alpha-co', databricks_gcp_service_account: {} })]);
    expect(resources(json, 'databricks_external_location').map((l) => [l.name, l.url]).sort()).toEqual([
      ['cleanroom-alpha-co-catalog', 'gs://alpha-data/catalog/'],
      ['cleanroom-alpha-co-control', 'gs://alpha-data/control/'],
    ]);
    expect(resources(json, 'databricks_catalog')).toEqual([expect.objectContaining({ name: 'cleanroom_alpha_co', storage_root: 'gs://alpha-data/catalog/' })]);
    expect(resources(json, 'databricks_schema').map((s) => s.name).sort()).toEqual(['alpha_co', 'control']);
    const grants = resources(json, 'google_storage_bucket_iam_member');
    expect(grants.map((g) => [g.bucket, g.role, (g.condition as JsonObject | undefined)?.expression]).sort()).toEqual([
      ['alpha-data', 'roles/storage.legacyBucketReader', undefined],
      ['alpha-data', 'roles/storage.objectAdmin', 'resource.name.startsWith("projects/_/buckets/alpha-data/objects/control/") || resource.name.startsWith("projects/_/buckets/alpha-data/objects/catalog/")'],
    ]);
    for (const grant of grants) expect(grant.member).toMatch(/^serviceAccount:\$\{databricks_storage_credential\.[^}]+\.databricks_gcp_service_account\[0\]\.email\}$/);
    // Owned deliberately: by the deploying identity unless told otherwise.
    const owners = [...resources(json, 'databricks_storage_credential'), ...resources(json, 'databricks_external_location'), ...resources(json, 'databricks_catalog')].map((r) => r.owner);
    expect(new Set(owners)).toEqual(new Set(['${data.databricks_current_user.databricks-deployer.user_name}']));
    const owned = synth((s) => new ControlCatalog(s, 'catalog', { participantName: 'alpha', bucketName: 'alpha-data', metastore: { kind: 'unity', owner: 'alpha-admins', catalogStorageRoot: 'gs://alpha-data/uc/managed' } }));
    expect(new Set(resources(owned, 'databricks_external_location').map((l) => l.owner))).toEqual(new Set(['alpha-admins']));
    expect(resources(owned, 'databricks_catalog')[0]).toMatchObject({ owner: 'alpha-admins', storage_root: 'gs://alpha-data/uc/managed/' });
    expect(owned.data).toBeUndefined();
  });

  test('an existing catalog can be used instead of creating one', () => {
    const json = synth((s) => new ControlCatalog(s, 'catalog', { participantName: 'alpha', bucketName: 'alpha-data', metastore: { kind: 'unity', catalog: 'main', createCatalog: false } }));
    expect(resources(json, 'databricks_catalog')).toEqual([]);
    expect(new Set(resources(json, 'databricks_sql_table').map((t) => t.catalog_name))).toEqual(new Set(['main']));
  });

  test('Hive metastore: tables in hive_metastore, no Unity Catalog objects, optional cluster grant', () => {
    const json = synth((s) => new ControlCatalog(s, 'catalog', { participantName: 'alpha', bucketName: 'alpha-data', metastore: { kind: 'hive', clusterServiceAccountEmail: 'dbx-cluster@alpha-project.iam.gserviceaccount.com' } }));
    for (const type of ['databricks_storage_credential', 'databricks_external_location', 'databricks_catalog', 'databricks_schema']) expect(resources(json, type)).toEqual([]);
    expect(new Set(resources(json, 'databricks_sql_table').map((t) => t.catalog_name))).toEqual(new Set(['hive_metastore']));
    expect(resources(json, 'google_storage_bucket_iam_member')).toEqual([
      expect.objectContaining({ bucket: 'alpha-data', role: 'roles/storage.objectAdmin', member: 'serviceAccount:dbx-cluster@alpha-project.iam.gserviceaccount.com' }),
    ]);
  });

  test('invalid props name the field', () => {
    expect(errorOf((s) => new ControlCatalog(s, 'c', { participantName: 'Alpha-Co', bucketName: 'alpha-data' })).message).toMatch(/participantName — expected a participant name matching/);
    expect(errorOf((s) => new ControlCatalog(s, 'c', { participantName: 'control', bucketName: 'alpha-data' })).message).toMatch(/participantName — expected a name other than "control"/);
    expect(errorOf((s) => new ControlCatalog(s, 'c', { participantName: '../x', bucketName: 'alpha-data' })).message).toMatch(/participantName/);
    for (const root of ['gs://alpha-data/control/managed', 'gs://alpha-data/input', 'gs://alpha-data/', 'gs://other-bucket/catalog/', 'gs://alpha-data/out put/']) {
      const overlap = errorOf((s) => new ControlCatalog(s, 'c', { participantName: 'alpha', bucketName: 'alpha-data', metastore: { kind: 'unity', catalogStorageRoot: root } }));
      expect(overlap.message).toMatch(/metastore\.catalogStorageRoot — expected a folder of gs:\/\/alpha-data\/ outside control\/, input\/, output\/, code\//);
    }
    expect(errorOf((s) => new ControlCatalog(s, 'c', { participantName: 'alpha', bucketName: 'alpha-data', metastore: { kind: 'unity', catalog: 'hive_metastore' } })).message).toMatch(/metastore\.catalog — expected a Unity Catalog catalog/);
    expect(errorOf((s) => new ControlCatalog(s, 'c', { participantName: 'alpha', bucketName: 'alpha-data', metastore: { kind: 'hive', clusterServiceAccountEmail: 'allUsers' } })).message).toMatch(/metastore\.clusterServiceAccountEmail/);
    expect(errorOf((s) => new ControlCatalog(s, 'c', { participantName: 'alpha', bucketName: 'alpha-data', warehouseId: "x'; DROP" })).message).toMatch(/warehouseId — expected a SQL warehouse id/);
  });
});

describe('ComputeSizes', () => {
  test('one job-cluster policy per size pinned to its shape, and the runtime warehouse', () => {
    const text = Testing.synthScope(
      (s) => new ComputeSizes(s, 'compute', { cleanroomName: 'demo', sizes: [{ name: 'Small', nodeType: 'n2-standard-4', numWorkers: 4 }, { name: 'Large', nodeType: 'n2-standard-8', driverNodeType: 'n2-highmem-8', numWorkers: 16 }] }),
    );
    const policies = resources(JSON.parse(text) as JsonObject, 'databricks_cluster_policy');
    expect(policies.map((p) => p.name).sort()).toEqual(['demo Large', 'demo Small']);
    const large = JSON.parse(String(policies.find((p) => p.name === 'demo Large')?.definition)) as Record<string, JsonObject>;
    expect(large.cluster_type).toEqual({ type: 'fixed', value: 'job' });
    expect(large.node_type_id).toEqual({ type: 'fixed', value: 'n2-standard-8' });
    expect(large.driver_node_type_id).toEqual({ type: 'fixed', value: 'n2-highmem-8' });
    expect(large.num_workers).toEqual({ type: 'fixed', value: 16 });
    expect(large['custom_tags.cleanroom_compute_size']).toEqual({ type: 'fixed', value: 'large' });
    expect(text).toHaveResource(ClusterPolicy);
    expect(text).toHaveResourceWithProperties(SqlEndpoint, { name: 'demo-runtime', cluster_size: '2X-Small', auto_stop_mins: 10, max_num_clusters: 1 });
  });

  test('invalid sizes are reported by field', () => {
    expect(errorOf((s) => new ComputeSizes(s, 'c', { cleanroomName: 'demo', sizes: [] })).message).toMatch(/sizes — expected at least one compute size/);
    const error = errorOf(
      (s) =>
        new ComputeSizes(s, 'c', {
          cleanroomName: 'demo',
          sizes: [{ name: 'Small', nodeType: 'n2-standard-4', numWorkers: 2 }, { name: 'small', nodeType: 'N2 STANDARD', numWorkers: -1 }],
          warehouse: { clusterSize: 'Huge' },
        }),
    );
    expect(error.message).toMatch(/sizes\[1\]\.name — expected a size name not offered twice/);
    expect(error.message).toMatch(/sizes\[1\]\.nodeType — expected a GCP node type/);
    expect(error.message).toMatch(/sizes\[1\]\.numWorkers — expected a whole number of workers from 0 to 1000 \(got -1\)/);
    expect(error.message).toMatch(/warehouse\.clusterSize — expected one of 2X-Small/);
  });
});

describe('RuntimeService', () => {
  test('declares the service, invoker, schedule, topic, push subscription and one publisher grant per participant project', () => {
    const json = synth((s) => new RuntimeService(s, 'runtime', { ...runtimeProps, configFiles: { 'cleanroom.yaml': 'name: demo\n', 'participants/alpha.yaml': 'name: alpha\n' } }));
    const [service] = resources(json, 'google_cloud_run_v2_service');
    expect(service).toMatchObject({ name: 'demo-runtime', location: 'europe-west1', template: { service_account: runtimeProps.serviceAccountEmail } });
    expect(((service.template as JsonObject).containers as JsonObject[])[0].image).toBe(DEFAULT_RUNTIME_IMAGE);
    expect(resources(json, 'google_pubsub_topic')).toEqual([expect.objectContaining({ name: 'demo-events' })]);
    const [job] = resources(json, 'google_cloud_scheduler_job');
    expect(String((job.http_target as JsonObject).uri)).toMatch(/\.uri\}\/tick$/);
    const [push] = resources(json, 'google_pubsub_subscription');
    expect(String((push.push_config as JsonObject).push_endpoint)).toMatch(/\.uri\}\/pubsub$/);
    // One publisher grant per distinct agent, each named by the participants' config; nothing read from their projects.
    expect(json.data).toBeUndefined();
    expect(resources(json, 'google_pubsub_topic_iam_member').map((m) => m.member).sort()).toEqual([
      'serviceAccount:service-111111111111@gs-project-accounts.iam.gserviceaccount.com',
      'serviceAccount:service-222222222222@gs-project-accounts.iam.gserviceaccount.com',
    ]);
    // The reviewed config is uploaded for the runtime, with directory markers for the mounted bucket.
    const objects = resources(json, 'google_storage_bucket_object');
    expect(objects.map((o) => o.name).sort()).toEqual(['config/', 'config/cleanroom.yaml', 'config/participants/', 'config/participants/alpha.yaml']);
    expect(objects.find((o) => o.name === 'config/participants/alpha.yaml')?.content).toBe('name: alpha\n');
    expect(new Set(objects.map((o) => o.bucket))).toEqual(new Set([runtimeProps.stateBucketName]));
  });

  test('passes the runtime warehouse id and the policy id of every size to the runtime', () => {
    const literal = synth((s) => new RuntimeService(s, 'runtime', runtimeProps));
    const env = containerEnv(resources(literal, 'google_cloud_run_v2_service')[0]);
    expect(env).toEqual(expect.arrayContaining([{ name: 'CLEANROOM_DATABRICKS_WAREHOUSE_ID', value: '0123456789abcdef' }]));
    expect(env.find((e) => e.name === 'CLEANROOM_DATABRICKS_POLICY_IDS')?.value).toBe('${jsonencode({"Large" = "E0631F5C0D000A2C", "Small" = "E0631F5C0D000A2B"})}');

    // Wired to the resources declared by ComputeSizes: Terraform resolves the ids at apply time.
    const wired = synth((s) => {
      const compute = new ComputeSizes(s, 'compute', { cleanroomName: 'demo', sizes: [{ name: 'Small', nodeType: 'n2-standard-4', numWorkers: 2 }, { name: '2X-Large', nodeType: 'n2-standard-16', numWorkers: 8 }] });
      new RuntimeService(s, 'runtime', { ...runtimeProps, databricksWarehouseId: compute.warehouse.id, databricksPolicyIds: compute.policyIds });
    });
    const wiredEnv = containerEnv(resources(wired, 'google_cloud_run_v2_service')[0]);
    const policyNames = Object.keys((wired.resource as Record<string, Record<string, JsonObject>>).databricks_cluster_policy).sort();
    const [warehouseName] = Object.keys((wired.resource as Record<string, Record<string, JsonObject>>).databricks_sql_endpoint);
    expect(wiredEnv.find((e) => e.name === 'CLEANROOM_DATABRICKS_WAREHOUSE_ID')?.value).toBe(`\${databricks_sql_endpoint.${warehouseName}.id}`);
    const policies = String(wiredEnv.find((e) => e.name === 'CLEANROOM_DATABRICKS_POLICY_IDS')?.value);
    expect(policies).toMatch(/^\$\{jsonencode\(\{.*\}\)\}$/);
    for (const size of ['Small', '2X-Large']) {
      const policy = policyNames.find((n) => n.includes(`policy-${size.toLowerCase()}`));
      expect(policy).toBeDefined();
      expect(policies).toContain(`"${size}" = databricks_cluster_policy.${policy}.id`);
    }
  });

  test('service account ids stay within 30 characters for long clean room names', () => {
    expect(invokerAccountId('demo')).toBe('demo-invoker');
    const long = invokerAccountId('a-very-long-clean-room-name-for-tests');
    expect(long.length).toBeLessThanOrEqual(30);
    expect(long).toMatch(/^a-very-long-clea-[0-9a-f]{4}-invoker$/);
    expect(invokerAccountId('a-very-long-clean-room-name-for-tests2')).not.toBe(long);
  });

  test('invalid props name the field', () => {
    const error = errorOf(
      (s) =>
        new RuntimeService(s, 'runtime', {
          ...runtimeProps,
          schedule: 'every 5 minutes',
          image: 'not an image',
          serviceAccountEmail: 'allUsers',
          databricksHost: 'http://insecure.example.com',
          participantStorageAgents: ['attacker@evil-project.iam.gserviceaccount.com'],
          configFiles: { '../escape.yaml': '' },
          maxInstances: 0,
          databricksWarehouseId: 'x; rm',
          databricksPolicyIds: { Small: 'not a policy' },
        }),
    );
    for (const field of ['schedule', 'image', 'serviceAccountEmail', 'databricksHost', 'participantStorageAgents[0]', 'configFiles["../escape.yaml"]', 'maxInstances', 'databricksWarehouseId', 'databricksPolicyIds["Small"]']) {
      expect(error.message).toContain(`${field} — expected`);
    }
    expect(error.problems).toHaveLength(9);
    expect(errorOf((s) => new RuntimeService(s, 'runtime', { ...runtimeProps, databricksPolicyIds: {} })).message).toContain('databricksPolicyIds — expected a cluster policy id for at least one compute size');
  });
});

describe('ParticipantDataLocations', () => {
  const buckets = [
    { participant: 'beta', bucket: 'beta-data' },
    { participant: 'alpha', bucket: 'alpha-data' },
  ];

  test('declares one credential, locations over input/ and output/ of each bucket, grants and ownership to the deploying identity by default', () => {
    const json = synth((s) => new ParticipantDataLocations(s, 'data', { cleanroomName: 'demo', buckets }));
    expect(resources(json, 'databricks_storage_credential').map((c) => c.name)).toEqual(['demo-participant-data']);
    expect(resources(json, 'databricks_external_location').map((l) => [l.name, l.url, l.skip_validation])).toEqual([
      ['demo-alpha-input', 'gs://alpha-data/input/', true],
      ['demo-alpha-output', 'gs://alpha-data/output/', true],
      ['demo-beta-input', 'gs://beta-data/input/', true],
      ['demo-beta-output', 'gs://beta-data/output/', true],
    ]);
    const deployer = '${data.databricks_current_user.databricks-deployer.user_name}';
    expect(Object.keys(((json.data as Record<string, Record<string, JsonObject>>) ?? {}).databricks_current_user ?? {})).toEqual(['databricks-deployer']);
    for (const grant of resources(json, 'databricks_grants')) expect((grant.grant as JsonObject[])[0].principal).toBe(deployer);
    for (const owned of [...resources(json, 'databricks_storage_credential'), ...resources(json, 'databricks_external_location')]) expect(owned.owner).toBe(deployer);
  });

  test('grants a configured runtime principal, owned by a configured owner, and declares no data source then', () => {
    const json = synth((s) => new ParticipantDataLocations(s, 'data', { cleanroomName: 'demo', buckets, runtimePrincipal: 'runtime@demo.example', owner: 'cleanroom-admins' }));
    expect(json.data).toBeUndefined();
    expect(resources(json, 'databricks_grants').map((g) => (g.grant as JsonObject[])[0])).toEqual([
      { principal: 'runtime@demo.example', privileges: ['CREATE_EXTERNAL_TABLE', 'READ_FILES'] },
      { principal: 'runtime@demo.example', privileges: ['READ_FILES', 'WRITE_FILES'] },
      { principal: 'runtime@demo.example', privileges: ['CREATE_EXTERNAL_TABLE', 'READ_FILES'] },
      { principal: 'runtime@demo.example', privileges: ['READ_FILES', 'WRITE_FILES'] },
    ]);
    expect(new Set(resources(json, 'databricks_external_location').map((l) => l.owner))).toEqual(new Set(['cleanroom-admins']));
    expect(errorOf((s) => new ParticipantDataLocations(s, 'data', { cleanroomName: 'demo', buckets, runtimePrincipal: 'runtime@demo.example', owner: 'Runtime@demo.example' })).message).toMatch(
      /owner — expected an owner other than the runtime principal/,
    );
  });

  test('refuses bad names, duplicates and a malformed principal, naming each field', () => {
    const error = errorOf(
      (s) =>
        new ParticipantDataLocations(s, 'data', {
          cleanroomName: 'Demo!',
          buckets: [...buckets, { participant: 'alpha', bucket: 'beta-data' }, { participant: 'Gamma', bucket: 'UPPER' }],
          runtimePrincipal: 'not a principal',
        }),
    );
    expect(error.problems).toEqual([
      expect.stringMatching(/^cleanroomName — expected a clean room name/),
      expect.stringMatching(/^buckets\[2\]\.participant — expected a participant listed once \(got "alpha"\)/),
      expect.stringMatching(/^buckets\[2\]\.bucket — expected a bucket no other participant uses \(got "beta-data"\)/),
      expect.stringMatching(/^buckets\[3\]\.participant — expected a participant name/),
      expect.stringMatching(/^buckets\[3\]\.bucket — expected 3–63 characters/),
      expect.stringMatching(/^runtimePrincipal — expected a service principal application id or a user email/),
    ]);
  });
});

describe('CleanroomComputeAccess', () => {
  const account = 'db-uc-storage-1234@uc-europewest1.iam.gserviceaccount.com';

  test('reads objects below input/ only and writes only below output/, through IAM conditions', () => {
    const json = synth((s) => new CleanroomComputeAccess(s, 'compute', { bucketName: 'alpha-data', storageServiceAccountEmail: account }));
    const grants = resources(json, 'google_storage_bucket_iam_member');
    expect(grants.map((g) => [g.role, g.bucket, g.member, (g.condition as JsonObject | undefined)?.expression]).sort()).toEqual([
      ['roles/storage.legacyBucketReader', 'alpha-data', `serviceAccount:${account}`, undefined],
      ['roles/storage.objectAdmin', 'alpha-data', `serviceAccount:${account}`, 'resource.name.startsWith("projects/_/buckets/alpha-data/objects/output/")'],
      ['roles/storage.objectViewer', 'alpha-data', `serviceAccount:${account}`, 'resource.name.startsWith("projects/_/buckets/alpha-data/objects/input/")'],
    ]);
    expect(outputOnlyExpression('beta-data')).toBe('resource.name.startsWith("projects/_/buckets/beta-data/objects/output/")');
  });

  test('refuses a public principal or a bad bucket name', () => {
    const error = errorOf((s) => new CleanroomComputeAccess(s, 'compute', { bucketName: 'Alpha', storageServiceAccountEmail: 'allUsers' }));
    expect(error.problems).toEqual([expect.stringMatching(/^bucketName — expected 3–63 characters/), expect.stringMatching(/^storageServiceAccountEmail — expected a service account email/)]);
  });
});

describe('EventsNotification', () => {
  test('announces only new events commits of the bucket to the topic', () => {
    const json = synth((s) => new EventsNotification(s, 'n', { bucketName: 'alpha-data', topicId: 'projects/demo-cleanroom/topics/demo-events' }));
    expect(resources(json, 'google_storage_notification')).toEqual([
      { bucket: 'alpha-data', topic: 'projects/demo-cleanroom/topics/demo-events', event_types: ['OBJECT_FINALIZE'], object_name_prefix: 'control/events/_delta_log/', payload_format: 'JSON_API_V1' },
    ]);
  });

  test('invalid props name the field', () => {
    expect(errorOf((s) => new EventsNotification(s, 'n', { bucketName: 'alpha-data', topicId: 'demo-events' })).message).toMatch(/topicId — expected a topic id "projects\/<project>\/topics\/<name>"/);
  });
});

describe('stacks', () => {
  test('a participant stack refuses an unknown role or a malformed workspace host, naming the field', () => {
    const props = {
      cleanroomName: 'demo',
      location: 'europe-west1',
      cleanroomServiceAccountEmail: 'cleanroom-runtime@demo-cleanroom.iam.gserviceaccount.com',
      eventsTopicId: 'projects/demo-cleanroom/topics/demo-events',
    };
    const participant = { name: 'alpha', role: 'keeper' as const, bucket: 'alpha-data', gcpProject: 'alpha-project', databricksHost: 'https://1.2.gcp.databricks.com' };
    const error = (change: object): string => {
      try {
        new ParticipantStack(Testing.app(), { ...props, participant: { ...participant, ...change } });
      } catch (e) {
        return (e as Error).message;
      }
      return 'no error';
    };
    expect(error({ role: 'admin' })).toMatch(/participant\.role — expected "keeper" or "collaborator" \(got "admin"\)/);
    expect(error({ databricksHost: 'ftp://x' })).toMatch(/participant\.databricksHost — expected an https:\/\/ workspace URL/);
    expect(error({ bucket: 'UPPER' })).toMatch(/bucketName — expected 3–63 characters/);
    expect(error({})).toBe('no error');
  });

  test('the clean room stack creates its service account only when it belongs to the clean room project', () => {
    const props = {
      name: 'demo',
      gcpProject: 'demo-cleanroom',
      region: 'europe-west1',
      databricksHost: 'https://1.2.gcp.databricks.com',
      stateBucket: 'demo-state',
      computeSizes: [{ name: 'Small', nodeType: 'n2-standard-4', numWorkers: 2 }],
      runtime: { schedule: '*/5 * * * *' },
      participantStorageAgents: [],
      participantBuckets: [{ participant: 'alpha', bucket: 'alpha-data' }],
      databricksCatalog: 'cleanroom_demo',
    };
    const own = new CleanroomStack(Testing.app(), { ...props, serviceAccountEmail: 'cr-runtime@demo-cleanroom.iam.gserviceaccount.com' });
    expect(resources(JSON.parse(Testing.synth(own)) as JsonObject, 'google_service_account').map((a) => a.account_id).sort()).toEqual(['cr-runtime', 'demo-invoker']);
    const shared = new CleanroomStack(Testing.app(), { ...props, serviceAccountEmail: 'cr-runtime@other-project.iam.gserviceaccount.com' });
    expect(resources(JSON.parse(Testing.synth(shared)) as JsonObject, 'google_service_account').map((a) => a.account_id)).toEqual(['demo-invoker']);
    expect(() => new CleanroomStack(Testing.app(), { ...props, region: 'Europe', serviceAccountEmail: 'x' })).toThrow(/region — expected a GCP region[\s\S]*serviceAccountEmail — expected a user-managed service account email/);
  });
});
