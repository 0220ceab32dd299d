/**
 * What the engine hands a job worker: the run's spec and limits, in a file next to the run record (the
 * engine's own folder, which participants do not write). Deleted by the worker when the run has ended.
 */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import type { RunSpec } from '../engine';
import type { Limits } from '../../limits';
import type { LocalEngineLimits } from './limits';

export interface RunFile {
  runId: string;
  stateDir: string;
  localRoot: string;
  spec: RunSpec;
  limits: LocalEngineLimits;
  /** The clean room's limits on reading participants' buckets (datasets' logs, the output table). */
  readLimits: Limits;
  /** An engine built with an injected clock (tests) gives its time at submission; the worker then uses it throughout. */
  fixedNow?: number;
}

export function runFilePath(recordsDir: string, runId: string): string {
  return path.join(recordsDir, `${runId}.run.json`);
}

export async function writeRunFile(recordsDir: string, job: RunFile): Promise<string> {
  const file = runFilePath(recordsDir, job.runId);
  await fs.mkdir(recordsDir, { recursive: true });
  await fs.writeFile(file, JSON.stringify(job), { mode: 0o600 });
  return file;
}

export async function readRunFile(file: string): Promise<RunFile> {
  return JSON.parse(await fs.readFile(file, 'utf8')) as RunFile;
}
