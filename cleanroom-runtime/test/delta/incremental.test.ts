/**
 * Incremental reading of new commits (how the runtime follows participants' events tables): an idle check is
 * exactly one list call; new commits give their appended rows, skipping compaction rewrites (dataChange=false).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { DeltaTable, struct } from '../../src/delta';
import type { AddAction } from '../../src/delta';
import { EVENTS_SCHEMA } from '../../src/control/tables';
import { LocalObjectStore } from '../../src/storage/local-store';
import { InstrumentedStore } from '../support/instrumented-store';

let root: string;
beforeAll(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'delta-incremental-'));
});
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

const event = (uuid: string, micros: bigint) => ({
  event_type: 'DATA_ADDED', uuid, payload: '{"a":1}', timestamp: micros, user: 'u@example.com', notebook: null, hostname: null, api_version: '1',
});

describe('reading commits since a known version', () => {
  it('costs exactly one list call when nothing is new, and returns appended rows when something is', async () => {
    const store = new InstrumentedStore(new LocalObjectStore(root));
    const writer = await DeltaTable.create(store, 'events-bucket', 'control/events', EVENTS_SCHEMA);
    const v1 = await writer.append([event('e1', 1n), event('e2', 2n)]);

    const follower = await DeltaTable.open(store, 'events-bucket', 'control/events');
    store.reset();
    expect(await follower.readCommitsSince(v1)).toEqual([]);
    expect(store.totals()).toEqual({ get: 0, list: 1, createIfAbsent: 0, put: 0, delete: 0 });

    const v2 = await writer.append([event('e3', 3n)]);
    const v3 = await writer.append([event('e4', -4n), event('e5', 5n)]);
    const commits = await follower.readCommitsSince(v1);
    expect(commits.map((c) => c.version)).toEqual([v2, v3]);
    const adds = commits.flatMap((c) => c.actions.flatMap((a) => ('add' in a ? [a.add] : [])));
    const rows = await follower.readAddedRows(adds);
    expect(rows.map((r) => r.uuid).sort()).toEqual(['e3', 'e4', 'e5']);
    expect(rows.find((r) => r.uuid === 'e4')!.timestamp).toBe(-4n);
  });

  it('skips files re-added without a data change (compaction) so no row is seen twice', async () => {
    const store = new LocalObjectStore(root);
    const table = await DeltaTable.create(store, 'events-bucket', 'compacted', struct([['n', 'integer']]));
    await table.append([{ n: 1 }]);
    const [file] = (await table.snapshot()).files;
    const add: AddAction = { path: file.path, partitionValues: {}, size: file.size, modificationTime: file.modificationTime, dataChange: false };
    expect(await table.readAddedRows([add])).toEqual([]);
    expect(await table.readAddedRows([{ ...add, dataChange: true }])).toEqual([{ n: 1 }]);
  });
});
