/**
 * A small, deterministic clean room life (keeper + 2 collaborators) for fault-injection tests: fixed event
 * uuids, a fixed clock per step, the real local object store, real Delta tables and the real local DuckDB
 * engine. Step 1: both datasets and the advertiser's code are registered. Step 2: the keeper approves, the
 * advertiser submits a job (run, poll, publish) and the agency submits a job on code that does not exist.
 * Each step appends its events, then runs passes until one writes nothing (quiescent).
 */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { controlTableKey, PUBLISHED_TABLE_NAMES } from '../../src/control/tables';
import type { DeltaRow, DeltaValue } from '../../src/delta/schema-types';
import { DeltaTable } from '../../src/delta/table';
import type { DatasetRef, ExecutionEngine, RunSpec, RunStatus } from '../../src/engines/engine';
import { LocalEngine } from '../../src/engines/local';
import { buildApprovalEvent, buildCodeEvent, buildDataEvent, buildJobEvent, type EventOrigin } from '../../src/events/build-event';
import type { CleanroomState } from '../../src/processor/state';
import { appendEventRow, onboardParticipant } from '../../src/runtime/control-tables';
import { runPass, type PassReport } from '../../src/runtime/run-pass';
import type { RuntimeSettings } from '../../src/runtime/settings';
import { loadLatestState } from '../../src/runtime/state-store';
import { LocalObjectStore } from '../../src/storage/local-store';
import { listAll, type ObjectStore } from '../../src/storage/object-store';
import { sha256, versionHash } from '../processor/fixtures';
import { BY_COUNTRY_SQL, CONVERSIONS_SCHEMA, SETTINGS, USERS_SCHEMA } from '../runtime/pass-fixtures';
import { CrashError, FaultyStore, InjectedWriteError } from './faulty-store';

export { SETTINGS };
export const T1 = Date.UTC(2026, 2, 1, 12, 0, 0);
export const T2 = T1 + 10 * 60_000;
export const OUTPUT = { bucket: 'advertiser-bucket', prefix: 'output/by_country' };

export const SQL = BY_COUNTRY_SQL;
export const SQL_HASH = sha256(SQL);

const uuid = (n: number) => `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;
const origin = (n: number, nowMs: number): EventOrigin => ({ uuid: uuid(n), nowMs, user: 'faults@example.com', hostname: 'test' });

export const JOB_ID = uuid(5);
export const BAD_JOB_ID = uuid(6);

export interface ScenarioEvent {
  participant: string;
  bucket: string;
  row: DeltaRow;
}

export interface Step {
  atMs: number;
  events: ScenarioEvent[];
}

const ev = (participant: string, built: { row: DeltaRow }): ScenarioEvent => ({ participant, bucket: `${participant}-bucket`, row: built.row });

export const STEPS: Step[] = [
  {
    atMs: T1,
    events: [
      ev('publisher', buildDataEvent({ action: 'INSERT', dataMetastoreName: 'publisher.users', description: 'users', location: 'gs://publisher-bucket/input/users', format: 'delta' }, origin(1, T1 - 3000))),
      ev('advertiser', buildDataEvent({ action: 'INSERT', dataMetastoreName: 'advertiser.conversions', description: 'conversions', location: 'gs://advertiser-bucket/input/conversions', format: 'delta' }, origin(2, T1 - 2000))),
      ev('advertiser', buildCodeEvent({ action: 'INSERT', codeName: 'adv_by_country', description: 'revenue by country', pathToNotebook: 'adv_by_country.sql', defaultParameters: '{"excluded": "IT"}', notebookContents: SQL, notebookContentsHash: SQL_HASH }, origin(3, T1 - 1000))),
    ],
  },
  {
    atMs: T2,
    events: [
      ev('publisher', buildApprovalEvent({ decision: 'CODE_REQUEST_APPROVED', codeName: 'adv_by_country', versionHash: versionHash(SQL, { defaults: { excluded: 'IT' } }), reason: 'aggregates only' }, origin(4, T2 - 3000))),
      ev('advertiser', buildJobEvent({ jobName: 'by_country', codeName: 'adv_by_country', parameters: `{"output": "gs://${OUTPUT.bucket}/${OUTPUT.prefix}"}`, compute: 'Small' }, origin(5, T2 - 2000))),
      ev('agency', buildJobEvent({ jobName: 'nothing', codeName: 'no_such_code', parameters: '{"output": "gs://agency-bucket/output/x"}', compute: 'Small' }, origin(6, T2 - 1000))),
    ],
  },
];

/** Event uuids per participant, over the whole scenario. */
export function expectedEventUuids(steps: readonly Step[] = STEPS): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const step of steps) for (const e of step.events) (out[e.participant] ??= []).push(e.row.uuid as string);
  return out;
}

/** Submissions seen by the engine, by job id (run ids returned, one entry per submit call). */
export type SubmitLog = Map<string, string[]>;

/** Any engine, with submissions recorded; refuses every call once the simulated process has died. */
export class CountingEngine implements ExecutionEngine {
  readonly name: 'local' | 'databricks';
  constructor(private readonly inner: ExecutionEngine, readonly submits: SubmitLog, private readonly alive: () => void = () => undefined) {
    this.name = inner.name;
  }
  async syncDatasets(datasets: DatasetRef[]): Promise<void> {
    this.alive();
    await this.inner.syncDatasets(datasets);
  }
  async submit(spec: RunSpec): Promise<{ runId: string }> {
    this.alive();
    const result = await this.inner.submit(spec);
    this.submits.set(spec.jobId, [...(this.submits.get(spec.jobId) ?? []), result.runId]);
    return result;
  }
  async getRun(runId: string): Promise<RunStatus> {
    this.alive();
    return this.inner.getRun(runId);
  }
}

/** Onboards every participant and writes both input datasets (setup, not runtime writes). */
export async function prepareRoom(root: string): Promise<void> {
  const store = new LocalObjectStore(root);
  for (const p of SETTINGS.participants) await onboardParticipant(store, p.bucket);
  const users = await DeltaTable.create(store, 'publisher-bucket', 'input/users', USERS_SCHEMA);
  await users.append([{ user_id: 'u1', country: 'FR' }, { user_id: 'u2', country: 'DE' }, { user_id: 'u3', country: 'FR' }, { user_id: 'u4', country: 'IT' }]);
  const conversions = await DeltaTable.create(store, 'advertiser-bucket', 'input/conversions', CONVERSIONS_SCHEMA);
  await conversions.append([{ user_id: 'u1', amount: 10 }, { user_id: 'u3', amount: 5.5 }, { user_id: 'u2', amount: 1 }, { user_id: 'u4', amount: 2 }]);
}

/** What participants do: append the step's events to their own events tables. */
export async function appendStepEvents(root: string, step: Step): Promise<void> {
  const store = new LocalObjectStore(root);
  for (const e of step.events) await appendEventRow(store, e.bucket, e.row);
}

export interface SettleResult {
  passes: number;
  /** Writes of every pass of the step, in order (the faulted store's included). */
  writeLog: string[];
  /** True when the first store's process died during the step. */
  crashed: boolean;
  reports: PassReport[];
}

export const MAX_PASSES = 8;

/**
 * Passes until one writes nothing. Each pass is a fresh "process": a new engine instance over the same root;
 * after a crash also a new store. `first` (optionally faulted) serves passes until it dies.
 */
export async function settle(root: string, atMs: number, submits: SubmitLog, first?: FaultyStore, settings: RuntimeSettings = SETTINGS): Promise<SettleResult> {
  const raw = new LocalObjectStore(root);
  let store = first ?? new FaultyStore(raw);
  const result: SettleResult = { passes: 0, writeLog: [], crashed: false, reports: [] };
  const now = () => new Date(atMs);
  while (result.passes < MAX_PASSES) {
    result.passes++;
    const before = store.writes();
    const current = store;
    const engine = new CountingEngine(new LocalEngine({ localRoot: root, now, waitForRuns: true }), submits, () => current.assertAlive());
    let failed = false;
    try {
      result.reports.push(await runPass({ config: settings, store, engine, now }));
    } catch (error) {
      // After a simulated death any error is the death's consequence; a transient injected failure may surface too.
      if (!store.dead && !isInjected(error)) throw error;
      failed = true;
    }
    result.writeLog.push(...store.writeLog.slice(before));
    if (store.dead) {
      result.crashed = true;
      store = new FaultyStore(raw);
      continue;
    }
    if (!failed && store.writes() === before) return result;
  }
  throw new Error(`no quiescence after ${MAX_PASSES} passes`);
}

function isInjected(error: unknown): boolean {
  return error instanceof InjectedWriteError || error instanceof CrashError;
}

export interface Observed {
  state: unknown;
  tables: Record<string, Record<string, DeltaRow[]>>;
  codeObjects: Record<string, Record<string, string>>;
  output: DeltaRow[];
  /** Local engine run records: run id → [job id, life cycle, result, executions (log lines "run ... of job")]. */
  engineRuns: Record<string, [string, string, string | undefined, number]>;
}

/** Everything a participant or the keeper can see, with the temp root replaced by `<root>`. */
export async function observe(root: string, settings: RuntimeSettings = SETTINGS, output = OUTPUT): Promise<Observed> {
  const store = new LocalObjectStore(root);
  const clean = <T>(value: T): T => scrubRoot(value, root);
  const { state } = await loadLatestState(store, settings.stateBucket);
  // Storage generations name files, not content: a copied room has other ones for the same events logs.
  for (const mark of Object.values(state.eventsTables ?? {})) if (mark.lastCommitGeneration !== null) mark.lastCommitGeneration = '<generation>';
  for (const check of Object.values(state.datasetChecks ?? {})) if (check.mark.generation !== null) check.mark.generation = '<generation>';
  // Published files have random names, and a crash may take a table through a whole republication (more commits,
  // other files): what must match is what each table holds (compared below) and how far it is published.
  const published = state.publishedTables ?? {};
  for (const participant of Object.keys(published)) {
    for (const [table, record] of Object.entries(published[participant])) {
      (published[participant] as Record<string, unknown>)[table] = { liveHash: record.liveHash, cursors: record.cursors };
    }
  }
  const tables: Observed['tables'] = {};
  const codeObjects: Observed['codeObjects'] = {};
  for (const p of settings.participants) {
    tables[p.name] = {};
    for (const name of PUBLISHED_TABLE_NAMES) {
      // A Delta table has no row order: rows are compared in a canonical one.
      tables[p.name][name] = sortRows(clean(await (await DeltaTable.open(store, p.bucket, controlTableKey(name))).readRows()));
    }
    codeObjects[p.name] = await readObjects(store, p.bucket, 'code/');
  }
  let outputRows: DeltaRow[] = [];
  try {
    outputRows = await (await DeltaTable.open(store, output.bucket, output.prefix)).readRows();
  } catch {
    outputRows = [];
  }
  return { state: clean(state), tables, codeObjects, output: outputRows, engineRuns: await readEngineRuns(root) };
}

async function readObjects(store: ObjectStore, bucket: string, prefix: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for await (const o of listAll(store, bucket, prefix)) {
    if (!o.key.endsWith('/.cleanroom-folder')) out[o.key] = new TextDecoder().decode(await store.get(bucket, o.key));
  }
  return out;
}

async function readEngineRuns(root: string): Promise<Observed['engineRuns']> {
  const dir = path.join(root, 'engine', 'runs');
  const out: Observed['engineRuns'] = {};
  let names: string[] = [];
  try {
    names = await fs.readdir(dir);
  } catch {
    return out;
  }
  for (const name of names.filter((n) => /^local-[0-9a-f]{16}\.json$/.test(n))) {
    const record = JSON.parse(await fs.readFile(path.join(dir, name), 'utf8')) as { runId: string; jobId: string; lifeCycleState: string; resultState?: string };
    const log = await fs.readFile(path.join(dir, name.replace(/\.json$/, '.log')), 'utf8').catch(() => '');
    const executions = log.split('\n').filter((line) => line.includes(`run ${record.runId} of job`)).length;
    out[record.runId] = [record.jobId, record.lifeCycleState, record.resultState, executions];
  }
  return out;
}

function scrubRoot<T>(value: T, root: string): T {
  const replace = (v: DeltaValue | unknown): unknown => {
    if (typeof v === 'string') return v.split(root).join('<root>');
    if (Array.isArray(v)) return v.map(replace);
    if (v instanceof Uint8Array || typeof v === 'bigint' || v === null || typeof v !== 'object') return v;
    return Object.fromEntries(Object.entries(v as Record<string, unknown>).map(([k, x]) => [k, replace(x)]));
  };
  return replace(value) as T;
}

/**
 * Invariants that hold on any observed clean room, whatever happened before: one event_status per event (in
 * the state and in every participant's published table), one run per job in the state, the engine and its log.
 * Returns the violations (empty when all hold).
 */
export function invariantViolations(observed: Observed, expected: Record<string, string[]>, submits: SubmitLog): string[] {
  const problems: string[] = [];
  const state = observed.state as CleanroomState;
  for (const [participant, uuids] of Object.entries(expected)) {
    const inState = (state.eventStatus[participant] ?? []).map((s) => s.eventUuid);
    const published = observed.tables[participant].event_status.map((r) => r.event_uuid as string);
    for (const [where, seen] of [['state', inState], ['published event_status', published]] as const) {
      if (JSON.stringify([...seen].sort()) !== JSON.stringify([...uuids].sort())) {
        problems.push(`${participant} ${where}: expected one status for each of ${uuids.join(', ')}, saw ${seen.join(', ')}`);
      }
    }
  }
  for (const [jobId, runIds] of submits) {
    if (new Set(runIds).size !== 1) problems.push(`job ${jobId} got several runs from the engine: ${runIds.join(', ')}`);
  }
  const runsByJob = new Map<string, number>();
  for (const [runId, [jobId, , , executions]] of Object.entries(observed.engineRuns)) {
    runsByJob.set(jobId, (runsByJob.get(jobId) ?? 0) + 1);
    if (executions !== 1) problems.push(`run ${runId} of job ${jobId} executed ${executions} times`);
  }
  for (const [jobId, count] of runsByJob) if (count !== 1) problems.push(`job ${jobId} has ${count} engine run records`);
  for (const jobId of Object.keys(state.runs)) {
    if (!runsByJob.has(jobId)) problems.push(`the state has a run for job ${jobId} the engine never ran`);
  }
  return problems;
}

function sortRows(rows: DeltaRow[]): DeltaRow[] {
  const key = (row: DeltaRow) => JSON.stringify(row, (_k, v: unknown) => (typeof v === 'bigint' ? `${v}n` : v));
  return [...rows].sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
}
