/**
 * `cleanroom runtime tick` (one pass) and `cleanroom runtime watch` (passes continuously), in local mode:
 * buckets are folders under --local-root and jobs run on the embedded DuckDB engine.
 */
import * as path from 'node:path';
import type { Command } from 'commander';
import { loadConfig } from '../config';
import { LocalEngine } from '../engines/local';
import { runPass, type PassOptions, type PassReport } from '../runtime/run-pass';
import { watchPasses } from '../runtime/watch';
import { LocalObjectStore } from '../storage/local-store';

interface PassCommandOptions {
  config?: string;
  localRoot?: string;
  json?: boolean;
}

async function passOptions(options: PassCommandOptions): Promise<PassOptions> {
  const localRoot = options.localRoot ?? process.env.CLEANROOM_LOCAL_ROOT;
  if (!localRoot) {
    throw new Error('give --local-root <folder> (or CLEANROOM_LOCAL_ROOT): tick and watch run the clean room locally, gs:// mapped to folders');
  }
  const config = await loadConfig(options.config ?? process.env.CLEANROOM_CONFIG_DIR ?? '.');
  const root = path.resolve(localRoot);
  return { config, store: new LocalObjectStore(root), engine: new LocalEngine({ localRoot: root }) };
}

export function summarise(report: PassReport): string[] {
  const lines = report.events.map((e) => `${e.participant} ${e.eventType ?? '?'} ${e.eventUuid}: ${e.status} ${e.message}`);
  if (report.submitted.length) lines.push(`submitted ${report.submitted.length} job(s): ${report.submitted.join(', ')}`);
  for (const f of report.submitFailures) lines.push(`submission of ${f.jobId} failed (retried next pass): ${f.error}`);
  if (report.published.length) lines.push(`published ${report.published.map((p) => `${p.participant}.${p.table}`).join(', ')}`);
  for (const error of report.errors) lines.push(`warning: ${error}`);
  lines.push(`state ${report.stateSeq}: ${report.events.length} event(s), ${report.runsPolled} run(s) polled, ${report.conflicts} conflict(s)`);
  return lines;
}

function print(report: PassReport, json: boolean | undefined): void {
  if (json) process.stdout.write(`${JSON.stringify(report)}\n`);
  else process.stdout.write(`${summarise(report).join('\n')}\n`);
}

export function registerPassCommands(runtime: Command): void {
  const common = (command: Command) =>
    command
      .option('--config <dir>', 'folder with cleanroom.yaml and participants/ (default: $CLEANROOM_CONFIG_DIR or .)')
      .option('--local-root <dir>', 'local mode root: gs://<bucket>/... is <dir>/gs/<bucket>/... (default: $CLEANROOM_LOCAL_ROOT)')
      .option('--json', 'print each pass report as one JSON line');

  common(runtime.command('tick').description('Run one pass: read new events, decide, commit state, run jobs, publish views.')).action(
    async (options: PassCommandOptions) => {
      print(await runPass(await passOptions(options)), options.json);
    },
  );

  common(runtime.command('watch').description('Run passes continuously (Ctrl-C to stop after the current pass).'))
    .option('--interval-ms <ms>', 'pause between passes', '100')
    .action(async (options: PassCommandOptions & { intervalMs: string }) => {
      const base = await passOptions(options);
      const controller = new AbortController();
      process.once('SIGINT', () => controller.abort());
      process.once('SIGTERM', () => controller.abort());
      await watchPasses({
        ...base,
        intervalMs: Math.max(10, Number.parseInt(options.intervalMs, 10) || 100),
        signal: controller.signal,
        onReport: (report) => {
          if (report.events.length || report.submitted.length || report.runsPolled || report.errors.length || options.json) print(report, options.json);
        },
        onError: (error) => process.stderr.write(`pass failed (retrying): ${error.message}\n`),
      });
    });
}
