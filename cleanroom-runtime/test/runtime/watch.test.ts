import { loadLatestState } from '../../src/runtime/state-store';
import { watchPasses } from '../../src/runtime/watch';
import { cli } from '../processor/fixtures';
import { LocalCleanRoom, SETTINGS } from './pass-fixtures';

let room: LocalCleanRoom;
beforeEach(async () => {
  room = new LocalCleanRoom();
  await room.onboard();
});
afterEach(() => room.cleanup());

test('watch picks up an event appended while it runs, then stops when aborted', async () => {
  const controller = new AbortController();
  const seen: string[] = [];
  const watching = watchPasses({
    config: SETTINGS, store: room.store, engine: room.engine, now: room.now, intervalMs: 10, signal: controller.signal,
    onReport: (report) => {
      seen.push(...report.events.map((e) => e.message));
      if (report.events.length > 0) controller.abort();
    },
    onError: (error) => {
      controller.abort();
      throw error;
    },
  });
  await room.send('advertiser-bucket', cli.code('adv_watch', 'INSERT', 'SELECT 1', { atMs: room.clock - 1000 }));
  const passes = await watching;
  expect(passes).toBeGreaterThanOrEqual(1);
  expect(seen).toEqual([expect.stringMatching(/^code "adv_watch" registered/)]);
  expect((await loadLatestState(room.store, SETTINGS.stateBucket)).state.code.adv_watch.owner).toBe('advertiser');
});
