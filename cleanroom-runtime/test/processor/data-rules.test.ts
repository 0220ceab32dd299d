import { ADVERTISER, cli, Harness, KEEPER, seed } from './fixtures';

const LOC = 'gs://advertiser-bucket/input/conversions';
const SCHEMA = '{"type":"struct","fields":[{"name":"user_id","type":"string","nullable":true,"metadata":{}}]}';

function harness(): Harness {
  return new Harness().at(LOC, 'delta', { exists: true, schema: SCHEMA });
}

describe('DATA events', () => {
  test('INSERT registers the dataset with the schema the clean room read, not the payload', () => {
    const h = harness();
    const row = seed.data('advertiser.conversions', 'INSERT', `${LOC}/`, 'DELTA');
    const outcome = h.ok(ADVERTISER, row);
    expect(outcome.message).toBe(`dataset advertiser.conversions registered (delta at ${LOC}); jobs can read it as advertiser.conversions`);
    expect(outcome.effects).toEqual([{ kind: 'sync_datasets' }]);
    expect(h.state.datasets['advertiser.conversions']).toMatchObject({ dataId: row.uuid, participant: 'advertiser', table: 'conversions', location: LOC, format: 'delta', schema: SCHEMA });
    expect(h.state.pendingEffects).toEqual([{ kind: 'sync_datasets' }]);
  });

  test('INSERT of a registered dataset, UPDATE/DELETE of an unknown one', () => {
    const h = harness();
    expect(h.send(ADVERTISER, seed.data('advertiser.conversions', 'UPDATE', LOC, 'delta')).message).toBe('dataset advertiser.conversions is not registered: register it first (`cleanroom data register`, or an INSERT event from a notebook)');
    expect(h.send(ADVERTISER, seed.data('advertiser.conversions', 'DELETE', LOC, 'delta')).message).toBe('dataset advertiser.conversions is not registered: register it first (`cleanroom data register`, or an INSERT event from a notebook)');
    h.ok(ADVERTISER, seed.data('advertiser.conversions', 'INSERT', LOC, 'delta'));
    expect(h.send(ADVERTISER, seed.data('advertiser.conversions', 'INSERT', LOC, 'delta')).message).toBe('dataset advertiser.conversions is already registered: change it with `cleanroom data update` or remove it with `cleanroom data delete` (UPDATE or DELETE events)');
  });

  test('UPDATE keeps the id and creation time; DELETE removes it', () => {
    const h = harness().at('gs://advertiser-bucket/input/conv2', 'parquet', { exists: true, schema: null });
    const first = seed.data('advertiser.conversions', 'INSERT', LOC, 'delta');
    h.ok(ADVERTISER, first);
    const created = h.state.datasets['advertiser.conversions'].createdAt;
    h.ok(ADVERTISER, seed.data('advertiser.conversions', 'UPDATE', 'gs://advertiser-bucket/input/conv2', 'parquet'));
    expect(h.state.datasets['advertiser.conversions']).toMatchObject({ dataId: first.uuid, createdAt: created, format: 'parquet', schema: null });
    expect(h.ok(ADVERTISER, seed.data('advertiser.conversions', 'DELETE', '', '')).message).toBe('dataset advertiser.conversions removed from the clean room');
    expect(h.state.datasets).toEqual({});
  });

  test('UPDATE keeps the description its payload leaves out; an empty one clears it', () => {
    const h = harness();
    h.ok(ADVERTISER, seed.data('advertiser.conversions', 'INSERT', LOC, 'delta'));
    const update = (extra: Record<string, string>) => cli.row('DATA', { data_metastore_name: 'advertiser.conversions', action: 'UPDATE', location: LOC, format: 'delta', ...extra });
    h.ok(ADVERTISER, update({}));
    expect(h.state.datasets['advertiser.conversions'].description).toBe('the advertiser.conversions table');
    h.ok(ADVERTISER, update({ description: 'orders' }));
    expect(h.state.datasets['advertiser.conversions'].description).toBe('orders');
    h.ok(ADVERTISER, update({ description: '' }));
    expect(h.state.datasets['advertiser.conversions'].description).toBe('');
    h.ok(ADVERTISER, cli.row('DATA', { data_metastore_name: 'advertiser.bare', action: 'INSERT', location: LOC, format: 'delta' }));
    expect(h.state.datasets['advertiser.bare'].description).toBe('');
  });

  // Spark and Unity Catalog names are case-insensitive, stored lowercase:
  // https://docs.databricks.com/en/sql/language-manual/sql-ref-names.html ("Unity Catalog stores all object names as lowercase").
  test('names are case-insensitive and stored lowercase: the same dataset whatever the case it is written in', () => {
    const h = harness();
    const row = seed.data('advertiser.Store_Visits_2', 'INSERT', LOC, 'delta');
    expect(h.ok(ADVERTISER, row).message).toBe(`dataset advertiser.store_visits_2 registered (delta at ${LOC}); jobs can read it as advertiser.store_visits_2`);
    expect(Object.keys(h.state.datasets)).toEqual(['advertiser.store_visits_2']);
    expect(h.state.datasets['advertiser.store_visits_2']).toMatchObject({ participant: 'advertiser', table: 'store_visits_2', dataId: row.uuid });
    expect(h.send(ADVERTISER, seed.data('advertiser.store_visits_2', 'INSERT', LOC, 'delta')).message).toBe(
      'dataset advertiser.store_visits_2 is already registered: change it with `cleanroom data update` or remove it with `cleanroom data delete` (UPDATE or DELETE events)',
    );
    h.ok(ADVERTISER, seed.data('Advertiser.STORE_VISITS_2', 'UPDATE', LOC, 'delta'));
    expect(h.state.datasets['advertiser.store_visits_2'].dataId).toBe(row.uuid);
    h.ok(ADVERTISER, seed.data('ADVERTISER.store_Visits_2', 'DELETE', LOC, 'delta'));
    expect(h.state.datasets).toEqual({});
    // Only ASCII letters fold: the Kelvin sign is not a "k".
    expect(h.send(ADVERTISER, seed.data('advertiser.\u212Aonversions', 'INSERT', LOC, 'delta')).message).toMatch(/^table name "\u212Aonversions" is not allowed/);
  });

  test("the database must be the submitter's own, whatever the payload claims", () => {
    const h = harness();
    expect(h.send(ADVERTISER, seed.data('publisher.users', 'INSERT', LOC, 'delta')).message).toBe(
      'data_metastore_name "publisher.users" is in database "publisher": you can only register tables of your own database, advertiser.<table>',
    );
    expect(h.send(ADVERTISER, seed.data('conversions', 'INSERT', LOC, 'delta')).message).toBe(
      'data_metastore_name "conversions" must be <database>.<table>, with your participant name as database, e.g. advertiser.my_table',
    );
    expect(h.send(ADVERTISER, seed.data('advertiser.a.b', 'INSERT', LOC, 'delta')).message).toMatch(/must be <database>\.<table>/);
    expect(h.send(ADVERTISER, seed.data('advertiser.Conv-1', 'INSERT', LOC, 'delta')).message).toBe(
      'table name "Conv-1" is not allowed: use 1-63 letters, digits or \'_\', starting with a letter (names are case-insensitive and stored lowercase)',
    );
    expect(h.state.datasets).toEqual({});
  });

  test("the location must be in the submitter's own bucket", () => {
    const h = harness();
    expect(h.send(ADVERTISER, seed.data('advertiser.t', 'INSERT', 'gs://publisher-bucket/input/users', 'delta')).message).toBe(
      'location gs://publisher-bucket/input/users is outside your bucket gs://advertiser-bucket: register data stored in your own bucket (e.g. gs://advertiser-bucket/input/<table>)',
    );
    expect(h.send(ADVERTISER, seed.data('advertiser.t', 'INSERT', 'gs://advertiser-bucket/input/../../publisher-bucket/x', 'delta')).message).toMatch(/'\.\.' path segment/);
    expect(h.send(ADVERTISER, seed.data('advertiser.t', 'INSERT', 'dbfs:/user/hive/warehouse/t', 'delta')).message).toMatch(/is not a gs:\/\/ URI/);
  });

  test('format must be supported', () => {
    expect(harness().send(ADVERTISER, seed.data('advertiser.t', 'INSERT', LOC, 'orc')).message).toBe(
      'format "orc" is not supported: use delta (preferred), parquet, json, avro or csv',
    );
  });

  test('missing data, unreadable data, and locations the runtime did not check', () => {
    const h = new Harness()
      .at(LOC, 'delta', { exists: false })
      .at('gs://advertiser-bucket/input/p', 'parquet', { exists: false })
      .at('gs://advertiser-bucket/input/bad', 'parquet', { exists: true, error: 'footer is corrupt' });
    expect(h.send(ADVERTISER, seed.data('advertiser.t', 'INSERT', LOC, 'delta')).message).toBe(
      `no Delta table (no _delta_log/) found at ${LOC}: write the dataset there first, or fix the location or format`,
    );
    expect(h.send(ADVERTISER, seed.data('advertiser.t', 'INSERT', 'gs://advertiser-bucket/input/p', 'parquet')).message).toMatch(/^no parquet files found at/);
    expect(h.send(ADVERTISER, seed.data('advertiser.t', 'INSERT', 'gs://advertiser-bucket/input/bad', 'parquet')).message).toBe(
      'could not read the parquet dataset at gs://advertiser-bucket/input/bad: footer is corrupt',
    );
    expect(h.send(ADVERTISER, seed.data('advertiser.t', 'INSERT', 'gs://advertiser-bucket/input/other', 'csv')).message).toBe(
      'the clean room did not read gs://advertiser-bucket/input/other before deciding (internal error): send the event again',
    );
  });

  test('api_version 2 DATA works the same', () => {
    const h = harness();
    h.ok(ADVERTISER, cli.row('DATA', { data_metastore_name: 'advertiser.conversions', description: 'd', action: 'INSERT', location: LOC, format: 'delta', schema: 'ignored' }));
    expect(h.state.datasets['advertiser.conversions'].schema).toBe(SCHEMA);
    expect(h.send(KEEPER, cli.row('DATA', { data_metastore_name: 'advertiser.conversions', action: 'DELETE' })).message).toMatch(/is in database "advertiser"/);
    expect(h.state.datasets['advertiser.conversions']).toBeDefined();
  });
});
