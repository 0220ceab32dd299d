/**
 * `cleanroom demo`: the example clean room end to end in a local root. Every participant request goes through
 * the real participant commands (run in-process, printed as the participant would type them) and every runtime
 * pass through `runPass`, so the demo exercises exactly what a deployment runs. Safe to run again: what is
 * already registered or approved is skipped with a note; each run submits a fresh job under a new name.
 */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { formatProblem, validateConfigDir, type CleanroomConfig, type ParticipantConfig } from '../config';
import { LocalEngine } from '../engines/local';
import { ENDED_RUN_STATES } from '../cli/participant/run-wait';
import { summarise } from '../cli/runtime-pass-actions';
import { sha256Hex } from '../processor';
import { onboardParticipant } from '../runtime/control-tables';
import { runPass, type PassReport } from '../runtime/run-pass';
import { LocalObjectStore } from '../storage/local-store';
import type { DemoOutput } from './demo-output';
import { inProcessCli, type CliResult } from './in-process-cli';
import { publishedRows } from './published';
import { generateSampleData } from './sample-data';
import { CODE_NAME, CODE_OWNER, DATASETS, DEMO_CODES, JOB_COMPUTE, JOB_PREFIX, LEAK_CODE_NAME, LEAK_JOB_PREFIX } from './scenario';
import { showViews } from './show-views';
import { writeSample } from './write-samples';

/** How long the demo waits for its job's run. */
const RUN_WAIT_MS = 5 * 60 * 1000;

export interface DemoOptions {
  /** Folder with cleanroom.yaml and participants/ (the demo expects the participants of examples/). */
  configDir: string;
  /** Local mode root: gs://<bucket>/... lives in <localRoot>/gs/<bucket>/... */
  localRoot: string;
  out: DemoOutput;
}

export interface DemoReport {
  jobName: string;
  /** The JOB event's uuid, which is also the job id. */
  jobId: string;
  outputLocation: string;
  /** The job of the approved query whose result the release gate refused. */
  refusedJobName: string;
  refusedJobId: string;
  refusedOutputLocation: string;
  /** Every event the runtime processed during this demo run. */
  events: PassReport['events'];
  /** Steps skipped because an earlier run already did them. */
  skipped: string[];
}

/** Thrown when a step does not go as the demo expects; the message says which and why. */
export class DemoError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DemoError';
  }
}

const APPROVED = 'CODE_REQUEST_APPROVED';

export async function runDemo(options: DemoOptions): Promise<DemoReport> {
  const { out } = options;
  const localRoot = path.resolve(options.localRoot);
  const configDir = path.resolve(options.configDir);
  // Paths as the user would type them: relative when below the current folder.
  const shown = (p: string): string => {
    const relative = path.relative(process.cwd(), p);
    return relative === '' ? '.' : relative.startsWith('..') || path.isAbsolute(relative) ? p : relative;
  };
  const store = new LocalObjectStore(localRoot);
  const report: DemoReport = { jobName: '', jobId: '', outputLocation: '', refusedJobName: '', refusedJobId: '', refusedOutputLocation: '', events: [], skipped: [] };

  out.heading('Validate the clean room configuration');
  out.command(`cleanroom config validate ${shown(configDir)}`);
  const config = await validConfig(configDir);
  const bucketOf = (name: string): string => participant(config, name).bucket;
  out.block(`clean room "${config.name}": keeper ${config.keeper}; collaborators ${config.participants.filter((p) => p.role !== 'keeper').map((p) => p.name).join(', ')}`);
  out.note(`local mode: gs://<bucket>/... is ${shown(path.join(localRoot, 'gs'))}/<bucket>/..., jobs run on the embedded DuckDB engine`);

  const engine = new LocalEngine({ localRoot, cleanroomLimits: config.limits });
  const tick = async (quietWhenIdle = false): Promise<PassReport> => {
    const pass = await runPass({ config, store, engine });
    if (quietWhenIdle && pass.events.length === 0) return pass;
    out.command('cleanroom runtime tick');
    out.block(summarise(pass).join('\n'));
    report.events.push(...pass.events);
    const refused = pass.events.find((e) => e.status !== 'SUCCESS');
    if (refused) throw new DemoError(`the clean room refused a ${refused.eventType ?? ''} event of ${refused.participant}: ${refused.message}`);
    return pass;
  };
  // `table show` takes no --as: it reads any table the caller's credentials can read.
  const cli = (as: string, args: string[]): Promise<CliResult> =>
    runCommand(out, inProcessCli(shellEnv(configDir, localRoot, as)), args[0] === 'table' ? args : [...args, '--as', as]);
  const skip = (what: string): void => {
    report.skipped.push(what);
    out.note(`skipped: ${what}`);
  };

  out.heading('Onboard every participant: bucket folders and empty control tables');
  for (const p of config.participants) {
    const { created } = await onboardParticipant(store, p.bucket);
    const what = created.length ? `created ${created.length} control tables (${created.join(', ')})` : 'already onboarded';
    out.line(`${`${p.name} (${p.role})`.padEnd(28)} gs://${p.bucket}  ${what}`);
  }

  out.heading('Each participant writes its sample data under its own input/');
  const sample = generateSampleData();
  for (const dataset of DATASETS) {
    const written = await writeSample(store, bucketOf(dataset.participant), dataset, dataset.rows(sample));
    const where = `gs://${bucketOf(dataset.participant)}/${written.prefix}`;
    out.line(`${`${dataset.participant}.${dataset.table}`.padEnd(24)} ${dataset.format.padEnd(7)} ${String(written.rows).padStart(4)} rows  ${where}${written.created ? '' : '  (already there)'}`);
  }

  // Requests written by an interrupted earlier run are processed first, so none is sent twice below.
  const catchUp = await tick(true);
  if (catchUp.events.length) out.note(`processed ${catchUp.events.length} request(s) left by an interrupted earlier run`);

  out.heading('Register the datasets (keeper and collaborators)');
  let dataEvents = 0;
  for (const dataset of DATASETS) {
    const name = `${dataset.participant}.${dataset.table}`;
    const bucket = bucketOf(dataset.participant);
    const registered = (await publishedRows(store, bucket, 'data')).some((r) => r.data_metastore_name === name);
    if (registered) {
      skip(`${name} is already registered (see \`cleanroom status data --as ${dataset.participant}\`)`);
      continue;
    }
    await cli(dataset.participant, ['data', 'register', name, '--location', `gs://${bucket}/input/${dataset.table}`, '--format', dataset.format, '--description', dataset.description]);
    dataEvents++;
  }
  if (dataEvents) await tick();

  const submitAndWait = async (codeName: string, prefix: string) => {
    const ownJobs = await publishedRows(store, bucketOf(CODE_OWNER), 'jobs');
    const jobName = `${prefix}_${ownJobs.filter((j) => String(j.job_name).startsWith(`${prefix}_`)).length + 1}`;
    const outputLocation = `gs://${bucketOf(CODE_OWNER)}/output/${jobName}`;
    const submitted = await cli(CODE_OWNER, ['job', 'submit', jobName, '--code', codeName, '--params', JSON.stringify({ output: outputLocation }), '--compute', JOB_COMPUTE]);
    const eventUuid = submitted.stdout.trim();
    await tick();
    const job = (await publishedRows(store, bucketOf(CODE_OWNER), 'jobs')).find((r) => r.event_uuid === eventUuid);
    const jobId = String(job?.job_id ?? eventUuid);
    // The run goes on in its own process; each pass polls it and publishes its state, as `runtime watch` does.
    out.note('the run goes on in its own process (time, memory and row limits); the runtime polls it at every pass and releases its result');
    const runOf = async () => (await publishedRows(store, bucketOf(CODE_OWNER), 'runs')).find((r) => r.job_id === jobId);
    let run = await runOf();
    for (const started = Date.now(); run !== undefined && !ENDED_RUN_STATES.includes(String(run.state)) && Date.now() - started < RUN_WAIT_MS; run = await runOf()) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      await tick(true);
    }
    out.command('cleanroom runtime tick');
    out.block(`run of ${jobName}: ${String(run?.state)} ${String(run?.result_state ?? '')}`.trimEnd());
    return { jobName, jobId, outputLocation, run };
  };

  for (const code of DEMO_CODES) {
    out.heading(`The ${CODE_OWNER} registers ${code.name} (SQL; --group-size-column ${code.groupSizeColumn} for the release gate)`);
    const hash = sha256Hex(code.sql);
    const codeFile = path.join(localRoot, 'workspace', CODE_OWNER, code.file);
    await fs.mkdir(path.dirname(codeFile), { recursive: true });
    await fs.writeFile(codeFile, code.sql);
    out.note(`${shown(codeFile)}:`);
    out.block(code.sql, '      ');
    const existingCode = (await publishedRows(store, bucketOf(CODE_OWNER), 'code')).find((r) => r.code_name === code.name);
    if (existingCode?.notebook_contents_hash === hash && existingCode.group_size_column === code.groupSizeColumn) {
      skip(`code "${code.name}" is already registered at sha256 ${hash}`);
    } else {
      const verb = existingCode ? 'update' : 'register';
      await cli(CODE_OWNER, ['code', verb, code.name, '--file', shown(codeFile), '--description', code.description, '--default-params', JSON.stringify(code.defaults), '--group-size-column', code.groupSizeColumn]);
      await tick();
    }

    out.heading(`The keeper (${config.keeper}) reviews ${code.name} — the datasets it reads and the release policy its runs get — and approves that exact version`);
    const approval = (await publishedRows(store, bucketOf(config.keeper), 'approval_status')).find((r) => r.code_name === code.name);
    const current = (await publishedRows(store, bucketOf(config.keeper), 'code')).find((r) => r.code_name === code.name);
    if (approval?.approval_status === APPROVED && approval.version_hash === current?.version_hash) {
      skip(`code "${code.name}" is already approved at version ${String(approval.version_hash)}`);
    } else {
      await cli(config.keeper, ['code', 'pending']);
      await cli(config.keeper, ['code', 'show', code.name]);
      // The keeper copies the version hash that `code pending` showed.
      const version = String(approval?.version_hash ?? '');
      await cli(config.keeper, ['code', 'approve', code.name, '--hash', version, '--reason', code.approvalReason]);
      await tick();
    }
  }

  out.heading(`The ${CODE_OWNER} submits a job; the engine writes to the clean room's staging, the release gate to its output/`);
  const released = await submitAndWait(CODE_NAME, JOB_PREFIX);
  report.jobName = released.jobName;
  report.jobId = released.jobId;
  report.outputLocation = released.outputLocation;
  if (released.run?.result_state !== 'SUCCESS') {
    throw new DemoError(`job ${released.jobName} did not succeed: ${released.run ? `${String(released.run.state)} ${String(released.run.result_state)}: ${String(released.run.error ?? '')}` : 'no run was published'}`);
  }
  out.note(`release gate: ${String(released.run.release_state)} — ${String(released.run.release_message ?? '')}`);

  out.heading(`The ${CODE_OWNER} runs the approved ${LEAK_CODE_NAME}, whose rows are people: the release gate refuses the result`);
  const refused = await submitAndWait(LEAK_CODE_NAME, LEAK_JOB_PREFIX);
  report.refusedJobName = refused.jobName;
  report.refusedJobId = refused.jobId;
  report.refusedOutputLocation = refused.outputLocation;
  if (refused.run?.release_state !== 'REFUSED') {
    throw new DemoError(`job ${refused.jobName} was expected to be refused by the release gate; its run is ${String(refused.run?.state)} ${String(refused.run?.result_state)} (release ${String(refused.run?.release_state)})`);
  }
  out.note(`release gate: REFUSED — ${String(refused.run.release_message ?? '')}; nothing was written to ${refused.outputLocation}`);

  out.heading('The control tables, as each participant sees them');
  await showViews(out, store, config, (as, args) => cli(as, args).then(() => undefined));

  out.heading(`The job's output, in the ${CODE_OWNER}'s bucket`);
  await cli(CODE_OWNER, ['table', 'show', report.outputLocation]);

  out.heading('Try it yourself');
  out.line(`export CLEANROOM_CONFIG_DIR=${shown(configDir)} CLEANROOM_LOCAL_ROOT=${shown(localRoot)}`);
  out.line('npx cleanroom status --as advertiser        # everything the advertiser sees');
  out.line('npx cleanroom code pending --as publisher   # what awaits the keeper');
  out.line('npx cleanroom runtime watch                 # the runtime, reacting to new events');
  out.line(`npx cleanroom demo (or npm start) again: registrations are kept, new jobs "${JOB_PREFIX}_<n+1>" and "${LEAK_JOB_PREFIX}_<n+1>" run`);
  return report;
}

/** Runs one participant command, printing it as typed and its output; a failed command stops the demo. */
async function runCommand(out: DemoOutput, cli: ReturnType<typeof inProcessCli>, args: string[]): Promise<CliResult> {
  out.command(`cleanroom ${args.map(shellQuote).join(' ')}`);
  const result = await cli.run(args);
  out.block(`${result.stderr}${result.stdout}`);
  if (result.error || result.exitCode !== 0) {
    throw new DemoError(`\`cleanroom ${args.join(' ')}\` failed: ${result.error?.message ?? `exit code ${result.exitCode}`}`);
  }
  return result;
}

function shellEnv(configDir: string, localRoot: string, as: string): Record<string, string> {
  return { CLEANROOM_CONFIG_DIR: configDir, CLEANROOM_LOCAL_ROOT: localRoot, CLEANROOM_USER: `analyst@${as}.example` };
}

function shellQuote(arg: string): string {
  return /^[\w@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`;
}

async function validConfig(configDir: string): Promise<CleanroomConfig> {
  const { config, problems } = await validateConfigDir(configDir);
  if (!config) throw new DemoError(`the configuration at ${configDir} is not valid:\n${problems.map((p) => formatProblem(p)).join('\n')}`);
  const needed = [...new Set([...DATASETS.map((d) => d.participant), CODE_OWNER])];
  const missing = needed.filter((name) => !config.participants.some((p) => p.name === name));
  if (missing.length || config.keeper !== 'publisher') {
    throw new DemoError(
      `the demo plays the example clean room (keeper publisher, collaborators advertiser and measurement); ${configDir} ` +
        `${missing.length ? `has no participant ${missing.join(', ')}` : `has keeper ${config.keeper}`}: run it with --config examples`,
    );
  }
  return config;
}

function participant(config: CleanroomConfig, name: string): ParticipantConfig {
  const found = config.participants.find((p) => p.name === name);
  if (!found) throw new DemoError(`participant ${name} is not in the configuration`);
  return found;
}
