/**
 * A uuid is used once: an event refused at parsing still consumes its (well-formed) uuid, so a later event with
 * the same uuid is refused as a duplicate instead of being applied under a uuid that already has an ERROR row.
 */
import { runPass } from '../../src/runtime/run-pass';
import { loadLatestState } from '../../src/runtime/state-store';
import { cli, seed } from '../processor/fixtures';
import { LocalCleanRoom, SETTINGS } from './pass-fixtures';

const AGENCY_BUCKET = 'agency-bucket';
let room: LocalCleanRoom;
const pass = () => runPass({ config: SETTINGS, store: room.store, engine: room.engine, now: room.now });

beforeEach(async () => {
  room = new LocalCleanRoom();
  await room.onboard();
});
afterEach(() => room.cleanup());

const duplicate = (uuid: string) => `duplicate event: you already sent an event with uuid ${uuid}; send a new event with a fresh uuid`;

test('a uuid refused at parsing cannot be reused, in the same pass or a later one', async () => {
  const bad = cli.code('agency_x', 'INSERT', 'SELECT 1', { atMs: room.clock - 3000 });
  bad.api_version = '9';
  const reuse = cli.code('agency_x', 'INSERT', 'SELECT 1', { atMs: room.clock - 2000 });
  reuse.uuid = bad.uuid;
  await room.send(AGENCY_BUCKET, bad, reuse);
  const first = await pass();
  expect(first.events.map((e) => [e.eventUuid, e.status])).toEqual([[bad.uuid, 'ERROR'], [bad.uuid, 'ERROR']]);
  expect(first.events[1].message).toBe(duplicate(bad.uuid as string));

  const later = cli.code('agency_x', 'INSERT', 'SELECT 1', { atMs: room.clock - 1000 });
  const badPayload = { ...later, payload: '{not json' };
  await room.send(AGENCY_BUCKET, badPayload);
  await pass();
  await room.send(AGENCY_BUCKET, later);
  const second = await pass();
  expect(second.events.map((e) => [e.status, e.message])).toEqual([['ERROR', duplicate(later.uuid as string)]]);
  expect(Object.keys((await loadLatestState(room.store, SETTINGS.stateBucket)).state.code)).toEqual([]);
  expect((await room.read(AGENCY_BUCKET, 'event_status')).every((s) => s.status === 'ERROR')).toBe(true);
});

test('a v1 approval refused at parsing consumes only that approval (code ids repeat across approvals)', async () => {
  const code = seed.code('agency_x', 'INSERT', 'SELECT 1', { atMs: room.clock - 5000 });
  await room.send(AGENCY_BUCKET, code);
  expect((await pass()).events.map((e) => e.status)).toEqual(['SUCCESS']);
  room.clock += 60_000;
  const bad = seed.approval('CODE_REQUEST_APPROVED', code.uuid as string, 'ok', room.clock - 4000);
  bad.payload = '{"not": "a string"}';
  const good = seed.approval('CODE_REQUEST_APPROVED', code.uuid as string, 'ok', room.clock - 3000);
  await room.send('publisher-bucket', bad, good);
  const report = await pass();
  expect(report.events.map((e) => `${e.participant}:${e.status}`)).toEqual(['publisher:ERROR', 'publisher:SUCCESS']);
});

test('rows without a usable uuid get synthetic ids and block nothing', async () => {
  const a = cli.code('agency_x', 'INSERT', 'SELECT 1', { atMs: room.clock - 2000 });
  a.uuid = '../../etc';
  const b = cli.code('agency_y', 'INSERT', 'SELECT 1', { atMs: room.clock - 1000 });
  b.uuid = '../../etc';
  const ok = cli.code('agency_z', 'INSERT', 'SELECT 1', { atMs: room.clock - 500 });
  await room.send(AGENCY_BUCKET, a, b, ok);
  const report = await pass();
  expect(report.events.map((e) => e.status)).toEqual(['ERROR', 'ERROR', 'SUCCESS']);
  expect(new Set(report.events.map((e) => e.eventUuid)).size).toBe(3);
});
