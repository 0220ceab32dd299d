/**
 * Before a job principal serves another run: nothing may still act as it. Approved code holds its principal's
 * identity while it runs and could leave work behind that outlives its run — a job or a one-time run it created
 * (jobs it creates run as their creator) — which would then hold the next run's grants. The sweep deletes every job
 * the principal created or runs as and cancels every active run it created. A run of the runtime's own that may have
 * started unseen (a submission never recorded as started) is looked for under its run's name: such runs are not
 * canceled (they may be other, recorded runs of the same job), but the principal stays held while one is active.
 * Only a sweep that read every page and found nothing frees the principal: anything deleted or canceled, or a list
 * longer than read, keeps it held until a later sweep finds nothing (a canceled run ends asynchronously).
 * Lists are paginated and bounded (https://docs.databricks.com/api/workspace/jobs/list: at most 100 a page;
 * https://docs.databricks.com/api/workspace/jobs/listruns: fewer than 25 a page, default 20).
 */
import type { DatabricksClient } from './databricks-client';

/** Pages read per list: a workspace with more jobs than this is not the clean room's own. */
const MAX_PAGES = 50;
const JOBS_PAGE = 100;
const RUNS_PAGE = 20;

export class PrincipalBusyError extends Error {
  override readonly name = 'PrincipalBusyError';
}

interface Page<T> {
  has_more?: boolean;
  next_page_token?: string;
  jobs?: T[];
  runs?: T[];
}

interface ListedJob {
  job_id?: number;
  creator_user_name?: string;
  run_as_user_name?: string;
}

interface ListedRun {
  run_id?: number;
  creator_user_name?: string;
  run_name?: string;
}

/** Every item of a paginated list, or `complete: false` when more pages remain than are read. */
async function listAll<T>(client: DatabricksClient, path: string, field: 'jobs' | 'runs', query: Record<string, string | number | boolean>): Promise<{ items: T[]; complete: boolean }> {
  const items: T[] = [];
  let token: string | undefined;
  for (let page = 0; page < MAX_PAGES; page++) {
    const answer: Page<T> = await client.get<Page<T>>(path, { ...query, ...(token ? { page_token: token } : {}) });
    items.push(...(answer[field] ?? []));
    token = answer.has_more ? answer.next_page_token : undefined;
    if (!token) return { items, complete: true };
  }
  return { items, complete: false };
}

/**
 * Whether the caller is a workspace admin (SCIM Me lists the `admins` group): only admins see every job and run
 * (https://docs.databricks.com/jobs/privileges.html), and a sweep that cannot see frees nothing.
 */
export async function callerIsWorkspaceAdmin(client: DatabricksClient): Promise<boolean> {
  const me = await client.get<{ groups?: Array<{ display?: unknown }> }>('/api/2.0/preview/scim/v2/Me');
  return (me.groups ?? []).some((group) => group.display === 'admins');
}

/** Deletes what the principal left behind; throws PrincipalBusyError unless nothing acts as it any more. */
export async function sweepPrincipal(
  client: DatabricksClient,
  principal: string,
  caller: { isAdmin: () => Promise<boolean>; principal: () => Promise<string> },
  unseenRunName?: string,
): Promise<void> {
  if (!(await caller.isAdmin())) {
    throw new PrincipalBusyError(
      `job principal ${principal} is not free yet: the runtime's principal is not a workspace admin, so it cannot see what may still act as the job principal; ` +
        'add the runtime principal to the clean room workspace\'s admins group',
    );
  }
  const same = (name: string | undefined, who: string) => name !== undefined && name.toLowerCase() === who.toLowerCase();
  const jobs = await listAll<ListedJob>(client, '/api/2.1/jobs/list', 'jobs', { limit: JOBS_PAGE });
  const theirs = jobs.items.filter((job) => typeof job.job_id === 'number' && (same(job.creator_user_name, principal) || same(job.run_as_user_name, principal)));
  for (const job of theirs) await client.post('/api/2.1/jobs/delete', { job_id: job.job_id });

  const runs = await listAll<ListedRun>(client, '/api/2.1/jobs/runs/list', 'runs', { active_only: true, limit: RUNS_PAGE });
  const started = runs.items.filter((run) => typeof run.run_id === 'number' && same(run.creator_user_name, principal));
  // https://docs.databricks.com/api/workspace/jobs/cancelrun: asynchronous; the run may still be terminating.
  for (const run of started) await client.post('/api/2.1/jobs/runs/cancel', { run_id: run.run_id });
  const runtime = unseenRunName === undefined ? undefined : await caller.principal();
  const unseen = runtime === undefined ? [] : runs.items.filter((run) => run.run_name === unseenRunName && same(run.creator_user_name, runtime));

  const why = [
    ...(theirs.length > 0 ? [`${theirs.length} job(s) it created, now deleted`] : []),
    ...(started.length > 0 ? [`${started.length} active run(s) it started (${started.slice(0, 5).map((r) => r.run_id).join(', ')}), now canceled`] : []),
    ...(unseen.length > 0 ? [`${unseen.length} active run(s) under the name of a submission never recorded as started`] : []),
    ...(jobs.complete && runs.complete ? [] : ['more jobs or runs than one sweep reads']),
  ];
  if (why.length > 0) throw new PrincipalBusyError(`job principal ${principal} is not free yet: ${why.join('; ')}; it stays held until a sweep finds nothing`);
}
