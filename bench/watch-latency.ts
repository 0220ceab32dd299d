/**
 * Watch-mode latency: the runtime's watch loop (`watchPasses`, the function behind `cleanroom runtime watch`,
 * run in this process as the CLI runs it locally: at most 100 ms between passes, a pause that a new events commit
 * ends at once through `LocalChangeWaiter`) over a local clean room; one event at
 * a time is appended to a participant's events table and the participant's published `control/event_status`
 * table is polled until that event's status row is there. Latency = append committed → status row readable.
 */
import { randomUUID } from 'node:crypto';
import { controlTableKey } from '../cleanroom-runtime/src/control/tables';
import { DeltaTable, type AddAction } from '../cleanroom-runtime/src/delta';
import { buildDataEvent } from '../cleanroom-runtime/src/events/build-event';
import type { ParticipantInfo } from '../cleanroom-runtime/src/processor/context';
import { LocalChangeWaiter } from '../cleanroom-runtime/src/runtime/local-change-waiter';
import { watchPasses } from '../cleanroom-runtime/src/runtime/watch';
import type { ObjectStore } from '../cleanroom-runtime/src/storage/object-store';
import { appendEvents, makeCleanRoom } from './clean-room';
import { progress, type Emit } from './figures';
import { percentile, withTempDir } from './timing';

const NAME = 'pass';
const PARTICIPANTS = 10;
const EVENTS = 200;
const WATCH_INTERVAL_MS = 100;
const POLL_MS = 5;
const TIMEOUT_MS = 30_000;

export async function watchLatency(emit: Emit): Promise<void> {
  await withTempDir('pass-watch', async (root) => {
    progress(NAME, `watch latency: ${EVENTS} events, one at a time, ${PARTICIPANTS} participants`);
    const room = await makeCleanRoom(root, PARTICIPANTS);
    await room.pass();
    const controller = new AbortController();
    const errors: Error[] = [];
    const waiter = new LocalChangeWaiter(root);
    await waiter.watchBuckets(room.participants.map((p) => p.bucket));
    const watching = watchPasses({
      pause: (ms, signal) => waiter.wait(ms, signal),
      config: room.settings,
      store: room.store,
      engine: room.engine,
      intervalMs: WATCH_INTERVAL_MS,
      signal: controller.signal,
      onError: (error) => errors.push(error),
      // Diagnostics only: a refused event or a pass error would otherwise surface as a timeout.
      onReport: (report) => {
        for (const e of report.events.filter((e) => e.status !== 'SUCCESS')) progress(NAME, `event ${e.eventUuid} ${e.status}: ${e.message}`);
        for (const error of report.errors) progress(NAME, `pass error: ${error}`);
      },
    });
    const latencies: number[] = [];
    try {
      const statusTables = new Map<string, StatusWatcher>();
      for (const p of room.participants) statusTables.set(p.name, await StatusWatcher.open(room.store, p));
      for (let i = 0; i < EVENTS; i++) {
        const p = room.participants[i % PARTICIPANTS];
        const event = buildDataEvent(
          { action: 'INSERT', dataMetastoreName: `${p.name}.w${i}`, description: 'bench', location: `gs://${p.bucket}/input/users`, format: 'delta' },
          { uuid: randomUUID(), nowMs: Date.now(), user: `${p.name}@example.org`, hostname: 'bench' },
        );
        await appendEvents(room, p, [event], 1);
        const appended = performance.now();
        await statusTables.get(p.name)!.waitFor(event.uuid, () => {
          if (errors.length) throw errors[0];
        });
        latencies.push(performance.now() - appended);
        if ((i + 1) % 50 === 0) progress(NAME, `watch latency: ${i + 1}/${EVENTS} events`);
      }
    } finally {
      controller.abort();
      await watching;
      waiter.close();
    }
    const context = { participants: PARTICIPANTS, events: EVENTS, watchIntervalMs: WATCH_INTERVAL_MS, pollMs: POLL_MS, store: 'local', inProcess: true };
    emit('watch_latency_p50', percentile(latencies, 50), 'ms', context);
    emit('watch_latency_p95', percentile(latencies, 95), 'ms', context);
  });
}

/** Follows one participant's published event_status table incrementally (one list call per poll when unchanged). */
class StatusWatcher {
  private seen = new Set<string>();

  private constructor(private readonly table: DeltaTable, private version: number) {}

  static async open(store: ObjectStore, p: ParticipantInfo): Promise<StatusWatcher> {
    const table = await DeltaTable.open(store, p.bucket, controlTableKey('event_status'));
    return new StatusWatcher(table, await table.latestVersion());
  }

  async waitFor(uuid: string, check: () => void): Promise<void> {
    const deadline = performance.now() + TIMEOUT_MS;
    while (!this.seen.has(uuid)) {
      check();
      if (performance.now() > deadline) throw new Error(`event ${uuid} had no status after ${TIMEOUT_MS} ms: is the watch loop running?`);
      const commits = await this.table.readCommitsSince(this.version);
      if (commits.length === 0) {
        await new Promise((resolve) => setTimeout(resolve, POLL_MS));
        continue;
      }
      const adds = commits.flatMap((c) => c.actions.flatMap((a) => ('add' in a ? [a.add as AddAction] : [])));
      for (const row of await this.table.readAddedRows(adds)) this.seen.add(String(row.event_uuid));
      this.version = commits[commits.length - 1].version;
    }
  }
}
