/**
 * `cleanroom demo` (what `npm start` runs): the example clean room end to end on this machine, printing every
 * step, the control tables as each participant sees them and the job's output.
 */
import * as path from 'node:path';
import type { Command } from 'commander';
import { DemoOutput } from '../demo/demo-output';
import { runDemo } from '../demo/run-demo';

/** The repository's examples/ (cleanroom-runtime/src/cli → repository root). */
export const EXAMPLES_DIR = path.resolve(__dirname, '../../../examples');
export const DEFAULT_DEMO_ROOT = '.cleanroom';

interface DemoCommandOptions {
  config?: string;
  localRoot?: string;
}

export function registerDemoCommand(program: Command): void {
  program
    .command('demo')
    .description('Run the example clean room locally: onboarding, data, code, approval, a job and its run, with every participant\'s view.')
    .option('--config <dir>', 'folder with cleanroom.yaml and participants/ (default: the examples/ folder of the cleanroom repository)')
    .option('--local-root <dir>', `where the local clean room lives (default: $CLEANROOM_LOCAL_ROOT, else ${DEFAULT_DEMO_ROOT} in the current folder)`)
    .action(async (options: DemoCommandOptions) => {
      const localRoot = options.localRoot ?? process.env.CLEANROOM_LOCAL_ROOT ?? DEFAULT_DEMO_ROOT;
      const out = DemoOutput.forStream(process.stdout, process.env);
      const started = Date.now();
      const report = await runDemo({ configDir: options.config ?? EXAMPLES_DIR, localRoot, out });
      const skipped = report.skipped.length ? `; ${report.skipped.length} step(s) already done by an earlier run` : '';
      out.line();
      out.note(`demo done in ${((Date.now() - started) / 1000).toFixed(1)}s: job ${report.jobName} succeeded, ${report.events.length} event(s) processed${skipped}`);
    });
}
