/**
 * Passes racing each other on the same state bucket, and participants appending while passes run. Compare-and-
 * swap must serialise the commits (contiguous sequences, each one building on the last), the final state must be
 * the one a sequential run reaches, and every event must be decided exactly once.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { createHash } from 'node:crypto';
import { controlTableKey } from '../../src/control/tables';
import { DeltaTable } from '../../src/delta/table';
import { LocalEngine } from '../../src/engines/local';
import { buildCodeEvent, buildDataEvent, type BuiltEvent } from '../../src/events/build-event';
import type { CleanroomState } from '../../src/processor/state';
import { appendEventRow, onboardParticipant } from '../../src/runtime/control-tables';
import { runPass, type PassReport } from '../../src/runtime/run-pass';
import type { RuntimeSettings } from '../../src/runtime/settings';
import { loadLatestState, loadState } from '../../src/runtime/state-store';
import { LocalObjectStore } from '../../src/storage/local-store';
import { listAll, type ObjectStore } from '../../src/storage/object-store';
import { FaultyStore } from './faulty-store';
import {
  appendStepEvents,
  CountingEngine,
  expectedEventUuids,
  invariantViolations,
  observe,
  prepareRoom,
  SETTINGS,
  settle,
  STEPS,
  type SubmitLog,
} from './scenario';

const roots: string[] = [];
function newRoot(): string {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'cleanroom-concurrency-'));
  roots.push(root);
  return root;
}
afterAll(() => {
  for (const root of roots) fs.rmSync(root, { recursive: true, force: true });
});

function passAt(root: string, atMs: number, submits: SubmitLog, settings: RuntimeSettings = SETTINGS, store: ObjectStore = new LocalObjectStore(root)): Promise<PassReport> {
  const now = () => new Date(atMs);
  const engine = new CountingEngine(new LocalEngine({ localRoot: root, now, waitForRuns: true }), submits);
  return runPass({ config: settings, store, engine, now, maxAttempts: 20 });
}

/**
 * Holds the first `parties` state commits until all of them are there, so the racing passes really commit on
 * the same base (without it one pass could finish before the others start, and nothing would be shown).
 */
class CommitBarrier extends LocalObjectStore {
  private waiting: Array<() => void> = [];
  constructor(root: string, private parties: number) {
    super(root);
  }
  override async createIfAbsent(bucket: string, key: string, data: Uint8Array): Promise<void> {
    if (this.parties > 0 && /^state\/\d{20}\.json$/.test(key)) {
      this.parties--;
      await new Promise<void>((resolve) => {
        this.waiting.push(resolve);
        if (this.parties === 0) this.waiting.forEach((release) => release());
      });
    }
    return super.createIfAbsent(bucket, key, data);
  }
}

/** Every state commit still present, in sequence order. */
async function stateCommits(root: string, bucket: string): Promise<Array<{ seq: number; state: CleanroomState }>> {
  const store = new LocalObjectStore(root);
  const out: Array<{ seq: number; state: CleanroomState }> = [];
  for await (const o of listAll(store, bucket, 'state/')) {
    const match = /^state\/(\d{20})\.json$/.exec(o.key);
    if (match) out.push({ seq: Number(match[1]), state: (await loadState(store, bucket, Number(match[1]))).state });
  }
  return out.sort((a, b) => a.seq - b.seq);
}

/** Sequences without gaps (old commits are pruned: from the oldest kept), and nothing decided ever undone later. */
function serialisationProblems(commits: Array<{ seq: number; state: CleanroomState }>): string[] {
  const problems: string[] = [];
  commits.forEach((commit, index) => {
    if (commit.seq !== commits[0].seq + index) problems.push(`state commits jump from ${commits[index - 1]?.seq} to ${commit.seq}`);
    const previous = commits[index - 1];
    if (!previous) return;
    for (const key of Object.keys(previous.state.processedEvents)) {
      if (!commit.state.processedEvents[key]) problems.push(`commit ${commit.seq} lost event ${key} decided by commit ${previous.seq}`);
    }
    for (const [participant, version] of Object.entries(previous.state.eventsVersions)) {
      if ((commit.state.eventsVersions[participant] ?? -1) < version) problems.push(`commit ${commit.seq} moved ${participant}'s events version back`);
    }
  });
  return problems;
}

test.each([2, 4])('%i passes started at once: one commit at a time, the state a sequential run reaches', async (parallel) => {
  const sequential = newRoot();
  const racing = newRoot();
  await prepareRoom(sequential);
  await prepareRoom(racing);
  const sequentialSubmits: SubmitLog = new Map();
  const racingSubmits: SubmitLog = new Map();
  const decided: string[] = [];
  for (const step of STEPS) {
    await appendStepEvents(sequential, step);
    await settle(sequential, step.atMs, sequentialSubmits);
    await appendStepEvents(racing, step);
    const barrier = new CommitBarrier(racing, parallel);
    const reports = await Promise.all(Array.from({ length: parallel }, () => passAt(racing, step.atMs, racingSubmits, SETTINGS, barrier)));
    // All of them committed on the same base: one won the swap, every other one lost it at least once.
    expect(reports.reduce((sum, r) => sum + r.conflicts, 0)).toBeGreaterThanOrEqual(parallel - 1);
    decided.push(...reports.flatMap((r) => r.events.map((e) => e.eventUuid)));
    await settle(racing, step.atMs, racingSubmits);
  }

  const expected = expectedEventUuids();
  // Each event decided by exactly one of the racing passes (the losers re-decided on the winner's state).
  expect([...decided].sort()).toEqual(Object.values(expected).flat().sort());
  expect(serialisationProblems(await stateCommits(racing, SETTINGS.stateBucket))).toEqual([]);
  const [a, b] = await Promise.all([observe(sequential), observe(racing)]);
  expect(invariantViolations(b, expected, racingSubmits)).toEqual([]);
  // Published-table hashes cover run page URLs, which name each room's temp root: the tables are compared instead.
  // eventsTables holds each room's own table ids and storage generations.
  // datasetChecks hold the storage generations of each room's dataset logs.
  const { published: _a, eventsTables: _ea, datasetChecks: _da, ...stateA } = a.state as CleanroomState;
  const { published: _b, eventsTables: _eb, datasetChecks: _db, ...stateB } = b.state as CleanroomState;
  expect(Object.keys(_eb ?? {})).toEqual(Object.keys(_ea ?? {}));
  expect(Object.keys(_db ?? {})).toEqual(Object.keys(_da ?? {}));
  expect(Object.keys(_b)).toEqual(Object.keys(_a));
  expect(stateB).toEqual(stateA);
  expect(b.tables).toEqual(a.tables);
  expect(b.codeObjects).toEqual(a.codeObjects);
  expect(b.output).toEqual(a.output);
});

const BROKER = { name: 'broker', role: 'collaborator' as const, bucket: 'broker-bucket' };
const FOUR: RuntimeSettings = { ...SETTINGS, participants: [...SETTINGS.participants, BROKER] };
const WRITERS_PER_PARTICIPANT = 5;
const EVENTS_PER_WRITER = 5;

/** Deterministic events: every fifth one registers code (blob, code objects), the others fail validation cheaply. */
function eventsOf(participant: string, atMs: number): BuiltEvent[][] {
  return Array.from({ length: WRITERS_PER_PARTICIPANT }, (_, writer) =>
    Array.from({ length: EVENTS_PER_WRITER }, (_, i) => {
      const n = writer * EVENTS_PER_WRITER + i;
      const hex = createHash('sha256').update(`${participant}/${n}`).digest('hex');
      const origin = { uuid: `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-8${hex.slice(17, 20)}-${hex.slice(20, 32)}`, nowMs: atMs - 60_000 + n, user: 'u', hostname: 'h' };
      if (i === 0) {
        const sql = `SELECT ${n} AS n`;
        return buildCodeEvent({ action: 'INSERT', codeName: `${participant}_code_${n}`, description: 'd', pathToNotebook: 'c.sql', defaultParameters: '{}', notebookContents: sql, notebookContentsHash: createHash('sha256').update(sql).digest('hex') }, origin);
      }
      return buildDataEvent({ action: 'DELETE', dataMetastoreName: `${participant}.missing_${n}`, description: 'd' }, origin);
    }),
  );
}

test('4 participants appending 25 events each while passes run: every event decided exactly once', async () => {
  const root = newRoot();
  const store = new LocalObjectStore(root);
  for (const p of FOUR.participants) await onboardParticipant(store, p.bucket);
  const atMs = STEPS[0].atMs;
  const submits: SubmitLog = new Map();
  const decided: string[] = [];
  let appending = true;
  const loop = async () => {
    while (appending) decided.push(...(await passAt(root, atMs, submits, FOUR)).events.map((e) => e.eventUuid));
  };
  const byParticipant = Object.fromEntries(FOUR.participants.map((p) => [p.name, eventsOf(p.name, atMs)]));
  const loops = [loop(), loop()];
  // Several writers per events table at once: Delta's optimistic commits must lose nothing.
  await Promise.all(
    FOUR.participants.flatMap((p) =>
      byParticipant[p.name].map(async (writer) => {
        for (const event of writer) await appendEventRow(new LocalObjectStore(root), p.bucket, event.row);
      }),
    ),
  );
  appending = false;
  await Promise.all(loops);
  const settled = await settle(root, atMs, submits, new FaultyStore(store), FOUR);
  decided.push(...settled.reports.flatMap((r) => r.events.map((e) => e.eventUuid)));

  const expected = Object.fromEntries(FOUR.participants.map((p) => [p.name, byParticipant[p.name].flat().map((e) => e.uuid)]));
  for (const p of FOUR.participants) {
    const rows = await (await DeltaTable.open(store, p.bucket, controlTableKey('events'))).readRows();
    expect(rows.map((r) => r.uuid).sort()).toEqual([...expected[p.name]].sort());
  }
  expect([...decided].sort()).toEqual(Object.values(expected).flat().sort());
  const observed = await observe(root, FOUR);
  expect(invariantViolations(observed, expected, submits)).toEqual([]);
  const state = (await loadLatestState(store, FOUR.stateBucket)).state;
  expect(Object.keys(state.code).sort()).toEqual(FOUR.participants.flatMap((p) => [0, 5, 10, 15, 20].map((n) => `${p.name}_code_${n}`)).sort());
  expect(Object.values(state.eventStatus).flat().filter((s) => s.status === 'SUCCESS')).toHaveLength(4 * WRITERS_PER_PARTICIPANT);
  expect(serialisationProblems(await stateCommits(root, FOUR.stateBucket))).toEqual([]);
});
