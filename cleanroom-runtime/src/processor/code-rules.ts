/**
 * CODE events: register, update or remove code. Names are globally unique; only the owner changes its code;
 * the content hash is verified; new content resets a collaborator's approval (the keeper's code is approved
 * on registration). An UPDATE keeps the description and default parameters it does not carry. Content goes
 * to the state bucket as a blob and is copied to visible buckets by the publisher.
 */
import type { CodeEvent } from '../events/event-model';
import { decodeNotebook, detectLanguage } from './code-content';
import type { ParticipantInfo, ProcessorContext } from './context';
import { accept, refuse, type Decision } from './decision';
import { codeBlobKey } from './effects';
import { checkObjectName } from './names';
import { parseParameters } from './parameters';
import { codeQuotaProblem } from './quotas';
import { recordOf, type ApprovalRecord, type CleanroomState } from './state';

export function applyCode(state: CleanroomState, event: CodeEvent, ctx: ProcessorContext, submitter: ParticipantInfo): Decision {
  const overQuota = codeQuotaProblem(state, event, ctx, submitter);
  if (overQuota) return refuse(overQuota);
  const name = checkObjectName('code', event.codeName);
  if (!name.ok) return refuse(name.message);
  const codeName = name.value;
  const existing = recordOf(state.code, codeName);

  if (event.action === 'INSERT' && existing) {
    const hint = existing.owner === submitter.name ? 'you registered it already: use UPDATE to change it' : 'pick another name, e.g. prefixed with your participant name';
    return refuse(`code name is not unique: "${codeName}" is already registered; ${hint}`);
  }
  if (event.action !== 'INSERT') {
    if (!existing) return refuse(`code "${codeName}" is not registered: use INSERT to register it`);
    if (existing.owner !== submitter.name) {
      return refuse(`code "${codeName}" belongs to another participant: only its owner can ${event.action === 'DELETE' ? 'delete' : 'update'} it`);
    }
  }
  if (event.action === 'DELETE') {
    delete state.code[codeName];
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

  const hash = notebook.value.hash;
  const isKeeper = submitter.role === 'keeper';
  const contentChanged = !existing || existing.hash !== hash;
  const approval: ApprovalRecord =
    existing && !contentChanged
      ? existing.approval
      : isKeeper
        ? { status: 'CODE_REQUEST_APPROVED', hash, reason: 'registered by the keeper', reviewedBy: submitter.name, updatedAt: ctx.now, eventUuid: event.uuid }
        : { status: 'CODE_REQUEST_PENDING_APPROVAL', hash, reason: null, reviewedBy: null, updatedAt: ctx.now, eventUuid: event.uuid };

  state.code[codeName] = {
    codeId: existing?.codeId ?? event.uuid,
    name: codeName,
    owner: submitter.name,
    description: event.description ?? existing?.description ?? '',
    language: language.value,
    pathToNotebook: event.pathToNotebook,
    defaultParameters: JSON.stringify(defaults.value),
    hash,
    versions: contentChanged
      ? [...(existing?.versions ?? []), { hash, appliedAt: ctx.now, eventUuid: event.uuid }]
      : existing.versions,
    approval,
    createdAt: existing?.createdAt ?? ctx.now,
    updatedAt: ctx.now,
    eventUuid: event.uuid,
    eventsVersion: event.eventsVersion,
  };

  const blobs = contentChanged ? [{ key: codeBlobKey(hash), content: notebook.value.source }] : [];
  const what = existing ? (contentChanged ? 'updated to a new version' : 'updated (same content)') : 'registered';
  const next =
    approval.status === 'CODE_REQUEST_APPROVED'
      ? 'it is approved and can be used in jobs'
      : approval.status === 'CODE_REQUEST_PENDING_APPROVAL'
        ? "it awaits the keeper's approval"
        : 'it stays rejected until new content is sent';
  return accept(`code "${codeName}" ${what} (${language.value}, sha256 ${hash}); ${next}`, [], blobs);
}
