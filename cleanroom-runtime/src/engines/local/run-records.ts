/**
 * Durable run records, one JSON file per run under `<stateDir>/runs/`. The record is claimed with an atomic
 * create-if-absent (hard link of a fully written temp file), so of two submissions of the same job only one
 * ever runs it; later changes replace the file atomically (rename).
 */
import { createHash, randomUUID } from 'node:crypto';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { LifeCycleState, ResultState, RunStatus } from '../engine';

export interface RunOwner {
  pid: number;
  hostname: string;
  /** Random per engine instance: tells this process's runs from a crashed earlier process with the same pid. */
  token: string;
}

export interface RunRecord {
  runId: string;
  jobId: string;
  jobName: string;
  participant: string;
  codeName: string;
  codeHash: string;
  lifeCycleState: LifeCycleState;
  resultState?: ResultState;
  stateMessage?: string;
  submittedAt: string;
  startTime?: string;
  endTime?: string;
  error?: string;
  errorTrace?: string;
  runPageUrl: string;
  owner: RunOwner;
  output?: { location: string; rows: number };
}

/** Deterministic: the same job always maps to the same run. */
export function runIdFor(jobId: string): string {
  return `local-${createHash('sha256').update(jobId).digest('hex').slice(0, 16)}`;
}

const RUN_ID = /^local-[0-9a-f]{16}$/;

export class RunRecordStore {
  readonly dir: string;

  constructor(stateDir: string) {
    this.dir = path.join(stateDir, 'runs');
  }

  recordPath(runId: string): string {
    if (!RUN_ID.test(runId)) throw new Error(`${JSON.stringify(runId)} is not a local engine run id (local-<16 hex>)`);
    return path.join(this.dir, `${runId}.json`);
  }

  logPath(runId: string): string {
    return this.recordPath(runId).replace(/\.json$/, '.log');
  }

  logUrl(runId: string): string {
    return pathToFileURL(this.logPath(runId)).href;
  }

  /** Writes the record only if none exists; false when the run was already claimed. */
  async claim(record: RunRecord): Promise<boolean> {
    const tmp = await this.writeTemp(record);
    try {
      await fs.link(tmp, this.recordPath(record.runId));
      return true;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
      throw error;
    } finally {
      await fs.rm(tmp, { force: true });
    }
  }

  async read(runId: string): Promise<RunRecord | undefined> {
    try {
      return JSON.parse(await fs.readFile(this.recordPath(runId), 'utf8')) as RunRecord;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw error;
    }
  }

  async replace(record: RunRecord): Promise<void> {
    const tmp = await this.writeTemp(record);
    await fs.rename(tmp, this.recordPath(record.runId));
  }

  async appendLog(runId: string, at: Date, line: string): Promise<void> {
    await fs.appendFile(this.logPath(runId), `${at.toISOString()} ${line}\n`);
  }

  private async writeTemp(record: RunRecord): Promise<string> {
    await fs.mkdir(this.dir, { recursive: true });
    const tmp = path.join(this.dir, `.${record.runId}.${randomUUID()}.tmp`);
    await fs.writeFile(tmp, JSON.stringify(record, null, 2));
    return tmp;
  }
}

export function toRunStatus(record: RunRecord): RunStatus {
  return {
    runId: record.runId,
    lifeCycleState: record.lifeCycleState,
    resultState: record.resultState,
    stateMessage: record.stateMessage,
    startTime: record.startTime ? new Date(record.startTime) : undefined,
    endTime: record.endTime ? new Date(record.endTime) : undefined,
    runPageUrl: record.runPageUrl,
    error: record.error,
    errorTrace: record.errorTrace,
  };
}
