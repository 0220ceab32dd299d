/**
 * What the I/O layer must do after a decision. Effects are recorded in the state (pendingEffects) in the same
 * compare-and-swap commit as the decision, then done idempotently and removed; a crash in between is finished by
 * the next pass. Code objects and published views are not effects: they are reconciled from the state every
 * pass (see views.ts), which also covers participants onboarded later.
 */
import { codePathSegment } from './names';
import type { RunAccessRecord } from './state';

export type Effect =
  /** Make the engine's dataset catalogue equal to the registry (before any run that may read it). */
  | { kind: 'sync_datasets' }
  /** Submit the job's run; the engine is idempotent on jobId, so repeating after a crash is safe. */
  | { kind: 'submit_job'; jobId: string; attempts: number; access?: RunAccessRecord };

/**
 * Content the I/O layer must persist in the state bucket *before* committing the state that refers to it.
 * Content-addressed, so writing it for a decision that then loses the compare-and-swap is harmless.
 */
export interface Blob {
  key: string;
  content: string;
}

/** Where a code version's content lives in the state bucket. */
export function codeBlobKey(hash: string): string {
  return `code-blobs/${hash}`;
}

/**
 * Where a code version is copied in every participant bucket allowed to see it (the seed's layout); the name
 * is mapped to a path segment (names.ts codePathSegment: the name itself unless it holds spaces or punctuation).
 */
export function codeObjectKey(owner: string, name: string, hash: string): string {
  return `code/${owner}/${codePathSegment(name)}/${hash}`;
}
