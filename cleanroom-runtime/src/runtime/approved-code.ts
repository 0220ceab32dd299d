/**
 * Reading a job's approved code from the state bucket before submission, telling a storage hiccup (thrown: the
 * submission waits for the next pass, no attempt used) from a definitive problem (returned: the submission is
 * refused). A blob that is missing or no longer hashes to the approved sha256 is restored from a copy the clean
 * room published to a participant bucket, when one still hashes right: participants can write their buckets, so
 * the hash is the only thing trusted.
 */
import { MAX_NOTEBOOK_BYTES, sha256Hex } from '../processor/code-content';
import { codeBlobKey, codeObjectKey } from '../processor/effects';
import { DEFAULT_LIMITS, type Limits } from '../limits';
import { NotFoundError, type ObjectStore } from '../storage/object-store';
import { withTimeBudget, type BudgetTimer } from './participant-io';

export interface CodeToRead {
  owner: string;
  name: string;
  /** The approved sha256 (hex) of the source. */
  hash: string;
}

export type ApprovedCodeRead =
  | { ok: true; content: string; /** Set when the state bucket's blob was restored from this copy. */ restoredFrom?: string }
  | { ok: false; problem: string };

/** Thrown when storage could not answer; nothing is decided, the caller retries later. */
export class CodeStorageUnavailableError extends Error {
  override readonly name = 'CodeStorageUnavailableError';
}

/**
 * The approved content of `code`. `copyBuckets`: participant buckets the code was published to, tried in order
 * when the state bucket's blob is unusable.
 */
export async function readApprovedCode(
  store: ObjectStore,
  stateBucket: string,
  code: CodeToRead,
  copyBuckets: readonly string[],
  budget: { limits?: Limits; timer?: BudgetTimer } = {},
): Promise<ApprovedCodeRead> {
  const blobKey = codeBlobKey(code.hash);
  let problem: string;
  try {
    const bytes = await store.get(stateBucket, blobKey);
    if (sha256Hex(bytes) === code.hash) return { ok: true, content: decode(bytes) };
    problem = `gs://${stateBucket}/${blobKey} does not match its sha256 (the stored approved code was altered)`;
  } catch (error) {
    if (!(error instanceof NotFoundError)) throw unavailable(`reading gs://${stateBucket}/${blobKey}`, error);
    problem = `gs://${stateBucket}/${blobKey} is missing (the stored approved code was deleted)`;
  }

  const copyKey = codeObjectKey(code.owner, code.name, code.hash);
  const transient: string[] = [];
  for (const bucket of copyBuckets) {
    let bytes: Uint8Array | undefined;
    try {
      // A participant can put anything at that key (its size is checked before it is read), or not answer at all.
      bytes = await withTimeBudget(store, (budget.limits ?? DEFAULT_LIMITS).participantReadTimeoutMs, `reading gs://${bucket}/${copyKey}`, async (budgeted) => {
        const listed = (await budgeted.list(bucket, copyKey, { maxResults: 1 })).objects.find((o) => o.key === copyKey);
        return listed && listed.size <= MAX_NOTEBOOK_BYTES ? budgeted.get(bucket, copyKey) : undefined;
      }, budget.timer);
      if (!bytes) continue;
    } catch (error) {
      if (!(error instanceof NotFoundError)) transient.push(`gs://${bucket}/${copyKey}: ${(error as Error).message}`);
      continue;
    }
    if (sha256Hex(bytes) !== code.hash) continue;
    try {
      await store.put(stateBucket, blobKey, bytes);
    } catch (error) {
      throw unavailable(`restoring gs://${stateBucket}/${blobKey}`, error);
    }
    return { ok: true, content: decode(bytes), restoredFrom: `gs://${bucket}/${copyKey}` };
  }
  // A copy that could not be read might have been the good one: decide nothing yet.
  if (transient.length > 0) throw unavailable(`${problem}; reading its published copies`, new Error(transient.join('; ')));
  return {
    ok: false,
    problem: `${problem} and no published copy has sha256 ${code.hash}: register the code again (CODE UPDATE) and submit a new job`,
  };
}

function decode(bytes: Uint8Array): string {
  return new TextDecoder().decode(bytes);
}

function unavailable(what: string, error: unknown): CodeStorageUnavailableError {
  return new CodeStorageUnavailableError(`${what} failed: ${(error as Error).message}`);
}
