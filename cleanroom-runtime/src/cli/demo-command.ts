/**
 * `cleanroom demo` (what `npm start` runs): the example clean room end to end on this machine, printing every
 * step, the control tables as each participant sees them and the job's output. The runtime and the engine are
 * loaded when it runs.
 */
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import type { Command } from 'commander';
import { examples } from './help';

/** This package's folder (src/cli or dist/cli → the package). */
const PACKAGE_DIR = path.resolve(__dirname, '../..');

/**
 * The example clean room: the copy an installed package carries (`examples/`, added when it is packed), else the
 * repository's examples/ next to this package.
 */
export const EXAMPLES_DIR = [path.join(PACKAGE_DIR, 'examples'), path.join(PACKAGE_DIR, '..', 'examples')].find((dir) => existsSync(path.join(dir, 'cleanroom.yaml'))) ?? path.join(PACKAGE_DIR, '..', 'examples');
export const DEFAULT_DEMO_ROOT = '.cleanroom';

interface DemoCommandOptions {
  config?: string;
  localRoot?: string;
}

export function registerDemoCommand(program: Command): void {
  examples(program.command('demo'), ['cleanroom demo', 'cleanroom demo --local-root /tmp/room'])
    .description('Run the example clean room locally: onboarding, data, code, approval, a job and its run, with every participant\'s view.')
    .option('--config <dir>', 'folder with cleanroom.yaml and participants/ (default: the example clean room shipped with cleanroom)')
    .option('--local-root <dir>', `where the local clean room lives (default: $CLEANROOM_LOCAL_ROOT, else ${DEFAULT_DEMO_ROOT} in the current folder)`)
    .action(async (options: DemoCommandOptions) => {
      const { DemoOutput } = require('../demo/demo-output') as typeof import('../demo/demo-output');
      const { runDemo } = require('../demo/run-demo') as typeof import('../demo/run-demo');
      const localRoot = options.localRoot ?? process.env.CLEANROOM_LOCAL_ROOT ?? DEFAULT_DEMO_ROOT;
      const out = DemoOutput.forStream(process.stdout, process.env);
      const started = Date.now();
      const report = await runDemo({ configDir: options.config ?? EXAMPLES_DIR, localRoot, out });
      const skipped = report.skipped.length ? `; ${report.skipped.length} step(s) already done by an earlier run` : '';
      out.line();
      out.note(`demo done in ${((Date.now() - started) / 1000).toFixed(1)}s: job ${report.jobName} succeeded, ${report.events.length} event(s) processed${skipped}`);
    });
}
