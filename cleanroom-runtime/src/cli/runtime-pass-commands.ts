/**
 * `cleanroom runtime tick` (one pass, e.g. from a terminal or a Cloud Run Job) and `cleanroom runtime watch`
 * (passes continuously), locally (folders + DuckDB) or on the deployed clean room (Cloud Storage + Databricks,
 * the same settings as `runtime serve`): see runtime-pass-deployment.ts for how the mode is chosen. The runtime
 * itself is loaded when a pass runs (runtime-pass-actions.ts).
 */
import type { Command } from 'commander';
import type { DeploymentTuning } from '../deployment/build';
import type { DeploymentEnv } from '../deployment/settings';
import { examples } from './help';

type Actions = typeof import('./runtime-pass-actions');
const actions = (): Actions => require('./runtime-pass-actions') as Actions;

export interface PassCommandOptions {
  config?: string;
  localRoot?: string;
  json?: boolean;
}

/** What the pass commands touch outside their arguments; injected so tests run them in-process. */
export interface PassCommandIo {
  env: DeploymentEnv;
  stdout: { write(text: string): unknown };
  stderr: { write(text: string): unknown };
  /** Aborted to stop `watch` after the pass in progress (default: on SIGINT or SIGTERM). */
  stopSignal(): AbortSignal;
  /** Client tuning (fast retries in tests); production uses the defaults. */
  tuning?: DeploymentTuning;
}

export function processPassIo(): PassCommandIo {
  return {
    env: process.env,
    stdout: process.stdout,
    stderr: process.stderr,
    stopSignal: () => {
      const controller = new AbortController();
      process.once('SIGINT', () => controller.abort());
      process.once('SIGTERM', () => controller.abort());
      return controller.signal;
    },
  };
}

/**
 * Pause between watch passes unless --interval-ms says otherwise. Locally an idle pass is a few folder reads.
 * Deployed, each one is a Cloud Storage list per participant plus a state read (billed operations, and every
 * watcher adds load on the buckets) and a Databricks poll per running run (rate-limited per workspace): 5 s keeps
 * an idle clean room at ~17k passes a day, and events still apply within seconds, like the service's Pub/Sub pushes.
 */
export const DEFAULT_INTERVAL_MS = { local: 100, databricks: 5000 } as const;

export function registerPassCommands(runtime: Command, io: PassCommandIo = processPassIo()): void {
  const common = (command: Command) =>
    command
      .option('--config <dir>', 'folder with cleanroom.yaml and participants/ (default: $CLEANROOM_CONFIG_DIR, else .)')
      .option('--local-root <dir>', 'local rehearsal: gs://<bucket>/... is <dir>/gs/<bucket>/..., jobs on DuckDB (default: $CLEANROOM_LOCAL_ROOT)')
      .option('--json', 'print each pass report as one JSON line')
      .addHelpText(
        'after',
        '\nWithout --local-root or CLEANROOM_LOCAL_ROOT (or with CLEANROOM_ENGINE=databricks) the pass runs on the deployed\n' +
          'clean room, with the settings of `runtime serve`: Cloud Storage (your Google credentials; CLEANROOM_GCS_API_ENDPOINT,\n' +
          'GOOGLE_CLOUD_PROJECT optional) and Databricks (DATABRICKS_TOKEN or DATABRICKS_TOKEN_FILE, CLEANROOM_DATABRICKS_WAREHOUSE_ID,\n' +
          'CLEANROOM_DATABRICKS_POLICY_IDS required; DATABRICKS_HOST and CLEANROOM_DATABRICKS_CATALOG default to cleanroom.yaml).\n' +
          'CLEANROOM_ENGINE=local with CLEANROOM_LOCAL_ROOT selects the local rehearsal. The token is never printed.',
      );

  examples(common(runtime.command('tick').description('Run one pass: read new events, decide, commit state, run jobs, publish views (local or deployed).')), [
    'cleanroom runtime tick --config examples --local-root .cleanroom',
    'cleanroom runtime tick --json',
  ]).action(async (options: PassCommandOptions) => actions().tickAction(options, io));

  examples(
    common(runtime.command('watch').description('Run passes continuously, local or deployed (Ctrl-C to stop after the current pass).')).option(
      '--interval-ms <ms>',
      `pause between passes (default: ${DEFAULT_INTERVAL_MS.local} locally, ${DEFAULT_INTERVAL_MS.databricks} deployed)`,
    ),
    ['cleanroom runtime watch --config examples --local-root .cleanroom'],
  ).action(async (options: PassCommandOptions & { intervalMs?: string }) => actions().watchAction(options, io));
}
