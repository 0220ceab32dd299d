/**
 * A participant's events commits and data files above the size limits are never read: the commit is skipped with
 * one ERROR event_status (synthetic id) and a pass-report error, its version counts as read, and later events of
 * that participant and the other participants are processed.
 */
import { randomBytes } from 'node:crypto';
import { commitFileName, logPrefix } from '../../src/delta/actions';
import { controlTableKey } from '../../src/control/tables';
import { runPass } from '../../src/runtime/run-pass';
import { loadLatestState } from '../../src/runtime/state-store';
import { withLimits } from '../../src/limits';
import { listAll } from '../../src/storage/object-store';
import { cli } from '../processor/fixtures';
import { LocalCleanRoom, SETTINGS } from './pass-fixtures';

const AGENCY_BUCKET = 'agency-bucket';
const PUBLISHER_BUCKET = 'publisher-bucket';
const LIMITS = { maxCommitBytes: 8 * 1024, maxDataFileBytes: 16 * 1024 };
const CONFIG = { ...SETTINGS, limits: withLimits({ deltaCommitBytes: LIMITS.maxCommitBytes, parquetFileBytes: LIMITS.maxDataFileBytes }) };
let room: LocalCleanRoom;
const pass = () => runPass({ config: CONFIG, store: room.store, engine: room.engine, now: room.now });

beforeEach(async () => {
  room = new LocalCleanRoom();
  await room.onboard();
});
afterEach(() => room.cleanup());

async function eventsObjects(bucket: string): Promise<Array<{ key: string; size: number }>> {
  const out: Array<{ key: string; size: number }> = [];
  for await (const o of listAll(room.store, bucket, `${controlTableKey('events')}/`)) out.push({ key: o.key, size: o.size });
  return out;
}

async function latestEventsVersion(bucket: string): Promise<number> {
  const commits = (await eventsObjects(bucket)).filter((o) => o.key.endsWith('.json') && o.key.includes('_delta_log/'));
  return Math.max(...commits.map((o) => Number(o.key.split('/').pop()!.slice(0, 20))));
}

async function agencyState(): Promise<{ version: number; codes: string[] }> {
  const { state } = await loadLatestState(room.store, SETTINGS.stateBucket);
  return { version: state.eventsVersions.agency, codes: Object.values(state.code).map((c) => c.name).sort() };
}

test('an oversized commit is skipped with one ERROR, later events of that participant and others are processed', async () => {
  await room.send(AGENCY_BUCKET, cli.code('agency_before', 'INSERT', 'SELECT 1', { atMs: room.clock - 5000 }));
  await room.send(AGENCY_BUCKET, cli.code('agency_huge', 'INSERT', 'SELECT 2', { atMs: room.clock - 4000 }));
  const hugeVersion = await latestEventsVersion(AGENCY_BUCKET);
  // The participant pads its commit file far beyond the limit (the runtime must not read it).
  const commitKey = logPrefix(controlTableKey('events')) + commitFileName(hugeVersion);
  const original = new TextDecoder().decode(await room.store.get(AGENCY_BUCKET, commitKey));
  const padded = `${original}{"commitInfo":{"padding":"${'x'.repeat(LIMITS.maxCommitBytes)}"}}\n`;
  await room.store.put(AGENCY_BUCKET, commitKey, new TextEncoder().encode(padded));
  const paddedSize = new TextEncoder().encode(padded).length;
  await room.send(AGENCY_BUCKET, cli.code('agency_after', 'INSERT', 'SELECT 3', { atMs: room.clock - 3000 }));
  await room.send(PUBLISHER_BUCKET, cli.code('publisher_code', 'INSERT', 'SELECT 4', { atMs: room.clock - 2000 }));

  const report = await pass();
  const refused = report.events.filter((e) => e.status === 'ERROR');
  expect(refused).toHaveLength(1);
  expect(refused[0]).toMatchObject({ participant: 'agency', eventUuid: `no-uuid-v${hugeVersion}-0`, eventsVersion: hugeVersion });
  for (const text of [refused[0].message, report.errors.join('\n')]) {
    expect(text).toContain(`events commit ${hugeVersion} of participant agency`);
    expect(text).toContain(`${paddedSize} bytes, above the limit of ${LIMITS.maxCommitBytes} bytes`);
    expect(text).toContain('smaller commits');
  }
  expect(report.events.filter((e) => e.status === 'SUCCESS').map((e) => e.participant).sort()).toEqual(['agency', 'agency', 'publisher']);
  expect(await agencyState()).toEqual({ version: await latestEventsVersion(AGENCY_BUCKET), codes: ['agency_after', 'agency_before', 'publisher_code'] });
  const statuses = await room.read(AGENCY_BUCKET, 'event_status');
  expect(statuses.filter((s) => s.event_uuid === `no-uuid-v${hugeVersion}-0`).map((s) => s.status)).toEqual(['ERROR']);

  // The skipped commit stays read: the next pass is idle (no new event, no new error).
  const next = await pass();
  expect(next.events).toEqual([]);
  expect(next.errors).toEqual([]);
});

test('a commit adding an oversized data file is skipped, even when its add.size understates the file', async () => {
  await room.send(AGENCY_BUCKET, cli.code('agency_before', 'INSERT', 'SELECT 1', { atMs: room.clock - 5000 }));
  const before = new Set((await eventsObjects(AGENCY_BUCKET)).map((o) => o.key));
  // Random text does not compress: the Parquet file ends up well above the limit.
  const big = cli.code('agency_big', 'INSERT', `SELECT '${randomBytes(LIMITS.maxDataFileBytes).toString('hex')}'`, { atMs: room.clock - 4000 });
  await room.send(AGENCY_BUCKET, big);
  const bigVersion = await latestEventsVersion(AGENCY_BUCKET);
  const bigFile = (await eventsObjects(AGENCY_BUCKET)).find((o) => !before.has(o.key) && o.key.endsWith('.parquet'))!;
  expect(bigFile.size).toBeGreaterThan(LIMITS.maxDataFileBytes);
  // The participant also lies in the log: add.size says the file is tiny.
  const commitKey = logPrefix(controlTableKey('events')) + commitFileName(bigVersion);
  const commit = new TextDecoder().decode(await room.store.get(AGENCY_BUCKET, commitKey)).replace(/"size":\d+/, '"size":10');
  await room.store.put(AGENCY_BUCKET, commitKey, new TextEncoder().encode(commit));
  await room.send(AGENCY_BUCKET, cli.code('agency_after', 'INSERT', 'SELECT 3', { atMs: room.clock - 3000 }));
  await room.send(PUBLISHER_BUCKET, cli.code('publisher_code', 'INSERT', 'SELECT 4', { atMs: room.clock - 2000 }));

  const report = await pass();
  const refused = report.events.filter((e) => e.status === 'ERROR');
  expect(refused).toHaveLength(1);
  expect(refused[0]).toMatchObject({ participant: 'agency', eventUuid: `no-uuid-v${bigVersion}-0` });
  expect(refused[0].message).toContain(`events commit ${bigVersion} of participant agency`);
  expect(refused[0].message).toContain(`is ${bigFile.size} bytes, above the limit of ${LIMITS.maxDataFileBytes} bytes`);
  expect(report.errors.some((e) => e.includes(`events commit ${bigVersion} of participant agency`))).toBe(true);
  expect(await agencyState()).toEqual({ version: await latestEventsVersion(AGENCY_BUCKET), codes: ['agency_after', 'agency_before', 'publisher_code'] });
});
