/**
 * `npm run bench [-- name ...]`: runs all benchmarks (or the named ones) and prints one JSON figure per line on
 * stdout (see figures.ts); progress on stderr. No thresholds: the figures are for comparing runs.
 *
 *   npm run bench                  everything
 *   npm run bench -- delta engine  only these
 *   npm run bench -- history       the history benchmark (minutes; never part of the default set)
 *   npm run bench -- cli           the CLI's start-up (needs `npm run build`)
 */
import { runCliStart } from './cli-start';
import { runDelta } from './delta';
import { runHistory } from './history';
import { emitterFor, progress, type Emit } from './figures';
import { runLocalEngine } from './local-engine';
import { runPassBenchmarks } from './pass';
import { runSynth } from './synth';

interface Benchmark {
  name: string;
  aliases: string[];
  describe: string;
  run: (emit: Emit) => Promise<void>;
  /** Left out of `npm run bench` without names. */
  onlyWhenNamed?: boolean;
}

const BENCHMARKS: Benchmark[] = [
  { name: 'cli', aliases: ['cli-start'], describe: 'cleanroom --help and a local status, as ratios to bare node', run: runCliStart },
  { name: 'delta', aliases: [], describe: 'Delta table of 1,000 commits: reads and commit rates', run: runDelta },
  { name: 'engine', aliases: ['local-engine'], describe: 'local engine: join + group-by over 1,000,000 rows', run: runLocalEngine },
  { name: 'pass', aliases: ['runtime'], describe: 'runtime pass: throughput, idle cost, watch latency', run: runPassBenchmarks },
  { name: 'synth', aliases: [], describe: 'cdktf synth time and memory for 1/10/100 participants (bench/synth.ts)', run: () => runSynth() },
  // Minutes long (it writes 100,000 events of history): only when named.
  { name: 'history', aliases: [], describe: 'one-event pass cost at 1k/10k/100k events of history (bench/history.ts)', run: () => runHistory(), onlyWhenNamed: true },
];

function select(args: readonly string[]): Benchmark[] {
  if (args.length === 0) return BENCHMARKS.filter((b) => !b.onlyWhenNamed);
  return args.map((arg) => {
    const found = BENCHMARKS.find((b) => b.name === arg || b.aliases.includes(arg));
    if (!found) {
      const known = BENCHMARKS.map((b) => `${b.name} (${b.describe})`).join('; ');
      throw new Error(`unknown benchmark "${arg}": choose from ${known}`);
    }
    return found;
  });
}

async function main(args: readonly string[]): Promise<number> {
  const chosen = select(args);
  let failures = 0;
  for (const benchmark of chosen) {
    const started = performance.now();
    try {
      await benchmark.run(emitterFor(benchmark.name));
      progress(benchmark.name, `done in ${((performance.now() - started) / 1000).toFixed(1)} s`);
    } catch (error) {
      failures += 1;
      progress(benchmark.name, `FAILED: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    }
  }
  return failures === 0 ? 0 : 1;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 2;
  },
);
