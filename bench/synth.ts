/**
 * Synth benchmark (`npm run bench:synth`, or `synth` in `npm run bench`): time and peak memory of synthesizing the
 * whole app for 1, 10 and 100 participants. Each size runs in its own child process so its peak RSS is its own;
 * the child prints its figures (`synth_time` ms, `synth_peak_rss` MB, with `participants`) in the format of
 * every benchmark (figures.ts) straight to the shared stdout. Not a test: nothing is asserted.
 *
 *   npx tsx bench/synth.ts            all sizes
 *   npx tsx bench/synth.ts 1 10       chosen sizes
 */
import { spawn } from 'node:child_process';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { App } from 'cdktf';
import { buildAppFromConfigDir } from '../stacks/from-config';
import { emitterFor, progress } from './figures';

const NAME = 'synth';
const DEFAULT_SIZES = [1, 10, 100];
const CHILD_FLAG = '--child';

/** Writes a valid config folder with `count` participants (the first is the keeper). */
export async function writeBenchConfig(dir: string, count: number): Promise<void> {
  const name = (i: number): string => `p${String(i).padStart(3, '0')}`;
  await fs.mkdir(path.join(dir, 'participants'), { recursive: true });
  await fs.writeFile(
    path.join(dir, 'cleanroom.yaml'),
    [
      'name: bench-room',
      'gcp: { project: bench-cleanroom, region: europe-west1 }',
      'databricks: { host: "https://1000000000000000.1.gcp.databricks.com" }',
      'service_account: cleanroom-runtime@bench-cleanroom.iam.gserviceaccount.com',
      'state_bucket: bench-cleanroom-state',
      `keeper: ${name(0)}`,
      'runtime: { schedule: "*/5 * * * *" }',
      '',
    ].join('\n'),
  );
  for (let i = 0; i < count; i += 1) {
    await fs.writeFile(
      path.join(dir, 'participants', `${name(i)}.yaml`),
      [
        `name: ${name(i)}`,
        `role: ${i === 0 ? 'keeper' : 'collaborator'}`,
        `bucket: bench-${name(i)}-data`,
        `databricks: { host: "https://${String(2000000000000000 + i)}.1.gcp.databricks.com" }`,
        `gcp: { project: bench-project-${String(i).padStart(3, '0')} }`,
        '',
      ].join('\n'),
    );
  }
}

/** In the child: load, build and synthesize to a temporary outdir; emit its timing and peak RSS. */
async function child(configDir: string, outdir: string, participants: number): Promise<void> {
  const started = performance.now();
  const app = new App({ outdir });
  await buildAppFromConfigDir(app, configDir);
  app.synth();
  const emit = emitterFor(NAME);
  emit('synth_time', performance.now() - started, 'ms', { participants });
  emit('synth_peak_rss', process.resourceUsage().maxRSS / 1024, 'MB', { participants });
}

/** One child process per size, in turn; their figures go to this process's stdout as they are printed. */
export async function runSynth(sizes: readonly number[] = DEFAULT_SIZES): Promise<void> {
  const tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'cleanroom-bench-synth-'));
  const tsx = path.resolve(__dirname, '..', 'node_modules', '.bin', 'tsx');
  try {
    for (const size of sizes) {
      progress(NAME, `synthesizing the app for ${size} participant(s)`);
      const configDir = path.join(tmp, `config-${size}`);
      await writeBenchConfig(configDir, size);
      const args = [__filename, CHILD_FLAG, configDir, path.join(tmp, `out-${size}`), String(size)];
      const child = spawn(tsx, args, { cwd: path.resolve(__dirname, '..'), stdio: ['ignore', 'inherit', 'inherit'] });
      const code = await new Promise<number | null>((resolve, reject) => {
        child.on('error', reject);
        child.on('close', resolve);
      });
      if (code !== 0) throw new Error(`synth of ${size} participant(s) exited with code ${String(code)}`);
    }
  } finally {
    await fs.rm(tmp, { recursive: true, force: true });
  }
}

async function main(argv: string[]): Promise<void> {
  if (argv[0] === CHILD_FLAG) {
    await child(argv[1], argv[2], Number(argv[3]));
    return;
  }
  const sizes = argv.length > 0 ? argv.map(Number) : DEFAULT_SIZES;
  if (sizes.some((n) => !Number.isInteger(n) || n < 1)) throw new Error(`participant counts must be whole numbers ≥ 1 (got ${argv.join(' ')})`);
  await runSynth(sizes);
}

if (require.main === module) {
  main(process.argv.slice(2)).catch((error: unknown) => {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  });
}
