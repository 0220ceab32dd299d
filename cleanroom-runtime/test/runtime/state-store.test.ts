import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { emptyState } from '../../src/processor/state';
import { commitState, KEPT_COMMITS, loadLatestState, StateConflictError, stateKey } from '../../src/runtime/state-store';
import { LocalObjectStore } from '../../src/storage/local-store';

let root: string;
let store: LocalObjectStore;
beforeEach(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'cleanroom-state-'));
  store = new LocalObjectStore(root);
});
afterEach(() => fs.rmSync(root, { recursive: true, force: true }));

const withMarker = (n: number) => ({ ...emptyState(), eventsVersions: { marker: n } });

describe('state store (compare-and-swap)', () => {
  test('no state yet reads as the empty state at sequence -1', async () => {
    expect(await loadLatestState(store, 'state-bucket')).toEqual({ seq: -1, state: emptyState() });
  });

  test('commits advance the sequence; two commits on the same base: the second loses', async () => {
    expect(await commitState(store, 'state-bucket', -1, withMarker(1))).toBe(0);
    await expect(commitState(store, 'state-bucket', -1, withMarker(2))).rejects.toBeInstanceOf(StateConflictError);
    expect(await loadLatestState(store, 'state-bucket')).toEqual({ seq: 0, state: withMarker(1) });
  });

  test('the highest sequence wins even when the pointer lags behind (crash before the pointer update)', async () => {
    await commitState(store, 'state-bucket', -1, withMarker(1));
    // A format 1 commit (one object holding everything), as runtimes before format 2 wrote them.
    await store.createIfAbsent('state-bucket', stateKey(1), new TextEncoder().encode(JSON.stringify({ ...withMarker(7), formatVersion: 1 })));
    expect(await loadLatestState(store, 'state-bucket')).toEqual({ seq: 1, state: withMarker(7) });
  });

  test('old commits are pruned, and a stale pass re-creating a pruned sequence still loses', async () => {
    let seq = -1;
    for (let i = 0; i <= KEPT_COMMITS + 1; i++) seq = await commitState(store, 'state-bucket', seq, withMarker(i));
    await expect(store.get('state-bucket', stateKey(0))).rejects.toThrow(/does not exist/);
    await expect(store.get('state-bucket', stateKey(2))).resolves.toBeDefined();
    await expect(commitState(store, 'state-bucket', -1, withMarker(99))).rejects.toBeInstanceOf(StateConflictError);
    expect((await loadLatestState(store, 'state-bucket')).state).toEqual(withMarker(KEPT_COMMITS + 1));
  });

  test('a state written by a newer format is refused with a clear message', async () => {
    await store.createIfAbsent('state-bucket', stateKey(0), new TextEncoder().encode(JSON.stringify({ ...emptyState(), formatVersion: 3 })));
    await expect(loadLatestState(store, 'state-bucket')).rejects.toThrow('state state/00000000000000000000.json has format 3; this runtime reads formats 1 and 2: upgrade the runtime');
  });
});
