/**
 * What publishing costs in code-copy reads: an ordinary publish to a participant reads no code copy back (each
 * read is one GET per code object); a copy the participant lacks is still written at once; the scheduled check
 * reads every copy of every participant once and restores the forged ones.
 */
import { MAX_NOTEBOOK_BYTES } from '../../src/processor/code-content';
import { codeObjectKey } from '../../src/processor/effects';
import { PUBLISHED_CHECK_INTERVAL_MS } from '../../src/runtime/publisher';
import { runPass } from '../../src/runtime/run-pass';
import { cli, seed, sha256 } from '../processor/fixtures';
import { LocalCleanRoom, SETTINGS } from './pass-fixtures';

const SQL = '-- Databricks notebook source\nSELECT 1 AS n\n';
const SQL_2 = '-- Databricks notebook source\nSELECT 2 AS n\n';
const copyOf = (name: string, sql: string) => codeObjectKey('agency', name, sha256(sql));

let room: LocalCleanRoom;
let codeReads: string[];
const pass = () => runPass({ config: SETTINGS, store: room.store, engine: room.engine, now: room.now });

beforeEach(async () => {
  room = new LocalCleanRoom();
  await room.onboard();
  await room.send('agency-bucket', cli.code('agency_x', 'INSERT', SQL, { atMs: room.clock - 60_000 }));
  expect((await pass()).events.map((e) => e.status)).toEqual(['SUCCESS']);
  await pass(); // settles
  codeReads = [];
  const get = room.store.get.bind(room.store);
  jest.spyOn(room.store, 'get').mockImplementation((bucket, key) => {
    if (key.startsWith('code/')) codeReads.push(`${bucket}/${key}`);
    return get(bucket, key);
  });
});
afterEach(() => {
  jest.restoreAllMocks();
  room.cleanup();
});

test('an ordinary publish reads no code copy back', async () => {
  await room.send('agency-bucket', seed.data('publisher.users', 'INSERT', 'gs://publisher-bucket/input/users', 'delta', room.clock - 1000));
  const report = await pass();
  expect(report.published).toContainEqual({ participant: 'agency', table: 'event_status' });
  expect(codeReads).toEqual([]);
});

test('a new code copy is written at once, without reading the copies already published', async () => {
  await room.send('agency-bucket', cli.code('agency_y', 'INSERT', SQL_2, { atMs: room.clock - 1000 }));
  const report = await pass();
  expect(report.codeObjectsWritten).toBe(2); // agency's bucket and the keeper's
  expect(new TextDecoder().decode(await room.store.get('agency-bucket', copyOf('agency_y', SQL_2)))).toBe(SQL_2);
  expect(codeReads.filter((read) => read.endsWith(copyOf('agency_x', SQL)))).toEqual([]);
});

test('the scheduled check reads each published copy once and restores a forged one', async () => {
  await room.store.put('agency-bucket', copyOf('agency_x', SQL), new TextEncoder().encode('SELECT * FROM publisher.users'));
  room.clock += PUBLISHED_CHECK_INTERVAL_MS;
  const report = await pass();
  expect(codeReads.sort()).toEqual([`agency-bucket/${copyOf('agency_x', SQL)}`, `publisher-bucket/${copyOf('agency_x', SQL)}`]);
  expect(report.repaired).toEqual([expect.stringContaining(`gs://agency-bucket/${copyOf('agency_x', SQL)} does not match its sha256; restored`)]);
  expect(new TextDecoder().decode(await room.store.get('agency-bucket', copyOf('agency_x', SQL)))).toBe(SQL);

  codeReads = [];
  await pass(); // checked: idle again
  expect(codeReads).toEqual([]);
});

test('a copy replaced by an object larger than any code is restored without being read', async () => {
  await room.store.put('agency-bucket', copyOf('agency_x', SQL), new Uint8Array(MAX_NOTEBOOK_BYTES + 1));
  room.clock += PUBLISHED_CHECK_INTERVAL_MS;
  const report = await pass();
  expect(codeReads).not.toContain(`agency-bucket/${copyOf('agency_x', SQL)}`);
  expect(report.repaired).toEqual([expect.stringContaining(`gs://agency-bucket/${copyOf('agency_x', SQL)} is ${MAX_NOTEBOOK_BYTES + 1} bytes, larger than any code the clean room stores; restored`)]);
  expect(new TextDecoder().decode(await room.store.get('agency-bucket', copyOf('agency_x', SQL)))).toBe(SQL);
});
