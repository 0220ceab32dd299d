/**
 * Doing the effects recorded in the state, idempotently: dataset sync, job submission (the engine is
 * idempotent on jobId, so a submission repeated after a crash yields the same run) and run polling.
 * Each function updates the given state copy through the pure bookkeeping in processor/runs.ts.
 */
import type { DatasetRef, ExecutionEngine, RunSpec } from '../engines/engine';
import { AccessNotCurrentError, EngineUnavailableError, RunNotFoundError, RunRefusedError } from '../engines/errors';
import type { Limits } from '../limits';
import { versionedInputs } from '../engines/run-inputs';
import type { ParticipantInfo } from '../processor/context';
import { codeObjectKey } from '../processor/effects';
import { codePathSegment } from '../processor/names';
import {
  completeDatasetSync,
  recordRunStatus,
  recordRunUnknownToEngine,
  recordRunUnreachable,
  recordSubmission,
  recordSubmitFailure,
  recordSubmitRefused,
  runsToPoll,
} from '../processor/runs';
import { pinnedCodeProblem, runTarget } from '../processor/schedules';
import type { ApprovalPolicy } from '../config/approval-schema';
import { lapseReason, policyOf } from '../processor/approval-policy';
import { recordOf, type CleanroomState, type RunAccessRecord } from '../processor/state';
import { markRunEnded, pendingAccess } from '../processor/run-principals';
import type { ObjectStore } from '../storage/object-store';
import { CodeStorageUnavailableError, readApprovedCode } from './approved-code';
import { confineDatasets, DatasetCheckUnavailableError } from './dataset-confinement';
import type { BudgetTimer } from './participant-io';
import { changedInputs, inputsCheckedAfterRun, withInputsChecked } from './run-inputs-check';
import { OutputCheckUnavailableError, outputProblem, withOutputChecked } from './run-output';
import type { ReleasePolicySources } from '../processor/release-policy';
import { releaseRun } from './release/release-run';
import { scheduleStagingCleanup } from './release/staging-sweep';
import { ReleaseUnavailableError, stagingLocationFor, type ReleaseStep } from './release/release-step';
import type { LeaseCheck } from './run-access';

export interface EffectsReport {
  submitted: string[];
  submitFailures: Array<{ jobId: string; error: string }>;
  runsPolled: number;
  errors: string[];
}

export function datasetRefs(state: CleanroomState): DatasetRef[] {
  return Object.values(state.datasets)
    .map((d) => ({ participant: d.participant, table: d.table, location: d.location, format: d.format }))
    .sort((a, b) => `${a.participant}.${a.table}`.localeCompare(`${b.participant}.${b.table}`));
}

export async function performEffects(
  state: CleanroomState,
  io: {
    store: ObjectStore;
    stateBucket: string;
    engine: ExecutionEngine;
    now: number;
    /** Where published code copies live, to restore a lost or altered code blob from (default: none). */
    participants?: readonly ParticipantInfo[];
    /** Bounds on reading participants' datasets and code copies (default: DEFAULT_LIMITS). */
    limits?: Limits;
    /** The clock of participants' time budgets (default: the system clock). */
    budgetTimer?: BudgetTimer;
    /** Who approves code: an approval that lapsed (expiry, run limit) stops submissions (default: the keeper). */
    approval?: ApprovalPolicy;
    /** The runtime's release gate: with it, runs write to the state bucket's staging/ and only released rows reach output/. */
    release?: ReleaseStep;
    /** Confirms, right before anything is granted, that the run's principal is still its own in the newest state. */
    leaseIsCurrent?: LeaseCheck;
  },
  report: EffectsReport,
): Promise<void> {
  // On an engine that isolates runs, a submission waits until it holds a job principal (runtime/run-access.ts).
  const isolated = io.engine.isolation !== undefined;
  // A submission whose job is gone has nothing to wait for: it fails as before, with no principal.
  const jobIds = state.pendingEffects.flatMap((e) => (e.kind === 'submit_job' && (!isolated || e.access || !runTarget(state, e.jobId)?.job) ? [e.jobId] : []));
  const mustSync = state.pendingEffects.some((e) => e.kind === 'sync_datasets');
  if (!mustSync && jobIds.length === 0) return; // idle: no dataset check, no storage request
  // Checked once per pass, before the catalogue or any run sees them: a dataset whose Delta log its owner made
  // unreadable (e.g. files in another participant's bucket) is left out, so the engine drops its table.
  let datasets: DatasetRef[];
  try {
    // A sync alone trusts the checks remembered from registration; a submission confirms each with one list call,
    // only for the datasets the submitted code reads (all of them for a sync, or for code whose reads are unknown).
    const registered = datasetRefs(state);
    const read = mustSync ? undefined : readsOfJobs(state, jobIds);
    const checked = read === undefined ? registered : registered.filter((d) => read.has(`${d.participant}.${d.table}`));
    const cache = { records: (state.datasetChecks ??= {}), confirm: jobIds.length > 0, partial: checked.length < registered.length };
    const confined = await confineDatasets(io.store, checked, io.limits, io.budgetTimer, cache);
    for (const { dataset, reason } of confined.refused) {
      report.errors.push(`dataset ${dataset.participant}.${dataset.table} left out of job runs this pass, its Delta table at ${dataset.location} is refused: ${reason} (its owner must fix the table)`);
    }
    datasets = confined.usable;
  } catch (error) {
    if (!(error instanceof DatasetCheckUnavailableError)) throw error;
    // Never drop a dataset on a storage hiccup: nothing is synced or submitted, no attempt is used.
    report.errors.push(`dataset sync and job submissions postponed, a dataset could not be checked (retried next pass): ${error.message}`);
    return;
  }
  if (mustSync) {
    try {
      await io.engine.syncDatasets(datasets);
      completeDatasetSync(state);
    } catch (error) {
      // Runs must not start against a stale catalogue: submissions wait for the next pass.
      report.errors.push(`dataset sync failed, job submissions postponed: ${(error as Error).message}`);
      return;
    }
  }
  for (const jobId of jobIds) {
    // jobId here is the run key: the job id (ad hoc) or `<job id>@<occurrence>` (scheduled, see schedules.ts).
    const target = runTarget(state, jobId);
    const job = target?.job;
    if (!target || !job) {
      recordSubmitFailure(state, jobId, 'the job is missing from the state', io.engine.name, io.now);
      continue;
    }
    // Approval is checked again at submission: a rejection, update or deletion since the job was accepted (or
    // while its submission was postponed) must stop it.
    const code = recordOf(state.code, job.codeName);
    const lapsed = code ? lapseReason(code, policyOf(io), io.now) : undefined;
    const revoked = pinnedCodeProblem(state, job) ?? (lapsed === undefined ? undefined : `code "${job.codeName}": ${lapsed}`);
    if (revoked !== undefined) {
      const error = `not started: ${revoked} after the job was accepted; submit the job again once the code you want to run is approved`;
      recordSubmitRefused(state, jobId, error, io.engine.name, io.now);
      report.submitFailures.push({ jobId, error });
      continue;
    }
    let content: string;
    try {
      const pinned = { owner: job.codeOwner, name: job.codeName, hash: job.hash };
      const read = await readApprovedCode(io.store, io.stateBucket, pinned, copyBuckets(state, io.participants ?? [], pinned), { limits: io.limits, timer: io.budgetTimer });
      if (!read.ok) {
        recordSubmitFailure(state, jobId, read.problem, io.engine.name, io.now);
        report.submitFailures.push({ jobId, error: read.problem });
        continue;
      }
      if (read.restoredFrom) report.errors.push(`the approved code of job ${jobId} was restored into the state bucket from ${read.restoredFrom}`);
      content = read.content;
    } catch (error) {
      if (!(error instanceof CodeStorageUnavailableError)) throw error;
      // A storage hiccup is not a refusal: no attempt is used, the submission waits for the next pass.
      report.errors.push(`submission of job ${jobId} postponed, its approved code could not be read (retried next pass): ${error.message}`);
      continue;
    }
    try {
      const spec: RunSpec = {
        jobId,
        jobName: job.jobName,
        participant: job.participant,
        // Engines put the code at a path: they get its path segment, which is the name itself for plain names.
        code: { participant: job.codeOwner, name: codePathSegment(job.codeName), hash: job.hash, language: job.language, content },
        parameters: target.parameters,
        compute: job.compute,
        // A run sees the datasets its code reads when they are known (parsed or declared), else every dataset.
        datasets: code?.reads === undefined ? datasets : datasets.filter((d) => code.reads!.includes(`${d.participant}.${d.table}`)),
        outputLocation: job.outputLocation,
        ...(io.release ? { stagingLocation: stagingLocationFor(io.stateBucket, jobId) } : {}),
        ...accessOf(pendingAccess(state, jobId)),
      };
      const principal = spec.access?.principal;
      const check = io.leaseIsCurrent;
      const { runId } = await io.engine.submit(spec, principal !== undefined && check ? { confirmAccess: () => check(jobId, principal, 'grant') } : {});
      if (code && state.runs[jobId]?.runId !== runId) code.approval.runs = (code.approval.runs ?? 0) + 1;
      recordSubmission(state, jobId, runId, io.engine.name, io.now, Object.fromEntries(versionedInputs(spec).map((i) => [i.name, i.version])));
      const run = state.runs[jobId];
      if (spec.stagingLocation !== undefined && run && run.stagingLocation === undefined) {
        // What the release gate needs later: where the result is, which datasets' policies apply, the group-size column.
        run.stagingLocation = spec.stagingLocation;
        run.datasetsRead = spec.datasets.map((d) => `${d.participant}.${d.table}`);
        run.groupSizeColumn = code?.groupSizeColumn ?? null;
      }
      report.submitted.push(jobId);
    } catch (error) {
      const message = (error as Error).message;
      if (error instanceof EngineUnavailableError) {
        // An outage is not a refusal: the submission stays pending without using up an attempt. Retrying is safe,
        // the engine is idempotent on jobId.
        report.errors.push(`submission of job ${jobId} postponed, the engine is unreachable (retried next pass): ${message}`);
        continue;
      }
      if (error instanceof AccessNotCurrentError) {
        report.errors.push(`submission of job ${jobId} left to the newest state: another pass committed since this one read it`);
        continue;
      }
      if (error instanceof RunRefusedError) {
        // The engine will never run it as it is: no retry, a FAILED run that says why.
        recordSubmitRefused(state, jobId, message, io.engine.name, io.now);
        report.submitFailures.push({ jobId, error: message });
        continue;
      }
      recordSubmitFailure(state, jobId, message, io.engine.name, io.now);
      report.submitFailures.push({ jobId, error: message });
    }
  }
}

function accessOf(held: RunAccessRecord | undefined): Pick<RunSpec, 'access'> {
  return held ? { access: { principal: held.principal, reads: held.reads, staging: held.staging } } : {};
}

/** Participant buckets the clean room published this code to, the owner's first. */
function copyBuckets(state: CleanroomState, participants: readonly ParticipantInfo[], code: { owner: string; name: string; hash: string }): string[] {
  const key = codeObjectKey(code.owner, code.name, code.hash);
  return participants
    .filter((p) => (state.publishedCode[p.name] ?? []).includes(key))
    .sort((a, b) => Number(b.name === code.owner) - Number(a.name === code.owner))
    .map((p) => p.bucket);
}

export async function pollRuns(
  state: CleanroomState,
  io: {
    engine: ExecutionEngine;
    now: number;
    retentionDays: number;
    /** Where runs' outputs are checked after SUCCESS (unset: not checked). */
    store?: ObjectStore;
    limits?: Limits;
    budgetTimer?: BudgetTimer;
    /** The release gate, for runs that wrote to staging, and the policies it applies. */
    release?: ReleaseStep;
    releasePolicies?: ReleasePolicySources;
  },
  report: EffectsReport,
): Promise<void> {
  for (const run of runsToPoll(state, io.now, io.retentionDays)) {
    try {
      const reported = await io.engine.getRun(run.runId);
      // What the engine says of the code run itself (the release may still be deciding): over frees its principal.
      markRunEnded(run, reported, io.now);
      let status = reported;
      const output = runTarget(state, run.jobId)?.job?.outputLocation;
      const staged = run.stagingLocation;
      if (status.resultState === 'SUCCESS' && run.resultState !== 'SUCCESS' && io.store && output) {
        status = withOutputChecked(status, output, await outputProblem(io.store, staged ?? output, io.limits, io.budgetTimer));
        const job = runTarget(state, run.jobId)?.job;
        if (status.resultState === 'SUCCESS' && job && run.inputVersions && inputsCheckedAfterRun(run)) {
          status = withInputsChecked(status, await changedInputs(io.store, state, run.inputVersions, io.limits, io.budgetTimer), job);
        }
      }
      if (status.resultState === 'SUCCESS' && run.resultState !== 'SUCCESS' && staged !== undefined && output && run.release === undefined) {
        if (!io.release) {
          report.errors.push(`run ${run.runId} of job ${run.jobId} ended SUCCESS; its staged result waits for the release gate, which this runtime has not configured`);
          continue;
        }
        status = await releaseRun(state, run, status, output, { release: io.release, ...(io.releasePolicies ? { policies: io.releasePolicies } : {}) });
      }
      recordRunStatus(state, run.jobId, status, io.now);
      scheduleStagingCleanup(state, state.runs[run.jobId], io.now, io.retentionDays);
      report.runsPolled++;
    } catch (error) {
      if (error instanceof ReleaseUnavailableError) {
        report.errors.push(`run ${run.runId} of job ${run.jobId} ended SUCCESS; its release could not be decided yet (retried next pass): ${error.message}`);
        continue;
      }
      if (error instanceof OutputCheckUnavailableError) {
        // The run keeps its last known state until its output can be read.
        report.errors.push(`run ${run.runId} of job ${run.jobId} ended SUCCESS; its output could not be checked yet (retried next pass): ${error.message}`);
        continue;
      }
      // An unreachable engine never marks a run failed: it keeps its last known state, with a note, and is polled
      // again next pass. Other errors (a definitive refusal) are reported and also retried.
      if (error instanceof EngineUnavailableError) recordRunUnreachable(state, run.jobId, io.now);
      // A run the engine has forgotten (past its run history) would otherwise be polled, and fail, forever.
      if (error instanceof RunNotFoundError && recordRunUnknownToEngine(state, run.jobId, error.message, io.retentionDays, io.now)) {
        report.errors.push(`run ${run.runId} of job ${run.jobId} closed as INTERNAL_ERROR and no longer polled: ${error.message}`);
        continue;
      }
      report.errors.push(`could not poll run ${run.runId}: ${(error as Error).message}`);
    }
  }
}

/** Every dataset the code of these submissions reads, or undefined when one of them may read any. */
function readsOfJobs(state: CleanroomState, runKeys: readonly string[]): Set<string> | undefined {
  const reads = new Set<string>();
  for (const key of runKeys) {
    const job = runTarget(state, key)?.job;
    const code = job ? recordOf(state.code, job.codeName) : undefined;
    if (!job) continue;
    if (code?.reads === undefined) return undefined;
    for (const name of code.reads) reads.add(name);
  }
  return reads;
}
