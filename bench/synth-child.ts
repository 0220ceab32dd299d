/**
 * Runs the infrastructure's synth benchmark (bench/synth.ts, `npm run bench:synth`) as a child process and
 * turns its lines into figures. Lines already in the figure format pass through unchanged; its own
 * `{ participants, synthMs, peakRssMb }` lines become two figures each; anything else passes through as is.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import * as readline from 'node:readline';
import { progress, type Emit } from './figures';

const NAME = 'synth';
const REPO_ROOT = path.resolve(__dirname, '..');
const SCRIPT = path.join(__dirname, 'synth.ts');

export async function runSynth(emit: Emit): Promise<void> {
  if (!existsSync(SCRIPT)) {
    progress(NAME, 'bench/synth.ts is not there: no synth figures');
    return;
  }
  const tsx = path.join(REPO_ROOT, 'node_modules', '.bin', 'tsx');
  progress(NAME, 'running bench/synth.ts (1, 10, 100 participants)');
  const child = spawn(tsx, [SCRIPT], { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
  const lines = readline.createInterface({ input: child.stdout });
  const exited = new Promise<number | null>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', resolve);
  });
  for await (const line of lines) {
    if (line.trim() !== '') forward(line, emit);
  }
  const code = await exited;
  if (code !== 0) throw new Error(`bench/synth.ts exited with code ${String(code)}`);
}

function forward(line: string, emit: Emit): void {
  let parsed: unknown;
  try {
    parsed = JSON.parse(line);
  } catch {
    process.stdout.write(`${line}\n`);
    return;
  }
  const record = parsed as Record<string, unknown>;
  if (typeof record.participants === 'number' && typeof record.synthMs === 'number' && typeof record.peakRssMb === 'number') {
    emit('synth_time', record.synthMs, 'ms', { participants: record.participants });
    emit('synth_peak_rss', record.peakRssMb, 'MB', { participants: record.participants });
    return;
  }
  process.stdout.write(`${line}\n`);
}
