/**
 * The release step of one run, as the runtime's poll does it once the engine reports SUCCESS: the policy of the
 * datasets the run could read (processor/release-policy.ts, over the reviewed configuration as it is now), the
 * release step's decision, and the run status that says it. A refused result makes the run FAILED (nothing reached
 * the output) with the release message; a released one keeps SUCCESS. The decision is kept on the run record.
 */
import type { DatasetRef, RunStatus } from '../../engines/engine';
import { NO_RELEASE_POLICIES, releasePolicyFor, type ReleasePolicySources } from '../../processor/release-policy';
import type { CleanroomState, RunRecord } from '../../processor/state';
import type { ReleaseStep } from './release-step';

export interface ReleaseRunIo {
  release: ReleaseStep;
  policies?: ReleasePolicySources;
}

/** The status to record: decided (SUCCESS or FAILED with the release outcome) or still releasing (TERMINATING). */
export async function releaseRun(state: CleanroomState, run: RunRecord, status: RunStatus, outputLocation: string, io: ReleaseRunIo): Promise<RunStatus> {
  const registered = Object.values(state.datasets).map((d) => `${d.participant}.${d.table}`);
  const policy = releasePolicyFor(run.datasetsRead, registered, io.policies ?? NO_RELEASE_POLICIES);
  const withIdentifiers = new Set(policy.identifiers.map((i) => i.dataset));
  const identifierDatasets: DatasetRef[] = Object.values(state.datasets)
    .filter((d) => withIdentifiers.has(`${d.participant}.${d.table}`))
    .map((d) => {
      const version = run.inputVersions?.[`${d.participant}.${d.table}`];
      return { participant: d.participant, table: d.table, location: d.location, format: d.format, ...(version === undefined ? {} : { version }) };
    });
  const progress = await io.release.release({
    jobId: run.jobId,
    runId: run.runId,
    stagingLocation: run.stagingLocation!,
    outputLocation,
    policy,
    groupSizeColumn: run.groupSizeColumn ?? null,
    identifierDatasets,
  });
  if (!progress.done) {
    const { resultState: _ended, ...running } = status;
    return { ...running, lifeCycleState: 'TERMINATING', stateMessage: `the run succeeded; the release gate is checking its result (${progress.note})` };
  }
  run.release = progress.outcome;
  if (progress.outcome.state === 'REFUSED') {
    return { ...status, resultState: 'FAILED', stateMessage: `the run succeeded but its result was not released: ${progress.outcome.message}`, error: progress.outcome.message };
  }
  return { ...status, stateMessage: progress.outcome.message };
}
