import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { CONTROL_TABLE_NAMES, CONTROL_TABLES, controlTableKey } from '../../src/control/tables';
import { struct } from '../../src/delta/schema-types';
import { DeltaTable } from '../../src/delta/table';
import { parseEvent } from '../../src/events/parse-event';
import { appendEvent, onboardParticipant } from '../../src/runtime/control-tables';
import { readNewEvents } from '../../src/runtime/events-reader';
import { inspectLocation } from '../../src/runtime/location-facts';
import { LocalObjectStore } from '../../src/storage/local-store';
import { InstrumentedStore, zeroCounts } from '../support/instrumented-store';

let root: string;
let store: InstrumentedStore;
beforeEach(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'cleanroom-control-'));
  store = new InstrumentedStore(new LocalObjectStore(root));
});
afterEach(() => fs.rmSync(root, { recursive: true, force: true }));

describe('onboarding and events', () => {
  test('onboarding creates the folders and every control table empty; running it again changes nothing', async () => {
    expect((await onboardParticipant(store, 'acme-bucket')).created.sort()).toEqual([...CONTROL_TABLE_NAMES].sort());
    for (const name of CONTROL_TABLE_NAMES) {
      const table = await DeltaTable.open(store, 'acme-bucket', controlTableKey(name));
      expect((await table.snapshot()).schema).toEqual(CONTROL_TABLES[name]);
      expect(await table.readRows()).toEqual([]);
    }
    expect((await store.list('acme-bucket', 'audit-logs/')).objects).toHaveLength(1);
    expect((await onboardParticipant(store, 'acme-bucket')).created).toEqual([]);
  });

  test('appended events are read back incrementally, each exactly once, and parse', async () => {
    await onboardParticipant(store, 'acme-bucket');
    const first = await appendEvent(store, 'acme-bucket', { eventType: 'JOB', payload: JSON.stringify({ job_name: 'j', code_name: 'c', compute: 'Small' }) });
    const second = await appendEvent(store, 'acme-bucket', { eventType: 'DATA', payload: '{}', apiVersion: '1' });
    const read = await readNewEvents(store, 'acme', 'acme-bucket', 0);
    expect(read.lastVersion).toBe(second.version);
    expect(read.envelopes.map((e) => [e.eventsVersion, e.row.uuid, e.row.api_version])).toEqual([[first.version, first.uuid, '2'], [second.version, second.uuid, '1']]);
    const parsed = parseEvent(read.envelopes[0]);
    expect(parsed.ok && parsed.event).toMatchObject({ type: 'JOB', participant: 'acme', jobName: 'j' });
    store.reset();
    expect(await readNewEvents(store, 'acme', 'acme-bucket', second.version)).toEqual({ lastVersion: second.version, envelopes: [] });
    expect(Object.fromEntries(store.bucketTotals())).toEqual({ 'acme-bucket': { ...zeroCounts(), list: 1 } });
  });

  test('a participant without an events table has no new events', async () => {
    expect(await readNewEvents(store, 'ghost', 'ghost-bucket', -1)).toEqual({ lastVersion: -1, envelopes: [] });
  });
});

describe('inspectLocation', () => {
  const schema = struct([['id', 'long', false], ['name', 'string'], ['day', 'date'], ['at', 'timestamp'], ['score', 'double']]);
  const rows = [{ id: 1n, name: 'a', day: '2026-01-01', at: 1n, score: 0.5 }];

  test('Delta: schema from the log; Parquet: schema from a data file footer', async () => {
    await (await DeltaTable.create(store, 'acme-bucket', 'input/t', schema)).append(rows);
    // The newest commit read comes with it: what a dataset check remembers.
    expect(await inspectLocation(store, 'gs://acme-bucket/input/t', 'delta')).toEqual({ exists: true, schema: JSON.stringify(schema), deltaMark: { version: 1, size: expect.any(Number), generation: expect.any(String) } });
    const parquet = await inspectLocation(store, 'gs://acme-bucket/input/t', 'parquet');
    expect(JSON.parse(parquet.schema as string).fields.map((f: { name: string; type: string }) => `${f.name}:${f.type}`)).toEqual(['id:long', 'name:string', 'day:date', 'at:timestamp', 'score:double']);
  });

  test('missing data, and files-only formats', async () => {
    expect(await inspectLocation(store, 'gs://acme-bucket/input/none', 'delta')).toEqual({ exists: false });
    expect(await inspectLocation(store, 'gs://acme-bucket/input/none', 'csv')).toEqual({ exists: false });
    await store.put('acme-bucket', 'input/csv/_SUCCESS', new TextEncoder().encode('x'));
    expect(await inspectLocation(store, 'gs://acme-bucket/input/csv', 'csv')).toEqual({ exists: false });
    await store.put('acme-bucket', 'input/csv/part-0.csv', new TextEncoder().encode('a,b\n1,2\n'));
    expect(await inspectLocation(store, 'gs://acme-bucket/input/csv', 'csv')).toEqual({ exists: true, schema: null });
    const bad = await inspectLocation(store, 'gs://acme-bucket/input/csv', 'parquet');
    expect(bad.exists).toBe(true);
    expect(bad.error).toBeDefined();
  });
});
