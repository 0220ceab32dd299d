/**
 * The release gate: engines write a run's result to a staging location the clean room owns (the state bucket's
 * `staging/`), never to a participant's `output/`. Once the run succeeds, a release step owned by the runtime —
 * not by participant code — checks the staged result against the release policy of the datasets the run read
 * (processor/release-policy.ts) and writes the released rows as a Delta table at the output, or refuses.
 *
 * Two implementations: local-release.ts (DuckDB, in the runtime's process) and databricks-release.ts (a release
 * notebook submitted as the runtime's principal, the checks done by Spark).
 */
import { createHash } from 'node:crypto';
import type { DatasetRef } from '../../engines/engine';
import type { EffectiveReleasePolicy } from '../../processor/release-policy';
import type { ReleaseRecord } from '../../processor/state';

export interface ReleaseRequest {
  jobId: string;
  runId: string;
  /** Where the engine wrote the result (a Delta table under the state bucket's staging/). */
  stagingLocation: string;
  /** The submitter's output (inside its `output/`). */
  outputLocation: string;
  policy: EffectiveReleasePolicy;
  /** The code's group-size column (lower case), or null when it declares none. */
  groupSizeColumn: string | null;
  /** The datasets the run read that carry identifier columns, at the versions the run read. */
  identifierDatasets: DatasetRef[];
}

export type ReleaseProgress = { done: true; outcome: ReleaseRecord } | { done: false; note: string };

export interface ReleaseStep {
  readonly name: 'local' | 'databricks';
  /** Decides (and writes the output), or says it is still deciding (an asynchronous release run). */
  release(request: ReleaseRequest): Promise<ReleaseProgress>;
}

/** The release could not be decided for a reason of infrastructure (storage, engine): retried next pass. */
export class ReleaseUnavailableError extends Error {
  override readonly name = 'ReleaseUnavailableError';
}

const PLAIN_ID = /^[A-Za-z0-9_-]{1,100}$/;

/** `gs://<state bucket>/staging/<job>`: one folder per job, named by its id when plain, else by a digest of it. */
export function stagingLocationFor(stateBucket: string, jobId: string): string {
  const segment = PLAIN_ID.test(jobId) ? jobId : `_${createHash('sha256').update(jobId).digest('hex').slice(0, 32)}`;
  return `gs://${stateBucket}/${STAGING_PREFIX}${segment}`;
}

export const STAGING_PREFIX = 'staging/';

/** The refusal every step gives when a min_group_size applies but the code names no group-size column. */
export function missingGroupSizeColumn(policy: EffectiveReleasePolicy): string | null {
  if (policy.minGroupSize === null) return null;
  return `refused (rule min_group_size ${policy.minGroupSize.value}, set by ${policy.minGroupSize.setBy.join(', ')}): the code declares no group-size column, so small groups cannot be suppressed; ` +
    'register the code again with --group-size-column <the output column holding the number of distinct individuals each row describes>';
}
