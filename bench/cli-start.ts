/**
 * How fast the `cleanroom` binary starts, as ratios to a bare `node -e 0` on the same machine (so the figures
 * compare across machines): `cli_help_time` is `cleanroom --help` (the program and every command's definition, no
 * runtime module), `cli_local_status_time` is `cleanroom status runs` against a local root (config, Delta reader,
 * the participant's published table). Each is the median of several runs, alternated with bare node so a noisy
 * machine slows both alike. Needs the compiled CLI (`npm run build`).
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import { CONTROL_TABLES, controlTableKey } from '../cleanroom-runtime/src/control/tables';
import { DeltaTable } from '../cleanroom-runtime/src/delta';
import { LocalObjectStore } from '../cleanroom-runtime/src/storage/local-store';
import { progress, type Emit } from './figures';
import { percentile, withTempDir } from './timing';

const REPO = path.resolve(__dirname, '..');
const BIN = path.join(REPO, 'cleanroom-runtime', 'bin', 'cleanroom.js');
const RUNS = 9;

function wallMs(args: readonly string[], env: NodeJS.ProcessEnv): number {
  const started = performance.now();
  const result = spawnSync(process.execPath, args, { env, stdio: ['ignore', 'ignore', 'pipe'] });
  const ms = performance.now() - started;
  if (result.status !== 0) throw new Error(`node ${args.join(' ')} exited ${result.status}: ${result.stderr.toString().slice(0, 500)}`);
  return ms;
}

/** Median of `command` and of bare node, run alternately. */
function medians(args: readonly string[], env: NodeJS.ProcessEnv): { command: number; node: number } {
  const command: number[] = [];
  const node: number[] = [];
  wallMs(args, env); // warm the file cache once
  for (let i = 0; i < RUNS; i++) {
    node.push(wallMs(['-e', '0'], env));
    command.push(wallMs(args, env));
  }
  return { command: percentile(command, 50), node: percentile(node, 50) };
}

export async function runCliStart(emit: Emit): Promise<void> {
  if (!existsSync(path.join(REPO, 'cleanroom-runtime', 'dist', 'cli', 'main.js'))) throw new Error('the compiled CLI is missing: run `npm run build` first');
  const env = { PATH: process.env.PATH, HOME: process.env.HOME, NO_COLOR: '1' };

  const help = medians([BIN, '--help'], env);
  emit('cli_help_time', help.command / help.node, 'ratio', { cli_ms: Math.round(help.command), node_ms: Math.round(help.node), runs: RUNS, goal: 'within 5x of bare node' });
  progress('cli', `--help ${help.command.toFixed(0)} ms, node -e 0 ${help.node.toFixed(0)} ms`);

  await withTempDir('cli', async (root) => {
    // A published control.runs with a few rows, as the runtime would leave it.
    const table = await DeltaTable.create(new LocalObjectStore(root), 'advertiser-cleanroom-data', controlTableKey('runs'), CONTROL_TABLES.runs);
    await table.append(
      Array.from({ length: 20 }, (_, i) => ({ run_id: `run-${i}`, job_id: `job-${i}`, job_name: `job_${i}`, participant: 'advertiser', state: 'TERMINATED', result_state: 'SUCCESS' })),
    );
    const status = medians([BIN, 'status', 'runs', '--as', 'advertiser', '--config', path.join(REPO, 'examples'), '--local-root', root], env);
    emit('cli_local_status_time', status.command / status.node, 'ratio', { cli_ms: Math.round(status.command), node_ms: Math.round(status.node), runs: RUNS });
    progress('cli', `status runs ${status.command.toFixed(0)} ms, node -e 0 ${status.node.toFixed(0)} ms`);
  });
}
