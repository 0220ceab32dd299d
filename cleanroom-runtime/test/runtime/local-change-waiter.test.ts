/**
 * Local watch mode's pause ends at a new events commit, not only after its timeout: the waiter is given a pause
 * far longer than the test's timeout, so only the commit can end it.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { appendEventRow, onboardParticipant } from '../../src/runtime/control-tables';
import { LocalChangeWaiter } from '../../src/runtime/local-change-waiter';
import { LocalObjectStore } from '../../src/storage/local-store';
import { seed } from '../processor/fixtures';

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
  waiter.watchBuckets([BUCKET]);
  const paused = waiter.wait(LONG_PAUSE_MS, new AbortController().signal);
  await appendEventRow(store, BUCKET, seed.data('acme.users', 'INSERT', `gs://${BUCKET}/input/users`, 'delta'));
  await paused;
});

test('a commit made during a pass ends the next pause at once', async () => {
  const store = new LocalObjectStore(root);
  await onboardParticipant(store, BUCKET);
  waiter.watchBuckets([BUCKET]);
  await appendEventRow(store, BUCKET, seed.data('acme.users', 'INSERT', `gs://${BUCKET}/input/users`, 'delta'));
  await new Promise((resolve) => setImmediate(resolve));
  await waiter.wait(LONG_PAUSE_MS, new AbortController().signal);
});

test('a bucket that is not onboarded yet is watched once it exists; stopping ends the pause', async () => {
  waiter.watchBuckets([BUCKET]); // nothing to watch yet: no error
  const stop = new AbortController();
  const paused = waiter.wait(LONG_PAUSE_MS, stop.signal);
  stop.abort();
  await paused;

  const store = new LocalObjectStore(root);
  await onboardParticipant(store, BUCKET);
  waiter.watchBuckets([BUCKET]);
  const next = waiter.wait(LONG_PAUSE_MS, new AbortController().signal);
  await appendEventRow(store, BUCKET, seed.data('acme.users', 'INSERT', `gs://${BUCKET}/input/users`, 'delta'));
  await next;
});
