/**
 * Participant commands: `cleanroom data|code|job|status ...`. Each request appends one api_version "2" event to
 * the participant's own `control/events` Delta table and prints its uuid; `--wait` follows it to its
 * `event_status` row. Reading commands show the control tables the runtime published for the participant.
 */
import type { Command } from 'commander';
import { buildApprovalEvent, buildCodeEvent, buildDataEvent, buildJobDeleteEvent, buildJobEvent, type BuiltEvent, type EventOrigin } from '../events/build-event';
import { checkOutputLocation } from '../processor';
import { appendEvent, readPublished, tryReadPublished } from './participant/control-tables';
import { pendingCode, PENDING_COLUMNS, PENDING_SCHEMA, storedCode } from './participant/code-review';
import { CliError } from './participant/errors';
import { approvalRequest, codeRequest, dataRequest, jobDeleteName, jobRequest, type CodeOptions, type DataOptions, type JobOptions, type ReviewOptions, type Verb } from './participant/inputs';
import { processIo, type CliIo } from './participant/io';
import { jsonLines, textTable } from './participant/render';
import { openSession, type ParticipantSession, type SessionOptions } from './participant/session';
import { sortRows, statusView, STATUS_VIEW_NAMES, type StatusViewName } from './participant/status-views';
import { timeoutSeconds, waitForStatus } from './participant/wait';

interface WaitOptions {
  wait?: boolean;
  timeout?: string;
}

const VERBS: readonly Verb[] = ['register', 'update', 'delete'];

const DATA_HELP: Record<Verb, string> = {
  register: 'Register a dataset <participant>.<table> (your own participant name as database).',
  update: 'Update your dataset <participant>.<table>: its location and format (read again); its description is kept unless given.',
  delete: 'Delete your dataset <participant>.<table> from the clean room (the files in your bucket stay).',
};

const CODE_HELP: Record<Verb, string> = {
  register: 'Register code (a notebook or SQL file); names are unique across the clean room.',
  update: "Update your code with a new --file (new content awaits the keeper's approval again); its description and default parameters are kept unless given.",
  delete: 'Delete your code: jobs can no longer use it.',
};

export function registerParticipantCommands(program: Command, io: CliIo = processIo()): void {
  registerDataCommands(program, io);
  registerCodeCommands(program, io);
  registerJobCommands(program, io);
  registerStatusCommand(program, io);
}

function withSession(command: Command): Command {
  return command
    .option('--as <participant>', 'act as this participant (default: $CLEANROOM_PARTICIPANT)')
    .option('--config <dir>', 'folder holding cleanroom.yaml and participants/ (default: $CLEANROOM_CONFIG_DIR, else .)')
    .option('--local-root <dir>', 'local mode: gs://bucket/... lives in <dir>/gs/bucket/... (default: $CLEANROOM_LOCAL_ROOT, else Google Cloud Storage)');
}

function withWait(command: Command): Command {
  return command
    .option('--wait', "wait until the clean room has processed the event and print its status (exit 1 if it was refused)")
    .option('--timeout <seconds>', 'with --wait: give up after this many seconds (default 300)');
}

function origin(io: CliIo): EventOrigin {
  const user = io.env.CLEANROOM_USER?.trim() || io.osUser();
  return { uuid: io.newUuid(), nowMs: io.nowMs(), user, hostname: io.hostname() };
}

/** A request command (session and --wait options): its action builds one event from the argument and submits it. */
function requestCommand<O>(
  command: Command,
  io: CliIo,
  build: (argument: string, options: O & SessionOptions, session: ParticipantSession) => BuiltEvent | Promise<BuiltEvent>,
): void {
  withWait(withSession(command)).action(async (argument: string, options: O & SessionOptions & WaitOptions) => {
    const session = await openSession(options, io);
    await submit(session, await build(argument, options, session), options, io);
  });
}

/** Appends the event, prints its uuid, and with --wait its status. */
async function submit(session: ParticipantSession, event: BuiltEvent, options: WaitOptions, io: CliIo): Promise<void> {
  const timeout = options.wait ? timeoutSeconds(options.timeout) : 0;
  const version = await appendEvent(session, event.row);
  io.stdout.write(`${event.uuid}\n`);
  io.stderr.write(`${event.eventType} event written to gs://${session.bucket}/control/events (version ${version})\n`);
  if (!options.wait) return;
  const status = await waitForStatus(session, event.uuid, timeout, io);
  io.stdout.write(`${status.status}: ${status.message}\n`);
  if (status.status !== 'SUCCESS') io.setExitCode(1);
}

function registerDataCommands(program: Command, io: CliIo): void {
  const data = program.command('data').description('Register, update or delete your datasets in the clean room.');
  for (const verb of VERBS) {
    const command = data.command(verb).description(DATA_HELP[verb]).argument('<participant.table>', 'dataset name, e.g. advertiser.conversions');
    if (verb !== 'delete') {
      command
        .option('--location <uri>', 'where the dataset is stored, inside your bucket: gs://<your bucket>/input/<table>')
        .option('--format <format>', 'delta (preferred), parquet, json, avro or csv')
        .option('--description <text>', verb === 'update' ? 'what the dataset holds (default: keep the current one; "" clears it)' : 'what the dataset holds');
    }
    requestCommand<DataOptions>(command, io, (name, options, session) => buildDataEvent(dataRequest(verb, name, options, session), origin(io)));
  }
}

function registerCodeCommands(program: Command, io: CliIo): void {
  const code = program.command('code').description('Register code, review it (keeper) and read what the clean room stored.');
  for (const verb of VERBS) {
    const command = code.command(verb).description(CODE_HELP[verb]).argument('<name>', 'code name');
    if (verb !== 'delete') {
      const keep = verb === 'update' ? ' (default: keep the current ones; {} clears them)' : '';
      command
        .option('--file <path>', 'the source file (.sql, .py, .scala, .r or a Databricks source export)')
        .option('--default-params <json>', `default job parameters as a JSON object, e.g. {"country": "FR"}${keep}`)
        .option('--description <text>', verb === 'update' ? 'what the code does (default: keep the current one; "" clears it)' : 'what the code does')
        .option('--reads <datasets>', 'the datasets the code reads, e.g. publisher.users,measurement.panel (notebooks, under the data_owners approval policy; SQL: read from the code)');
    }
    requestCommand<CodeOptions>(command, io, async (name, options) => {
      const request = await codeRequest(verb, name, options);
      if (request.notebookContentsHash) io.stderr.write(`${request.notebookLanguage} code, sha256 ${request.notebookContentsHash}\n`);
      return buildCodeEvent(request, origin(io));
    });
  }

  withSession(code.command('pending').description('Code awaiting your review under the approval policy (the keeper\'s by default): name, version hash, submitter, description.'))
    .option('--json', 'one JSON object per line')
    .action(async (options: SessionOptions & { json?: boolean }) => {
      const session = await openSession(options, io);
      const rows = await pendingCode(session, session.participant.name);
      if (options.json) io.stdout.write(jsonLines(rows, PENDING_SCHEMA));
      else if (rows.length === 0) io.stdout.write('no code awaits review\n');
      else io.stdout.write(textTable(rows, PENDING_SCHEMA, PENDING_COLUMNS));
    });

  withSession(code.command('show').description('Print the code the clean room stored (verified against its sha256).'))
    .argument('<name>', 'code name')
    .option('--hash <sha256>', 'a specific stored version (default: the current one)')
    .action(async (name: string, options: SessionOptions & { hash?: string }) => {
      const session = await openSession(options, io);
      const stored = await storedCode(session, name, options.hash);
      io.stderr.write(
        `code "${stored.codeName}" by ${stored.owner}, ${stored.language}, sha256 ${stored.hash}, default parameters ${stored.defaultParameters}\n` +
          `version hash (approve with --hash): ${stored.versionHash}\n` +
          `seed notebooks' hash (sha256 of the base64 export, shown by approve_code): ${stored.seedHash}\n`,
      );
      io.stdout.write(stored.source.endsWith('\n') ? stored.source : `${stored.source}\n`);
    });

  const DECISION_HELP = {
    approve: 'Approve code (the keeper, or an approver under the approval policy), pinned to the version you reviewed.',
    reject: 'Reject code (the keeper, or an approver under the approval policy), pinned to the version you reviewed.',
    revoke: 'Withdraw your approval of a code version (it goes back to awaiting you; its scheduled jobs stop).',
  };
  for (const decision of ['approve', 'reject', 'revoke'] as const) {
    const command = code
      .command(decision)
      .description(DECISION_HELP[decision])
      .argument('<name>', 'code name')
      .option('--hash <sha256>', 'the version hash you reviewed (from `cleanroom code pending` or `code show`): it covers the content, language and default parameters')
      .option('--reason <text>', decision === 'reject' ? 'what must change (required)' : decision === 'revoke' ? 'why you withdraw it' : 'why it is approved');
    requestCommand<ReviewOptions>(command, io, async (name, options, session) => {
      const request = approvalRequest(decision, name, options, session);
      // The code id pins the decision to this registration (a deleted and re-registered name is another code).
      const approvals = (await tryReadPublished(session, 'approval_status')) ?? [];
      const row = approvals.find((r) => r.code_name === request.codeName);
      if (row && row.notebook_contents_hash === request.versionHash && row.version_hash !== request.versionHash) {
        throw new CliError(`${request.versionHash} is the content sha256 of "${request.codeName}"; ${decision} its version hash ${String(row.version_hash)} (shown by \`cleanroom code pending\`), which also covers its language and default parameters`);
      }
      if (typeof row?.code_id === 'string') request.codeId = row.code_id;
      if (row?.version_hash === request.versionHash && typeof row.notebook_contents_hash === 'string') request.notebookContentsHash = row.notebook_contents_hash;
      return buildApprovalEvent(request, origin(io));
    });
  }
}

function registerJobCommands(program: Command, io: CliIo): void {
  const job = program.command('job').description('Run approved code in the clean room.');
  const submitCommand = job
    .command('submit')
    .description('Submit a job: runs approved code once now, or on a --schedule, with the given parameters.')
    .argument('<job name>', 'a name for the job')
    .option('--code <name>', 'approved code to run')
    .option('--params <json>', 'parameters as a JSON object, merged over the code\'s defaults; "output" is required here or in those defaults', '{}')
    .option('--compute <size>', 'compute size offered by the clean room, e.g. Small')
    .option('--schedule <cron>', 'run on a 5-field cron schedule in UTC, e.g. "0 6 * * 1" (Mondays 06:00); each run overwrites the output (default: one run now)');
  requestCommand<JobOptions>(submitCommand, io, async (jobName, options, session) => {
    const request = jobRequest(jobName, options, session);
    await checkOutputKnown(session, request.codeName, request.parameters);
    return buildJobEvent(request, origin(io));
  });
  const deleteCommand = job
    .command('delete')
    .description('Delete your scheduled job: no further runs (a run already started finishes).')
    .argument('<job name>', 'the name of your scheduled job');
  requestCommand<object>(deleteCommand, io, (jobName) => buildJobDeleteEvent(jobDeleteName(jobName), origin(io)));
}

/** `output` must come from --params or the code's published defaults, and stay in the submitter's output/. */
async function checkOutputKnown(session: ParticipantSession, codeName: string, parameters: string): Promise<void> {
  if ((JSON.parse(parameters) as Record<string, unknown>).output !== undefined) return;
  const code = (await tryReadPublished(session, 'code'))?.find((row) => row.code_name === codeName);
  if (!code) return; // Not visible or not published yet: the runtime decides.
  const defaults = JSON.parse(typeof code.default_parameters === 'string' ? code.default_parameters : '{}') as Record<string, unknown>;
  const example = `gs://${session.participant.bucket}/output/<job name>`;
  if (defaults.output === undefined) {
    throw new CliError(`parameter "output" is required: add it to --params, e.g. --params '{"output": "${example}"}'`);
  }
  const checked = checkOutputLocation(String(defaults.output), session.participant.bucket);
  if (!checked.ok) throw new CliError(`${checked.message} (it comes from the defaults of code "${codeName}": set "output" in --params)`);
}

function registerStatusCommand(program: Command, io: CliIo): void {
  withSession(
    program
      .command('status')
      .description('Show your control tables as the clean room published them.')
      .argument('[view]', `one of ${STATUS_VIEW_NAMES.join(', ')} (default: all)`)
      .option('--json', 'one JSON object per row, every column (longs and timestamps as strings)'),
  ).action(async (view: string | undefined, options: SessionOptions & { json?: boolean }) => {
    if (view !== undefined && !(STATUS_VIEW_NAMES as string[]).includes(view)) {
      throw new CliError(`unknown status view ${JSON.stringify(view)}: use one of ${STATUS_VIEW_NAMES.join(', ')}`);
    }
    const session = await openSession(options, io);
    if (view !== undefined) {
      await printView(session, view as StatusViewName, options.json === true, false, io);
      return;
    }
    for (const name of STATUS_VIEW_NAMES) await printView(session, name, options.json === true, true, io);
  });
}

async function printView(session: ParticipantSession, name: StatusViewName, json: boolean, all: boolean, io: CliIo): Promise<void> {
  const view = statusView(name);
  const heading = `== ${name} (control.${view.table}) ==\n`;
  // One view: a missing table is an error. All views: say so and go on with the others.
  const rows = all ? await tryReadPublished(session, view.table) : await readPublished(session, view.table);
  if (rows === undefined) {
    if (json) io.stderr.write(`control.${view.table} is not published yet\n`);
    else io.stdout.write(`${heading}not published yet: the clean room runtime writes it on its next pass\n\n`);
    return;
  }
  const sorted = sortRows(rows, view);
  if (json) {
    io.stdout.write(jsonLines(sorted, view.schema, all ? { view: name } : {}));
    return;
  }
  if (all) io.stdout.write(heading);
  io.stdout.write(sorted.length === 0 ? '(no rows)\n' : textTable(sorted, view.schema, view.columns));
  if (all) io.stdout.write('\n');
}
