/**
 * CODE events: register, update or remove code. Names are globally unique; only the owner changes its code;
 * the content hash is verified; SQL code must use bound parameters (src/sql/sql-code.ts). A change to anything
 * that decides what runs — content, language or default parameters, together the version hash
 * (code-version.ts) — resets a collaborator's approval to pending (the keeper's code is approved on
 * registration). An UPDATE keeps the description and default parameters it does not carry. Content goes to the
 * state bucket as a blob and is copied to visible buckets by the publisher.
 */
import type { CodeEvent } from '../events/event-model';
import { readSqlCode } from '../sql/sql-code';
import { decodeNotebook, detectLanguage } from './code-content';
import { codeVersionHash } from './code-version';
import type { ParticipantInfo, ProcessorContext } from './context';
import { accept, refuse, type Decision } from './decision';
import { codeBlobKey } from './effects';
import { checkObjectName } from './names';
import { parseParameters } from './parameters';
import { codeQuotaProblem } from './quotas';
import { recordOf, type ApprovalRecord, type CleanroomState } from './state';
import { noteOwned } from './owner-counts';
import { uniqueRecordId } from './unique-ids';

export function applyCode(state: CleanroomState, event: CodeEvent, ctx: ProcessorContext, submitter: ParticipantInfo): Decision {
  const overQuota = codeQuotaProblem(state, event, ctx, submitter);
  if (overQuota) return refuse(overQuota);
  const name = checkObjectName('code', event.codeName);
  if (!name.ok) return refuse(name.message);
  const codeName = name.value;
  const existing = recordOf(state.code, codeName);

  if (event.action === 'INSERT' && existing) {
    const hint = existing.owner === submitter.name ? 'you registered it already: change it with `cleanroom code update` (an UPDATE event)' : 'pick another name, e.g. prefixed with your participant name';
    return refuse(`code name is not unique: "${codeName}" is already registered; ${hint}`);
  }
  if (event.action !== 'INSERT') {
    if (!existing) return refuse(`code "${codeName}" is not registered: register it first (\`cleanroom code register\`, or an INSERT event from a notebook)`);
    if (existing.owner !== submitter.name) {
      return refuse(`code "${codeName}" belongs to another participant: only its owner can ${event.action === 'DELETE' ? 'delete' : 'update'} it`);
    }
  }
  if (event.action === 'DELETE') {
    delete state.code[codeName];
    noteOwned(state.code, submitter.name, -1);
    return accept(`code "${codeName}" removed; jobs can no longer use it`);
  }

  if (event.notebookContents === null || event.notebookContentsHash === null) {
    return refuse(`notebook_contents and notebook_contents_hash are required to ${event.action === 'INSERT' ? 'register' : 'update'} code`);
  }
  const notebook = decodeNotebook(event.apiVersion, event.notebookContents, event.notebookContentsHash);
  if (!notebook.ok) return refuse(notebook.message);
  const language = detectLanguage(notebook.value.source, event.pathToNotebook, event.notebookLanguage);
  if (!language.ok) return refuse(language.message);
  // A field absent from an UPDATE keeps its stored value; an empty one ("" or "{}") clears it.
  const defaults = parseParameters(event.defaultParameters ?? existing?.defaultParameters ?? '{}', 'default_parameters');
  if (!defaults.ok) return refuse(defaults.message);
  if (language.value === 'SQL') {
    const sql = readSqlCode(notebook.value.source, { parameters: Object.keys(defaults.value) });
    if (sql.problems.length > 0) return refuse(sqlProblemsMessage(sql.problems));
    if (sql.statements.length === 0) return refuse('the SQL code has no statement: it must end with a query whose result becomes the job output');
    // A widget's DEFAULT is a default parameter unless default_parameters sets it.
    for (const widget of sql.widgets) {
      if (widget.defaultValue !== null && widget.defaultValue !== '' && !Object.hasOwn(defaults.value, widget.name)) defaults.value[widget.name] = widget.defaultValue;
    }
  }

  const hash = notebook.value.hash;
  const defaultParameters = JSON.stringify(defaults.value);
  const versionHash = codeVersionHash({ hash, language: language.value, defaultParameters });
  const isKeeper = submitter.role === 'keeper';
  const contentChanged = !existing || existing.hash !== hash;
  const versionChanged = !existing || codeVersionHash(existing) !== versionHash;
  const approval: ApprovalRecord =
    existing && !versionChanged
      ? existing.approval
      : isKeeper
        ? { status: 'CODE_REQUEST_APPROVED', hash, versionHash, reason: 'registered by the keeper', reviewedBy: submitter.name, updatedAt: ctx.now, eventUuid: event.uuid }
        : { status: 'CODE_REQUEST_PENDING_APPROVAL', hash, versionHash, reason: null, reviewedBy: null, updatedAt: ctx.now, eventUuid: event.uuid };

  if (!existing) noteOwned(state.code, submitter.name, 1);
  state.code[codeName] = {
    codeId: existing?.codeId ?? uniqueRecordId(Object.values(state.code).map((c) => c.codeId), submitter.name, event.uuid),
    name: codeName,
    owner: submitter.name,
    description: event.description ?? existing?.description ?? '',
    language: language.value,
    pathToNotebook: event.pathToNotebook,
    defaultParameters,
    hash,
    versions: versionChanged ? [...(existing?.versions ?? []), { hash, versionHash, appliedAt: ctx.now, eventUuid: event.uuid }] : existing.versions,
    approval,
    createdAt: existing?.createdAt ?? ctx.now,
    updatedAt: ctx.now,
    eventUuid: event.uuid,
    eventsVersion: event.eventsVersion,
  };

  const blobs = contentChanged ? [{ key: codeBlobKey(hash), content: notebook.value.source }] : [];
  const what = existing
    ? contentChanged
      ? 'updated to a new version'
      : versionChanged
        ? 'updated to a new version (same content; language or default parameters changed)'
        : 'updated (same version)'
    : 'registered';
  const next =
    approval.status === 'CODE_REQUEST_APPROVED'
      ? 'it is approved and can be used in jobs'
      : approval.status === 'CODE_REQUEST_PENDING_APPROVAL'
        ? "it awaits the keeper's approval"
        : 'it stays rejected until new content is sent';
  return accept(`code "${codeName}" ${what} (${language.value}, sha256 ${hash}, version ${versionHash}); ${next}`, [], blobs);
}

/** The first problems of SQL code, with their lines: enough to fix them, bounded in size. */
function sqlProblemsMessage(problems: ReadonlyArray<{ line: number; message: string }>): string {
  const shown = problems.slice(0, 3).map((p) => `line ${p.line}: ${p.message}`);
  const more = problems.length > 3 ? `; and ${problems.length - 3} more` : '';
  return `the SQL code cannot be registered: ${shown.join('; ')}${more}`;
}
