/**
 * History benchmark (`npm run bench -- history`, or `npm run bench:history -- 1000 10000`): what one pass deciding one
 * new event costs as the clean room ages. For each history size (1,000 / 10,000 / 100,000 events by default) a child
 * process writes the history in bulk with the runtime's own functions (events appended to the participants' events
 * tables in large commits, decided by the processor in one batch, runs recorded as finished, one state commit), and
 * passes until quiescent publish it; a second, fresh child process (a runtime that starts cold, as `runtime tick` or a
 * new Cloud Run instance does) then runs 9 passes, each deciding one new DATA UPDATE, and prints:
 * `one_event_pass_wall_time` and `one_event_pass_cpu_time` (median, ms), `one_event_pass_requests` (mean per pass, by kind and in total),
 * `one_event_pass_bytes_written` and `one_event_pass_bytes_read` (mean per pass) and `one_event_pass_peak_rss` (MB, the measuring process).
 * Not in the default `npm run bench` set: 100,000 events take minutes to write.
 *
 * The history (10 participants, p000 the keeper): each collaborator repeats a cycle of 6 events — a DATA INSERT (first
 * 20 cycles) or UPDATE of one of its 20 datasets, all at its one `input/users` location; a CODE INSERT of new SQL; the
 * keeper's approval of it; an ad hoc JOB running it (its run recorded as finished); a CODE DELETE; and a DATA DELETE of
 * a dataset that does not exist (refused). So registrations stay within the default quotas while event statuses, dedup
 * keys, jobs and runs grow with the history, as they do in a clean room in use.
 */
import { spawn } from 'node:child_process';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { CONTROL_TABLES, controlTableKey } from '../cleanroom-runtime/src/control/tables';
import { DeltaTable, struct } from '../cleanroom-runtime/src/delta';
import { LocalEngine } from '../cleanroom-runtime/src/engines/local';
import type { EventEnvelope } from '../cleanroom-runtime/src/events/event-model';
import { buildApprovalEvent, buildCodeEvent, buildDataEvent, buildJobEvent, type BuiltEvent } from '../cleanroom-runtime/src/events/build-event';
import { applyEvents } from '../cleanroom-runtime/src/processor/apply-events';
import { sha256Hex } from '../cleanroom-runtime/src/processor/code-content';
import { codeVersionHash } from '../cleanroom-runtime/src/processor/code-version';
import { factsKey, type ParticipantInfo } from '../cleanroom-runtime/src/processor/context';
import { completeDatasetSync, recordRunStatus, recordSubmission } from '../cleanroom-runtime/src/processor/runs';
import { emptyState } from '../cleanroom-runtime/src/processor/state';
import { appendEventRow, onboardParticipant, runPass, type RuntimeSettings } from '../cleanroom-runtime/src/runtime';
import { inspectLocation } from '../cleanroom-runtime/src/runtime/location-facts';
import { commitState } from '../cleanroom-runtime/src/runtime/state-store';
import { LocalObjectStore } from '../cleanroom-runtime/src/storage/local-store';
import { InstrumentedStore, REQUEST_KINDS, sumOf } from '../cleanroom-runtime/test/support/instrumented-store';
import { COMPUTE_SIZES, participantName } from './clean-room';
import { emitterFor, progress } from './figures';
import { percentile } from './timing';

const NAME = 'history';
const DEFAULT_SIZES = [1_000, 10_000, 100_000];
const PARTICIPANTS = 10;
const DATASETS_PER_PARTICIPANT = 20;
const ROWS_PER_COMMIT = 5_000;
/** One per collaborator (each pass decides one of their events): 9 passes, median taken. */
const MEASURED_PASSES = PARTICIPANTS - 1;
const CHILD_FLAG = '--child';
const DATASET_SCHEMA = struct([['user_id', 'long'], ['country', 'string']]);

function settingsFor(): RuntimeSettings {
  const participants: ParticipantInfo[] = Array.from({ length: PARTICIPANTS }, (_, i) => ({
    name: participantName(i),
    role: i === 0 ? 'keeper' : 'collaborator',
    bucket: `bench-${participantName(i)}`,
  }));
  return { stateBucket: 'bench-cleanroom-state', keeper: participants[0].name, computeSizes: COMPUTE_SIZES, runHistoryRetentionDays: 30, participants };
}

const location = (p: ParticipantInfo) => `gs://${p.bucket}/input/users`;

/** The history's events in decision order: `size` of them, cycle by cycle across the collaborators. */
function historyEvents(settings: RuntimeSettings, size: number, startMs: number): Array<{ participant: ParticipantInfo; event: BuiltEvent }> {
  const [keeper, ...collaborators] = settings.participants;
  const out: Array<{ participant: ParticipantInfo; event: BuiltEvent }> = [];
  let n = 0;
  const origin = (p: ParticipantInfo) => {
    n++;
    const hex = sha256Hex(`history/${n}`);
    return { uuid: `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-8${hex.slice(17, 20)}-${hex.slice(20, 32)}`, nowMs: startMs + n, user: `${p.name}@example.org`, hostname: 'bench' };
  };
  for (let cycle = 0; out.length < size; cycle++) {
    for (const p of collaborators) {
      const codeName = `${p.name}_c${cycle}`;
      const source = `-- Databricks notebook source\nSELECT country, count(*) AS n FROM ${p.name}.d0 GROUP BY country -- cycle ${cycle}\n`;
      const hash = sha256Hex(source);
      const cycleEvents: Array<[ParticipantInfo, (o: ReturnType<typeof origin>) => BuiltEvent]> = [
        [p, (o) => buildDataEvent({ action: cycle < DATASETS_PER_PARTICIPANT ? 'INSERT' : 'UPDATE', dataMetastoreName: `${p.name}.d${cycle % DATASETS_PER_PARTICIPANT}`, description: `cycle ${cycle}`, location: location(p), format: 'delta' }, o)],
        [p, (o) => buildCodeEvent({ action: 'INSERT', codeName, description: 'bench', pathToNotebook: 'c.sql', defaultParameters: '{}', notebookContents: source, notebookContentsHash: hash, notebookLanguage: 'SQL' }, o)],
        [keeper, (o) => buildApprovalEvent({ decision: 'CODE_REQUEST_APPROVED', codeName, versionHash: codeVersionHash({ hash, language: 'SQL', defaultParameters: '{}' }), reason: 'aggregates only' }, o)],
        [p, (o) => buildJobEvent({ jobName: `${p.name}_j${cycle}`, codeName, parameters: `{"output": "gs://${p.bucket}/output/j${cycle}"}`, compute: 'Small' }, o)],
        [p, (o) => buildCodeEvent({ action: 'DELETE', codeName, pathToNotebook: 'c.sql' }, o)],
        [p, (o) => buildDataEvent({ action: 'DELETE', dataMetastoreName: `${p.name}.missing`, description: 'gone' }, o)],
      ];
      for (const [who, build] of cycleEvents) {
        if (out.length === size) return out;
        out.push({ participant: who, event: build(origin(who)) });
      }
    }
  }
  return out;
}

/** Child 1: the clean room with `size` events of history, decided and published. */
async function generate(root: string, size: number): Promise<void> {
  const store = new LocalObjectStore(root);
  const settings = settingsFor();
  for (const p of settings.participants) {
    await onboardParticipant(store, p.bucket);
    const dataset = await DeltaTable.create(store, p.bucket, 'input/users', DATASET_SCHEMA);
    await dataset.append([{ user_id: 1n, country: 'FR' }, { user_id: 2n, country: 'DE' }]);
  }
  const now = Date.now();
  const events = historyEvents(settings, size, now - 24 * 3600_000);
  // Each participant's events in its own table, in large commits; their envelopes carry the commit's version.
  const envelopeOf = new Map<BuiltEvent, EventEnvelope>();
  const lastVersion: Record<string, number> = {};
  for (const p of settings.participants) {
    const own = events.filter((e) => e.participant === p).map((e) => e.event);
    const table = await DeltaTable.openOrCreate(store, p.bucket, controlTableKey('events'), CONTROL_TABLES.events);
    lastVersion[p.name] = 0;
    for (let i = 0; i < own.length; i += ROWS_PER_COMMIT) {
      const commit = own.slice(i, i + ROWS_PER_COMMIT);
      const version = await table.append(commit.map((e) => e.row));
      commit.forEach((event, index) => envelopeOf.set(event, { participant: p.name, eventsVersion: version, index, row: event.row }));
      lastVersion[p.name] = version;
    }
  }
  const facts = Object.fromEntries(await Promise.all(settings.participants.map(async (p) => [factsKey(location(p), 'delta'), await inspectLocation(store, location(p), 'delta')] as const)));
  progress(NAME, `${size}: deciding the history in one batch`);
  const result = applyEvents(emptyState(), events.map((e) => envelopeOf.get(e.event)!), { participants: settings.participants, computeSizes: settings.computeSizes, now, facts });
  const state = result.state;
  for (const blob of result.blobs) await store.createIfAbsent(settings.stateBucket, blob.key, new TextEncoder().encode(blob.content));
  // Every run is over: submitted and finished, as the engine would have reported.
  for (const effect of state.pendingEffects) {
    if (effect.kind !== 'submit_job') continue;
    const runId = `bench-run-${effect.jobId}`;
    recordSubmission(state, effect.jobId, runId, 'local', now);
    recordRunStatus(state, effect.jobId, { runId, lifeCycleState: 'TERMINATED', resultState: 'SUCCESS', startTime: new Date(now), endTime: new Date(now) }, now);
  }
  completeDatasetSync(state);
  state.eventsVersions = lastVersion;
  await commitState(store, settings.stateBucket, -1, state);
  // One more (refused) event each, so every events table has the mark an aged clean room has (state/eventsTables).
  for (const p of settings.participants) {
    await appendEventRow(store, p.bucket, buildDataEvent({ action: 'DELETE', dataMetastoreName: `${p.name}.missing` }, { uuid: `00000000-0000-4000-9000-${String(settings.participants.indexOf(p)).padStart(12, '0')}`, nowMs: now, user: 'bench', hostname: 'bench' }).row);
  }
  progress(NAME, `${size}: publishing the history (passes until quiescent)`);
  const counted = new InstrumentedStore(store);
  const engine = new LocalEngine({ localRoot: root, waitForRuns: true });
  for (let pass = 1; ; pass++) {
    counted.reset();
    await runPass({ config: settings, store: counted, engine });
    if (counted.writes() === 0) break;
    if (pass >= 5) throw new Error('the history did not settle in 5 passes');
  }
}

/** Child 2: a cold runtime, passes deciding one new event each. */
async function measure(root: string, size: number): Promise<void> {
  const settings = settingsFor();
  const store = new InstrumentedStore(new LocalObjectStore(root));
  const engine = new LocalEngine({ localRoot: root, waitForRuns: true });
  const walls: number[] = [];
  const cpus: number[] = [];
  const requests = Object.fromEntries(REQUEST_KINDS.map((k) => [k, 0])) as Record<(typeof REQUEST_KINDS)[number], number>;
  let bytes = 0;
  let bytesRead = 0;
  // HISTORY_TRACE=1: every request of each measured pass on stderr, with its bytes (to see which objects cost).
  if (process.env.HISTORY_TRACE === '1') store.trace = [];
  for (let i = 0; i < MEASURED_PASSES; i++) {
    const p = settings.participants[1 + i];
    const update = buildDataEvent({ action: 'UPDATE', dataMetastoreName: `${p.name}.d0`, description: `measured ${i}`, location: location(p), format: 'delta' }, { uuid: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`, nowMs: Date.now(), user: 'bench', hostname: 'bench' });
    await appendEventRow(store, p.bucket, update.row);
    store.reset();
    const started = performance.now();
    const cpuBefore = process.cpuUsage();
    const report = await runPass({ config: settings, store, engine });
    walls.push(performance.now() - started);
    const cpu = process.cpuUsage(cpuBefore);
    cpus.push((cpu.user + cpu.system) / 1000);
    if (report.events.length !== 1 || report.events[0].status !== 'SUCCESS') throw new Error(`the measured pass decided ${JSON.stringify(report.events)}`);
    const counts = store.totals();
    for (const kind of REQUEST_KINDS) requests[kind] += counts[kind];
    bytes += store.bytesWritten;
    bytesRead += store.bytesRead;
    for (const t of store.trace ?? []) progress(NAME, `pass ${i}: ${t.kind} gs://${t.bucket}/${t.key} ${t.bytes}`);
  }
  const context = { history: size, participants: PARTICIPANTS, passes: MEASURED_PASSES, store: 'local' };
  const emit = emitterFor(NAME);
  emit('one_event_pass_wall_time', percentile(walls, 50), 'ms', context);
  // CPU time of the measuring process: steadier than wall time on a machine shared with other work.
  emit('one_event_pass_cpu_time', percentile(cpus, 50), 'ms', context);
  const mean = (n: number) => n / MEASURED_PASSES;
  emit('one_event_pass_requests', mean(sumOf(requests)), 'requests', { ...context, ...Object.fromEntries(REQUEST_KINDS.map((k) => [k, mean(requests[k])])) });
  emit('one_event_pass_bytes_written', mean(bytes), 'bytes', context);
  emit('one_event_pass_bytes_read', mean(bytesRead), 'bytes', context);
  emit('one_event_pass_peak_rss', process.resourceUsage().maxRSS / 1024, 'MB', context);
}

async function runChild(args: string[]): Promise<void> {
  const tsx = path.resolve(__dirname, '..', 'node_modules', '.bin', 'tsx');
  const child = spawn(tsx, [__filename, CHILD_FLAG, ...args], { cwd: path.resolve(__dirname, '..'), stdio: ['ignore', 'inherit', 'inherit'] });
  const code = await new Promise<number | null>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', resolve);
  });
  if (code !== 0) throw new Error(`history child ${args.join(' ')} exited with code ${String(code)}`);
}

export async function runHistory(sizes: readonly number[] = DEFAULT_SIZES): Promise<void> {
  for (const size of sizes) {
    const root = await fs.mkdtemp(path.join(os.tmpdir(), `cleanroom-bench-history-${size}-`));
    try {
      progress(NAME, `${size}: writing the history`);
      await runChild(['generate', root, String(size)]);
      progress(NAME, `${size}: measuring ${MEASURED_PASSES} one-event passes in a fresh process`);
      await runChild(['measure', root, String(size)]);
    } finally {
      await fs.rm(root, { recursive: true, force: true });
    }
  }
}

if (require.main === module) {
  const args = process.argv.slice(2);
  const work =
    args[0] === CHILD_FLAG
      ? (args[1] === 'generate' ? generate : measure)(args[2], Number(args[3]))
      : runHistory(args.length > 0 ? args.map(Number) : DEFAULT_SIZES);
  work.then(
    () => undefined,
    (error: unknown) => {
      process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
      process.exitCode = 1;
    },
  );
}
