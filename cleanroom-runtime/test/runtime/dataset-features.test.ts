/**
 * Datasets Databricks wrote are registered like any other: a DELETE left deletion vectors, a RENAME COLUMN left
 * column mapping, a column is timestamp_ntz. A dataset using a feature the reader lacks is refused at
 * registration with an ERROR event_status naming the feature and Databricks' remedy (`ALTER TABLE ... DROP FEATURE`).
 */
import * as fs from 'node:fs';
import { runPass } from '../../src/runtime/run-pass';
import { seed } from '../processor/fixtures';
import { copyFixture, replaceProtocol } from '../delta/log-edits';
import { LocalCleanRoom, SETTINGS } from './pass-fixtures';

let room: LocalCleanRoom;
beforeEach(async () => {
  room = new LocalCleanRoom();
  await room.onboard();
});
afterEach(() => room.cleanup());

const pass = () => runPass({ config: SETTINGS, store: room.store, engine: room.engine, now: room.now });
const inputDir = (bucket: string): string => `${room.root}/gs/${bucket}/input`;

test('datasets with deletion vectors, column mapping and timestamp_ntz are registered with their logical schema', async () => {
  fs.mkdirSync(inputDir('publisher-bucket'), { recursive: true });
  for (const fixture of ['table-with-dv-small', 'table-with-columnmapping-mode-name', 'data-reader-timestamp_ntz']) copyFixture(fixture, inputDir('publisher-bucket'));
  await room.send(
    'publisher-bucket',
    seed.data('publisher.deleted_from', 'INSERT', 'gs://publisher-bucket/input/table-with-dv-small', 'delta', room.clock - 3000),
    seed.data('publisher.renamed', 'INSERT', 'gs://publisher-bucket/input/table-with-columnmapping-mode-name', 'delta', room.clock - 2000),
    seed.data('publisher.local_times', 'INSERT', 'gs://publisher-bucket/input/data-reader-timestamp_ntz', 'delta', room.clock - 1000),
  );
  const report = await pass();
  expect(report.events.map((e) => `${e.eventType}:${e.status}`)).toEqual(['DATA:SUCCESS', 'DATA:SUCCESS', 'DATA:SUCCESS']);
  const data = await room.read('publisher-bucket', 'data');
  const columns = (fixture: string): string[] => {
    const row = data.find((d) => d.location === `gs://publisher-bucket/input/${fixture}`)!;
    return (JSON.parse(String(row.schema)) as { fields: Array<{ name: string }> }).fields.map((f) => f.name);
  };
  expect(columns('table-with-dv-small')).toEqual(['value']);
  expect(columns('table-with-columnmapping-mode-name').slice(0, 3)).toEqual(['ByteType', 'ShortType', 'IntegerType']);
  expect(columns('data-reader-timestamp_ntz')).toEqual(['id', 'tsNtz', 'tsNtzPartition']);
});

test('a dataset with a feature the reader lacks is refused at registration, naming it and what to do', async () => {
  fs.mkdirSync(inputDir('publisher-bucket'), { recursive: true });
  const dir = copyFixture('table-with-dv-small', inputDir('publisher-bucket'));
  replaceProtocol(dir, 0, { minReaderVersion: 3, minWriterVersion: 7, readerFeatures: ['deletionVectors', 'typeWidening'], writerFeatures: ['deletionVectors', 'typeWidening'] });
  await room.send('publisher-bucket', seed.data('publisher.widened', 'INSERT', 'gs://publisher-bucket/input/table-with-dv-small', 'delta', room.clock - 1000));
  const report = await pass();
  expect(report.events).toHaveLength(1);
  expect(report.events[0].status).toBe('ERROR');
  expect(report.events[0].message).toMatch(/could not read the delta dataset at gs:\/\/publisher-bucket\/input\/table-with-dv-small: .*unsupported feature "typeWidening".*ALTER TABLE <table> DROP FEATURE typeWidening/);
  const statuses = await room.read('publisher-bucket', 'event_status');
  expect(statuses.map((s) => [s.status, String(s.message).includes('typeWidening')])).toEqual([['ERROR', true]]);
});
