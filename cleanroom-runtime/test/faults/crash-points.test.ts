/**
 * Crash at every write of the scenario, in both crash modes, then keep running fresh passes until quiescent:
 * the clean room must end exactly where a crash-free run ends (state, every participant's published tables,
 * code objects, the job's output), with one event_status per event and one engine run per job.
 * Speed: the room is snapshotted at the start of each step and observed at its end, so a crash case replays only
 * its own step and is compared with the crash-free run at the end of that step (the next step then starts from
 * the same observable clean room; the job step has its own crash cases).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { LocalObjectStore } from '../../src/storage/local-store';
import type { FaultMode } from './faulty-store';
import { FaultyStore } from './faulty-store';
import {
  appendStepEvents,
  expectedEventUuids,
  invariantViolations,
  JOB_ID,
  BAD_JOB_ID,
  observe,
  prepareRoom,
  settle,
  STEPS,
  type Observed,
  type SubmitLog,
} from './scenario';

let base: string;
let work: string;
/** Per step: the crash-free clean room once the step is quiescent. */
const reference: Observed[] = [];
const referenceSubmits: SubmitLog = new Map();
/** Per step: the writes of the crash-free run, in order. */
const referenceWrites: string[][] = [];
const snapshot = (step: number) => path.join(base, `step-${step}`);

function restore(step: number): void {
  fs.rmSync(work, { recursive: true, force: true });
  fs.cpSync(snapshot(step), work, { recursive: true });
}

beforeAll(async () => {
  base = fs.mkdtempSync(path.join(os.tmpdir(), 'cleanroom-faults-'));
  work = path.join(base, 'work');
  fs.mkdirSync(work);
  await prepareRoom(work);
  for (const [index, step] of STEPS.entries()) {
    await appendStepEvents(work, step);
    fs.cpSync(work, snapshot(index), { recursive: true });
    const settled = await settle(work, step.atMs, referenceSubmits);
    expect(settled.crashed).toBe(false);
    for (const report of settled.reports) expect(report.errors).toEqual([]);
    referenceWrites.push(settled.writeLog);
    reference.push(await observe(work));
  }
});

afterAll(() => {
  if (base) fs.rmSync(base, { recursive: true, force: true });
});

test('the crash-free reference run does the whole scenario', () => {
  const writes = referenceWrites.flat();
  // Every kind of runtime write is a crash point: code blobs, state commits and pointer, views, code objects.
  expect(writes.some((w) => w.startsWith('createIfAbsent cleanroom-state/code-blobs/'))).toBe(true);
  expect(writes.some((w) => /^createIfAbsent cleanroom-state\/state\/\d{20}\.json$/.test(w))).toBe(true);
  expect(writes).toContain('put cleanroom-state/state/LATEST');
  expect(writes.some((w) => w.startsWith('put publisher-bucket/code/advertiser/adv_by_country/'))).toBe(true);
  for (const bucket of ['publisher-bucket', 'advertiser-bucket', 'agency-bucket']) {
    expect(writes.some((w) => w.startsWith(`createIfAbsent ${bucket}/control/event_status/_delta_log/`))).toBe(true);
  }
  expect(writes.some((w) => w.startsWith('createIfAbsent advertiser-bucket/control/runs/_delta_log/'))).toBe(true);

  const final = reference[reference.length - 1];
  expect(invariantViolations(final, expectedEventUuids(), referenceSubmits)).toEqual([]);
  expect(final.tables.advertiser.runs).toEqual([expect.objectContaining({ job_id: JOB_ID, state: 'TERMINATED', result_state: 'SUCCESS' })]);
  expect(final.tables.agency.event_status).toEqual([expect.objectContaining({ event_uuid: BAD_JOB_ID, status: 'ERROR' })]);
  expect(final.tables.publisher.approval_status).toEqual([expect.objectContaining({ code_name: 'adv_by_country', approval_status: 'CODE_REQUEST_APPROVED' })]);
  expect(final.output.map((r) => [r.country, Number(r.conversions), r.revenue])).toEqual([['DE', 1, 1], ['FR', 2, 15.5]]);
  expect([...referenceSubmits.keys()]).toEqual([JOB_ID]);
});

/** Replays step `step` with a fault at its `at`-th write; returns what went wrong (empty: nothing). */
async function crashCase(step: number, at: number, mode: FaultMode): Promise<string[]> {
  const label = `step ${step + 1} write #${at} (${referenceWrites[step][at - 1]}) ${mode}`;
  restore(step);
  const submits: SubmitLog = new Map();
  const faulted = new FaultyStore(new LocalObjectStore(work), { at, mode });
  const settled = await settle(work, STEPS[step].atMs, submits, faulted);
  if (faulted.writes() < at || settled.crashed !== (mode !== 'throw')) return [`${label}: the fault never happened (writes are not deterministic?)`];
  const observed = await observe(work);
  const problems = invariantViolations(observed, expectedEventUuids(STEPS.slice(0, step + 1)), submits);
  for (const part of ['state', 'tables', 'codeObjects', 'output', 'engineRuns'] as const) {
    try {
      expect(observed[part]).toEqual(reference[step][part]);
    } catch (error) {
      problems.push(`${part} differs from the crash-free run:\n${(error as Error).message.slice(0, 1500)}`);
    }
  }
  return problems.map((p) => `${label}: ${p}`);
}

const CASES: Array<[FaultMode, number]> = [
  ['crash-before', 0],
  ['crash-before', 1],
  ['crash-after', 0],
  ['crash-after', 1],
  // A transient write error (the process lives on), on the step with the job: submission, run, publishing.
  ['throw', 1],
];

describe('a fault at every write point converges on the crash-free result', () => {
  test.each(CASES)('%s at each write of step index %i', async (mode, step) => {
    const failures: string[] = [];
    const points = referenceWrites[step].length;
    expect(points).toBeGreaterThan(5);
    for (let at = 1; at <= points; at++) failures.push(...(await crashCase(step, at, mode)));
    expect(failures).toEqual([]);
    // Each case replays a whole step; on the job's step every case also starts a local run's worker process.
  }, 300_000);
});
