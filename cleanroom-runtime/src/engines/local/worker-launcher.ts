/**
 * Starts the job worker (job-worker.ts) as its own process: detached, with its JavaScript heap capped, its
 * output appended to the run's log, and resolves once the worker has taken over the run record (or has exited
 * without doing so). The worker then goes on alone; the caller may exit.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { openSync, closeSync } from 'node:fs';
import * as path from 'node:path';

export interface LaunchedWorker {
  child: ChildProcess;
  /** Resolves with the exit code and signal when the worker ends (only observed while this process lives). */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Our sources run as TypeScript through tsx until they are compiled; compiled, the worker is plain JavaScript. */
function workerCommand(): { script: string; execArgv: string[] } {
  const compiled = __filename.endsWith('.js');
  const script = path.join(__dirname, compiled ? 'job-worker.js' : 'job-worker.ts');
  return { script, execArgv: compiled ? [] : ['--require', require.resolve('tsx/cjs')] };
}

export async function launchWorker(runFile: string, logFile: string, heapMb: number, startTimeoutMs = 60_000): Promise<LaunchedWorker> {
  const { script, execArgv } = workerCommand();
  const log = openSync(logFile, 'a');
  let child: ChildProcess;
  try {
    child = spawn(process.execPath, [...execArgv, `--max-old-space-size=${heapMb}`, script, runFile], {
      detached: true,
      stdio: ['ignore', log, log, 'ipc'],
      env: workerEnvironment(),
    });
  } finally {
    closeSync(log);
  }
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => resolve(), startTimeoutMs);
    const done = () => {
      clearTimeout(timer);
      resolve();
    };
    child.once('message', done);
    child.once('exit', done);
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
  });
  if (child.connected) child.disconnect();
  child.unref();
  return { child, exited };
}

/** The worker needs no secret of the runtime: only what Node and tsx need to start. */
function workerEnvironment(): NodeJS.ProcessEnv {
  const keep = ['PATH', 'HOME', 'TMPDIR', 'LANG', 'TZ'];
  const env: NodeJS.ProcessEnv = {};
  for (const name of keep) if (process.env[name] !== undefined) env[name] = process.env[name];
  return env;
}
