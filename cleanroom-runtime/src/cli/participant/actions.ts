/**
 * What the participant commands do (their definitions are in ../participant-commands.ts): build one event from
 * the command line, checked with the processor's own rules, append it to the participant's `control/events`, and
 * with --wait follow it to its status and, for a one-time job, to its run's end. Reading commands print the
 * control tables the runtime published for the participant.
 */
import { buildApprovalEvent, buildCodeEvent, buildDataEvent, buildJobDeleteEvent, buildJobEvent, type BuiltEvent, type EventOrigin } from '../../events/build-event';
import { checkOutputLocation } from '../../processor';
import { EXIT } from '../exit-codes';
import type { WaitOptions } from '../participant-commands';
import { streamStyler } from '../style';
import { appendEvent, readPublished, tryReadPublished } from './control-tables';
import { pendingCode, PENDING_COLUMNS, PENDING_SCHEMA, storedCode } from './code-review';
import { CliError } from './errors';
import { approvalRequest, codeRequest, dataRequest, jobDeleteName, jobRequest, type CodeOptions, type DataOptions, type JobOptions, type ReviewOptions, type Verb } from './inputs';
import { terminalWidth, type CliIo } from './io';
import { jsonLines, textTable } from './render';
import { waitForRunEnd } from './run-wait';
import { openSession, type ParticipantSession, type SessionOptions } from './session';
import { sortRows, statusView, STATUS_VIEW_NAMES, type StatusViewName } from './status-views';
import { passProbe, timeoutSeconds, waitForStatus } from './wait';

function origin(io: CliIo): EventOrigin {
  const user = io.env.CLEANROOM_USER?.trim() || io.osUser();
  return { uuid: io.newUuid(), nowMs: io.nowMs(), user, hostname: io.hostname() };
}

/**
 * Appends the event, prints its uuid, and with --wait its status (exit 1 when refused). A one-time job is followed
 * to its run's end within the same --timeout: the run's outcome is printed, and a run that did not succeed exits 1
 * with its error.
 */
async function submit(session: ParticipantSession, event: BuiltEvent, options: WaitOptions, io: CliIo, followRun = false): Promise<void> {
  const timeout = options.wait ? timeoutSeconds(options.timeout) : 0;
  const probe = options.wait ? passProbe(session) : undefined;
  const before = probe ? await probe() : undefined;
  const version = await appendEvent(session, event.row);
  io.stdout.write(`${event.uuid}\n`);
  io.stderr.write(`${event.eventType} event written to gs://${session.bucket}/control/events (version ${version})\n`);
  if (!options.wait) return;
  const started = io.nowMs();
  const style = streamStyler(io.stdout, io.env);
  const status = await waitForStatus(session, event.uuid, timeout, io, { probe, before });
  const ok = status.status === 'SUCCESS';
  io.stdout.write(`${ok ? style.green(status.status) : style.red(status.status)}: ${status.message}\n`);
  if (!ok) {
    io.setExitCode(EXIT.failed);
    return;
  }
  if (!followRun) return;
  const remaining = Math.max(1, timeout - (io.nowMs() - started) / 1000);
  const run = await waitForRunEnd(session, event.uuid, remaining, io);
  const succeeded = run.resultState === 'SUCCESS';
  const outcome = `run ${run.runId}: ${run.state}${run.resultState ? ` ${run.resultState}` : ''}`;
  io.stdout.write(`${succeeded ? style.green(outcome) : style.red(outcome)}${run.outputLocation && succeeded ? `, output at ${run.outputLocation}` : ''}\n`);
  if (!succeeded) {
    const detail = [run.stateMessage, run.error].filter((t) => t !== '').join('\n');
    if (detail) io.stdout.write(`${detail}\n`);
    if (run.runPageUrl) io.stdout.write(`run page: ${run.runPageUrl}\n`);
    io.setExitCode(EXIT.failed);
  }
}

export async function dataAction(verb: Verb, name: string, options: DataOptions & SessionOptions & WaitOptions, io: CliIo): Promise<void> {
  const session = await openSession(options, io);
  await submit(session, buildDataEvent(dataRequest(verb, name, options, session), origin(io)), options, io);
}

export async function codeAction(verb: Verb, name: string, options: CodeOptions & SessionOptions & WaitOptions, io: CliIo): Promise<void> {
  const session = await openSession(options, io);
  const request = await codeRequest(verb, name, options, io);
  if (request.notebookContentsHash) io.stderr.write(`${request.notebookLanguage} code, sha256 ${request.notebookContentsHash}\n`);
  await submit(session, buildCodeEvent(request, origin(io)), options, io);
}

export async function reviewAction(decision: 'approve' | 'reject' | 'revoke', name: string, options: ReviewOptions & SessionOptions & WaitOptions, io: CliIo): Promise<void> {
  const session = await openSession(options, io);
  const request = approvalRequest(decision, name, options, session);
  // The code id pins the decision to this registration (a deleted and re-registered name is another code).
  const approvals = (await tryReadPublished(session, 'approval_status')) ?? [];
  const row = approvals.find((r) => r.code_name === request.codeName);
  if (row && row.notebook_contents_hash === request.versionHash && row.version_hash !== request.versionHash) {
    throw new CliError(`${request.versionHash} is the content sha256 of "${request.codeName}"; ${decision} its version hash ${String(row.version_hash)} (shown by \`cleanroom code pending\`), which also covers its language and default parameters`);
  }
  if (row && typeof row.version_hash === 'string' && row.version_hash !== request.versionHash) {
    // The runtime accepts only the current version; a hash that is not it was mistyped or comes from an older review.
    throw new CliError(
      `--hash ${request.versionHash} is not the current version of "${request.codeName}" (${String(row.version_hash)}, as \`cleanroom code pending\` and \`code show\` print it): ` +
        'check the hash you copied, and review the current version before you decide',
    );
  }
  if (typeof row?.code_id === 'string') request.codeId = row.code_id;
  if (row?.version_hash === request.versionHash && typeof row.notebook_contents_hash === 'string') request.notebookContentsHash = row.notebook_contents_hash;
  await submit(session, buildApprovalEvent(request, origin(io)), options, io);
}

export async function jobSubmitAction(jobName: string, options: JobOptions & SessionOptions & WaitOptions, io: CliIo): Promise<void> {
  const session = await openSession(options, io);
  const request = await jobRequest(jobName, options, session, io);
  await checkOutputKnown(session, request.codeName, request.parameters);
  // A scheduled job's runs come later, one per occurrence: --wait stops at its acceptance.
  await submit(session, buildJobEvent(request, origin(io)), options, io, request.schedule === undefined || request.schedule === 'ad-hoc');
}

export async function jobDeleteAction(jobName: string, options: SessionOptions & WaitOptions, io: CliIo): Promise<void> {
  const session = await openSession(options, io);
  await submit(session, buildJobDeleteEvent(jobDeleteName(jobName), origin(io)), options, io);
}

export async function codePendingAction(options: SessionOptions & { json?: boolean }, io: CliIo): Promise<void> {
  const session = await openSession(options, io);
  const rows = await pendingCode(session, session.participant.name);
  if (options.json) io.stdout.write(jsonLines(rows, PENDING_SCHEMA));
  else if (rows.length === 0) io.stdout.write('no code awaits review\n');
  else io.stdout.write(textTable(rows, PENDING_SCHEMA, PENDING_COLUMNS, { width: terminalWidth(io) }));
}

export async function codeShowAction(name: string, options: SessionOptions & { hash?: string }, io: CliIo): Promise<void> {
  const session = await openSession(options, io);
  const stored = await storedCode(session, name, options.hash);
  io.stderr.write(
    `code "${stored.codeName}" by ${stored.owner}, ${stored.language}, sha256 ${stored.hash}, default parameters ${stored.defaultParameters}\n` +
      `version hash (approve with --hash): ${stored.versionHash}\n` +
      `seed notebooks' hash (sha256 of the base64 export, shown by approve_code): ${stored.seedHash}\n` +
      `reads: ${stored.reads ?? 'unknown (every registered dataset)'}; group-size column: ${stored.groupSizeColumn ?? 'none'}\n` +
      `release policy of its runs: ${stored.releasePolicy}\n`,
  );
  io.stdout.write(stored.source.endsWith('\n') ? stored.source : `${stored.source}\n`);
}

export async function statusAction(view: string | undefined, options: SessionOptions & { json?: boolean }, io: CliIo): Promise<void> {
  if (view !== undefined && !(STATUS_VIEW_NAMES as string[]).includes(view)) {
    throw new CliError(`unknown status view ${JSON.stringify(view)}: use one of ${STATUS_VIEW_NAMES.join(', ')}`);
  }
  const session = await openSession(options, io);
  if (view !== undefined) {
    await printView(session, view as StatusViewName, options.json === true, false, io);
    return;
  }
  for (const name of STATUS_VIEW_NAMES) await printView(session, name, options.json === true, true, io);
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
  io.stdout.write(sorted.length === 0 ? '(no rows)\n' : textTable(sorted, view.schema, view.columns, { width: terminalWidth(io) }));
  if (all) io.stdout.write('\n');
}
