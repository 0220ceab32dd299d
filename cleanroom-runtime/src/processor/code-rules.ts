/**
 * CODE events: register, update or remove code. Names are globally unique; only the owner changes its code;
 * the content hash is verified; SQL code must use bound parameters (src/sql/sql-code.ts). A change to anything
 * that decides what runs — content, language or default parameters, together the version hash
 * (code-version.ts) — resets a collaborator's approval to pending (the keeper's code is approved on
 * registration). An UPDATE keeps the description and default parameters it does not carry. Content goes to the
 * state bucket as a blob and is copied to visible buckets by the publisher.
 */
import type { CodeEvent } from '../events/event-model';
import { datasetReadsOf } from '../sql/dataset-reads';
import { withOutputContract } from '../sql/output-contract';
import { readSqlCode } from '../sql/sql-code';
import { approvalRequirement, policyOf } from './approval-policy';
import { settleApproval } from './approval-status';
import { decodeNotebook, detectLanguage } from './code-content';
import { codeVersionHash } from './code-version';
import type { ParticipantInfo, ProcessorContext } from './context';
import { accept, refuse, type Decision } from './decision';
import { codeBlobKey } from './effects';
import { checkObjectName, codePathSegment, quote, type Checked } from './names';
import { noteOwned } from './owner-counts';
import { parseParameters } from './parameters';
import { codeQuotaProblem } from './quotas';
import { recordOf, type ApprovalRecord, type CleanroomState, type CodeRecord } from './state';
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
  const lookAlike = event.action === 'INSERT' ? sameNameIgnoringCase(state, codeName) : undefined;
  if (lookAlike) {
    return refuse(`code name is not unique: "${codeName}" differs from the registered "${lookAlike.name}" (of ${lookAlike.owner}) only in letter case, and code names are compared ignoring case; pick another name, e.g. prefixed with your participant name`);
  }
  if (event.action !== 'INSERT' && !existing) {
    const similar = sameNameIgnoringCase(state, codeName);
    if (similar) return refuse(`code "${codeName}" is not registered; did you mean "${similar.name}"? Names are written exactly as registered`);
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
  const declared = parseDeclaredReads(event.reads);
  if (!declared.ok) return refuse(declared.message);
  const declaredReads = declared.value ?? (event.reads === null ? existing?.declaredReads : undefined);
  let reads: string[] | undefined = declaredReads;
  if (language.value === 'SQL') {
    // The statement-level fixes (with their lines) first: a write to a path is named as such, not as a file read.
    const sql = readSqlCode(notebook.value.source, { parameters: Object.keys(defaults.value) });
    const problems = withOutputContract(sql);
    if (problems.length > 0) return refuse(sqlProblemsMessage(problems));
    const parsed = datasetReadsOf(notebook.value.source, ctx.participants.map((p) => p.name));
    if (parsed.problems.length > 0) return refuse(`the SQL code cannot be registered: ${parsed.problems.slice(0, 3).join('; ')}`);
    const undeclared = declaredReads === undefined ? [] : parsed.reads.filter((read) => !declaredReads.includes(read));
    if (undeclared.length > 0) {
      return refuse(`the SQL reads ${undeclared.join(', ')}, which its declared reads (${declaredReads!.join(', ') || 'none'}) leave out: declare every dataset the code reads (--reads), or leave --reads out for SQL`);
    }
    reads = parsed.unknown !== null && declaredReads === undefined ? undefined : [...new Set([...parsed.reads, ...(declaredReads ?? [])])].sort();
    if (sql.statements.length === 0) return refuse('the SQL code has no statement: it must end with a query whose result becomes the job output');
    // A widget's DEFAULT is a default parameter unless default_parameters sets it.
    for (const widget of sql.widgets) {
      if (widget.defaultValue !== null && widget.defaultValue !== '' && !Object.hasOwn(defaults.value, widget.name)) defaults.value[widget.name] = widget.defaultValue;
    }
  }

  const groupSize = parseGroupSizeColumn(event.groupSizeColumn);
  if (!groupSize.ok) return refuse(groupSize.message);
  // Absent from an UPDATE: kept; sent empty: cleared.
  const groupSizeColumn = event.groupSizeColumn === null ? existing?.groupSizeColumn : (groupSize.value ?? undefined);

  const defaultCompute = event.defaultCompute === null ? (existing?.defaultCompute ?? null) : offeredSize(event.defaultCompute, ctx.computeSizes);
  if (defaultCompute === undefined) {
    return refuse(`default_compute ${quote(event.defaultCompute)} is not a compute size this clean room offers: use one of ${ctx.computeSizes.join(', ')}, or leave it out`);
  }

  const hash = notebook.value.hash;
  const defaultParameters = JSON.stringify(defaults.value);
  const versionHash = codeVersionHash({ hash, language: language.value, defaultParameters, declaredReads, ...(groupSizeColumn === undefined ? {} : { groupSizeColumn }) });
  const contentChanged = !existing || existing.hash !== hash;
  const versionChanged = !existing || codeVersionHash(existing) !== versionHash;
  const approval: ApprovalRecord =
    existing && !versionChanged
      ? existing.approval
      : { status: 'CODE_REQUEST_PENDING_APPROVAL', hash, versionHash, reason: null, reviewedBy: null, updatedAt: ctx.now, eventUuid: event.uuid, approvals: {} };

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
    seedHash: notebook.value.seedHash,
    ...(defaultCompute !== null ? { defaultCompute } : {}),
    versions: versionChanged ? [...(existing?.versions ?? []), { hash, versionHash, appliedAt: ctx.now, eventUuid: event.uuid }] : existing.versions,
    approval,
    ...(reads === undefined ? {} : { reads }),
    ...(declaredReads === undefined ? {} : { declaredReads }),
    ...(groupSizeColumn === undefined ? {} : { groupSizeColumn }),
    ...(existing?.decisions ? { decisions: existing.decisions } : {}),
    createdAt: existing?.createdAt ?? ctx.now,
    updatedAt: ctx.now,
    eventUuid: event.uuid,
    eventsVersion: event.eventsVersion,
  };

  const record = state.code[codeName]!;
  if (versionChanged) {
    const requirement = approvalRequirement(record, policyOf(ctx), ctx.participants);
    settleApproval(record, requirement, ctx.now, false);
    if (record.approval.status === 'CODE_REQUEST_APPROVED') {
      // The seed's approval_status shows the keeper as the reviewer of its own code.
      const ownKeeperCode = submitter.role === 'keeper' && policyOf(ctx).policy === 'keeper';
      record.approval.reason = ownKeeperCode ? 'registered by the keeper' : requirement.automatic;
      record.approval.reviewedBy = ownKeeperCode ? submitter.name : null;
    }
  }
  const blobs = contentChanged ? [{ key: codeBlobKey(hash), content: notebook.value.source }] : [];
  const what = existing
    ? contentChanged
      ? 'updated to a new version'
      : versionChanged
        ? 'updated to a new version (same content; language or default parameters changed)'
        : 'updated (same version)'
    : 'registered';
  const status = record.approval.status;
  const next =
    status === 'CODE_REQUEST_APPROVED'
      ? 'it is approved and can be used in jobs'
      : status === 'CODE_REQUEST_PENDING_APPROVAL'
        ? awaitingWords(record.approval.note, policyOf(ctx).policy === 'keeper' && policyOf(ctx).quorum === undefined)
        : 'it stays rejected until new content is sent';
  return accept(`code "${codeName}" ${what} (${language.value}, sha256 ${hash}, version ${versionHash}); ${next}`, [], blobs);
}

function awaitingWords(note: string | undefined, keeperOnly: boolean): string {
  return keeperOnly ? "it awaits the keeper's approval" : `it awaits the approval of ${note ?? 'its approvers'}`;
}

/** `group_size_column` as sent: a column name, or "" to clear it; null when not sent. */
function parseGroupSizeColumn(text: string | null): Checked<string | null> {
  if (text === null || text.trim() === '') return { ok: true, value: null };
  const column = text.trim();
  if (!/^[A-Za-z_][A-Za-z0-9_]{0,127}$/.test(column)) return { ok: false, message: `group_size_column ${quote(column)} is not a column name: use letters, digits and underscores, starting with a letter or underscore` };
  return { ok: true, value: column.toLowerCase() };
}

/** `reads` as sent (`participant.table`, comma-separated): lower case, each once; null when not sent. */
function parseDeclaredReads(text: string | null): { ok: true; value: string[] | undefined } | { ok: false; message: string } {
  if (text === null) return { ok: true, value: undefined };
  const reads = text.split(',').map((r) => r.trim().toLowerCase()).filter((r) => r !== '');
  const bad = reads.find((read) => !/^[a-z][a-z0-9_]{1,30}\.[a-z][a-z0-9_]{0,62}$/.test(read));
  if (bad !== undefined) return { ok: false, message: `reads ${quote(bad)} is not a dataset name: list datasets as participant.table, separated by commas` };
  return { ok: true, value: [...new Set(reads)].sort() };
}

/**
 * Another code whose name equals `name` ignoring case, or whose path segment does (names.ts codePathSegment): two
 * such names could not be told apart in a case-insensitive store or folder.
 */
function sameNameIgnoringCase(state: CleanroomState, name: string): CodeRecord | undefined {
  const lower = name.toLowerCase();
  const segment = codePathSegment(name).toLowerCase();
  return Object.values(state.code).find((c) => c.name !== name && (c.name.toLowerCase() === lower || codePathSegment(c.name).toLowerCase() === segment));
}

/** The offered size `name` means, ignoring case (older seed notebooks sent "SMALL"); undefined when none. */
function offeredSize(name: string, sizes: readonly string[]): string | null | undefined {
  if (name.trim() === '') return null;
  return sizes.find((size) => size.toLowerCase() === name.trim().toLowerCase());
}

/**
 * The problems of SQL code with their lines, each distinct fix once (`lines 29, 32: ...`), so that one message
 * names every fix of a typical notebook; bounded in size.
 */
function sqlProblemsMessage(problems: ReadonlyArray<{ line: number; message: string }>): string {
  const byMessage = new Map<string, number[]>();
  for (const p of problems) byMessage.set(p.message, [...(byMessage.get(p.message) ?? []), p.line]);
  const fixes = [...byMessage].map(([message, lines]) => `${lines.length > 1 ? 'lines' : 'line'} ${[...new Set(lines)].slice(0, 10).join(', ')}${lines.length > 10 ? ', …' : ''}: ${message}`);
  const more = fixes.length > 5 ? `; and ${fixes.length - 5} more` : '';
  return `the SQL code cannot be registered: ${fixes.slice(0, 5).join('; ')}${more}`;
}
