import { parseEvent } from '../../src/events/parse-event';
import { advanceSchedules, hasScheduleWork, parseJobSchedule, runTarget } from '../../src/processor/schedules';
import { viewFor } from '../../src/processor/views';
import { ADVERTISER, AGENCY, cli, Harness, KEEPER, seed, sourceHash, SQL_SOURCE, versionHash } from './fixtures';

const OUT = 'gs://advertiser-bucket/output/weekly';
const WEEKLY = '0 6 * * 1'; // Mondays 06:00 UTC; the harness starts on Thursday 2026-01-15 09:01
const at = (iso: string) => Date.parse(iso);

function ready(): Harness {
  const h = new Harness();
  h.ok(ADVERTISER, cli.code('adv_match', 'INSERT', SQL_SOURCE));
  h.ok(KEEPER, cli.approval('CODE_REQUEST_APPROVED', { code_name: 'adv_match' }, versionHash(SQL_SOURCE), 'ok'));
  return h;
}

function scheduled(h: Harness, name = 'weekly', schedule = WEEKLY): string {
  const row = seed.job(name, 'adv_match', `{"output": "${OUT}"}`, 'Small', h.now, schedule);
  h.ok(ADVERTISER, row);
  return row.uuid as string;
}

const deleteRow = (name: string) => cli.row('JOB', { job_name: name, action: 'DELETE' });

describe('the schedule field', () => {
  test('ad hoc words, cron, and clear refusals', () => {
    for (const word of ['', ' ', 'ad-hoc', 'AdHoc', 'once', 'now']) expect(parseJobSchedule(word)).toEqual({ ok: true, schedule: { kind: 'ad-hoc' } });
    const weekly = parseJobSchedule('  0  6 * *   1 ');
    expect(weekly.ok && weekly.schedule.kind === 'cron' && weekly.schedule.expression).toBe('0 6 * * 1');
    expect(parseJobSchedule('daily')).toEqual({ ok: false, message: 'schedule "daily" is not supported: write it as a 5-field cron expression in UTC, e.g. "0 0 * * *", or use "ad-hoc" for a single run' });
    expect(parseJobSchedule('@weekly')).toEqual({ ok: false, message: expect.stringContaining('e.g. "0 0 * * 0"') });
    expect(parseJobSchedule('0 0 31 2 *')).toEqual({ ok: false, message: 'schedule "0 0 31 2 *" is refused: it never runs: day 31 does not exist in FEB; choose days that exist in the chosen months' });
    expect(parseJobSchedule('0 25 * * *')).toEqual({ ok: false, message: expect.stringMatching(/^schedule "0 25 \* \* \*" is not valid: .*its hour field "25" must use \*, numbers 0-23/) });
  });
});

describe('registering a scheduled job', () => {
  test('same checks as ad hoc, no run now, the first occurrence shown', () => {
    const h = ready();
    const row = seed.job('weekly', 'adv_match', `{"output": "${OUT}"}`, 'Small', h.now, WEEKLY);
    const outcome = h.ok(ADVERTISER, row);
    const id = row.uuid as string;
    expect(outcome.message).toBe(
      `job "weekly" scheduled (id ${id}): runs code "adv_match" sha256 ${sourceHash(SQL_SOURCE)} on Small at "0 6 * * 1" (UTC), first run at 2026-01-19T06:00:00.000Z; each run overwrites ${OUT}; follow it in control.jobs and control.runs`,
    );
    expect(outcome.effects).toEqual([]);
    expect(h.state.jobs[id]).toMatchObject({ schedule: WEEKLY, status: 'ACTIVE', nextRunAt: at('2026-01-19T06:00:00Z') });
    const jobsView = viewFor(h.state, ADVERTISER, KEEPER.name).jobs;
    expect(jobsView).toEqual([expect.objectContaining({ job_id: id, schedule: WEEKLY, status: 'ACTIVE', status_message: 'runs on "0 6 * * 1" (UTC); no run yet', next_run_at: BigInt(at('2026-01-19T06:00:00Z')) * 1000n })]);
    expect(h.send(ADVERTISER, seed.job('weekly', 'adv_match', `{"output": "${OUT}"}`, 'Small', h.now, '0 7 * * *')).message).toBe(
      `a scheduled job named "weekly" is already active (id ${id}): delete it first (action DELETE), or choose another name`,
    );
    expect(h.send(ADVERTISER, seed.job('x', 'adv_match', `{"output": "gs://publisher-bucket/output/x"}`, 'Small', h.now, WEEKLY)).message).toMatch(/is outside gs:\/\/advertiser-bucket\/output\//);
    expect(h.send(ADVERTISER, seed.job('x', 'adv_match', `{"output": "${OUT}", "run_time": "x"}`, 'Small', h.now, WEEKLY)).message).toBe(
      'parameter "run_time" is set by the clean room for each run (the ISO time of its occurrence): remove it from the job\'s parameters',
    );
    expect(h.send(ADVERTISER, seed.job('x', 'adv_match', `{"output": "${OUT}"}`, 'Small', h.now, '0 0 30 2 *')).message).toMatch(/^schedule "0 0 30 2 \*" is refused: it never runs/);
  });
});

describe('advanceSchedules', () => {
  test('nothing before the occurrence; one run at it; one catch-up run after a gap, the skipped ones named', () => {
    const h = ready();
    const id = scheduled(h);
    expect(hasScheduleWork(h.state, at('2026-01-19T05:59:59Z'))).toBe(false);
    expect(advanceSchedules(h.state, at('2026-01-19T05:59:59Z'))).toEqual([]);

    const monday = at('2026-01-19T06:00:20Z');
    expect(hasScheduleWork(h.state, monday)).toBe(true);
    expect(advanceSchedules(h.state, monday)).toEqual([{ kind: 'submit_job', jobId: `${id}@2026-01-19T06:00:00.000Z`, attempts: 0 }]);
    expect(advanceSchedules(h.state, monday + 1000)).toEqual([]);
    expect(h.state.jobs[id]).toMatchObject({ nextRunAt: at('2026-01-26T06:00:00Z'), statusMessage: 'runs on "0 6 * * 1" (UTC); last run for 2026-01-19T06:00:00.000Z' });

    // Three weeks later: the 26th, 2nd and 9th were missed; only the 9th runs.
    expect(advanceSchedules(h.state, at('2026-02-10T12:00:00Z'))).toEqual([{ kind: 'submit_job', jobId: `${id}@2026-02-09T06:00:00.000Z`, attempts: 0 }]);
    expect(h.state.jobs[id]!.statusMessage).toBe(
      'runs on "0 6 * * 1" (UTC); last run for 2026-02-09T06:00:00.000Z; skipped 2 missed occurrences (2026-01-26T06:00:00.000Z to 2026-02-02T06:00:00.000Z): after a gap only the latest runs',
    );
    expect(h.state.jobs[id]!.nextRunAt).toBe(at('2026-02-16T06:00:00Z'));
  });

  test('every run gets run_time: the occurrence for scheduled runs, the acceptance time for ad hoc ones', () => {
    const h = ready();
    const id = scheduled(h);
    const [effect] = advanceSchedules(h.state, at('2026-01-19T06:00:00Z'));
    expect(runTarget(h.state, effect!.kind === 'submit_job' ? effect!.jobId : '')?.parameters).toEqual({ output: OUT, run_time: '2026-01-19T06:00:00.000Z' });
    const adHoc = seed.job('once', 'adv_match', `{"output": "${OUT}"}`, 'Small', h.now);
    h.ok(ADVERTISER, adHoc);
    expect(runTarget(h.state, adHoc.uuid as string)?.parameters.run_time).toBe(new Date(h.state.jobs[adHoc.uuid as string]!.createdAt).toISOString());
    expect(runTarget(h.state, `${id}x@2026-01-19T06:00:00.000Z`)).toBeUndefined();
  });

  test('updated, rejected or deleted code stops the job with the reason; no run is decided', () => {
    const h = ready();
    const id = scheduled(h);
    h.ok(ADVERTISER, cli.code('adv_match', 'UPDATE', 'SELECT 2'));
    expect(hasScheduleWork(h.state, h.now)).toBe(true);
    expect(advanceSchedules(h.state, at('2026-01-19T06:00:00Z'))).toEqual([]);
    expect(h.state.jobs[id]).toMatchObject({ status: 'STOPPED', nextRunAt: null });
    expect(h.state.jobs[id]!.statusMessage).toBe(
      `stopped at 2026-01-19T06:00:00.000Z: code "adv_match" was updated (now sha256 ${sourceHash('SELECT 2')}; the job was registered for sha256 ${sourceHash(SQL_SOURCE)}); no further runs. Submit the job again once the code you want to run is approved`,
    );
    expect(hasScheduleWork(h.state, at('2026-02-19T06:00:00Z'))).toBe(false);
    expect(viewFor(h.state, ADVERTISER, KEEPER.name).jobs[0]).toMatchObject({ status: 'STOPPED', next_run_at: null });

    const r = ready();
    const rejected = scheduled(r);
    r.ok(KEEPER, cli.approval('CODE_REQUEST_REJECTED', { code_name: 'adv_match' }, versionHash(SQL_SOURCE), 'joins on raw ids'));
    advanceSchedules(r.state, r.now);
    expect(r.state.jobs[rejected]!.statusMessage).toMatch(/: code "adv_match" was rejected: joins on raw ids; no further runs/);

    const d = ready();
    const deleted = scheduled(d);
    d.ok(ADVERTISER, cli.code('adv_match', 'DELETE', ''));
    advanceSchedules(d.state, d.now);
    expect(d.state.jobs[deleted]!.statusMessage).toMatch(/: code "adv_match" was deleted; no further runs/);
  });
});

describe('occurrences while an earlier run waits to be submitted', () => {
  const EVERY_MINUTE = '* * * * *';
  const decideAt = (h: Harness, iso: string) => {
    const effects = advanceSchedules(h.state, at(iso));
    h.state.pendingEffects.push(...effects); // as a pass commits them
    return effects.map((e) => (e.kind === 'submit_job' ? e.jobId : e.kind));
  };

  test('a job keeps at most one run waiting for a job principal; the occurrences that come due meanwhile are skipped and named', () => {
    const h = ready();
    const id = scheduled(h, 'minutely', EVERY_MINUTE);
    const other = scheduled(h, 'other', EVERY_MINUTE);
    expect(decideAt(h, '2026-01-19T06:00:10Z')).toEqual([`${id}@2026-01-19T06:00:00.000Z`, `${other}@2026-01-19T06:00:00.000Z`]);
    // The other job's run takes a principal; this job's run waits for one.
    const held = h.state.pendingEffects[1]!;
    if (held.kind === 'submit_job') held.access = { principal: 'p1', reads: [], staging: null, takenAt: at('2026-01-19T06:00:20Z') };

    expect(decideAt(h, '2026-01-19T06:01:05Z')).toEqual([`${other}@2026-01-19T06:01:00.000Z`]);
    expect(h.state.jobs[id]!.statusMessage).toBe(
      'runs on "* * * * *" (UTC); the run for 2026-01-19T06:00:00.000Z still waits to be submitted (on Databricks: for a free job principal); skipped 1 missed occurrence (2026-01-19T06:01:00.000Z) that came due while it waits: a job keeps at most one run waiting',
    );
    // An hour of passes: still one waiting run of the job, the skipped ones counted from it; nothing is due until the next minute.
    for (let minute = 2; minute < 60; minute++) decideAt(h, `2026-01-19T06:${String(minute).padStart(2, '0')}:30Z`);
    expect(h.state.pendingEffects.filter((e) => e.kind === 'submit_job' && e.jobId.startsWith(`${id}@`))).toHaveLength(1);
    expect(h.state.jobs[id]!.statusMessage).toMatch(/still waits to be submitted .*; skipped 59 missed occurrences \(2026-01-19T06:01:00.000Z to 2026-01-19T06:59:00.000Z\) that came due while it waits/);
    expect(h.state.jobs[id]).toMatchObject({ lastOccurrenceAt: at('2026-01-19T06:59:00Z'), nextRunAt: at('2026-01-19T07:00:00Z') });
    expect(hasScheduleWork(h.state, at('2026-01-19T06:59:59Z'))).toBe(false);

    // Once the waiting run holds a principal, the next occurrence is decided as usual.
    const waiting = h.state.pendingEffects.find((e) => e.kind === 'submit_job' && e.jobId === `${id}@2026-01-19T06:00:00.000Z`);
    if (waiting?.kind === 'submit_job') waiting.access = { principal: 'p2', reads: [], staging: null, takenAt: at('2026-01-19T06:59:50Z') };
    expect(decideAt(h, '2026-01-19T07:00:05Z')).toContain(`${id}@2026-01-19T07:00:00.000Z`);
    expect(h.state.jobs[id]!.statusMessage).toBe('runs on "* * * * *" (UTC); last run for 2026-01-19T07:00:00.000Z');
  });

  test('a run the engine refused and that is being retried does not hold back the next occurrence (as without job principals)', () => {
    const h = ready();
    const id = scheduled(h, 'minutely', EVERY_MINUTE);
    decideAt(h, '2026-01-19T06:00:10Z');
    const refused = h.state.pendingEffects[0]!;
    if (refused.kind === 'submit_job') refused.attempts = 1;
    expect(decideAt(h, '2026-01-19T06:01:05Z')).toEqual([`${id}@2026-01-19T06:01:00.000Z`]);
  });
});

describe('JOB DELETE', () => {
  test('the owner stops the job; others, unknown names and ad hoc jobs get clear errors', () => {
    const h = ready();
    const id = scheduled(h);
    expect(h.send(AGENCY, deleteRow('weekly')).message).toBe('you have no scheduled job named "weekly": only a job\'s owner can delete it; see your jobs in control.jobs');
    expect(h.send(KEEPER, deleteRow('weekly')).status).toBe('ERROR');
    expect(h.state.jobs[id]!.status).toBe('ACTIVE');
    h.ok(ADVERTISER, seed.job('once', 'adv_match', `{"output": "${OUT}"}`));
    expect(h.send(ADVERTISER, deleteRow('once')).message).toBe('job "once" is an ad hoc job: its single run cannot be stopped; DELETE stops scheduled jobs');

    expect(h.ok(ADVERTISER, deleteRow('weekly')).message).toBe(`job "weekly" deleted (id ${id}): no further runs; a run already started finishes`);
    expect(h.state.jobs[id]).toMatchObject({ status: 'DELETED', nextRunAt: null, statusMessage: expect.stringMatching(/^deleted by advertiser at .*; no further runs$/) });
    expect(advanceSchedules(h.state, at('2026-01-19T06:00:00Z'))).toEqual([]);
    expect(h.send(ADVERTISER, deleteRow('weekly')).message).toBe('job "weekly" is already deleted');
    expect(h.send(ADVERTISER, cli.row('JOB', { job_name: 'weekly', action: 'UPDATE', code_name: 'adv_match', compute: 'Small' })).message).toBe(
      'JOB action "UPDATE" is not supported: to change a job, delete it (action DELETE) and submit it again',
    );
    // the name is free again
    scheduled(h);
  });

  test('a DELETE payload needs only the job name; the seed JOB payload (no action) is an INSERT', () => {
    const parsed = parseEvent({ participant: 'advertiser', eventsVersion: 1, index: 0, row: deleteRow('weekly') });
    expect(parsed.ok && parsed.event).toMatchObject({ type: 'JOB', action: 'DELETE', jobName: 'weekly', codeName: '', compute: '' });
    const insert = parseEvent({ participant: 'advertiser', eventsVersion: 1, index: 0, row: seed.job('j', 'c', '{}') });
    expect(insert.ok && insert.event).toMatchObject({ type: 'JOB', action: 'INSERT' });
  });
});
