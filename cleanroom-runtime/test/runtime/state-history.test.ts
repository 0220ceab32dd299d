/**
 * The state's history parts: decision chains (hash-linked per participant, stored in a few segments whatever their
 * length) and the keyed history (a lookup loads one leaf; a commit rewrites only the leaves that changed).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { HistoryNotLoadedError } from '../../src/processor/context';
import { emptyState, type DatasetRecord, type EventStatusRecord } from '../../src/processor/state';
import { appendToChain, EMPTY_CHAIN, link, readChain, verify, type ChainHead, type ChainItem } from '../../src/runtime/state/decision-chains';
import { KeyedHistory } from '../../src/runtime/state/keyed-history';
import { newPartTag, PartStore } from '../../src/runtime/state/parts';
import { commitState, loadLatestState, openState } from '../../src/runtime/state-store';
import { LocalObjectStore } from '../../src/storage/local-store';
import { InstrumentedStore } from '../support/instrumented-store';

let root: string;
let store: InstrumentedStore;
beforeEach(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'cleanroom-history-'));
  store = new InstrumentedStore(new LocalObjectStore(root));
});
afterEach(() => fs.rmSync(root, { recursive: true, force: true }));

const status = (n: number): EventStatusRecord => ({ eventUuid: `e${n}`, eventType: 'DATA', eventsVersion: n, status: 'SUCCESS', message: `m${n}`, processedAt: n });
const items = (from: number, count: number): ChainItem[] => Array.from({ length: count }, (_, i) => ({ kind: 'status', status: status(from + i) }));

describe('decision chains', () => {
  test('each entry is linked to the one before: any change, removal or insertion is found from the previous hash', () => {
    const { entries, hash } = link(EMPTY_CHAIN, items(0, 5));
    expect(verify('', entries)).toBeNull();
    expect(entries[4].hash).toBe(hash);
    const changed = entries.map((e) => (e.n === 2 ? { ...e, status: { ...status(2), message: 'other' } } : e));
    expect(verify('', changed)).toBe(2);
    expect(verify('', [entries[0], entries[2], entries[3]])).toBe(2);
    // A participant checks its own slice from the hash before it.
    expect(verify(entries[1].hash, entries.slice(2))).toBeNull();
  });

  test('a chain appended to commit after commit keeps a few segments, and its tail is one read away', async () => {
    const parts = new PartStore(store, 'state-bucket');
    let head: ChainHead = EMPTY_CHAIN;
    for (let commit = 0; commit < 200; commit++) head = (await appendToChain(parts, newPartTag(commit), 'p', head, items(commit * 3, 3))).head;
    expect(head.count).toBe(600);
    const segments = await parts.read<unknown[]>(head.index!);
    expect(segments.length).toBeLessThanOrEqual(Math.ceil(Math.log2(600)) + 1);
    const all = await readChain(parts, head);
    expect(all.map((e) => e.n)).toEqual(Array.from({ length: 600 }, (_, i) => i));
    expect(verify('', all)).toBeNull();
    expect(all[599].hash).toBe(head.hash);
    // A fresh reader (nothing cached) reads the index and the newest segment for the newest entries.
    const cold = new PartStore(new InstrumentedStore(new LocalObjectStore(root)), 'state-bucket');
    const coldStore = (cold as unknown as { store: InstrumentedStore }).store;
    expect((await readChain(cold, head, 598)).map((e) => e.n)).toEqual([598, 599]);
    expect(coldStore.totals().get).toBeLessThanOrEqual(2);
  });
});

describe('keyed history', () => {
  test('a lookup needs its leaf loaded; a commit rewrites only the changed leaves and their directories', async () => {
    const parts = new PartStore(store, 'state-bucket');
    const keys = new KeyedHistory(parts, {});
    const many = Array.from({ length: 2000 }, (_, i) => `e:p/${i}`);
    await keys.load(many);
    for (const key of many) keys.set(key, 1);
    const first = await keys.write(newPartTag(0));
    expect(() => new KeyedHistory(parts, first.refs).get('e:p/1')).toThrow(HistoryNotLoadedError);

    store.reset();
    const later = new KeyedHistory(new PartStore(store, 'state-bucket'), first.refs);
    await later.load(['e:p/1', 'e:p/new']);
    expect(later.get('e:p/1')).toBe(1);
    expect(later.get('e:p/new')).toBeUndefined();
    later.set('e:p/new', 1);
    store.reset();
    const second = await later.write(newPartTag(1));
    // One leaf and its directory, whatever the number of keys.
    expect(store.totals().createIfAbsent).toBe(2);
    expect(second.superseded.length).toBeLessThanOrEqual(2);
    expect(Object.keys(await new KeyedHistory(parts, second.refs).all())).toHaveLength(2001);
  });
});

describe('state commits', () => {
  test('a commit moves statuses and dedup keys into the history: the root stays small, the whole state reads back', async () => {
    let seq = -1;
    for (let commit = 0; commit < 30; commit++) {
      const { state, history } = await openState(store, 'state-bucket');
      state.eventStatus.p = items(commit * 100, 100).map((i) => (i as { status: EventStatusRecord }).status);
      for (let n = 0; n < 100; n++) state.processedEvents[`p/e${commit * 100 + n}`] = true;
      store.reset();
      seq = await commitState(store, 'state-bucket', seq, state, { history });
    }
    const rootBytes = (await store.get('state-bucket', `state/${String(seq).padStart(20, '0')}.json`)).byteLength;
    expect(rootBytes).toBeLessThan(8 * 1024);
    const whole = (await loadLatestState(store, 'state-bucket')).state;
    expect(whole.eventStatus.p.map((s) => s.eventUuid)).toEqual(Array.from({ length: 3000 }, (_, n) => `e${n}`));
    expect(Object.keys(whole.processedEvents)).toHaveLength(3000);
    expect({ ...whole, eventStatus: {}, processedEvents: {} }).toEqual(emptyState());
  });

  test('the large maps of the core are kept in shards: a commit changing one registration writes one shard, and the state reads back whole', async () => {
    const dataset = (name: string): DatasetRecord => ({ dataId: name, participant: 'p', table: name, description: `the ${name} table`, location: 'gs://p/input/users', format: 'delta', schema: null, createdAt: 1, updatedAt: 1, eventUuid: name, eventsVersion: 0 });
    const first = emptyState();
    // A participant-chosen name that is also an Object.prototype member stays a plain key.
    for (const name of ['__proto__', 'constructor', ...Array.from({ length: 200 }, (_, n) => `d${n}`)]) Object.defineProperty(first.datasets, `p.${name}`, { value: dataset(name), enumerable: true, writable: true, configurable: true });
    let seq = await commitState(store, 'state-bucket', -1, structuredClone(first));
    const root = async () => JSON.parse(new TextDecoder().decode(await store.get('state-bucket', `state/${String(seq).padStart(20, '0')}.json`))) as { core: { datasets: object }; shards: { datasets: Record<string, unknown> } };
    expect((await root()).core.datasets).toEqual({});
    expect(Object.keys((await root()).shards.datasets)).toHaveLength(16);

    const { state, history } = await openState(store, 'state-bucket');
    expect(state).toEqual(first);
    expect(Object.getPrototypeOf(state.datasets)).toBe(Object.prototype);
    state.datasets['p.d7'] = { ...state.datasets['p.d7'], description: 'updated' };
    store.reset();
    store.trace = [];
    seq = await commitState(store, 'state-bucket', seq, state, { history });
    const written = store.trace.filter((t) => t.kind === 'createIfAbsent').map((t) => t.key.replace(/^state\/parts\/[^/]+\//, ''));
    // The shard holding p.d7, the list of the part it replaced, and the root: nothing else of the core.
    expect(written.filter((key) => key.startsWith('core-'))).toHaveLength(1);
    expect(written).toHaveLength(3);
    const reread = await loadLatestState(store, 'state-bucket');
    expect(reread.state.datasets['p.d7'].description).toBe('updated');
    expect(reread.state).toEqual({ ...first, datasets: { ...first.datasets, 'p.d7': { ...first.datasets['p.d7'], description: 'updated' } } });
    expect(Object.hasOwn(reread.state.datasets, 'p.__proto__')).toBe(true);
  });
});
