/** Staged results are deleted once the run-history retention period after the run's end has passed, and only those. */
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { emptyState } from '../../../src/processor/state';
import type { RunRecord } from '../../../src/processor/state';
import { scheduleStagingCleanup, sweepStaging } from '../../../src/runtime/release/staging-sweep';
import { LocalObjectStore } from '../../../src/storage/local-store';

const DAY = 24 * 60 * 60 * 1000;

test('a run\'s staging folder goes once the retention period has passed; other folders stay', async () => {
  const root = await fs.mkdtemp(path.join(os.tmpdir(), 'staging-sweep-'));
  try {
    const store = new LocalObjectStore(root);
    const bytes = new TextEncoder().encode('x');
    for (const key of ['staging/job-1/_delta_log/00000000000000000000.json', 'staging/job-1/part-0.parquet', 'staging/job-10/part-0.parquet', 'state/root.json']) await store.put('state', key, bytes);
    const state = emptyState();
    const run = { jobId: 'job-1', runId: 'r', lifeCycleState: 'TERMINATED', endTime: 1_000, stagingLocation: 'gs://state/staging/job-1' } as RunRecord;
    scheduleStagingCleanup(state, run, 1_000, 30);
    scheduleStagingCleanup(state, run, 1_000, 30);
    expect(state.stagingCleanup).toEqual([{ location: 'gs://state/staging/job-1', after: 1_000 + 30 * DAY }]);

    expect(await sweepStaging(state, store, 1_000 + 29 * DAY)).toBe(0);
    expect(await sweepStaging(state, store, 1_000 + 30 * DAY)).toBe(2);
    expect(state.stagingCleanup).toEqual([]);
    const left = (await store.list('state', '')).objects.map((o) => o.key).sort();
    expect(left).toEqual(['staging/job-10/part-0.parquet', 'state/root.json']);
  } finally {
    await fs.rm(root, { recursive: true, force: true });
  }
});

test('a cleanup entry outside staging/ is dropped without deleting anything', async () => {
  const state = emptyState();
  state.stagingCleanup = [{ location: 'gs://state/state', after: 0 }];
  const store = { list: jest.fn(), delete: jest.fn() } as never;
  expect(await sweepStaging(state, store, 10)).toBe(0);
  expect(state.stagingCleanup).toEqual([]);
});
