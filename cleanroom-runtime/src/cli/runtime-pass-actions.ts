/** What `cleanroom runtime tick|watch` do (definitions in runtime-pass-commands.ts). */
import { describeDeployment, LiveDeployment, participantChanges } from '../deployment';
import type { RetryNotice } from '../engines/databricks';
import type { Redactor } from '../logging/redact';
import { runPass, type PassReport } from '../runtime/run-pass';
import { LocalChangeWaiter } from '../runtime/local-change-waiter';
import { watchPasses } from '../runtime/watch';
import { CliError } from './participant/errors';
import { DEFAULT_INTERVAL_MS, type PassCommandIo, type PassCommandOptions } from './runtime-pass-commands';
import { openPassDeployment, type PassDeployment } from './runtime-pass-deployment';

const MIN_INTERVAL_MS = 10;

export function summarise(report: PassReport): string[] {
  const lines = report.events.map((e) => `${e.participant} ${e.eventType ?? '?'} ${e.eventUuid}: ${e.status} ${e.message}`);
  if (report.submitted.length) lines.push(`submitted ${report.submitted.length} job(s): ${report.submitted.join(', ')}`);
  for (const f of report.submitFailures) lines.push(`submission of ${f.jobId} failed (retried next pass): ${f.error}`);
  if (report.published.length) lines.push(`published ${report.published.map((p) => `${p.participant}.${p.table}`).join(', ')}`);
  for (const error of report.errors) lines.push(`warning: ${error}`);
  lines.push(`state ${report.stateSeq}: ${report.events.length} event(s), ${report.runsPolled} run(s) polled, ${report.conflicts} conflict(s)`);
  return lines;
}

function printer(io: PassCommandIo, redactor: Redactor, json: boolean | undefined): (report: PassReport) => void {
  return (report) => {
    if (json) io.stdout.write(`${JSON.stringify(redactor.redactValue(report))}\n`);
    else io.stdout.write(`${redactor.redactText(summarise(report).join('\n'))}\n`);
  };
}

function retryNotice(io: PassCommandIo): (notice: RetryNotice) => void {
  return (n) => io.stderr.write(`databricks ${n.method} ${n.path} retried (attempt ${n.attempt}${n.status ? `, HTTP ${n.status}` : ''}, waiting ${n.waitMs} ms): ${n.reason}\n`);
}

async function open(options: PassCommandOptions, io: PassCommandIo): Promise<PassDeployment> {
  return openPassDeployment({ configDir: options.config, localRoot: options.localRoot, env: io.env, tuning: io.tuning, onDatabricksRetry: retryNotice(io) });
}

/** Errors reach the terminal through main.ts: strip any secret from them first, keeping their kind (exit code). */
async function redactingErrors(redactor: () => Redactor | undefined, work: () => Promise<void>): Promise<void> {
  try {
    await work();
  } catch (error) {
    const r = redactor();
    if (!r || !(error instanceof Error)) throw error;
    const redacted = r.redactText(error.message);
    if (redacted === error.message) throw error;
    throw error instanceof CliError ? new CliError(redacted, error.exitCode) : new Error(redacted);
  }
}

function parseInterval(text: string | undefined, kind: keyof typeof DEFAULT_INTERVAL_MS): number {
  if (text === undefined) return DEFAULT_INTERVAL_MS[kind];
  const ms = /^\d+$/.test(text.trim()) ? Number(text.trim()) : Number.NaN;
  if (!(ms >= MIN_INTERVAL_MS)) throw new CliError(`--interval-ms "${text.slice(0, 40)}" is not a pause in milliseconds (a whole number, at least ${MIN_INTERVAL_MS})`);
  return ms;
}

export async function tickAction(options: PassCommandOptions, io: PassCommandIo): Promise<void> {
  let deployment: PassDeployment | undefined;
  await redactingErrors(
    () => deployment?.redactor,
    async () => {
      deployment = await open(options, io);
      printer(io, deployment.redactor, options.json)(await runPass({ config: deployment.config, store: deployment.store, engine: deployment.engine }));
    },
  );
}

export async function watchAction(options: PassCommandOptions & { intervalMs?: string }, io: PassCommandIo): Promise<void> {
  let deployment: PassDeployment | undefined;
  await redactingErrors(
    () => deployment?.redactor,
    async () => {
      const opened = await open(options, io);
      deployment = opened;
      const intervalMs = parseInterval(options.intervalMs, opened.settings.kind);
      const print = printer(io, opened.redactor, options.json);
      io.stderr.write(`watching ${opened.config.name} every ${intervalMs} ms, ${describeDeployment(opened.config, opened.settings)}; Ctrl-C stops after the current pass\n`);
      let refusedBefore = '';
      const live = new LiveDeployment({ configDir: opened.configDir, initial: opened.config, settings: opened.settings, store: opened.store, engine: opened.engine, options: opened.options });
      // Locally a new events commit ends the pause at once (the folders are watched); deployed, GCS
      // notifications reach `runtime serve` instead, and watch polls.
      const waiter = opened.settings.kind === 'local' ? new LocalChangeWaiter(opened.settings.localRoot) : undefined;
      const pause = waiter
        ? async (ms: number, signal: AbortSignal) => {
            await waiter.watchBuckets(live.config.participants.map((p) => p.bucket));
            return waiter.wait(ms, signal);
          }
        : undefined;
      await watchPasses({
        ...(pause ? { pause } : {}),
        config: opened.config,
        store: opened.store,
        engine: opened.engine,
        // A config change (e.g. a new participant) applies from the next pass; one that does not validate is
        // reported and the last valid config stays in use.
        beforePass: async () => {
          const reload = await live.refresh();
          if (reload.kind === 'changed') {
            const { added, removed } = participantChanges(reload.previous, reload.config);
            io.stderr.write(`config reloaded: ${reload.config.participants.length} participants${added.length ? `, added ${added.join(', ')}` : ''}${removed.length ? `, removed ${removed.join(', ')}` : ''}\n`);
          }
          const refused = reload.kind === 'refused' ? reload.problems.join('\n  - ') : '';
          // Said once per distinct problem, not at every pass of a broken folder.
          if (reload.kind === 'refused' && refused !== refusedBefore) {
            io.stderr.write(`config change refused, the last valid config stays in use:\n  - ${refused}\n`);
          }
          refusedBefore = refused;
          return { config: live.config, engine: live.engine };
        },
        intervalMs,
        signal: io.stopSignal(),
        onReport: (report) => {
          if (report.events.length || report.submitted.length || report.runsPolled || report.errors.length || options.json) print(report);
        },
        onError: (error) => io.stderr.write(`pass failed (retrying): ${opened.redactor.redactText(error.message)}\n`),
      }).finally(() => waiter?.close());
    },
  );
}
