/**
 * The fake Unity Catalog itself: what a principal can read or write is decided the way Unity Catalog decides it, so a
 * grant broader than one table shows. Privileges inherit downward, catalog → schema → table/volume, and reaching an
 * object takes USE CATALOG and USE SCHEMA (https://docs.databricks.com/gcp/en/data-governance/unity-catalog/access-control/permissions-concepts);
 * ALL PRIVILEGES stands for every privilege that applies below it, MANAGE excepted
 * (https://docs.databricks.com/gcp/en/data-governance/unity-catalog/manage-privileges/privileges); privileges are
 * granted by the object's owner or the owner of its catalog or schema
 * (https://docs.databricks.com/gcp/en/dev-tools/cli/reference/grants-commands).
 */
import { FakeMetastore } from './fake-databricks-sql';
import { FakeUnityCatalog, UnityCatalogError, type FakeUnityCatalogOptions } from './fake-unity-catalog';

const CATALOG = 'cleanroom_retail';
const STAGING = 'cleanroom_staging';
const RUNTIME = 'runtime@example.com';
const POOL = ['11111111-1111-4111-8111-111111111111', '22222222-2222-4222-8222-222222222222'];
const [A, B] = POOL as [string, string];
const LOCATION = 'gs://state/staging/';

/** The metastore of the last setUp: participants' schemas and tables, which the runtime creates and owns. */
let metastore: FakeMetastore;

function setUp(options: Partial<FakeUnityCatalogOptions> = {}): FakeUnityCatalog {
  metastore = new FakeMetastore();
  for (const [schema, table] of [['acme', 'customers'], ['acme', 'orders'], ['globex', 'clients']] as const) {
    metastore.schemas.add(schema);
    metastore.tables.set(`${schema}.${table}`, { schema, table, location: `gs://${schema}/input/${table}/`, format: 'delta' });
  }
  return new FakeUnityCatalog({ catalog: CATALOG, schemas: [STAGING], volumeLocations: [LOCATION], principals: POOL, ...options }, metastore, RUNTIME);
}

const patch = (uc: FakeUnityCatalog, type: string, name: string, principal: string, add: string[], remove: string[] = []): unknown =>
  uc.route('PATCH', `/api/2.1/unity-catalog/permissions/${type}/${encodeURIComponent(name)}`, { changes: [{ principal, add, remove }] });

function refusal(run: () => unknown): UnityCatalogError {
  try {
    run();
  } catch (e) {
    if (e instanceof UnityCatalogError) return e;
    throw e;
  }
  throw new Error('expected Unity Catalog to refuse');
}

test('SELECT and USE SCHEMA on a schema make every table below it readable, now and later, and nothing in another schema', () => {
  const uc = setUp();
  patch(uc, 'schema', `${CATALOG}.acme`, A, ['USE_SCHEMA', 'SELECT']);
  expect(uc.readable(A)).toEqual(['acme.customers', 'acme.orders']);
  expect(uc.canRead(A, 'globex.clients')).toBe(false);
  expect(uc.readable(B)).toEqual([]);
  // A table created in the schema afterwards is readable too: inheritance covers future objects.
  metastore.tables.set('acme.refunds', { schema: 'acme', table: 'refunds', location: 'gs://acme/input/refunds/', format: 'delta' });
  expect(uc.readable(A)).toEqual(['acme.customers', 'acme.orders', 'acme.refunds']);
});

test('ALL_PRIVILEGES on a schema holds SELECT and USE SCHEMA for every table below it', () => {
  const uc = setUp();
  patch(uc, 'schema', `${CATALOG}.globex`, A, ['ALL_PRIVILEGES']);
  expect(uc.readable(A)).toEqual(['globex.clients']);
});

test('SELECT on one table still takes USE SCHEMA on its schema, and USE SCHEMA alone reads nothing', () => {
  const uc = setUp();
  patch(uc, 'table', `${CATALOG}.acme.orders`, A, ['SELECT']);
  expect(uc.readable(A)).toEqual([]);
  patch(uc, 'schema', `${CATALOG}.acme`, A, ['USE_SCHEMA']);
  expect(uc.readable(A)).toEqual(['acme.orders']);
  patch(uc, 'schema', `${CATALOG}.globex`, B, ['USE_SCHEMA']);
  expect(uc.readable(B)).toEqual([]);
});

test('a grant on the catalog from the stack reaches every schema and table; without USE CATALOG nothing is readable', () => {
  const broad = setUp({ stackGrants: [{ type: 'catalog', name: CATALOG, principal: A, privileges: ['USE_CATALOG', 'USE_SCHEMA', 'SELECT'] }] });
  expect(broad.readable(A)).toEqual(['acme.customers', 'acme.orders', 'globex.clients']);
  expect(broad.readable(B)).toEqual([]);
  const all = setUp({ stackGrants: [{ type: 'catalog', name: CATALOG, principal: B, privileges: ['ALL_PRIVILEGES'] }] });
  expect(all.readable(B)).toEqual(['acme.customers', 'acme.orders', 'globex.clients']);

  // No USE_CATALOG from the stack: a run's schema and table grants read nothing.
  const closed = setUp({ stackGrants: [] });
  patch(closed, 'schema', `${CATALOG}.acme`, A, ['USE_SCHEMA', 'SELECT']);
  expect(closed.readable(A)).toEqual([]);
});

test('by default the stack gives each job principal USE CATALOG and USE SCHEMA on the staging schema, and no read', () => {
  const uc = setUp();
  for (const principal of POOL) expect(uc.readable(principal)).toEqual([]);
  expect(uc.allGrants()).toEqual([]);
});

test('the runtime may not grant on the catalog: it is the stack owner\'s (PERMISSION_DENIED), and another catalog is 404', () => {
  const uc = setUp();
  const denied = refusal(() => patch(uc, 'catalog', CATALOG, A, ['SELECT']));
  expect([denied.status, denied.errorCode]).toEqual([403, 'PERMISSION_DENIED']);
  expect(uc.readable(A)).toEqual([]);
  const missing = refusal(() => patch(uc, 'catalog', 'other_catalog', A, ['SELECT']));
  expect([missing.status, missing.errorCode]).toEqual([404, 'CATALOG_DOES_NOT_EXIST']);
});

test('WRITE_VOLUME or ALL_PRIVILEGES on the staging schema, from the stack, makes every run volume writable', () => {
  const stackGrants = POOL.flatMap((principal) => [
    { type: 'catalog' as const, name: CATALOG, principal, privileges: ['USE_CATALOG'] },
    { type: 'schema' as const, name: `${CATALOG}.${STAGING}`, principal, privileges: principal === A ? ['USE_SCHEMA', 'WRITE_VOLUME'] : ['ALL_PRIVILEGES'] },
  ]);
  const uc = setUp({ stackGrants });
  for (const run of ['run-1', 'run-2']) {
    uc.route('POST', '/api/2.1/unity-catalog/volumes', { catalog_name: CATALOG, schema_name: STAGING, name: run, volume_type: 'EXTERNAL', storage_location: `${LOCATION}${run}/` });
  }
  const both = [`/Volumes/${CATALOG}/${STAGING}/run-1`, `/Volumes/${CATALOG}/${STAGING}/run-2`];
  expect(uc.writable(A)).toEqual(both);
  expect(uc.writable(B)).toEqual(both);
});

test('a run volume is writable only with WRITE_VOLUME on it, as the runtime grants it', () => {
  const uc = setUp();
  uc.route('POST', '/api/2.1/unity-catalog/volumes', { catalog_name: CATALOG, schema_name: STAGING, name: 'run-1', volume_type: 'EXTERNAL', storage_location: `${LOCATION}run-1/` });
  expect(uc.writable(A)).toEqual([]);
  patch(uc, 'volume', `${CATALOG}.${STAGING}.run-1`, A, ['READ_VOLUME', 'WRITE_VOLUME']);
  expect(uc.writable(A)).toEqual([`/Volumes/${CATALOG}/${STAGING}/run-1`]);
  expect(uc.writable(B)).toEqual([]);
});

test('MANAGE on a schema lets one grant, not read', () => {
  const uc = setUp({ stackGrants: [{ type: 'catalog', name: CATALOG, principal: A, privileges: ['USE_CATALOG', 'USE_SCHEMA', 'MANAGE'] }] });
  expect(uc.readable(A)).toEqual([]);
});

test('a stack grant that does not apply to the clean room\'s catalog is a mistake of the test, refused at once', () => {
  expect(() => setUp({ stackGrants: [{ type: 'catalog', name: 'other', principal: A, privileges: ['USE_CATALOG'] }] })).toThrow(/does not apply/);
  expect(() => setUp({ stackGrants: [{ type: 'schema', name: `${CATALOG}.acme`, principal: A, privileges: ['USE_CATALOG'] }] })).toThrow(/does not apply/);
});
