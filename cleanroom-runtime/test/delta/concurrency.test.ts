/**
 * Concurrent writers: commits are created with put-if-absent, so 8 writers appending 50 commits each produce
 * 400 contiguous versions and lose no row — through the local store and through the GCS fake.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { DeltaTable, struct } from '../../src/delta';
import { LocalObjectStore } from '../../src/storage/local-store';
import type { ObjectStore } from '../../src/storage/object-store';
import { startFakeGcs } from '../support/fake-gcs';

const SCHEMA = struct([['writer', 'integer', false], ['seq', 'integer', false]]);

async function hammer(store: ObjectStore, bucket: string, prefix: string, writers: number, commitsEach: number): Promise<void> {
  await DeltaTable.create(store, bucket, prefix, SCHEMA);
  const committed: number[] = [];
  await Promise.all(
    Array.from({ length: writers }, async (_, writer) => {
      const table = await DeltaTable.open(store, bucket, prefix); // each writer has its own view of the log
      for (let seq = 0; seq < commitsEach; seq++) committed.push(await table.append([{ writer, seq }]));
    }),
  );
  const total = writers * commitsEach;
  expect([...committed].sort((a, b) => a - b)).toEqual(Array.from({ length: total }, (_, i) => i + 1));
  const reader = await DeltaTable.open(store, bucket, prefix);
  expect(await reader.latestVersion()).toBe(total);
  const history = await reader.history();
  expect(history.map((h) => h.version)).toEqual(Array.from({ length: total + 1 }, (_, i) => i));
  const rows = await reader.readRows();
  expect(rows).toHaveLength(total);
  const seen = new Set(rows.map((r) => `${r.writer}/${r.seq}`));
  expect(seen.size).toBe(total);
}

describe('concurrent appends', () => {
  it('an overwrite racing an append retries on the new state and removes the appended file too', async () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'delta-overwrite-race-'));
    try {
      const store = new LocalObjectStore(root);
      const a = await DeltaTable.create(store, 'race-bucket', 't', SCHEMA);
      await a.append([{ writer: 0, seq: 0 }]);
      await a.snapshot(); // a caches version 1
      const b = await DeltaTable.open(store, 'race-bucket', 't');
      // b commits version 2 behind a's back; a's overwrite first tries version 2, loses, and retries as 3.
      const realCreate = store.createIfAbsent.bind(store);
      let raced = false;
      store.createIfAbsent = async (bucket, key, data) => {
        if (!raced && key.endsWith('00000000000000000002.json')) {
          raced = true;
          await b.append([{ writer: 1, seq: 1 }]);
        }
        return realCreate(bucket, key, data);
      };
      expect(await a.overwrite([{ writer: 2, seq: 2 }])).toBe(3);
      expect(raced).toBe(true);
      expect(await a.readRows()).toEqual([{ writer: 2, seq: 2 }]);
      expect(await a.readRows({ version: 2 })).toHaveLength(2);
    } finally {
      fs.rmSync(root, { recursive: true, force: true });
    }
  });

  it('8 writers x 50 commits on the local store: versions 1..400, no row lost', async () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'delta-concurrency-'));
    try {
      await hammer(new LocalObjectStore(root), 'concurrency-bucket', 'control/events', 8, 50);
    } finally {
      fs.rmSync(root, { recursive: true, force: true });
    }
    // 400 contended commits and their retries: tens of seconds on a busy 2-core machine.
  }, 180_000);

  it('8 writers x 50 commits through the GCS fake: versions 1..400, no row lost', async () => {
    const gcs = await startFakeGcs();
    try {
      await hammer(gcs.store, 'concurrency-bucket', 'control/events', 8, 50);
    } finally {
      await gcs.close();
    }
  }, 180_000);
});
