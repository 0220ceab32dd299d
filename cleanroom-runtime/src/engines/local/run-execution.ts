/**
 * One run of approved SQL, start to end, as the job worker process does it (job-worker.ts): load the registered
 * datasets into a fresh sandbox, lock it, run the statements with bound parameters, and write the final query's
 * result (at most `maxResultRows` rows) as a Delta table at the output. Returns the ended run record; a failure
 * is a FAILED record whose message says what to change.
 */
import { resultLocation, type RunSpec } from '../engine';
import type { DeltaBridge } from './delta-bridge';
import { loadDatasets, type LoadReport } from './dataset-loader';
import { parseGsLocation } from './gs-paths';
import { resultToDelta } from './result-to-delta';
import { RunFailure, RunTimedOut, scrubHostPaths } from './run-failure';
import type { RunRecord, RunRecordStore } from './run-records';
import { Sandbox } from './sandbox';
import { runSql } from './sql-runner';
import type { LocalEngineLimits } from './limits';

export interface RunContext {
  localRoot: string;
  limits: LocalEngineLimits;
  delta: DeltaBridge;
  records: RunRecordStore;
  now: () => Date;
}

export async function executeRun(spec: RunSpec, running: RunRecord, ctx: RunContext): Promise<RunRecord> {
  let record = running;
  const log = (line: string) => ctx.records.appendLog(record.runId, ctx.now(), scrubHostPaths(line, ctx.localRoot));
  await log(`run ${record.runId} of job ${spec.jobName} (${spec.jobId}) by ${spec.participant}: code ${spec.code.name} ${spec.code.hash}`);
  try {
    const rows = await runCode(spec, ctx, log);
    record = { ...record, lifeCycleState: 'TERMINATED', resultState: 'SUCCESS', stateMessage: '', output: { location: resultLocation(spec), rows } };
    await log(`SUCCESS: wrote ${rows} rows to ${resultLocation(spec)}`);
  } catch (error) {
    record = failedRecord(record, error, ctx.localRoot, error instanceof RunTimedOut ? 'TIMEDOUT' : 'FAILED');
    await log(`${record.resultState ?? 'FAILED'}: ${record.error ?? ''}`);
  }
  return { ...record, endTime: ctx.now().toISOString() };
}

/** The run ended FAILED with `error`'s message (host paths scrubbed). */
export function failedRecord(record: RunRecord, error: unknown, localRoot: string, resultState: 'FAILED' | 'TIMEDOUT' = 'FAILED'): RunRecord {
  const failure = error instanceof RunFailure ? error : new RunFailure(`internal error in the local engine: ${messageOf(error)}`, stackOf(error));
  const message = scrubHostPaths(failure.message, localRoot);
  const trace = scrubHostPaths(failure.trace ?? failure.stack ?? failure.message, localRoot);
  return { ...record, lifeCycleState: 'TERMINATED', resultState, stateMessage: message, error: message, errorTrace: trace };
}

/** Runs the code and writes its result; returns the number of rows written. */
async function runCode(spec: RunSpec, ctx: RunContext, log: (line: string) => Promise<void>): Promise<number> {
  if (spec.code.language !== 'SQL') {
    throw new RunFailure(
      `${spec.code.language} code needs the Databricks engine: the local engine runs SQL only. ` +
        `Run this clean room with the Databricks engine to use ${spec.code.language} notebooks, or rewrite ${spec.code.name} in SQL`,
    );
  }
  const output = parseGsLocation(resultLocation(spec));
  const sandbox = await Sandbox.open(ctx.limits);
  try {
    const report = await loadDatasets(sandbox.connection, spec.datasets, { localRoot: ctx.localRoot, delta: ctx.delta, maxDataBytes: ctx.limits.maxDataBytes, maxDataFiles: ctx.limits.maxDataFiles });
    await log(`loaded ${report.loaded.length} datasets: ${report.loaded.join(', ') || 'none'}`);
    for (const reason of report.failures.values()) await log(`not loaded: ${reason}`);
    await sandbox.lock();
    await log('sandbox locked: no file, network, extension or settings access');
    const reader = await runSql(sandbox.connection, spec.code.content, {
      timeoutMs: ctx.limits.timeoutMs,
      maxResultRows: ctx.limits.maxResultRows,
      parameters: spec.parameters,
      onStatement: (index, count, kind) => void log(`statement ${index}/${count}: ${kind}`).catch(() => undefined),
    }).catch((error: unknown) => {
      throw explainMissingDataset(error, report);
    });
    const { schema, rows } = resultToDelta(reader);
    await ctx.delta.overwrite(output, schema, rows);
    return rows.length;
  } finally {
    sandbox.close();
  }
}

/** A query on a dataset that failed to load says why, instead of only "table does not exist". */
function explainMissingDataset(error: unknown, report: LoadReport): unknown {
  if (!(error instanceof RunFailure) || !/does not exist/i.test(error.message)) return error;
  const reasons = [...report.failures.entries()]
    .filter(([name]) => error.message.includes(name.split('.')[1]))
    .map(([, reason]) => reason);
  return reasons.length === 0 ? error : new RunFailure(`${error.message}\n${reasons.join('\n')}`, error.stack);
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function stackOf(error: unknown): string | undefined {
  return error instanceof Error ? error.stack : undefined;
}
