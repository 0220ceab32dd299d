/**
 * Local watch mode's pause ends at a new events commit, not only after its timeout: the waiter is given a pause
 * far longer than the test's timeout, so only the commit can end it. A participant's events log folder replaced by
 * a link, a FIFO or a file is not watched (nothing followed, nothing opened that could block).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { appendEventRow, onboardParticipant } from '../../src/runtime/control-tables';
import { LocalChangeWaiter } from '../../src/runtime/local-change-waiter';
import { LocalObjectStore } from '../../src/storage/local-store';
import { seed } from '../processor/fixtures';
import { Fifos } from '../support/fifos';

const LONG_PAUSE_MS = 10 * 60 * 1000; // longer than jest's timeout: only the commit (or the abort) can end the wait
const BUCKET = 'acme-bucket';
let root: string;
let waiter: LocalChangeWaiter;

beforeEach(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'cleanroom-waiter-'));
  waiter = new LocalChangeWaiter(root);
});
afterEach(() => {
  waiter.close();
  fs.rmSync(root, { recursive: true, force: true });
});

test('a new events commit ends the pause', async () => {
  const store = new LocalObjectStore(root);
  await onboardParticipant(store, BUCKET);
  await waiter.watchBuckets([BUCKET]);
  const paused = waiter.wait(LONG_PAUSE_MS, new AbortController().signal);
  await appendEventRow(store, BUCKET, seed.data('acme.users', 'INSERT', `gs://${BUCKET}/input/users`, 'delta'));
  await paused;
});

test('a commit made during a pass ends the next pause at once', async () => {
  const store = new LocalObjectStore(root);
  await onboardParticipant(store, BUCKET);
  await waiter.watchBuckets([BUCKET]);
  await appendEventRow(store, BUCKET, seed.data('acme.users', 'INSERT', `gs://${BUCKET}/input/users`, 'delta'));
  await new Promise((resolve) => setImmediate(resolve));
  await waiter.wait(LONG_PAUSE_MS, new AbortController().signal);
});

test('a bucket that is not onboarded yet is watched once it exists; stopping ends the pause', async () => {
  await waiter.watchBuckets([BUCKET]); // nothing to watch yet: no error
  const stop = new AbortController();
  const paused = waiter.wait(LONG_PAUSE_MS, stop.signal);
  stop.abort();
  await paused;

  const store = new LocalObjectStore(root);
  await onboardParticipant(store, BUCKET);
  await waiter.watchBuckets([BUCKET]);
  const next = waiter.wait(LONG_PAUSE_MS, new AbortController().signal);
  await appendEventRow(store, BUCKET, seed.data('acme.users', 'INSERT', `gs://${BUCKET}/input/users`, 'delta'));
  await next;
});

describe('an events log folder a participant replaced by something else is never watched', () => {
  const OTHER = 'other-bucket';
  const logOf = (bucket: string) => path.join(root, 'gs', bucket, 'control', 'events', '_delta_log');

  test.each([
    ['a link to another participant\'s log', (log: string) => fs.symlinkSync(logOf(OTHER), log)],
    ['a link to a folder outside the root', (log: string) => fs.symlinkSync(os.tmpdir(), log)],
    ['a dangling link', (log: string) => fs.symlinkSync('nowhere', log)],
    ['a FIFO', (log: string) => new Fifos().make(log)],
    ['a file', (log: string) => fs.writeFileSync(log, 'x')],
  ])('%s in place of control/events/_delta_log: not watched, and no hang; watched once it is a real folder', async (_what, replace) => {
    const store = new LocalObjectStore(root);
    await onboardParticipant(store, BUCKET);
    await onboardParticipant(store, OTHER);
    fs.rmSync(logOf(BUCKET), { recursive: true });
    replace(logOf(BUCKET));
    await waiter.watchBuckets([BUCKET]);
    expect(waiter.watched).toEqual([]);

    fs.rmSync(logOf(BUCKET));
    fs.mkdirSync(logOf(BUCKET));
    await waiter.watchBuckets([BUCKET]);
    expect(waiter.watched).toEqual([BUCKET]);
    const paused = waiter.wait(LONG_PAUSE_MS, new AbortController().signal);
    fs.writeFileSync(path.join(logOf(BUCKET), '00000000000000000099.json'), '{}');
    await paused;
  });

  test('a linked events folder in the middle of the path is not watched either', async () => {
    const store = new LocalObjectStore(root);
    await onboardParticipant(store, OTHER);
    fs.mkdirSync(path.join(root, 'gs', BUCKET, 'control'), { recursive: true });
    fs.symlinkSync(path.join(root, 'gs', OTHER, 'control', 'events'), path.join(root, 'gs', BUCKET, 'control', 'events'));
    await waiter.watchBuckets([BUCKET]);
    expect(waiter.watched).toEqual([]);
  });
});
