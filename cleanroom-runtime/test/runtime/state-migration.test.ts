/**
 * A clean room whose state was written in format 1 (one object holding everything, as runtimes before format 2 wrote
 * it) is read whole and migrated by the next commit without losing anything: no event decided again, duplicates still
 * refused, the published tables unchanged, and the history moved into parts behind a format 2 root that names the
 * format 1 commit it came from.
 *
 * The fixture is made here, not kept as a file: `cleanroom demo` (what `npm start` runs) in a temporary root, then its
 * state written back as the format 1 object: exactly the fields format 1 had (`published` holding each table's
 * content hash, as that runtime recorded it), none of the fields format 2 added.
 */
import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { loadConfig } from '../../src/config';
import { controlTableKey, PUBLISHED_TABLE_NAMES } from '../../src/control/tables';
import { DeltaTable, type DeltaRow } from '../../src/delta';
import { DemoOutput } from '../../src/demo/demo-output';
import { runDemo } from '../../src/demo/run-demo';
import { buildDataEvent } from '../../src/events/build-event';
import type { CleanroomState } from '../../src/processor/state';
import { rowsHash, viewFor, type PublishedTable } from '../../src/processor/views';
import { appendEventRow } from '../../src/runtime/control-tables';
import { runPass } from '../../src/runtime/run-pass';
import { participantInfos, type RuntimeSettings } from '../../src/runtime/settings';
import { loadLatestState, stateKey } from '../../src/runtime/state-store';
import { LocalObjectStore } from '../../src/storage';
import { LocalEngine } from '../../src/engines/local';
import { listAll } from '../../src/storage/object-store';

const EXAMPLES = path.resolve(__dirname, '../../../examples');
/** The fields of a format 1 state, in the order that runtime wrote them. */
const FORMAT_1_FIELDS = ['formatVersion', 'datasets', 'code', 'jobs', 'runs', 'eventStatus', 'processedEvents', 'eventsVersions', 'pendingEffects', 'published', 'publishedCode', 'publishedCheckedAt', 'eventsTables'];

let root: string;
let store: LocalObjectStore;
let settings: RuntimeSettings;
let legacy: Record<string, unknown>;
let legacyBytes: Uint8Array;
let legacySeq: number;
const tablesBefore: Record<string, Record<string, DeltaRow[]>> = {};

const canonical = (rows: DeltaRow[]) => rows.map((r) => JSON.stringify(r, (_k, v: unknown) => (typeof v === 'bigint' ? `${v}n` : v))).sort();

async function publishedTables(): Promise<Record<string, Record<string, string[]>>> {
  const out: Record<string, Record<string, string[]>> = {};
  for (const p of settings.participants) {
    out[p.name] = {};
    for (const table of PUBLISHED_TABLE_NAMES) out[p.name][table] = canonical(await (await DeltaTable.open(store, p.bucket, controlTableKey(table))).readRows());
  }
  return out;
}

beforeAll(async () => {
  root = await fs.mkdtemp(path.join(os.tmpdir(), 'cleanroom-migration-'));
  store = new LocalObjectStore(root);
  await runDemo({ configDir: EXAMPLES, localRoot: root, out: DemoOutput.forStream({ write: () => undefined, isTTY: false }, {}) });
  const config = await loadConfig(EXAMPLES);
  settings = config;
  const { seq, state } = await loadLatestState(store, config.stateBucket);
  // Format 1 as that runtime wrote it: the whole state in one object, `published` the hash of each view it published.
  const published = Object.fromEntries(participantInfos(config).map((p) => [p.name, Object.fromEntries(PUBLISHED_TABLE_NAMES.map((t) => [t, rowsHash(viewFor(state, p, config.keeper)[t as PublishedTable])]))]));
  const whole: Record<string, unknown> = { ...state, formatVersion: 1, published };
  legacy = Object.fromEntries(FORMAT_1_FIELDS.map((field) => [field, whole[field]]));
  legacyBytes = new TextEncoder().encode(JSON.stringify(legacy));
  legacySeq = seq + 1;
  await store.createIfAbsent(config.stateBucket, stateKey(legacySeq), legacyBytes);
  Object.assign(tablesBefore, await publishedTables());
}, 120_000);
afterAll(async () => {
  if (root) await fs.rm(root, { recursive: true, force: true });
});

test('the fixture is a format 1 state of a clean room in use', () => {
  const state = legacy as unknown as CleanroomState;
  expect(Object.keys(legacy)).toEqual(FORMAT_1_FIELDS);
  expect(Object.values(state.eventStatus).flat().length).toBeGreaterThanOrEqual(6);
  expect(Object.keys(state.processedEvents).length).toBeGreaterThanOrEqual(6);
  expect(Object.keys(state.runs).length).toBeGreaterThanOrEqual(1);
});

test('a format 1 state is read whole, and migrated by the next commit without loss', async () => {
  const read = await loadLatestState(store, settings.stateBucket);
  expect(read.seq).toBe(legacySeq);
  expect(read.state).toEqual({ ...legacy, formatVersion: 2 });

  // A pass with one new event commits format 2.
  const advertiser = settings.participants.find((p) => p.name === 'advertiser')!;
  const refused = buildDataEvent({ action: 'DELETE', dataMetastoreName: 'advertiser.nothing_here' }, { uuid: '00000000-0000-4000-8000-00000000a001', nowMs: Date.now(), user: 'u', hostname: 'h' });
  await appendEventRow(store, advertiser.bucket, refused.row);
  const engine = new LocalEngine({ localRoot: root, waitForRuns: true });
  const report = await runPass({ config: settings, store, engine });
  expect(report.errors).toEqual([]);
  expect(report.events.map((e) => `${e.eventUuid}:${e.status}`)).toEqual([`${refused.uuid}:ERROR`]);

  const rootObject = JSON.parse(new TextDecoder().decode(await store.get(settings.stateBucket, stateKey(legacySeq + 1)))) as { formatVersion: number; previous: string; core: CleanroomState };
  expect(rootObject.formatVersion).toBe(2);
  expect(rootObject.previous).toBe(createHash('sha256').update(legacyBytes).digest('hex'));
  // The history left the root: it is in parts now.
  expect(rootObject.core.eventStatus).toEqual({});
  expect(rootObject.core.processedEvents).toEqual({});
  const parts: string[] = [];
  for await (const object of listAll(store, settings.stateBucket, 'state/parts/')) parts.push(object.key);
  expect(parts.length).toBeGreaterThan(0);

  const after = (await loadLatestState(store, settings.stateBucket)).state;
  const before = legacy as unknown as CleanroomState;
  for (const field of ['datasets', 'code', 'jobs', 'runs', 'pendingEffects', 'publishedCode'] as const) {
    expect({ [field]: after[field] }).toEqual({ [field]: before[field] });
  }
  expect(after.eventsVersions).toEqual({ ...before.eventsVersions, advertiser: before.eventsVersions.advertiser + 1 });
  expect(after.eventStatus.advertiser.slice(0, -1)).toEqual(before.eventStatus.advertiser);
  expect(after.eventStatus.advertiser.at(-1)).toMatchObject({ eventUuid: refused.uuid, status: 'ERROR' });
  for (const participant of Object.keys(before.eventStatus).filter((p) => p !== 'advertiser')) expect(after.eventStatus[participant]).toEqual(before.eventStatus[participant]);
  expect(after.processedEvents).toEqual({ ...before.processedEvents, [`advertiser/${refused.uuid}`]: true });

  // What participants see is what they saw, plus the one new status.
  const tables = await publishedTables();
  for (const p of settings.participants) {
    for (const table of PUBLISHED_TABLE_NAMES) {
      if (p.name === 'advertiser' && table === 'event_status') {
        expect(tables[p.name][table].length).toBe(tablesBefore[p.name][table].length + 1);
        expect(tables[p.name][table]).toEqual(expect.arrayContaining(tablesBefore[p.name][table]));
      } else {
        expect({ [`${p.name}.${table}`]: tables[p.name][table] }).toEqual({ [`${p.name}.${table}`]: tablesBefore[p.name][table] });
      }
    }
  }
});

test('after the migration an event uuid decided before it is still refused as a duplicate', async () => {
  const before = legacy as unknown as CleanroomState;
  const [old] = before.eventStatus.advertiser;
  const again = buildDataEvent({ action: 'DELETE', dataMetastoreName: 'advertiser.again' }, { uuid: old.eventUuid, nowMs: Date.now(), user: 'u', hostname: 'h' });
  const advertiser = settings.participants.find((p) => p.name === 'advertiser')!;
  await appendEventRow(store, advertiser.bucket, again.row);
  const report = await runPass({ config: settings, store, engine: new LocalEngine({ localRoot: root, waitForRuns: true }) });
  expect(report.events).toEqual([expect.objectContaining({ eventUuid: old.eventUuid, status: 'ERROR', message: expect.stringContaining('duplicate event') })]);
});
