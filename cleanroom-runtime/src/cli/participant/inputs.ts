/**
 * Turns command-line arguments into event requests, checked with the processor's own rules so mistakes are
 * caught before an event is written. The runtime still checks everything again: it is the authority.
 */
import type { Action } from '../../events/event-model';
import type { ApprovalRequest, CodeRequest, DataRequest, JobRequest } from '../../events/build-event';
import { checkDataLocation, checkDatasetName, checkFormat, checkObjectName, checkOutputLocation, parseParameters } from '../../processor';
import type { Checked } from '../../processor/names';
import { parseJobSchedule } from '../../processor/schedules';
import { codeFromText, readCodeFile } from './code-file';
import { CliError } from './errors';
import type { CliIo } from './io';
import type { ParticipantSession } from './session';
import { isStdin, readStdinText } from './stdin';

export type Verb = 'register' | 'update' | 'delete';

const ACTION_OF: Record<Verb, Action> = { register: 'INSERT', update: 'UPDATE', delete: 'DELETE' };
const SHA256_HEX = /^[0-9a-f]{64}$/;

function valid<T>(checked: Checked<T>, prefix = ''): T {
  if (!checked.ok) throw new CliError(`${prefix}${checked.message}`);
  return checked.value;
}

function required(value: string | undefined, option: string, why: string): string {
  if (value === undefined || value.trim() === '') throw new CliError(`${option} is required ${why}`);
  return value;
}

/** A JSON object of parameters, checked and re-serialised compactly. */
export function parametersJson(text: string, option: string): string {
  valid(parseParameters(text, option));
  return JSON.stringify(JSON.parse(text));
}

export interface DataOptions {
  location?: string;
  format?: string;
  description?: string;
}

export function dataRequest(verb: Verb, name: string, options: DataOptions, session: ParticipantSession): DataRequest {
  const dataset = valid(checkDatasetName(name, session.participant.name));
  const request: DataRequest = { action: ACTION_OF[verb], dataMetastoreName: dataset.key };
  if (verb === 'delete') return request;
  // Register stores "" for a missing description; update leaves it out so the stored one is kept.
  const description = verb === 'register' ? (options.description ?? '') : options.description;
  if (description !== undefined) request.description = description;
  const why = `to ${verb} a dataset: where it is stored, e.g. --location gs://${session.participant.bucket}/input/${dataset.table}`;
  request.location = valid(checkDataLocation(required(options.location, '--location', why), session.participant.bucket)).uri;
  request.format = valid(checkFormat(required(options.format, '--format', `to ${verb} a dataset: one of delta, parquet, json, avro, csv`)));
  return request;
}

/** The text of a JSON option, from standard input when it is `-`. */
async function jsonOption(text: string | undefined, option: string, io?: CliIo): Promise<string | undefined> {
  if (!isStdin(text) || !io) return text;
  return readStdinText(io, option);
}

export interface CodeOptions {
  file?: string;
  language?: string;
  description?: string;
  defaultParams?: string;
  reads?: string;
  groupSizeColumn?: string;
}

export async function codeRequest(verb: Verb, name: string, options: CodeOptions, io?: CliIo): Promise<CodeRequest> {
  const codeName = valid(checkObjectName('code', name));
  const base = { action: ACTION_OF[verb], codeName };
  if (verb === 'delete') return { ...base, pathToNotebook: '' };
  // Register stores ""/{} for what is missing; update leaves it out so the stored values are kept.
  const fallback = verb === 'register';
  const description = options.description ?? (fallback ? '' : undefined);
  const defaultParamsText = await jsonOption(options.defaultParams, '--default-params', io);
  const defaultParameters = defaultParamsText !== undefined ? parametersJson(defaultParamsText, '--default-params') : fallback ? '{}' : undefined;
  const file = required(options.file, '--file', `to ${verb} code: the notebook or SQL file to send (- reads standard input)`);
  if (options.language !== undefined && !isStdin(file)) throw new CliError('--language applies to --file - only: a file\'s extension gives its language');
  const code = isStdin(file) && io ? codeFromText(await readStdinText(io, '--file'), codeName, options.language) : await readCodeFile(file);
  const request: CodeRequest = {
    ...base,
    pathToNotebook: code.fileName,
    notebookContents: code.source,
    notebookContentsHash: code.hash,
    notebookLanguage: code.language,
  };
  if (description !== undefined) request.description = description;
  if (defaultParameters !== undefined) request.defaultParameters = defaultParameters;
  if (options.reads !== undefined) request.reads = options.reads;
  if (options.groupSizeColumn !== undefined) request.groupSizeColumn = options.groupSizeColumn;
  return request;
}

export interface ReviewOptions {
  hash?: string;
  reason?: string;
}

export function approvalRequest(decision: 'approve' | 'reject' | 'revoke', name: string, options: ReviewOptions, session: ParticipantSession): ApprovalRequest {
  const policy = session.config.approval;
  if (policy.policy === 'keeper' && policy.quorum === undefined && !session.isKeeper) {
    throw new CliError(`only the keeper (${session.config.keeper}) can ${decision} code; ${session.participant.name} is a collaborator`);
  }
  const codeName = valid(checkObjectName('code', name));
  const hash = required(options.hash, '--hash', `to ${decision} code: the version hash you reviewed, as shown by \`cleanroom code pending\` or \`cleanroom code show\``).trim().toLowerCase();
  if (!SHA256_HEX.test(hash)) throw new CliError(`--hash ${JSON.stringify(options.hash)} is not a sha256 hex digest (64 hex characters): copy the version hash from \`cleanroom code pending\``);
  const reason = (options.reason ?? '').trim();
  if (decision === 'revoke') return { decision: 'CODE_REQUEST_REJECTED', codeName, versionHash: hash, reason, revoke: true };
  if (decision === 'reject' && reason === '') {
    throw new CliError(`--reason is required to reject code: say what must change in "${codeName}" so its owner can fix it`);
  }
  return { decision: decision === 'approve' ? 'CODE_REQUEST_APPROVED' : 'CODE_REQUEST_REJECTED', codeName, versionHash: hash, reason };
}

export interface JobOptions {
  code?: string;
  params?: string;
  compute?: string;
  schedule?: string;
}

export async function jobRequest(jobName: string, options: JobOptions, session: ParticipantSession, io?: CliIo): Promise<JobRequest> {
  const name = valid(checkObjectName('job', jobName));
  const codeName = valid(checkObjectName('code', required(options.code, '--code', 'to submit a job: the name of approved code')));
  const sizes = session.config.computeSizes;
  const compute = required(options.compute, '--compute', `to submit a job: one of ${sizes.join(', ')}`);
  if (!sizes.includes(compute as (typeof sizes)[number])) {
    throw new CliError(`--compute ${JSON.stringify(compute)} is not offered by this clean room: use one of ${sizes.join(', ')}`);
  }
  const parameters = parametersJson((await jsonOption(options.params, '--params', io)) ?? '{}', '--params');
  const output = (JSON.parse(parameters) as Record<string, unknown>).output;
  if (output !== undefined) valid(checkOutputLocation(String(output), session.participant.bucket));
  if (options.schedule === undefined) return { jobName: name, codeName, parameters, compute };
  const schedule = parseJobSchedule(options.schedule);
  if (!schedule.ok) throw new CliError(`--schedule: ${schedule.message}`);
  return { jobName: name, codeName, parameters, compute, schedule: schedule.schedule.kind === 'cron' ? schedule.schedule.expression : 'ad-hoc' };
}

export function jobDeleteName(jobName: string): string {
  return valid(checkObjectName('job', jobName));
}
