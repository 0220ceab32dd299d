/**
 * The local engine reads each Delta dataset at the version the runtime checked (Delta time travel: the snapshot of a
 * given version, https://docs.delta.io/latest/delta-batch.html#query-an-older-snapshot-of-a-table-time-travel), so a
 * commit its owner adds after the check is not what the run reads.
 */
import { LocalEngine } from '../../../src/engines/local';
import { DeltaTable } from '../../../src/delta/table';
import { struct } from '../../../src/delta/schema-types';
import { LocalObjectStore } from '../../../src/storage/local-store';
import { makeLocalRoot, runSpec, type LocalRoot } from './local-fixtures';

let local: LocalRoot;
beforeEach(async () => {
  local = await makeLocalRoot();
});
afterEach(() => local.cleanup());

test('a run reads the checked version, not a commit added after the check', async () => {
  const store = new LocalObjectStore(local.root);
  const table = await DeltaTable.create(store, 'publisher-bucket', 'input/users', struct([['user_id', 'string']]));
  await table.append([{ user_id: 'u1' }, { user_id: 'u2' }]); // version 1: checked
  await table.append([{ user_id: 'u3' }]); // version 2: after the check
  const engine = new LocalEngine({ localRoot: local.root, waitForRuns: true });
  const counts: Record<string, unknown> = {};
  for (const version of [1, 2, undefined]) {
    const spec = runSpec(
      [{ participant: 'publisher', table: 'users', location: 'gs://publisher-bucket/input/users', format: 'delta', ...(version === undefined ? {} : { version }) }],
      'SELECT count(*) AS users FROM publisher.users',
      { outputLocation: `gs://publisher-bucket/output/v${version ?? 'latest'}`, parameters: { output: `gs://publisher-bucket/output/v${version ?? 'latest'}` } },
    );
    const { runId } = await engine.submit(spec);
    expect(await engine.getRun(runId)).toMatchObject({ resultState: 'SUCCESS' });
    const [row] = await (await DeltaTable.open(store, 'publisher-bucket', `output/v${version ?? 'latest'}`)).readRows();
    counts[String(version ?? 'latest')] = row.users;
  }
  expect(counts).toEqual({ 1: 2n, 2: 3n, latest: 3n });
});
