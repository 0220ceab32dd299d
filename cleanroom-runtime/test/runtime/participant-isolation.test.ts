/**
 * Anything wrong in one participant's bucket affects that participant only: a bucket that never answers is cut by
 * the time budget (its events wait, a pass error says so), and an events table broken in any way (a deleted or
 * damaged data file, a commit that is not a Delta commit, a Delta feature this reader lacks) gets one ERROR
 * event_status saying what to fix while the participant's later events, and every other participant, are served.
 */
import { randomBytes } from 'node:crypto';
import { controlTableKey } from '../../src/control/tables';
import { DeltaTable } from '../../src/delta/table';
import { CONTROL_TABLES } from '../../src/control/tables';
import { withLimits } from '../../src/limits';
import { confineDatasets } from '../../src/runtime/dataset-confinement';
import type { BudgetTimer } from '../../src/runtime/participant-io';
import { runPass, type PassReport } from '../../src/runtime/run-pass';
import type { RuntimeSettings } from '../../src/runtime/settings';
import { listAll, type ObjectStore } from '../../src/storage/object-store';
import { budgetEndsFor, HangingStore } from '../support/hanging-store';
import { cli } from '../processor/fixtures';
import { writeCommit } from '../support/parquet-bombs';
import { LocalCleanRoom, SETTINGS, USERS_SCHEMA } from './pass-fixtures';

const AGENCY = 'agency-bucket';
const ADVERTISER = 'advertiser-bucket';
const EVENTS = controlTableKey('events');

let room: LocalCleanRoom;
const at = (secondsAgo: number) => ({ atMs: room.clock - secondsAgo * 1000 });
const outcomes = (report: PassReport) => report.events.map((e) => `${e.participant}:${e.eventType ?? '-'}:${e.status}`).sort();
const pass = (config: RuntimeSettings = SETTINGS, store: ObjectStore = room.store, budgetTimer?: BudgetTimer) => runPass({ config, store, engine: room.engine, now: room.now, budgetTimer });


beforeEach(async () => {
  room = new LocalCleanRoom();
  await room.onboard();
});
afterEach(() => room.cleanup());

describe('a bucket that never answers', () => {
  const config: RuntimeSettings = { ...SETTINGS, limits: withLimits({ participantReadTimeoutMs: 40 }) };

  test('is cut by the time budget: its events wait with a pass error, the others are decided and published', async () => {
    await room.send(AGENCY, cli.code('agency_code', 'INSERT', 'SELECT 1', at(30)));
    await room.send(ADVERTISER, cli.code('advertiser_code', 'INSERT', 'SELECT 2', at(20)));
    const store = new HangingStore(room.store);
    store.hanging.add(AGENCY);

    const report = await pass(config, store, budgetEndsFor(AGENCY));
    expect(outcomes(report)).toEqual(['advertiser:CODE:SUCCESS']);
    expect(report.errors).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^events of agency \(gs:\/\/agency-bucket\/control\/events\) could not be read after version -1; they wait for the next pass: reading gs:\/\/agency-bucket took longer than 40 ms/),
        expect.stringMatching(/^publishing control\.\w+ to agency \(gs:\/\/agency-bucket\) failed: publishing to gs:\/\/agency-bucket took longer than 40 ms/),
      ]),
    );
    expect((await room.read(ADVERTISER, 'event_status')).map((s) => s.status)).toEqual(['SUCCESS']);
    expect((await room.read('publisher-bucket', 'code')).map((c) => c.code_name)).toEqual(['advertiser_code']);

    store.hanging.clear(); // the bucket answers again: its events are decided
    const next = await pass(config, store, budgetEndsFor('no-such-bucket'));
    expect(outcomes(next)).toEqual(['agency:CODE:SUCCESS']);
    expect((await room.read(AGENCY, 'event_status')).map((s) => s.status)).toEqual(['SUCCESS']);
  });

  test("checking a dataset in it leaves that dataset out of this pass's runs; the others are usable", async () => {
    await room.writeDataset(AGENCY, 'input/users', USERS_SCHEMA, [{ user_id: 'u1', country: 'FR' }]);
    await room.writeDataset(ADVERTISER, 'input/users', USERS_SCHEMA, [{ user_id: 'u2', country: 'DE' }]);
    const store = new HangingStore(room.store);
    store.hanging.add(AGENCY);
    const confined = await confineDatasets(
      store,
      [
        { participant: 'agency', table: 'users', location: 'gs://agency-bucket/input/users', format: 'delta' },
        { participant: 'advertiser', table: 'users', location: 'gs://advertiser-bucket/input/users', format: 'delta' },
      ],
      config.limits,
    );
    expect(confined.usable.map((d) => d.participant)).toEqual(['advertiser']);
    expect(confined.refused[0].reason).toMatch(/took longer than 40 ms .*; left out of this pass only$/);
  });
});

describe('a broken events table', () => {
  async function eventsFiles(): Promise<string[]> {
    const keys: string[] = [];
    for await (const o of listAll(room.store, AGENCY, `${EVENTS}/`)) if (o.key.endsWith('.parquet') && !o.key.includes('_delta_log')) keys.push(o.key);
    return keys;
  }

  async function latest(): Promise<number> {
    return (await DeltaTable.open(room.store, AGENCY, EVENTS)).latestVersion();
  }

  /** Sends one agency event, breaks it with `damage`, and checks the ERROR row, the other participant, and recovery. */
  async function expectSkipped(damage: (version: number) => Promise<void>, message: RegExp, laterFlows = true): Promise<void> {
    await room.send(AGENCY, cli.code('agency_broken', 'INSERT', 'SELECT 1', at(40)));
    const version = await latest();
    await damage(version);
    await room.send(ADVERTISER, cli.code('advertiser_code', 'INSERT', 'SELECT 2', at(30)));
    const report = await pass();
    expect(outcomes(report)).toEqual(['advertiser:CODE:SUCCESS', 'agency:-:ERROR']);
    const row = report.events.find((e) => e.participant === 'agency')!;
    expect(row).toMatchObject({ eventUuid: `no-uuid-v${version}-0`, eventsVersion: version });
    expect(row.message).toMatch(new RegExp(`^events commit ${version} of participant agency \\(gs://agency-bucket/control/events\\) was skipped: `));
    expect(row.message).toMatch(message);
    expect(report.errors).toEqual([row.message]);
    expect((await pass()).events).toEqual([]); // once per problem, not once per pass
    if (!laterFlows) return;
    await room.send(AGENCY, cli.code('agency_later', 'INSERT', 'SELECT 3', at(10)));
    expect(outcomes(await pass())).toEqual(['agency:CODE:SUCCESS']);
  }

  test('a data file deleted', async () => {
    await expectSkipped(async () => {
      const [file] = (await eventsFiles()).slice(-1);
      await room.store.delete(AGENCY, file);
    }, /a file it names is missing .*Fix: append the skipped events again with a Delta writer/);
  });

  test('a data file overwritten with bytes that are not Parquet', async () => {
    await expectSkipped(async () => {
      const files = await eventsFiles();
      await room.store.put(AGENCY, files[files.length - 1], randomBytes(2048));
    }, /parquet.*Fix: append the skipped events again/i);
  });

  test('a commit whose action is not a Delta action', async () => {
    await expectSkipped(
      (version) => writeCommit(room.store, AGENCY, EVENTS, version, [{ add: { path: 'x.parquet', size: 'lots', partitionValues: {}, modificationTime: 0, dataChange: true } }]),
      /the commit file 0+\d+\.json is not a Delta commit \(expected a number, got "lots"\)/,
      false,
    );
  });

  test('a commit above the size limit, under a configured limit', async () => {
    const config = { ...SETTINGS, limits: withLimits({ deltaCommitBytes: 4096 }) };
    await room.send(AGENCY, cli.code('agency_big', 'INSERT', 'SELECT 1', at(40)));
    await writeCommit(room.store, AGENCY, EVENTS, (await latest()) + 1, [{ commitInfo: { padding: 'y'.repeat(5000) } }]);
    await room.send(ADVERTISER, cli.code('advertiser_code', 'INSERT', 'SELECT 2', at(30)));
    const report = await pass(config);
    expect(outcomes(report)).toEqual(['advertiser:CODE:SUCCESS', 'agency:-:ERROR', 'agency:CODE:SUCCESS']);
    expect(report.events.find((e) => e.status === 'ERROR')!.message).toMatch(/above the limit of 4096 bytes \(4 KiB\) \(delta_commit_bytes\); .*Fix: append events in smaller commits/);
  });

  test('a Delta feature the reader lacks: one ERROR row naming it, the events wait, and flow once it is dropped', async () => {
    await room.send(AGENCY, cli.code('agency_first', 'INSERT', 'SELECT 1', at(50)));
    await pass();
    await room.send(AGENCY, cli.code('agency_waiting', 'INSERT', 'SELECT 2', at(40)));
    const version = (await latest()) + 1;
    const protocol = (reader: number, writer: number, features?: string[]) => ({
      protocol: { minReaderVersion: reader, minWriterVersion: writer, ...(features ? { readerFeatures: features, writerFeatures: features } : {}) },
    });
    await writeCommit(room.store, AGENCY, EVENTS, version, [protocol(3, 7, ['variantType'])]);
    await room.send(ADVERTISER, cli.code('advertiser_code', 'INSERT', 'SELECT 3', at(30)));
    const report = await pass();
    expect(outcomes(report)).toEqual(['advertiser:CODE:SUCCESS', 'agency:-:ERROR']);
    expect(report.events.find((e) => e.participant === 'agency')!.message).toMatch(/wait unread: .*uses unsupported feature "variantType"/);
    expect((await pass()).events).toEqual([]); // told once while the table stays as it is

    // The owner drops the feature: the waiting event flows.
    await writeCommit(room.store, AGENCY, EVENTS, version + 1, [protocol(1, 2)]);
    const after = await pass();
    expect(outcomes(after)).toEqual(['agency:CODE:SUCCESS']);
    expect((await room.read('publisher-bucket', 'code')).map((c) => c.code_name).sort()).toEqual(['advertiser_code', 'agency_first', 'agency_waiting']);
  });

  test('a metaData action too large to keep as the table shape is skipped; later commits read with the shape before', async () => {
    const version = (await latest()) + 1;
    const metaData = { id: 'other', format: { provider: 'parquet', options: {} }, schemaString: JSON.stringify(CONTROL_TABLES.events), partitionColumns: [], configuration: { junk: 'z'.repeat(100_000) } };
    await writeCommit(room.store, AGENCY, EVENTS, version, [{ metaData }]);
    await room.send(AGENCY, cli.code('agency_after', 'INSERT', 'SELECT 1', at(20)));
    await room.send(ADVERTISER, cli.code('advertiser_code', 'INSERT', 'SELECT 2', at(10)));
    const report = await pass();
    expect(outcomes(report)).toEqual(['advertiser:CODE:SUCCESS', 'agency:-:ERROR', 'agency:CODE:SUCCESS']);
    expect(report.events.find((e) => e.status === 'ERROR')!.message).toMatch(/its protocol and metaData take \d+ bytes, above the 65536 bytes an events table needs/);
  });

  test('a table that cannot be read at all gets one ERROR row, is not read again until its log changes, then flows', async () => {
    const config = { ...SETTINGS, limits: withLimits({ deltaCommitsReplayed: 20, eventsCommitsPerPass: 10 }) };
    await room.send(AGENCY, cli.code('agency_first', 'INSERT', 'SELECT 1', at(50)));
    await pass(config);
    // Recreated with 30 commits and no checkpoint: the re-read it needs would replay more than the limit.
    for await (const o of listAll(room.store, AGENCY, `${EVENTS}/`)) await room.store.delete(AGENCY, o.key);
    await DeltaTable.create(room.store, AGENCY, EVENTS, CONTROL_TABLES.events);
    for (let v = 1; v <= 30; v++) await writeCommit(room.store, AGENCY, EVENTS, v, [{ commitInfo: { operation: 'WRITE' } }]);
    await room.send(ADVERTISER, cli.code('advertiser_code', 'INSERT', 'SELECT 2', at(30)));
    const report = await pass(config);
    expect(outcomes(report)).toEqual(['advertiser:CODE:SUCCESS', 'agency:-:ERROR']);
    const row = report.events.find((e) => e.participant === 'agency')!;
    expect(row.eventUuid).toBe('no-uuid-table-v30');
    expect(row.message).toMatch(/^the events table of participant agency .* cannot be read: .*needs 31 commits replayed .*above the limit of 20: write a checkpoint.*; no event after version 30 was read\. Fix: /);
    expect((await pass(config)).events).toEqual([]); // told once while nothing changes

    // The participant starts its table afresh: its new events flow.
    for await (const o of listAll(room.store, AGENCY, `${EVENTS}/`)) await room.store.delete(AGENCY, o.key);
    await DeltaTable.create(room.store, AGENCY, EVENTS, CONTROL_TABLES.events);
    await room.send(AGENCY, cli.code('agency_again', 'INSERT', 'SELECT 3', at(10)));
    expect(outcomes(await pass(config))).toEqual(['agency:CODE:SUCCESS']);
  });
});
