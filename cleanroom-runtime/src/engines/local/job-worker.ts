/**
 * The process one local run executes in (started by worker-launcher.ts): `job-worker <run file>`. It takes over
 * the run record (only while it is PENDING, so a run is executed once), runs it (run-execution.ts), records the
 * end, and exits. Its JavaScript heap is capped by the launcher; DuckDB's memory by the sandbox; and a watchdog
 * records a TIMEDOUT run and exits if the run outlives its time limit. The runtime that submitted the run is not
 * involved: it polls the record.
 */
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import { randomUUID } from 'node:crypto';
import { KILL_GRACE_MS } from './limits';
import { ObjectStoreDeltaBridge } from './object-store-delta-bridge';
import { executeRun, failedRecord } from './run-execution';
import { RunFailure } from './run-failure';
import { RunRecordStore, type RunRecord } from './run-records';
import { readRunFile, type RunFile } from './run-file';

async function main(runFilePath: string): Promise<void> {
  const job: RunFile = await readRunFile(runFilePath);
  const records = new RunRecordStore(job.stateDir);
  const now = job.fixedNow === undefined ? () => new Date() : () => new Date(job.fixedNow as number);
  const pending = await records.read(job.runId);
  if (!pending || pending.lifeCycleState !== 'PENDING') return; // already taken over, or ended
  let record: RunRecord = {
    ...pending,
    lifeCycleState: 'RUNNING',
    startTime: now().toISOString(),
    owner: { pid: process.pid, hostname: os.hostname(), token: randomUUID() },
  };
  await records.replace(record);
  process.send?.('started');
  if (process.connected) process.disconnect();

  const watchdog = setTimeout(() => {
    const message = `the run exceeded its time limit of ${job.limits.timeoutMs} ms and was stopped`;
    void records
      .replace({ ...failedRecord(record, new RunFailure(message), job.localRoot, 'TIMEDOUT'), endTime: now().toISOString() })
      .then(() => records.appendLog(record.runId, now(), `TIMEDOUT: ${message}`))
      .finally(() => process.exit(3));
  }, job.limits.timeoutMs + KILL_GRACE_MS / 2);
  watchdog.unref();

  record = await executeRun(job.spec, record, {
    localRoot: job.localRoot,
    limits: job.limits,
    delta: new ObjectStoreDeltaBridge(job.localRoot, job.readLimits),
    records,
    now,
  });
  clearTimeout(watchdog);
  await records.replace(record);
  await fs.rm(runFilePath, { force: true });
}

const file = process.argv[2];
if (!file) {
  process.stderr.write('usage: job-worker <run file>\n');
  process.exit(2);
}
main(file).then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(`job worker failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  },
);
