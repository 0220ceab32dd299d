/**
 * Runtime pass benchmarks over a local clean room (local object store, local engine):
 * - throughput: 10,000 events across 10 participants decided and published in one pass (events/s);
 * - idle cost: object-store requests by kind, per participant, of a pass when nothing is new (100 participants);
 * - watch latency: event appended → its status visible, p50/p95 (watch-latency.ts).
 */
import { REQUEST_KINDS, sumOf, WRITE_KINDS } from '../cleanroom-runtime/test/support/instrumented-store';
import { makeCleanRoom, appendEvents, participantEvents } from './clean-room';
import { progress, type Emit } from './figures';
import { timed, withTempDir } from './timing';
import { watchLatency } from './watch-latency';

const NAME = 'pass';
const THROUGHPUT_PARTICIPANTS = 10;
const EVENTS_PER_PARTICIPANT = 1000;
const EVENTS_PER_COMMIT = 100;
const IDLE_PARTICIPANTS = 100;

export async function runPassBenchmarks(emit: Emit): Promise<void> {
  await passThroughput(emit);
  await idlePass(emit);
  await watchLatency(emit);
}

async function passThroughput(emit: Emit): Promise<void> {
  await withTempDir('pass-throughput', async (root) => {
    const total = THROUGHPUT_PARTICIPANTS * EVENTS_PER_PARTICIPANT;
    progress(NAME, `throughput: onboarding ${THROUGHPUT_PARTICIPANTS} participants, appending ${total} events`);
    const room = await makeCleanRoom(root, THROUGHPUT_PARTICIPANTS);
    await room.pass(); // the onboarded, empty tables: first state and first views, not part of the figure
    const nowMs = Date.now();
    for (const p of room.participants) await appendEvents(room, p, participantEvents(p, EVENTS_PER_PARTICIPANT, nowMs), EVENTS_PER_COMMIT);

    progress(NAME, `throughput: one pass over ${total} events`);
    room.store.reset();
    const cpuBefore = process.cpuUsage();
    const { result: report, ms } = await timed(() => room.pass());
    const cpu = process.cpuUsage(cpuBefore);
    if (report.events.length !== total) throw new Error(`the pass decided ${report.events.length} events, expected ${total}`);
    const accepted = report.events.filter((e) => e.status === 'SUCCESS').length;
    if (accepted !== total) {
      const sample = report.events.find((e) => e.status !== 'SUCCESS');
      throw new Error(`${total - accepted} of ${total} events were refused (e.g. ${sample?.eventType}: ${sample?.message}); the benchmark's events are wrong`);
    }
    const counts = room.store.totals();
    const context = {
      participants: THROUGHPUT_PARTICIPANTS,
      events: total,
      eventsPerCommit: EVENTS_PER_COMMIT,
      mix: '90% DATA INSERT, 10% CODE INSERT',
      tablesPublished: report.published.length,
      codeObjectsWritten: report.codeObjectsWritten,
      requests: sumOf(counts),
      store: 'local',
    };
    emit('pass_throughput', total / (ms / 1000), 'events/s', context);
    emit('pass_wall_time', ms, 'ms', context);
    // CPU time of the pass (this process): steadier than wall time on a machine shared with other work.
    emit('pass_cpu_time', (cpu.user + cpu.system) / 1000, 'ms', context);
  });
}

async function idlePass(emit: Emit): Promise<void> {
  await withTempDir('pass-idle', async (root) => {
    progress(NAME, `idle: onboarding ${IDLE_PARTICIPANTS} participants`);
    const room = await makeCleanRoom(root, IDLE_PARTICIPANTS);
    // Settle: the first passes read the onboarding commits and publish the first views.
    for (let settle = 1; ; settle++) {
      const report = await room.pass();
      room.store.reset();
      const quiet = await room.pass();
      const writes = room.store.writes();
      if ((quiet.stateSeq === report.stateSeq && writes === 0) || settle >= 3) break;
    }
    progress(NAME, `idle: measuring one pass with nothing new`);
    room.store.reset();
    const cpuBefore = process.cpuUsage();
    const { result: report, ms } = await timed(() => room.pass());
    const cpu = process.cpuUsage(cpuBefore);
    const counts = room.store.totals();
    const perBucket = room.store.bucketTotals();
    const state = perBucket.get(room.settings.stateBucket);
    const context = { participants: IDLE_PARTICIPANTS, store: 'local', eventsDecided: report.events.length };
    for (const kind of REQUEST_KINDS) {
      const participantCalls = counts[kind] - (state?.[kind] ?? 0);
      emit(`idle_${kind}_per_participant`, participantCalls / IDLE_PARTICIPANTS, 'requests', { ...context, participantBucketsTotal: participantCalls, stateBucketTotal: state?.[kind] ?? 0 });
    }
    emit('idle_writes_total', sumOf(counts, WRITE_KINDS), 'requests', context);
    emit('idle_requests_total', sumOf(counts), 'requests', context);
    emit('idle_pass_wall_time', ms, 'ms', context);
    emit('idle_pass_cpu_time', (cpu.user + cpu.system) / 1000, 'ms', context);
  });
}
