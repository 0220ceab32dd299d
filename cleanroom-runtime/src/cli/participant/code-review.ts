/** What the keeper needs to review code: the list awaiting review and the stored content, verified. */
import { struct, type DeltaRow } from '../../delta';
import type { CodeLanguage } from '../../engines/engine';
import { codeObjectKey, sha256Hex } from '../../processor';
import { seedNotebookHash } from '../../processor/code-content';
import { codeVersionHash } from '../../processor/code-version';
import { describeReleasePolicy, releasePolicyFor } from '../../processor/release-policy';
import { readObject, readPublished, tryReadPublished } from './control-tables';
import { CliError } from './errors';
import type { ParticipantSession } from './session';

export const PENDING_STATUS = 'CODE_REQUEST_PENDING_APPROVAL';

export const PENDING_SCHEMA = struct([
  ['code_name', 'string'],
  ['version_hash', 'string'],
  // The seed notebooks' hash of the same version (sha256 of the base64 export), as approve_code shows it.
  ['notebook_hash', 'string'],
  ['participant', 'string'],
  ['notebook_language', 'string'],
  ['default_parameters', 'string'],
  ['notebook_contents_hash', 'string'],
  ['description', 'string'],
  ['code_id', 'string'],
  ['updated_at', 'timestamp'],
  // The datasets it reads (null: unknown, so every dataset), its group-size column and the release policy its runs get.
  ['reads', 'string'],
  ['group_size_column', 'string'],
  ['release_policy', 'string'],
]);
export const PENDING_COLUMNS = ['code_name', 'version_hash', 'notebook_hash', 'participant', 'notebook_language', 'default_parameters', 'updated_at', 'description', 'reads', 'group_size_column', 'release_policy'];

/**
 * Code awaiting review, from the published approval_status joined with code (for description and language); with
 * `reviewer`, only the code that awaits that participant's decision under the approval policy.
 */
export async function pendingCode(session: ParticipantSession, reviewer?: string): Promise<DeltaRow[]> {
  const approvals = await readPublished(session, 'approval_status');
  const code = (await tryReadPublished(session, 'code')) ?? [];
  const registered = await registeredDatasets(session);
  const awaits = (row: DeltaRow): boolean => {
    if (reviewer === undefined) return true;
    // Tables published before the policy columns existed: the keeper reviews everything.
    if (typeof row.awaiting !== 'string') return session.isKeeper;
    return row.awaiting.split(',').includes(reviewer);
  };
  return approvals
    .filter((a) => a.approval_status === PENDING_STATUS && awaits(a))
    .map((a) => {
      const c = code.find((row) => row.code_id === a.code_id) ?? code.find((row) => row.code_name === a.code_name);
      return {
        code_name: a.code_name ?? null,
        version_hash: a.version_hash ?? c?.version_hash ?? null,
        notebook_hash: c?.notebook_hash ?? null,
        participant: a.participant ?? null,
        notebook_language: c?.notebook_language ?? null,
        default_parameters: c?.default_parameters ?? null,
        notebook_contents_hash: a.notebook_contents_hash ?? c?.notebook_contents_hash ?? null,
        description: c?.description ?? null,
        code_id: a.code_id ?? null,
        updated_at: a.updated_at ?? null,
        reads: typeof c?.reads === 'string' ? c.reads : null,
        group_size_column: typeof c?.group_size_column === 'string' ? c.group_size_column : null,
        release_policy: releasePolicyText(session, c, registered),
      };
    })
    .sort((a, b) => String(a.code_name).localeCompare(String(b.code_name)));
}

/** Every registered dataset the participant's control.data lists (`participant.table`): what unknown reads mean. */
async function registeredDatasets(session: ParticipantSession): Promise<string[]> {
  const data = (await tryReadPublished(session, 'data')) ?? [];
  return data.map((row) => String(row.data_metastore_name ?? '')).filter((name) => name.includes('.'));
}

/** The release policy runs of this code get (the configuration's `release:` sections over the datasets it reads). */
function releasePolicyText(session: ParticipantSession, code: DeltaRow | undefined, registered: readonly string[]): string {
  const reads = typeof code?.reads === 'string' ? code.reads.split(',').filter((r) => r !== '') : undefined;
  const policy = releasePolicyFor(reads, registered, session.config.release);
  const groupSize = typeof code?.group_size_column === 'string' ? code.group_size_column : null;
  const missing = policy.minGroupSize !== null && groupSize === null ? '; REFUSED at release: no --group-size-column declared while min_group_size applies' : '';
  return `${describeReleasePolicy(policy)}${missing}`;
}

export interface StoredCode {
  codeName: string;
  owner: string;
  language: string;
  hash: string;
  /** What the keeper approves: content, language and default parameters (of the current version). */
  versionHash: string;
  /** The seed notebooks' hash of this version (sha256 of the base64 export). */
  seedHash: string;
  defaultParameters: string;
  key: string;
  source: string;
  /** The datasets it reads (null: unknown, so every registered dataset), its group-size column, and the release policy its runs get. */
  reads: string | null;
  groupSizeColumn: string | null;
  releasePolicy: string;
}

/**
 * The content the clean room stored for `name` (current version, or `hash`), read from the participant's own
 * bucket and checked against its sha256: a file edited in the bucket is refused, never shown as if reviewed.
 */
export async function storedCode(session: ParticipantSession, name: string, wantedHash?: string): Promise<StoredCode> {
  const rows = await readPublished(session, 'code');
  const row = rows.find((r) => r.code_name === name);
  if (!row) {
    throw new CliError(`code "${name}" is not in your control.code: check the name with \`cleanroom status code\` (you see your own code and the keeper's; the keeper sees all)`);
  }
  const owner = String(row.participant);
  const hash = (wantedHash ?? String(row.notebook_contents_hash ?? '')).toLowerCase();
  const key = codeObjectKey(owner, name, hash);
  const bytes = await readObject(session, key);
  if (!bytes) {
    throw new CliError(`the clean room has not stored code "${name}" sha256 ${hash} in your bucket (gs://${session.bucket}/${key} is missing): ask the operator to run the runtime`);
  }
  const actual = sha256Hex(bytes);
  if (actual !== hash) {
    throw new CliError(
      `gs://${session.bucket}/${key} was modified: its sha256 is ${actual}, not ${hash}. Do not review or approve it from this copy; ask the operator to republish it`,
    );
  }
  const language = String(row.notebook_language ?? '');
  const defaultParameters = String(row.default_parameters ?? '{}');
  const groupSizeColumn = typeof row.group_size_column === 'string' && row.notebook_contents_hash === hash ? row.group_size_column : null;
  // The current version's hash as the clean room published it (it covers declared reads too); an older version's is
  // worked out here (only the current version can be approved).
  const current = row.notebook_contents_hash === hash && typeof row.version_hash === 'string' ? row.version_hash : null;
  const versionHash = current ?? codeVersionHash({ hash, language: language as CodeLanguage, defaultParameters, ...(groupSizeColumn === null ? {} : { groupSizeColumn }) });
  const source = Buffer.from(bytes).toString('utf8');
  // The published one for the current version (a seed notebook's export as sent); the same digest of the source otherwise.
  const published = row.notebook_contents_hash === hash && typeof row.notebook_hash === 'string' ? row.notebook_hash : null;
  const reads = typeof row.reads === 'string' ? row.reads : null;
  const releasePolicy = releasePolicyText(session, row, await registeredDatasets(session));
  return { codeName: name, owner, language, hash, versionHash, seedHash: published ?? seedNotebookHash(source), defaultParameters, key, source, reads, groupSizeColumn, releasePolicy };
}
