/**
 * Participant commands: `cleanroom data|code|job|status ...`. Each request appends one api_version "2" event to
 * the participant's own `control/events` Delta table and prints its uuid; `--wait` follows it to its
 * `event_status` row (and a job to its run's end). Reading commands show the control tables the runtime
 * published for the participant. Only the definitions live here: what a command does (Delta, the processor's
 * rules) is loaded when it runs (participant/actions.ts), so `--help` and completion start fast.
 */
import type { Command } from 'commander';
import { examples, required, SESSION_HELP } from './help';
import type { CodeOptions, DataOptions, JobOptions, ReviewOptions, Verb } from './participant/inputs';
import { processIo, type CliIo } from './participant/io';
import type { SessionOptions } from './participant/session';

type Actions = typeof import('./participant/actions');
const actions = (): Actions => require('./participant/actions') as Actions;

/** The views of `cleanroom status`, in the order `status` alone prints them (participant/status-views.ts defines each). */
export const STATUS_VIEW_NAMES = ['data', 'code', 'approvals', 'jobs', 'runs', 'events'] as const;

export interface WaitOptions {
  wait?: boolean;
  timeout?: string;
}

const VERBS: readonly Verb[] = ['register', 'update', 'delete'];

const DATA_HELP: Record<Verb, string> = {
  register: 'Register a dataset <participant>.<table> (your own participant name as database).',
  update: 'Update your dataset <participant>.<table>: its location and format (read again); its description is kept unless given.',
  delete: 'Delete your dataset <participant>.<table> from the clean room (the files in your bucket stay).',
};

const DATA_EXAMPLES: Record<Verb, string> = {
  register: 'cleanroom data register advertiser.conversions --location gs://advertiser-cleanroom-data/input/conversions --format delta --as advertiser --wait',
  update: 'cleanroom data update advertiser.conversions --location gs://advertiser-cleanroom-data/input/conversions_v2 --format delta --as advertiser',
  delete: 'cleanroom data delete advertiser.conversions --as advertiser --wait',
};

const CODE_HELP: Record<Verb, string> = {
  register: 'Register code (a notebook or SQL file); names are unique across the clean room.',
  update: "Update your code with a new --file (new content awaits the keeper's approval again); its description and default parameters are kept unless given.",
  delete: 'Delete your code: jobs can no longer use it.',
};

const CODE_EXAMPLES: Record<Verb, string[]> = {
  register: [
    'cleanroom code register overlap --file overlap.sql --description "Overlap per segment" --default-params \'{"min_users": "10"}\' --as advertiser --wait',
    'cat overlap.sql | cleanroom code register overlap --file - --language sql --as advertiser',
  ],
  update: ['cleanroom code update overlap --file overlap.sql --as advertiser --wait'],
  delete: ['cleanroom code delete overlap --as advertiser'],
};

export function registerParticipantCommands(program: Command, io: CliIo = processIo()): void {
  registerDataCommands(program, io);
  registerCodeCommands(program, io);
  registerJobCommands(program, io);
  registerStatusCommand(program, io);
}

function withSession(command: Command): Command {
  return command.option('--as <participant>', SESSION_HELP.as).option('--config <dir>', SESSION_HELP.config).option('--local-root <dir>', SESSION_HELP.localRoot);
}

function withWait(command: Command, what = 'the clean room has processed the event and print its status'): Command {
  return command
    .option('--wait', `wait until ${what} (exit 1 if it was refused, 5 on --timeout)`)
    .option('--timeout <seconds>', 'with --wait: give up after this many seconds (default 300)');
}

/** A request command: session and --wait options; its action builds one event from the argument and submits it. */
function requestCommand<O>(command: Command, io: CliIo, kind: (a: Actions) => (argument: string, options: O & SessionOptions & WaitOptions, io: CliIo) => Promise<void>, waitWhat?: string): void {
  withWait(withSession(command), waitWhat).action(async (argument: string, options: O & SessionOptions & WaitOptions) => kind(actions())(argument, options, io));
}

function registerDataCommands(program: Command, io: CliIo): void {
  const data = program.command('data').description('Register, update or delete your datasets in the clean room.');
  for (const verb of VERBS) {
    const command = data.command(verb).description(DATA_HELP[verb]).argument('<participant.table>', 'dataset name, e.g. advertiser.conversions');
    if (verb !== 'delete') {
      command
        .option('--location <uri>', required('where the dataset is stored, inside your bucket: gs://<your bucket>/input/<table>'))
        .option('--format <format>', required('delta (preferred), parquet, json, avro or csv'))
        .option('--description <text>', verb === 'update' ? 'what the dataset holds (default: keep the current one; "" clears it)' : 'what the dataset holds');
    }
    examples(command, [DATA_EXAMPLES[verb]]);
    requestCommand<DataOptions>(command, io, (a) => (name, options, cliIo) => a.dataAction(verb, name, options, cliIo));
  }
}

function registerCodeCommands(program: Command, io: CliIo): void {
  const code = program.command('code').description('Register code, review it (keeper) and read what the clean room stored.');
  for (const verb of VERBS) {
    const command = code.command(verb).description(CODE_HELP[verb]).argument('<name>', 'code name');
    if (verb !== 'delete') {
      const keep = verb === 'update' ? ' (default: keep the current ones; {} clears them)' : '';
      command
        .option('--file <path>', required('the source file (.sql, .py, .scala, .r or a Databricks source export); - reads standard input'))
        .option('--language <language>', 'with --file -: sql, python, scala or r (unless the code starts with a Databricks source header)')
        .option('--default-params <json>', `default job parameters as a JSON object, e.g. {"country": "FR"}; - reads standard input${keep}`)
        .option('--description <text>', verb === 'update' ? 'what the code does (default: keep the current one; "" clears it)' : 'what the code does')
        .option('--reads <datasets>', 'the datasets the code reads, e.g. publisher.users,measurement.panel (notebooks, under the data_owners approval policy; SQL: read from the code)')
        .option('--group-size-column <column>', `the output column holding each row's group size (e.g. users), which the release gate compares with the data owners' min_group_size${verb === 'update' ? ' (default: keep the current one; "" clears it)' : ''}`);
    }
    examples(command, CODE_EXAMPLES[verb]);
    requestCommand<CodeOptions>(command, io, (a) => (name, options, cliIo) => a.codeAction(verb, name, options, cliIo));
  }

  examples(withSession(code.command('pending').description("Code awaiting your review under the approval policy (the keeper's by default): name, version hash, submitter, description.")), [
    'cleanroom code pending --as publisher',
  ])
    .option('--json', 'one JSON object per line')
    .action(async (options: SessionOptions & { json?: boolean }) => actions().codePendingAction(options, io));

  examples(withSession(code.command('show').description('Print the code the clean room stored (verified against its sha256).')), [
    'cleanroom code show overlap --as publisher',
  ])
    .argument('<name>', 'code name')
    .option('--hash <sha256>', 'a specific stored version, by its content sha256 (default: the current one)')
    .action(async (name: string, options: SessionOptions & { hash?: string }) => actions().codeShowAction(name, options, io));

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
      .option('--hash <version_hash>', required('the version hash you reviewed (from `cleanroom code pending` or `code show`): it covers the content, language, default parameters and declared reads'))
      .option('--reason <text>', decision === 'reject' ? required('what must change') : decision === 'revoke' ? 'why you withdraw it' : 'why it is approved');
    const example = { approve: 'aggregates only', reject: 'hide segments below 50 users', revoke: 'the panel changed' }[decision];
    examples(command, [`cleanroom code ${decision} overlap --hash <version_hash from code pending> --reason "${example}" --as publisher --wait`]);
    requestCommand<ReviewOptions>(command, io, (a) => (name, options, cliIo) => a.reviewAction(decision, name, options, cliIo));
  }
}

function registerJobCommands(program: Command, io: CliIo): void {
  const job = program.command('job').description('Run approved code in the clean room.');
  const submitCommand = job
    .command('submit')
    .description('Submit a job: runs approved code once now, or on a --schedule, with the given parameters.')
    .argument('<job name>', 'a name for the job')
    .option('--code <name>', required('approved code to run'))
    .option('--params <json>', 'parameters as a JSON object, merged over the code\'s defaults; "output" is required here or in those defaults; - reads standard input', '{}')
    .option('--compute <size>', required('compute size offered by the clean room, e.g. Small'))
    .option('--schedule <cron>', 'run on a 5-field cron schedule in UTC, e.g. "0 6 * * 1" (Mondays 06:00); each run overwrites the output (default: one run now)');
  examples(submitCommand, [
    'cleanroom job submit weekly_overlap --code overlap --compute Small --params \'{"output": "gs://advertiser-cleanroom-data/output/overlap"}\' --as advertiser --wait',
    'cleanroom job submit monday_overlap --code overlap --compute Small --schedule "0 6 * * 1" --params \'{"output": "gs://advertiser-cleanroom-data/output/monday"}\' --as advertiser',
  ]);
  requestCommand<JobOptions>(submitCommand, io, (a) => (jobName, options, cliIo) => a.jobSubmitAction(jobName, options, cliIo), "the job is accepted and, for a one-time job, its run has ended; print the outcome");
  const deleteCommand = job
    .command('delete')
    .description('Delete your scheduled job: no further runs (a run already started finishes).')
    .argument('<job name>', 'the name of your scheduled job');
  examples(deleteCommand, ['cleanroom job delete monday_overlap --as advertiser --wait']);
  requestCommand<object>(deleteCommand, io, (a) => (jobName, options, cliIo) => a.jobDeleteAction(jobName, options, cliIo));
}

function registerStatusCommand(program: Command, io: CliIo): void {
  const command = withSession(
    program
      .command('status')
      .description('Show your control tables as the clean room published them.')
      .argument('[view]', `one of ${STATUS_VIEW_NAMES.join(', ')} (default: all)`)
      .option('--json', 'one JSON object per row, every column (longs and timestamps as strings)'),
  );
  examples(command, ['cleanroom status --as advertiser', 'cleanroom status runs --as advertiser --json']);
  command.action(async (view: string | undefined, options: SessionOptions & { json?: boolean }) => actions().statusAction(view, options, io));
}
