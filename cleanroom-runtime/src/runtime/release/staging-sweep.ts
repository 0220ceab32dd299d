/**
 * Staged results are the clean room's, in its state bucket: each run's staging folder is deleted once the run-history
 * retention period after its end has passed (scheduled when the run ends, released or not). A pass deletes at most
 * `listed_objects` objects (one listing page per folder), so a large backlog is worked off over several passes.
 */
import type { Limits } from '../../limits';
import { DEFAULT_LIMITS } from '../../limits';
import type { CleanroomState, RunRecord } from '../../processor/state';
import { parseGsUri } from '../../storage/location';
import type { ObjectStore } from '../../storage/object-store';
import { STAGING_PREFIX } from './release-step';

const DAY_MS = 24 * 60 * 60 * 1000;
const ENDED = new Set(['TERMINATED', 'SKIPPED', 'INTERNAL_ERROR']);

/** Remembers an ended run's staging folder for deletion after the retention period (once). */
export function scheduleStagingCleanup(state: CleanroomState, run: RunRecord | undefined, now: number, retentionDays: number): void {
  if (!run?.stagingLocation || !ENDED.has(run.lifeCycleState)) return;
  const due = (state.stagingCleanup ??= []);
  if (due.some((entry) => entry.location === run.stagingLocation)) return;
  due.push({ location: run.stagingLocation, after: (run.endTime ?? now) + retentionDays * DAY_MS });
}

/** Deletes the staging folders that are due; returns how many objects it deleted. */
export async function sweepStaging(state: CleanroomState, store: ObjectStore, now: number, limits: Limits = DEFAULT_LIMITS): Promise<number> {
  let budget = limits.listedObjects;
  let deleted = 0;
  for (const entry of [...(state.stagingCleanup ?? [])]) {
    if (entry.after > now || budget <= 0) continue;
    const { bucket, key } = parseGsUri(entry.location);
    // Only ever below the clean room's staging/: an entry is never a participant's folder.
    if (!key.startsWith(STAGING_PREFIX) || key.length <= STAGING_PREFIX.length) {
      state.stagingCleanup = state.stagingCleanup!.filter((e) => e !== entry);
      continue;
    }
    const page = await store.list(bucket, `${key.replace(/\/+$/, '')}/`, { maxResults: budget });
    for (const object of page.objects) {
      await store.delete(bucket, object.key);
      deleted++;
      budget--;
    }
    if (page.nextPageToken === undefined) state.stagingCleanup = state.stagingCleanup!.filter((e) => e !== entry);
  }
  return deleted;
}
