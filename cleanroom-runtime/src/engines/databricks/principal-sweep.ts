/**
 * Before a job principal serves another run: nothing may still act as it. Approved code holds its principal's
 * identity while it runs and could leave work behind that outlives its run — a job or a one-time run it created
 * (jobs it creates run as their creator) — which would then hold the next run's grants. The sweep deletes every job
 * the principal created or runs as, and cancels every active run it created; when a submission of the runtime's may
 * have reached Databricks unseen (an outage on runs/submit), active runs under that run's name are canceled too. The
 * principal stays held while any of those runs is still active (a canceled run ends asynchronously).
 * Lists are paginated and bounded (https://docs.databricks.com/api/workspace/jobs/list,
 * https://docs.databricks.com/api/workspace/jobs/listruns).
 */
import type { DatabricksClient } from './databricks-client';

/** Pages read per list: a workspace with more jobs than this is not the clean room's own. */
const MAX_PAGES = 50;

export class PrincipalBusyError extends Error {
  override readonly name = 'PrincipalBusyError';
}

interface JobsPage {
  jobs?: Array<{ job_id?: number; creator_user_name?: string; run_as_user_name?: string }>;
  has_more?: boolean;
  next_page_token?: string;
}

interface RunsPage {
  runs?: Array<{ run_id?: number; creator_user_name?: string; run_name?: string }>;
  has_more?: boolean;
  next_page_token?: string;
}

/** Deletes what the principal left behind; throws PrincipalBusyError while runs acting as it are still active. */
export async function sweepPrincipal(client: DatabricksClient, principal: string, runtimePrincipal: () => Promise<string>, unseenRunName?: string): Promise<void> {
  const same = (name: string | undefined) => name !== undefined && name.toLowerCase() === principal.toLowerCase();
  let token: string | undefined;
  for (let page = 0; page < MAX_PAGES; page++) {
    const answer: JobsPage = await client.get<JobsPage>('/api/2.1/jobs/list', { limit: 100, ...(token ? { page_token: token } : {}) });
    for (const job of answer.jobs ?? []) {
      if (typeof job.job_id === 'number' && (same(job.creator_user_name) || same(job.run_as_user_name))) {
        await client.post('/api/2.1/jobs/delete', { job_id: job.job_id });
      }
    }
    token = answer.has_more ? answer.next_page_token : undefined;
    if (!token) break;
  }
  const runtime = unseenRunName === undefined ? undefined : await runtimePrincipal();
  const active: number[] = [];
  token = undefined;
  for (let page = 0; page < MAX_PAGES; page++) {
    const answer: RunsPage = await client.get<RunsPage>('/api/2.1/jobs/runs/list', { active_only: true, limit: 25, ...(token ? { page_token: token } : {}) });
    for (const run of answer.runs ?? []) {
      const unseen = unseenRunName !== undefined && run.run_name === unseenRunName && run.creator_user_name?.toLowerCase() === runtime?.toLowerCase();
      if (typeof run.run_id === 'number' && (same(run.creator_user_name) || unseen)) active.push(run.run_id);
    }
    token = answer.has_more ? answer.next_page_token : undefined;
    if (!token) break;
  }
  // https://docs.databricks.com/api/workspace/jobs/cancelrun: asynchronous; the run may still be terminating.
  for (const runId of active) await client.post('/api/2.1/jobs/runs/cancel', { run_id: runId });
  if (active.length > 0) {
    throw new PrincipalBusyError(`job principal ${principal} still has ${active.length} active run(s) acting as it (${active.slice(0, 5).join(', ')}), now canceled; it stays held until they end`);
  }
}
