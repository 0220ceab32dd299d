/**
 * Doing the effects recorded in the state, idempotently: dataset sync, job submission (the engine is
 * idempotent on jobId, so a submission repeated after a crash yields the same run) and run polling.
 * Each function updates the given state copy through the pure bookkeeping in processor/runs.ts.
 */
import type { DatasetRef, ExecutionEngine, RunSpec } from '../engines/engine';
import { EngineUnavailableError } from '../engines/errors';
import { codeBlobKey } from '../processor/effects';
import { completeDatasetSync, recordRunStatus, recordRunUnreachable, recordSubmission, recordSubmitFailure, runsToPoll } from '../processor/runs';
import type { CleanroomState } from '../processor/state';
import type { ObjectStore } from '../storage/object-store';

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
  io: { store: ObjectStore; stateBucket: string; engine: ExecutionEngine; now: number },
  report: EffectsReport,
): Promise<void> {
  if (state.pendingEffects.some((e) => e.kind === 'sync_datasets')) {
    try {
      await io.engine.syncDatasets(datasetRefs(state));
      completeDatasetSync(state);
    } catch (error) {
      // Runs must not start against a stale catalogue: submissions wait for the next pass.
      report.errors.push(`dataset sync failed, job submissions postponed: ${(error as Error).message}`);
      return;
    }
  }
  const jobIds = state.pendingEffects.flatMap((e) => (e.kind === 'submit_job' ? [e.jobId] : []));
  for (const jobId of jobIds) {
    const job = state.jobs[jobId];
    if (!job) {
      recordSubmitFailure(state, jobId, 'the job is missing from the state', io.engine.name, io.now);
      continue;
    }
    try {
      const content = new TextDecoder().decode(await io.store.get(io.stateBucket, codeBlobKey(job.hash)));
      const spec: RunSpec = {
        jobId,
        jobName: job.jobName,
        participant: job.participant,
        code: { participant: job.codeOwner, name: job.codeName, hash: job.hash, language: job.language, content },
        parameters: { ...job.parameters },
        compute: job.compute,
        datasets: datasetRefs(state),
        outputLocation: job.outputLocation,
      };
      const { runId } = await io.engine.submit(spec);
      recordSubmission(state, jobId, runId, io.engine.name, io.now);
      report.submitted.push(jobId);
    } catch (error) {
      const message = (error as Error).message;
      if (error instanceof EngineUnavailableError) {
        // An outage is not a refusal: the submission stays pending without using up an attempt. Retrying is safe,
        // the engine is idempotent on jobId.
        report.errors.push(`submission of job ${jobId} postponed, the engine is unreachable (retried next pass): ${message}`);
        continue;
      }
      recordSubmitFailure(state, jobId, message, io.engine.name, io.now);
      report.submitFailures.push({ jobId, error: message });
    }
  }
}

export async function pollRuns(
  state: CleanroomState,
  io: { engine: ExecutionEngine; now: number; retentionDays: number },
  report: EffectsReport,
): Promise<void> {
  for (const run of runsToPoll(state, io.now, io.retentionDays)) {
    try {
      recordRunStatus(state, run.jobId, await io.engine.getRun(run.runId), io.now);
      report.runsPolled++;
    } catch (error) {
      // An unreachable engine never marks a run failed: it keeps its last known state, with a note, and is polled
      // again next pass. Other errors (a definitive refusal) are reported and also retried.
      if (error instanceof EngineUnavailableError) recordRunUnreachable(state, run.jobId, io.now);
      report.errors.push(`could not poll run ${run.runId}: ${(error as Error).message}`);
    }
  }
}
