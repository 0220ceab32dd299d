/**
 * What one participant can put in its own bucket to make the runtime do unbounded work: Parquet files of millions of
 * rows that weigh a few hundred kilobytes (in its events table, a published control table, a dataset's checkpoint), a
 * huge `_last_checkpoint`, thousands of commits without a checkpoint. Each is refused within the limits of
 * src/limits.ts with a message for its owner, and every other participant is served in the same pass.
 */
import { CONTROL_TABLES, controlTableKey } from '../../src/control/tables';
import { commitFileName, logPrefix } from '../../src/delta/actions';
import { DeltaTable } from '../../src/delta/table';
import { DEFAULT_LIMITS } from '../../src/limits';
import { confineDatasets } from '../../src/runtime/dataset-confinement';
import { runPass, type PassReport } from '../../src/runtime/run-pass';
import { loadLatestState } from '../../src/runtime/state-store';
import { cli, seed } from '../processor/fixtures';
import { commitDataFile, duckDbParquet, rowBomb, writeCommit } from '../support/parquet-bombs';
import { LocalCleanRoom, SETTINGS, USERS_SCHEMA } from './pass-fixtures';

jest.setTimeout(120_000);

const AGENCY = 'agency-bucket';
const ADVERTISER = 'advertiser-bucket';
const EVENTS = controlTableKey('events');

let room: LocalCleanRoom;
const pass = (options: { publishedCheckIntervalMs?: number } = {}) => runPass({ config: SETTINGS, store: room.store, engine: room.engine, now: room.now, ...options });
const at = (secondsAgo: number) => ({ atMs: room.clock - secondsAgo * 1000 });
const outcomes = (report: PassReport) => report.events.map((e) => `${e.participant}:${e.eventType ?? '-'}:${e.status}`).sort();

beforeEach(async () => {
  room = new LocalCleanRoom();
  await room.onboard();
});
afterEach(() => room.cleanup());

/** The keys every `get` of this test asked for, per bucket. */
function recordGets(): string[] {
  const keys: string[] = [];
  room.store.beforeRequest = (kind, bucket, key) => {
    if (kind === 'get') keys.push(`${bucket}/${key}`);
  };
  return keys;
}

async function latestVersion(bucket: string, prefix: string): Promise<number> {
  return (await DeltaTable.open(room.store, bucket, prefix)).latestVersion();
}

/** A Delta dataset of the agency's with a checkpoint part of `rows` rows at its latest version (the hint names it). */
async function datasetWithCheckpointBomb(prefix: string, rows: number): Promise<void> {
  await room.writeDataset(AGENCY, prefix, USERS_SCHEMA, [{ user_id: 'u1', country: 'FR' }]);
  const bytes = await duckDbParquet(`SELECT 'x' AS add, NULL::VARCHAR AS remove FROM range(${rows})`);
  await room.store.put(AGENCY, `${logPrefix(prefix)}00000000000000000001.checkpoint.parquet`, bytes);
  await room.store.put(AGENCY, `${logPrefix(prefix)}_last_checkpoint`, new TextEncoder().encode('{"version":1,"size":2}'));
}

describe('row bombs', () => {
  test('in the events table: the commit gets one ERROR row, the other events of that pass and later ones flow', async () => {
    await room.send(AGENCY, cli.code('agency_before', 'INSERT', 'SELECT 1', at(50)));
    const bombVersion = (await latestVersion(AGENCY, EVENTS)) + 1;
    const bomb = await rowBomb(CONTROL_TABLES.events, 2_000_000);
    expect(bomb.length).toBeLessThan(512 * 1024);
    await commitDataFile(room.store, AGENCY, EVENTS, bombVersion, bomb);
    await room.send(AGENCY, cli.code('agency_after', 'INSERT', 'SELECT 2', at(40)));
    await room.send(ADVERTISER, cli.code('advertiser_code', 'INSERT', 'SELECT 3', at(30)));

    const report = await pass();
    expect(outcomes(report)).toEqual(['advertiser:CODE:SUCCESS', 'agency:-:ERROR', 'agency:CODE:SUCCESS', 'agency:CODE:SUCCESS']);
    const refused = report.events.find((e) => e.status === 'ERROR')!;
    expect(refused).toMatchObject({ participant: 'agency', eventUuid: `no-uuid-v${bombVersion}-0`, eventsVersion: bombVersion });
    expect(refused.message).toMatch(new RegExp(`^events commit ${bombVersion} of participant agency .* was skipped: .*part-bomb-${bombVersion}\\.parquet declares 2000000 rows, above the limit of 10000 rows; .*Fix: append events in smaller commits`));
    expect((await pass()).events).toEqual([]); // told once
  });

  test('in a published control table: taken for tampering and rewritten, without decoding it; others are served', async () => {
    await room.send(AGENCY, cli.code('agency_code', 'INSERT', 'SELECT 1', at(50)));
    await pass();
    const runs = controlTableKey('runs');
    const table = await DeltaTable.open(room.store, AGENCY, runs);
    const snapshot = await table.snapshot();
    const removes = snapshot.files.map((f) => ({ remove: { path: f.path, deletionTimestamp: 0, dataChange: true } }));
    await commitDataFile(room.store, AGENCY, runs, snapshot.version + 1, await rowBomb(CONTROL_TABLES.runs, 2_000_000), removes);
    await room.send(ADVERTISER, cli.code('advertiser_code', 'INSERT', 'SELECT 3', at(30)));

    const report = await pass({ publishedCheckIntervalMs: 0 });
    expect(outcomes(report)).toEqual(['advertiser:CODE:SUCCESS']);
    // Its listing is not what the clean room recorded: republished without a byte of it decoded.
    expect(report.repaired).toContainEqual(expect.stringMatching(/^agency: control\.runs was republished because its files are not the ones the clean room published/));
    expect(await room.read(AGENCY, 'runs')).toEqual([]);
    expect(report.errors).toEqual([]);
  });

  test("in a dataset's checkpoint: its registration is refused with the reason, runs leave it out, others are served", async () => {
    await datasetWithCheckpointBomb('input/big', 2_000_000);
    await room.writeDataset(ADVERTISER, 'input/fine', USERS_SCHEMA, [{ user_id: 'u2', country: 'DE' }]);
    await room.send(AGENCY, seed.data('agency.big', 'INSERT', 'gs://agency-bucket/input/big', 'delta', room.clock - 20_000));
    await room.send(ADVERTISER, seed.data('advertiser.fine', 'INSERT', 'gs://advertiser-bucket/input/fine', 'delta', room.clock - 10_000));

    const report = await pass();
    expect(outcomes(report)).toEqual(['advertiser:DATA:SUCCESS', 'agency:DATA:ERROR']);
    expect(report.events.find((e) => e.participant === 'agency')!.message).toMatch(
      /^could not read the delta dataset at gs:\/\/agency-bucket\/input\/big: Delta table at .* is not read: its checkpoint at version 1 declares 2000000 rows, above the limit of 1000000 rows$/,
    );
    // A dataset bombed after its registration is left out of runs; the others stay usable.
    const confined = await confineDatasets(room.store, [
      { participant: 'agency', table: 'big', location: 'gs://agency-bucket/input/big', format: 'delta' },
      { participant: 'advertiser', table: 'fine', location: 'gs://advertiser-bucket/input/fine', format: 'delta' },
    ]);
    expect(confined.usable.map((d) => d.table)).toEqual(['fine']);
    expect(confined.refused).toEqual([expect.objectContaining({ reason: expect.stringMatching(/checkpoint at version 1 declares 2000000 rows/) })]);
  });

  test('a checkpoint of millions of actions is refused whatever its columns hold, within the configured limit', async () => {
    await datasetWithCheckpointBomb('input/wide', 300_000);
    await room.writeDataset(ADVERTISER, 'input/fine', USERS_SCHEMA, [{ user_id: 'u2', country: 'DE' }]);
    const limits = { ...DEFAULT_LIMITS, parquetRows: 100_000 };
    const confined = await confineDatasets(
      room.store,
      [
        { participant: 'agency', table: 'wide', location: 'gs://agency-bucket/input/wide', format: 'delta' },
        { participant: 'advertiser', table: 'fine', location: 'gs://advertiser-bucket/input/fine', format: 'delta' },
      ],
      limits,
    );
    expect(confined.refused.map((r) => r.dataset.table)).toEqual(['wide']);
    expect(confined.refused[0].reason).toMatch(/its checkpoint at version 1 declares 300000 rows, above the limit of 100000 rows$/);
    expect(confined.usable.map((d) => d.table)).toEqual(['fine']);
  });

  test("in the events table's checkpoint, when the table must be re-read: one ERROR row for the table, others served", async () => {
    await room.send(AGENCY, cli.code('agency_first', 'INSERT', 'SELECT 1', at(50)));
    await pass();
    // Eleven more commits (a checkpoint at 10), then log cleanup removes commits not processed yet, and the
    // checkpoint left is a bomb.
    for (let i = 0; i < 11; i++) await room.send(AGENCY, cli.code(`agency_${i}`, 'INSERT', `SELECT ${i}`, at(40)));
    for (let v = 0; v <= 9; v++) await room.store.delete(AGENCY, logPrefix(EVENTS) + commitFileName(v));
    await room.store.put(AGENCY, `${logPrefix(EVENTS)}00000000000000000010.checkpoint.parquet`, await duckDbParquet('SELECT 1 AS add FROM range(2000000)'));
    await room.send(ADVERTISER, cli.code('advertiser_code', 'INSERT', 'SELECT 3', at(30)));
    const report = await pass();
    expect(outcomes(report)).toEqual(['advertiser:CODE:SUCCESS', 'agency:-:ERROR']);
    const row = report.events.find((e) => e.participant === 'agency')!;
    expect(row.eventUuid).toBe('no-uuid-table-v12');
    expect(row.message).toMatch(/cannot be read: .*its checkpoint at version 10 declares 2000000 rows, above the limit of 1000000 rows/);
    expect((await pass()).events).toEqual([]);
  });
});

describe('huge log files', () => {
  test('a _last_checkpoint above the limit is never read: the listing finds the table', async () => {
    await room.writeDataset(AGENCY, 'input/hinted', USERS_SCHEMA, [{ user_id: 'u1', country: 'FR' }]);
    const huge = new TextEncoder().encode(`{"version":0,"padding":"${'x'.repeat(DEFAULT_LIMITS.deltaLastCheckpointBytes)}"}`);
    await room.store.put(AGENCY, `${logPrefix('input/hinted')}_last_checkpoint`, huge);
    await room.store.put(AGENCY, `${logPrefix(EVENTS)}_last_checkpoint`, huge);
    await room.send(AGENCY, seed.data('agency.hinted', 'INSERT', 'gs://agency-bucket/input/hinted', 'delta', room.clock - 20_000));
    await room.send(ADVERTISER, cli.code('advertiser_code', 'INSERT', 'SELECT 3', at(10)));
    const gets = recordGets();

    const report = await pass();
    expect(outcomes(report)).toEqual(['advertiser:CODE:SUCCESS', 'agency:DATA:SUCCESS']);
    expect(gets.filter((key) => key.endsWith('_last_checkpoint'))).toEqual([]);
  });

  test('thousands of events commits without a checkpoint: each pass reads only new commits, at most the per-pass number', async () => {
    const commits = 2500;
    for (let v = 1; v <= commits; v++) await writeCommit(room.store, AGENCY, EVENTS, v, [{ commitInfo: { operation: 'WRITE', n: v } }]);
    await room.send(AGENCY, cli.code('agency_last', 'INSERT', 'SELECT 1', at(50)));
    await room.send(ADVERTISER, cli.code('advertiser_code', 'INSERT', 'SELECT 3', at(30)));
    const perPass = DEFAULT_LIMITS.eventsCommitsPerPass;
    const gets = recordGets();
    const agencyGets = () => gets.filter((key) => key.startsWith(`${AGENCY}/${EVENTS}/`)).length;

    const first = await pass();
    expect(outcomes(first)).toEqual(['advertiser:CODE:SUCCESS']); // served while agency's log is worked through
    expect(agencyGets()).toBeLessThanOrEqual(perPass + 2);
    const versions: number[] = [(await loadLatestState(room.store, SETTINGS.stateBucket)).state.eventsVersions.agency];
    for (let p = 0; p < 3; p++) {
      gets.length = 0;
      const report = await pass();
      expect(agencyGets()).toBeLessThanOrEqual(perPass + 2); // only the new commits, never the whole log again
      versions.push((await loadLatestState(room.store, SETTINGS.stateBucket)).state.eventsVersions.agency);
      if (report.events.length > 0) expect(outcomes(report)).toEqual(['agency:CODE:SUCCESS']);
    }
    expect(versions).toEqual([perPass - 1, 2 * perPass - 1, commits + 1, commits + 1]); // versions 0.. then on
    expect(Object.keys((await loadLatestState(room.store, SETTINGS.stateBucket)).state.code).sort()).toEqual(['advertiser_code', 'agency_last']);
  });

  test('a dataset needing more commits replayed than the limit is refused with a message asking for a checkpoint', async () => {
    await room.writeDataset(AGENCY, 'input/long', USERS_SCHEMA, [{ user_id: 'u1', country: 'FR' }]);
    const first = (await latestVersion(AGENCY, 'input/long')) + 1;
    const last = DEFAULT_LIMITS.deltaCommitsReplayed + 5;
    for (let v = first; v <= last; v++) await writeCommit(room.store, AGENCY, 'input/long', v, [{ commitInfo: { operation: 'WRITE' } }]);
    expect(await room.store.list(AGENCY, logPrefix('input/long') + commitFileName(last))).toBeDefined();
    await room.send(AGENCY, seed.data('agency.long', 'INSERT', 'gs://agency-bucket/input/long', 'delta', room.clock - 20_000));
    await room.send(ADVERTISER, cli.code('advertiser_code', 'INSERT', 'SELECT 3', at(10)));
    const report = await pass();
    expect(outcomes(report)).toEqual(['advertiser:CODE:SUCCESS', 'agency:DATA:ERROR']);
    expect(report.events.find((e) => e.participant === 'agency')!.message).toContain(
      `needs ${last + 1} commits replayed after version 0 (no usable checkpoint), above the limit of ${DEFAULT_LIMITS.deltaCommitsReplayed}: write a checkpoint`,
    );
  });

  test('a pass with one new event reads that commit and its data file only: no checkpoint, no earlier commit', async () => {
    for (let i = 0; i < 25; i++) await room.send(AGENCY, cli.code(`agency_${i}`, 'INSERT', `SELECT ${i}`, at(60)));
    await pass();
    expect(await room.store.list(AGENCY, `${logPrefix(EVENTS)}00000000000000000020.checkpoint.parquet`)).toMatchObject({ objects: [expect.anything()] });
    await room.send(AGENCY, cli.code('agency_new', 'INSERT', 'SELECT 99', at(10)));
    const version = await latestVersion(AGENCY, EVENTS);
    const gets = recordGets();
    const report = await pass();
    expect(outcomes(report)).toEqual(['agency:CODE:SUCCESS']);
    const eventsGets = gets.filter((key) => key.startsWith(`${AGENCY}/${EVENTS}/`)).map((key) => key.slice(`${AGENCY}/${EVENTS}/`.length));
    expect(eventsGets).toEqual([`_delta_log/${commitFileName(version)}`, expect.stringMatching(/^part-.*\.parquet$/)]);
  });
});

describe('dataset schemas', () => {
  test('a schema larger than the limit is refused at registration (it would be kept in the state); others are served', async () => {
    const wide = { type: 'struct' as const, fields: Array.from({ length: 200 }, (_, i) => ({ name: `column_with_a_rather_long_name_${i}`, type: 'string' as const, nullable: true, metadata: {} })) };
    await DeltaTable.create(room.store, AGENCY, 'input/wide', wide);
    await room.send(AGENCY, seed.data('agency.wide', 'INSERT', 'gs://agency-bucket/input/wide', 'delta', room.clock - 20_000));
    await room.send(ADVERTISER, cli.code('advertiser_code', 'INSERT', 'SELECT 3', at(10)));
    const config = { ...SETTINGS, limits: { ...DEFAULT_LIMITS, datasetSchemaBytes: 4096 } };
    const report = await runPass({ config, store: room.store, engine: room.engine, now: room.now });
    expect(outcomes(report)).toEqual(['advertiser:CODE:SUCCESS', 'agency:DATA:ERROR']);
    expect(report.events.find((e) => e.participant === 'agency')!.message).toMatch(/its schema is \d+ bytes of JSON, above the limit of 4096 bytes \(4 KiB\) \(dataset_schema_bytes\)/);
  });
});
