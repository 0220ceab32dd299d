import { DatabricksInputError, SqlStatementError } from '../../../src/engines/databricks';
import type { DatasetRef } from '../../../src/engines/engine';
import { startFakeDatabricks, type FakeDatabricks } from '../../support/fake-databricks';
import { DATASETS, engineFor } from './engine-fixtures';

const CUSTOMERS = DATASETS[0];
const CLIENTS = DATASETS[1];

describe('DatabricksEngine.syncDatasets', () => {
  let fake: FakeDatabricks;
  beforeEach(async () => {
    fake = await startFakeDatabricks({ statementPendingPolls: 2 });
  });
  afterEach(() => fake.close());

  it('creates schemas and external tables with quoted identifiers, polling each statement to completion', async () => {
    const { engine, waits } = engineFor(fake, { statementPollIntervalMs: 250 });
    await engine.syncDatasets(DATASETS);
    expect(fake.statements()).toEqual([
      'CREATE SCHEMA IF NOT EXISTS `acme`',
      'SHOW TABLES IN `acme`',
      "CREATE TABLE IF NOT EXISTS `acme`.`customers` USING DELTA LOCATION 'gs://acme-bucket/input/customers'",
      'CREATE SCHEMA IF NOT EXISTS `globex`',
      'SHOW TABLES IN `globex`',
      "CREATE TABLE IF NOT EXISTS `globex`.`clients` USING CSV OPTIONS (header 'true') LOCATION 'gs://globex-bucket/input/clients.csv'",
    ]);
    expect(fake.tables()).toEqual([
      { schema: 'acme', table: 'customers', location: 'gs://acme-bucket/input/customers', format: 'delta' },
      { schema: 'globex', table: 'clients', location: 'gs://globex-bucket/input/clients.csv', format: 'csv' },
    ]);
    const post = fake.requests.find((r) => r.path === '/api/2.0/sql/statements');
    expect(post?.body).toMatchObject({ warehouse_id: fake.warehouseId, wait_timeout: '0s', on_wait_timeout: 'CONTINUE' });
    // Every statement runs in the clean room's own catalog, never the warehouse's default (hive_metastore would
    // bypass Unity Catalog's external locations).
    const posts = fake.requests.filter((r) => r.method === 'POST' && r.path === '/api/2.0/sql/statements');
    expect(posts.map((r) => (r.body as { catalog?: string }).catalog)).toEqual(Array(6).fill('cleanroom_retail'));
    // Each statement was PENDING, then polled twice before it SUCCEEDED.
    const polls = fake.requests.filter((r) => r.method === 'GET' && r.path.startsWith('/api/2.0/sql/statements/'));
    expect(polls).toHaveLength(2 * 6);
    expect(waits).toEqual(Array(12).fill(250));
  });

  it('changes nothing when nothing changed', async () => {
    const { engine } = engineFor(fake);
    await engine.syncDatasets(DATASETS);
    const before = fake.statements().length;
    await engine.syncDatasets(DATASETS);
    expect(fake.statements().slice(before)).toEqual(['SHOW TABLES IN `acme`', 'SHOW TABLES IN `globex`']);
  });

  it('repoints a moved Delta table with CREATE OR REPLACE and other formats with DROP + CREATE', async () => {
    const { engine } = engineFor(fake);
    await engine.syncDatasets(DATASETS);
    const before = fake.statements().length;
    const moved: DatasetRef[] = [
      { ...CUSTOMERS, location: 'gs://acme-bucket/input/customers_v2' },
      { ...CLIENTS, format: 'parquet', location: 'gs://globex-bucket/input/clients' },
    ];
    await engine.syncDatasets(moved);
    expect(fake.statements().slice(before)).toEqual([
      'SHOW TABLES IN `acme`',
      "CREATE OR REPLACE TABLE `acme`.`customers` USING DELTA LOCATION 'gs://acme-bucket/input/customers_v2'",
      'SHOW TABLES IN `globex`',
      'DROP TABLE IF EXISTS `globex`.`clients`',
      "CREATE TABLE `globex`.`clients` USING PARQUET LOCATION 'gs://globex-bucket/input/clients'",
    ]);
    expect(fake.tables().map((t) => `${t.schema}.${t.table}:${t.format}:${t.location}`)).toEqual([
      'acme.customers:delta:gs://acme-bucket/input/customers_v2',
      'globex.clients:parquet:gs://globex-bucket/input/clients',
    ]);
  });

  it('drops tables of datasets no longer registered, including a participant left with none', async () => {
    const { engine } = engineFor(fake, { participants: ['acme', 'globex'] });
    await engine.syncDatasets(DATASETS);
    await engine.syncDatasets([CUSTOMERS]);
    expect(fake.statements()).toContain('DROP TABLE IF EXISTS `globex`.`clients`');
    expect(fake.tables().map((t) => `${t.schema}.${t.table}`)).toEqual(['acme.customers']);
  });

  it('after a restart, describes existing tables instead of blindly replacing them', async () => {
    fake.putTable({ schema: 'acme', table: 'customers', location: 'gs://acme-bucket/input/customers/', format: 'delta' });
    const { engine } = engineFor(fake);
    await engine.syncDatasets([CUSTOMERS]);
    expect(fake.statements()).toEqual([
      'CREATE SCHEMA IF NOT EXISTS `acme`',
      'SHOW TABLES IN `acme`',
      'DESCRIBE TABLE EXTENDED `acme`.`customers`',
    ]);
  });

  it('fails with the warehouse error when the clean room catalog does not exist', async () => {
    const missing = await startFakeDatabricks({ statementPendingPolls: 0, catalogs: ['main', 'hive_metastore'] });
    try {
      const error = await engineFor(missing).engine.syncDatasets([CUSTOMERS]).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(SqlStatementError);
      expect(String(error)).toContain("[NO_SUCH_CATALOG_EXCEPTION] Catalog 'cleanroom_retail' was not found");
      expect(missing.tables()).toEqual([]);
    } finally {
      await missing.close();
    }
  });

  it('reports a failed statement with the warehouse error message', async () => {
    fake.failStatements(/^CREATE TABLE IF NOT EXISTS `acme`/, '[PERMISSION_DENIED] User does not have CREATE TABLE on Schema acme');
    const error = await engineFor(fake).engine.syncDatasets([CUSTOMERS]).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SqlStatementError);
    expect((error as SqlStatementError).state).toBe('FAILED');
    expect(String(error)).toContain('User does not have CREATE TABLE on Schema acme');
  });

  it.each([
    ['table name injection', { ...CUSTOMERS, table: 'x` ; DROP SCHEMA acme; --' }],
    ['location quote escape', { ...CUSTOMERS, location: "gs://acme-bucket/a' ; DROP TABLE x; --" }],
    ['location backslash', { ...CUSTOMERS, location: 'gs://acme-bucket/a\\' }],
    ['location traversal', { ...CUSTOMERS, location: 'gs://acme-bucket/input/../../other' }],
    ['not a gs uri', { ...CUSTOMERS, location: 's3://acme-bucket/input' }],
    ['participant upper case', { ...CUSTOMERS, participant: 'Acme' }],
    ['unknown format', { ...CUSTOMERS, format: 'orc' as DatasetRef['format'] }],
  ])('refuses %s before any request', async (_label, dataset) => {
    const error = await engineFor(fake).engine.syncDatasets([CLIENTS, dataset]).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DatabricksInputError);
    expect(fake.requests).toHaveLength(0);
  });

  it('refuses the same table registered twice', async () => {
    await expect(engineFor(fake).engine.syncDatasets([CUSTOMERS, { ...CUSTOMERS, table: 'CUSTOMERS' }]))
      .rejects.toThrow(/registered twice/);
  });
});
