/**
 * The pool of job principals participant code runs as, and the staging schema its runs' volumes live in, asserted on
 * the synthesized clean room stack: the pool size from cleanroom.yaml, the runtime's right to run as each principal,
 * the static grants (only entering the catalog and the staging schema), and what the runtime needs to create a run's
 * external volume and grant it.
 */
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { TerraformStack, Testing } from 'cdktf';
import {
  DEFAULT_JOB_PRINCIPALS,
  JOB_PRINCIPAL_STAGING_SCHEMA_PRIVILEGES,
  MAX_JOB_PRINCIPALS,
  RUNTIME_STAGING_LOCATION_PRIVILEGES,
  RUNTIME_STAGING_SCHEMA_PRIVILEGES,
  STAGING_SCHEMA,
} from 'cleanroom-runtime/src/engines/databricks/run-access-names';
import { CleanroomJobPrincipals, SERVICE_PRINCIPAL_USER_ROLE } from '../constructs/cleanroom-job-principals';
import { JOB_PRINCIPALS_ENV } from '../constructs/runtime-service';
import { StagingSchema } from '../constructs/staging-schema';
import { InvalidPropsError } from '../constructs/validation';
import { buildCleanroomApp, type CleanroomDefinition } from '../stacks/cleanroom-app';
import { EXAMPLES_DIR, definitionFromDir, entries, ofType, synthDefinition, type JsonObject, type ResourceEntry } from './support/synth';

const RUNTIME_PRINCIPAL = '6b1f0c2e-4d3a-4b5c-9e8f-0123456789ab';
const ACCOUNT_ID = '0d26daa6-5e44-4c97-a497-ef015f91254a';

let tmp: string;
let example: CleanroomDefinition;
/** The example with `databricks.job_principals: 3`, read from a config folder. */
let three: CleanroomDefinition;

beforeAll(async () => {
  example = await definitionFromDir(EXAMPLES_DIR);
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'cleanroom-pool-'));
  await fs.cp(EXAMPLES_DIR, tmp, { recursive: true });
  const file = path.join(tmp, 'cleanroom.yaml');
  const text = await fs.readFile(file, 'utf8');
  const withPool = text.replace(/^(databricks:\n(?:  .*\n|\s*#.*\n)*?  host: .*\n)/m, '$1  job_principals: 3\n');
  expect(withPool).not.toBe(text);
  await fs.writeFile(file, withPool);
  three = await definitionFromDir(tmp);
});

afterAll(async () => {
  await fs.rm(tmp, { recursive: true, force: true });
});

const cleanroomOf = (definition: CleanroomDefinition): ResourceEntry[] => entries(synthDefinition(definition), 'resource', ['cleanroom']);
const appIdRef = (principal: ResourceEntry): string => `\${databricks_service_principal.${principal.name}.application_id}`;
const grantsOn = (cleanroom: ResourceEntry[], field: string, ref: string): JsonObject[] =>
  ofType(cleanroom, 'databricks_grants').map((g) => g.body).filter((g) => g[field] === ref);

test('the pool has databricks.job_principals service principals, each as locked down as the single one was', () => {
  expect(three.databricksJobPrincipals).toBe(3);
  expect(example.databricksJobPrincipals).toBe(DEFAULT_JOB_PRINCIPALS);
  for (const [definition, count] of [[three, 3], [example, DEFAULT_JOB_PRINCIPALS]] as const) {
    const principals = ofType(cleanroomOf(definition), 'databricks_service_principal').map((p) => p.body);
    expect(principals).toEqual(
      Array.from({ length: count }, (_, i) => ({
        display_name: `${definition.name}-jobs-${i + 1}`,
        allow_cluster_create: false,
        allow_instance_pool_create: false,
        databricks_sql_access: false,
      })),
    );
  }
});

// runs/submit `run_as` needs the servicePrincipal/user role on the principal (https://docs.databricks.com/api/workspace/jobs/submit,
// https://docs.databricks.com/gcp/en/admin/users-groups/service-principal-acl), granted in the principal's rule set
// (https://registry.terraform.io/providers/databricks/databricks/latest/docs/resources/access_control_rule_set).
test('with the account id, the runtime principal may run as every principal of the pool (a user by email, a service principal by id)', () => {
  const cleanroom = cleanroomOf({ ...three, databricksRuntimePrincipal: RUNTIME_PRINCIPAL, databricksAccountId: ACCOUNT_ID });
  const principals = ofType(cleanroom, 'databricks_service_principal');
  expect(principals).toHaveLength(3);
  const ruleSets = ofType(cleanroom, 'databricks_access_control_rule_set').map((r) => r.body);
  expect(ruleSets).toEqual(
    principals.map((principal) => ({
      name: `accounts/${ACCOUNT_ID}/servicePrincipals/${appIdRef(principal)}/ruleSets/default`,
      grant_rules: [{ role: SERVICE_PRINCIPAL_USER_ROLE, principals: [`servicePrincipals/${RUNTIME_PRINCIPAL}`] }],
    })),
  );
  const byUser = ofType(cleanroomOf({ ...three, databricksRuntimePrincipal: 'cleanroom-ops@publisher.example', databricksAccountId: ACCOUNT_ID }), 'databricks_access_control_rule_set');
  expect(byUser.map((r) => (r.body.grant_rules as JsonObject[])[0]!.principals)).toEqual([['users/cleanroom-ops@publisher.example'], ['users/cleanroom-ops@publisher.example'], ['users/cleanroom-ops@publisher.example']]);
  // The deployer is the runtime principal when none is configured: named as the rule set names it, user or service
  // principal, by databricks_current_user's acl_principal_id
  // (https://registry.terraform.io/providers/databricks/databricks/latest/docs/data-sources/current_user).
  const byDeployer = ofType(cleanroomOf({ ...three, databricksAccountId: ACCOUNT_ID }), 'databricks_access_control_rule_set');
  expect(byDeployer.map((r) => (r.body.grant_rules as JsonObject[])[0]!.principals)).toEqual(
    Array.from({ length: 3 }, () => ['${data.databricks_current_user.databricks-deployer.acl_principal_id}']),
  );
  // Without the account id, nothing is declared at the account level.
  expect(ofType(cleanroomOf(three), 'databricks_access_control_rule_set')).toEqual([]);
});

test('the catalog: the runtime creates schemas, every job principal may only enter it (no SELECT, USE SCHEMA or anything inherited)', () => {
  const cleanroom = cleanroomOf({ ...three, databricksRuntimePrincipal: RUNTIME_PRINCIPAL });
  const [catalog] = ofType(cleanroom, 'databricks_catalog');
  const [grants, ...others] = grantsOn(cleanroom, 'catalog', `\${databricks_catalog.${catalog!.name}.name}`);
  expect(others).toEqual([]);
  expect(grants!.grant).toEqual([
    { principal: RUNTIME_PRINCIPAL, privileges: ['USE_CATALOG', 'CREATE_SCHEMA'] },
    ...ofType(cleanroom, 'databricks_service_principal').map((p) => ({ principal: appIdRef(p), privileges: ['USE_CATALOG'] })),
  ]);
});

// Creating an external volume takes CREATE EXTERNAL VOLUME on the external location, CREATE VOLUME and USE SCHEMA on
// the schema and USE CATALOG on the catalog (https://docs.databricks.com/sql/language-manual/sql-ref-syntax-ddl-create-volume.html);
// the creator owns the volume, and an object's owner may grant privileges on it
// (https://docs.databricks.com/gcp/en/data-governance/unity-catalog/access-control/permissions-concepts).
test('the staging schema: declared in the catalog, owned by the deliberate owner, the runtime creates volumes there, job principals only enter it', () => {
  const cleanroom = cleanroomOf({ ...three, databricksRuntimePrincipal: RUNTIME_PRINCIPAL, databricksOwner: 'cleanroom-admins' });
  const [catalog] = ofType(cleanroom, 'databricks_catalog');
  const [schema, ...others] = ofType(cleanroom, 'databricks_schema');
  expect(others).toEqual([]);
  // https://registry.terraform.io/providers/databricks/databricks/latest/docs/resources/schema: catalog_name and name
  // are required; no storage_root, since the volumes are external.
  expect(schema!.body).toEqual({
    catalog_name: `\${databricks_catalog.${catalog!.name}.name}`,
    name: STAGING_SCHEMA,
    comment: expect.any(String),
    owner: 'cleanroom-admins',
  });
  expect(STAGING_SCHEMA).toBe('_cleanroom_staging');
  const [grants, ...more] = grantsOn(cleanroom, 'schema', `\${databricks_schema.${schema!.name}.id}`);
  expect(more).toEqual([]);
  expect(grants!.grant).toEqual([
    { principal: RUNTIME_PRINCIPAL, privileges: [...RUNTIME_STAGING_SCHEMA_PRIVILEGES] },
    ...ofType(cleanroom, 'databricks_service_principal').map((p) => ({ principal: appIdRef(p), privileges: [...JOB_PRINCIPAL_STAGING_SCHEMA_PRIVILEGES] })),
  ]);
  expect([...RUNTIME_STAGING_SCHEMA_PRIVILEGES]).toEqual(['USE_SCHEMA', 'CREATE_VOLUME']);
});

test('the staging location: the runtime reads results and creates external volumes there; no job principal holds anything on it', () => {
  const cleanroom = cleanroomOf({ ...three, databricksRuntimePrincipal: RUNTIME_PRINCIPAL });
  const [staging] = ofType(cleanroom, 'databricks_external_location').filter((l) => l.body.url === `gs://${three.stateBucket}/staging/`);
  const [grants, ...others] = grantsOn(cleanroom, 'external_location', `\${databricks_external_location.${staging!.name}.id}`);
  expect(others).toEqual([]);
  expect(grants!.grant).toEqual([{ principal: RUNTIME_PRINCIPAL, privileges: [...RUNTIME_STAGING_LOCATION_PRIVILEGES] }]);
  expect([...RUNTIME_STAGING_LOCATION_PRIVILEGES]).toEqual(['READ_FILES', 'CREATE_EXTERNAL_VOLUME']);
  // No external location of the stack, participants' included, names a job principal.
  const jobs = new Set(ofType(cleanroom, 'databricks_service_principal').map(appIdRef));
  const onLocations = ofType(cleanroom, 'databricks_grants').filter((g) => g.body.external_location !== undefined);
  expect(onLocations.length).toBe(three.participants.length * 2 + 1);
  for (const grant of onLocations) expect((grant.body.grant as JsonObject[]).filter((e) => jobs.has(String(e.principal)))).toEqual([]);
});

test('the runtime is told every principal of the pool, joined by commas, and nothing of the single principal it replaced', () => {
  const cleanroom = cleanroomOf(three);
  const [service] = ofType(cleanroom, 'google_cloud_run_v2_service');
  const env = ((service!.body.template as JsonObject).containers as JsonObject[])[0]!.env as JsonObject[];
  const refs = ofType(cleanroom, 'databricks_service_principal').map((p) => `databricks_service_principal.${p.name}.application_id`);
  expect(env.filter((e) => String(e.name).startsWith('CLEANROOM_DATABRICKS_JOB_'))).toEqual([{ name: JOB_PRINCIPALS_ENV, value: `\${join(",", [${refs.join(', ')}])}` }]);
  expect(JOB_PRINCIPALS_ENV).toBe('CLEANROOM_DATABRICKS_JOB_PRINCIPALS');
});

test.each([0, MAX_JOB_PRINCIPALS + 1, 2.5, Number.NaN])('a pool of %s principals is refused, naming the field', (count) => {
  expect(() => new CleanroomJobPrincipals(Testing.app(), 'pool', { cleanroomName: 'retail-media', count })).toThrow(
    new RegExp(`^CleanroomJobPrincipals "pool": invalid props:\\n  - count — expected a whole number of job principals from 1 to ${MAX_JOB_PRINCIPALS}`),
  );
  let refused: unknown;
  try {
    buildCleanroomApp(Testing.app(), { ...example, databricksJobPrincipals: count });
  } catch (error) {
    refused = error;
  }
  expect(refused).toBeInstanceOf(InvalidPropsError);
  expect((refused as Error).message).toMatch(/count — expected a whole number of job principals from 1 to 32/);
});

test('1 and MAX_JOB_PRINCIPALS principals are accepted', () => {
  for (const count of [1, MAX_JOB_PRINCIPALS]) {
    const pool = new CleanroomJobPrincipals(new TerraformStack(Testing.app(), 'stack'), 'pool', { cleanroomName: 'retail-media', count });
    expect(pool.applicationIds).toHaveLength(count);
    expect(new Set(pool.applicationIds).size).toBe(count);
  }
});

test('the staging schema refuses a malformed catalog name or principal and an empty pool, naming each field', () => {
  expect(() => new StagingSchema(Testing.app(), 'staging', { cleanroomName: 'retail-media', catalogName: 'Bad-Name', jobPrincipals: [], runtimePrincipal: 'admins; DROP' })).toThrow(
    /catalogName — expected a Unity Catalog catalog name[\s\S]*jobPrincipals — expected at least one job principal[\s\S]*runtimePrincipal — expected a service principal application id or a user email/,
  );
});
