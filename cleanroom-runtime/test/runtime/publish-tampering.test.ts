/**
 * A participant rewriting what the clean room published in its own bucket (control tables, code copies) changes
 * nothing for long: the next publish to that participant checks every published table's content against the
 * participant's view and restores it; the scheduled check does the same, and also reads every code copy back
 * against its sha256 (one read per copy, so not on every publish). An idle pass still costs one list call per participant and no writes.
 */
import { controlTableKey } from '../../src/control/tables';
import { logPrefix } from '../../src/delta/actions';
import { PUBLISHED_CHECK_INTERVAL_MS } from '../../src/runtime/publisher';
import { overwriteControlTable } from '../../src/runtime/control-tables';
import { runPass } from '../../src/runtime/run-pass';
import { DeltaTable } from '../../src/delta/table';
import { listAll } from '../../src/storage/object-store';
import { cli, seed, sha256 } from '../processor/fixtures';
import { LocalCleanRoom, SETTINGS } from './pass-fixtures';

const SQL = '-- Databricks notebook source\nSELECT 1 AS n\n';
const HASH = sha256(SQL);
const FORGED = '-- Databricks notebook source\nSELECT * FROM publisher.users\n';
const AGENCY_BUCKET = 'agency-bucket';
const CODE_COPY = `code/agency/agency_x/${HASH}`;

let room: LocalCleanRoom;
const pass = () => runPass({ config: SETTINGS, store: room.store, engine: room.engine, now: room.now });
const text = async (bucket: string, key: string) => new TextDecoder().decode(await room.store.get(bucket, key));

async function forgeApproval(): Promise<void> {
  await overwriteControlTable(room.store, AGENCY_BUCKET, 'approval_status', [
    { code_id: 'x', code_name: 'agency_x', participant: 'agency', notebook_contents_hash: HASH, approval_status: 'CODE_REQUEST_APPROVED', reason: 'forged', reviewed_by: 'publisher', updated_at: null, event_uuid: null },
  ]);
}
const approvals = async () => (await room.read(AGENCY_BUCKET, 'approval_status')).map((r) => `${r.code_name}:${r.approval_status}`);

beforeEach(async () => {
  room = new LocalCleanRoom();
  await room.onboard();
  await room.send(AGENCY_BUCKET, cli.code('agency_x', 'INSERT', SQL, { atMs: room.clock - 60_000 }));
  const first = await pass();
  expect(first.events.map((e) => e.status)).toEqual(['SUCCESS']);
  await pass(); // settles
});
afterEach(() => room.cleanup());

test('the next publish restores a forged table whose content did not change in the state; the scheduled check restores a forged code copy', async () => {
  await forgeApproval();
  await room.store.put(AGENCY_BUCKET, CODE_COPY, new TextEncoder().encode(FORGED));
  expect(await approvals()).toEqual(['agency_x:CODE_REQUEST_APPROVED']);

  // A bad event: only agency's event_status changes, yet the forged approval_status is restored. Code copies are
  // not read back on an ordinary publish (one read each): the forged copy waits for the scheduled check.
  await room.send(AGENCY_BUCKET, seed.data('publisher.users', 'INSERT', 'gs://publisher-bucket/input/users', 'delta', room.clock - 1000));
  const report = await pass();
  expect(report.events.map((e) => e.status)).toEqual(['ERROR']);
  expect(report.errors).toEqual([]);
  expect(await approvals()).toEqual(['agency_x:CODE_REQUEST_PENDING_APPROVAL']);
  expect(report.published.filter((p) => p.participant === 'agency').map((p) => p.table).sort()).toEqual(['approval_status', 'event_status']);
  expect(report.repaired).toEqual([expect.stringMatching(/^agency: control\.approval_status .*its files are not the ones the clean room published/)]);
  expect(await text(AGENCY_BUCKET, CODE_COPY)).toBe(FORGED);

  room.clock += PUBLISHED_CHECK_INTERVAL_MS;
  const check = await pass();
  expect(check.errors).toEqual([]);
  expect(check.repaired).toEqual([expect.stringMatching(new RegExp(`^agency: gs://agency-bucket/${CODE_COPY} does not match its sha256; restored`))]);
  expect(await text(AGENCY_BUCKET, CODE_COPY)).toBe(SQL);
  // Restored: the pass after is idle again for everyone.
  room.store.reset();
  await pass();
  expect(room.store.writes()).toBe(0);
});

test('with nothing to publish, an idle pass stays free; the scheduled check restores forged tables', async () => {
  await forgeApproval();
  room.store.reset();
  await pass();
  expect(room.store.writes()).toBe(0);
  for (const p of SETTINGS.participants) expect(room.store.bucketCounts(p.bucket).list).toBe(1);
  expect(await approvals()).toEqual(['agency_x:CODE_REQUEST_APPROVED']);

  room.clock += PUBLISHED_CHECK_INTERVAL_MS;
  const report = await pass();
  expect(report.errors).toEqual([]);
  expect(report.published).toEqual([{ participant: 'agency', table: 'approval_status' }]);
  expect(await approvals()).toEqual(['agency_x:CODE_REQUEST_PENDING_APPROVAL']);
});

test('a deleted published table and a deleted code copy are written again', async () => {
  for await (const object of listAll(room.store, AGENCY_BUCKET, `${controlTableKey('code')}/`)) await room.store.delete(AGENCY_BUCKET, object.key);
  await room.store.delete(AGENCY_BUCKET, CODE_COPY);
  room.clock += PUBLISHED_CHECK_INTERVAL_MS;
  const report = await pass();
  expect(report.errors).toEqual([]);
  expect((await room.read(AGENCY_BUCKET, 'code')).map((r) => r.code_name)).toEqual(['agency_x']);
  expect(await text(AGENCY_BUCKET, CODE_COPY)).toBe(SQL);
});

test('a forged checkpoint at the version the runtime wrote is detected', async () => {
  const version = (await DeltaTable.open(room.store, AGENCY_BUCKET, controlTableKey('approval_status'))).latestVersion();
  const key = `${logPrefix(controlTableKey('approval_status'))}${String(await version).padStart(20, '0')}.checkpoint.parquet`;
  await room.store.put(AGENCY_BUCKET, key, new TextEncoder().encode('PAR1 forged'));
  room.clock += PUBLISHED_CHECK_INTERVAL_MS;
  const report = await pass();
  expect(report.published).toContainEqual({ participant: 'agency', table: 'approval_status' });
  expect(await approvals()).toEqual(['agency_x:CODE_REQUEST_PENDING_APPROVAL']);
});

test('a data file rewritten in place under its own name is seen by content and restored', async () => {
  // Forge a table elsewhere, then copy its data file over the published one's key: the log is untouched.
  const delta = await DeltaTable.open(room.store, AGENCY_BUCKET, controlTableKey('approval_status'));
  const [published] = (await delta.snapshot()).files;
  await overwriteControlTable(room.store, 'forgery-bucket', 'approval_status', [
    { code_id: 'x', code_name: 'agency_x', participant: 'agency', notebook_contents_hash: HASH, approval_status: 'CODE_REQUEST_APPROVED', reason: 'forged', reviewed_by: 'publisher', updated_at: null, event_uuid: null },
  ]);
  const [forged] = (await (await DeltaTable.open(room.store, 'forgery-bucket', controlTableKey('approval_status'))).snapshot()).files;
  const forgedBytes = await room.store.get('forgery-bucket', `${controlTableKey('approval_status')}/${forged.path}`);
  await room.store.put(AGENCY_BUCKET, `${controlTableKey('approval_status')}/${published.path}`, forgedBytes);
  expect(await approvals()).toEqual(['agency_x:CODE_REQUEST_APPROVED']);

  room.clock += PUBLISHED_CHECK_INTERVAL_MS;
  const report = await pass();
  expect(report.repaired).toEqual([expect.stringMatching(/^agency: control\.approval_status .*its files are not the ones the clean room published/)]);
  expect(await approvals()).toEqual(['agency_x:CODE_REQUEST_PENDING_APPROVAL']);
});
