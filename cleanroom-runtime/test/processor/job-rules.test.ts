import { ADVERTISER, AGENCY, cli, Harness, KEEPER, seed, sourceHash, SQL_SOURCE, versionHash } from './fixtures';

const OUT = 'gs://advertiser-bucket/output/match';

function ready(): Harness {
  const h = new Harness();
  h.ok(ADVERTISER, seed.code('adv_match', 'INSERT', SQL_SOURCE, { defaults: '{"country": "FR", "output": "gs://advertiser-bucket/output/default"}' }));
  h.ok(KEEPER, seed.approval('CODE_REQUEST_APPROVED', h.codeId('adv_match'), 'ok', h.now));
  return h;
}

describe('JOB events', () => {
  test('an approved job pins the hash, merges parameters over defaults and asks for a submission', () => {
    const h = ready();
    const row = seed.job('match_job', 'adv_match', `{"output": "${OUT}/", "min": 5}`, 'Medium');
    const outcome = h.ok(ADVERTISER, row);
    expect(outcome.message).toBe(
      `job "match_job" accepted (id ${row.uuid}): runs code "adv_match" sha256 ${sourceHash(SQL_SOURCE)} on Medium, output ${OUT}; follow it in control.runs`,
    );
    expect(outcome.effects).toEqual([{ kind: 'submit_job', jobId: row.uuid, attempts: 0 }]);
    expect(h.state.jobs[row.uuid as string]).toMatchObject({
      participant: 'advertiser', codeName: 'adv_match', codeOwner: 'advertiser', hash: sourceHash(SQL_SOURCE), language: 'SQL',
      parameters: { country: 'FR', output: OUT, min: '5' }, compute: 'Medium', outputLocation: OUT,
    });
    expect(h.state.pendingEffects).toContainEqual({ kind: 'submit_job', jobId: row.uuid, attempts: 0 });
  });

  test('unknown, pending, rejected and re-pending code', () => {
    const h = new Harness();
    expect(h.send(ADVERTISER, seed.job('j', 'nope', `{"output": "${OUT}"}`)).message).toBe('code "nope" does not exist: register it first, or check the name in control.code');
    h.ok(ADVERTISER, seed.code('adv_match', 'INSERT', SQL_SOURCE));
    expect(h.send(ADVERTISER, seed.job('j', 'adv_match', `{"output": "${OUT}"}`)).message).toBe(
      `code "adv_match" is not approved: its current version ${versionHash(SQL_SOURCE)} (sha256 ${sourceHash(SQL_SOURCE)}) awaits the keeper's approval`,
    );
    h.ok(KEEPER, seed.approval('CODE_REQUEST_REJECTED', h.codeId('adv_match'), 'leaks ids', h.now));
    expect(h.send(ADVERTISER, seed.job('j', 'adv_match', `{"output": "${OUT}"}`)).message).toBe(
      'code "adv_match" is not approved: it was rejected: leaks ids; update it and ask for a new review',
    );
    h.ok(ADVERTISER, cli.code('adv_match', 'UPDATE', 'SELECT 2'));
    h.ok(KEEPER, cli.approval('CODE_REQUEST_APPROVED', { code_name: 'adv_match' }, versionHash('SELECT 2'), 'ok'));
    h.ok(ADVERTISER, cli.code('adv_match', 'UPDATE', 'SELECT 3'));
    expect(h.send(ADVERTISER, seed.job('j', 'adv_match', `{"output": "${OUT}"}`)).message).toMatch(/is not approved: its current version .* awaits the keeper's approval$/);
    expect(h.state.jobs).toEqual({});
  });

  test("collaborators run their own code and the keeper's, not each other's", () => {
    const h = ready();
    h.ok(KEEPER, cli.code('pub_report', 'INSERT', SQL_SOURCE));
    expect(h.send(AGENCY, seed.job('j', 'adv_match', '{"output": "gs://agency-bucket/output/x"}')).message).toBe(
      `code "adv_match" is not available to you: you can run your own code and the keeper's`,
    );
    h.ok(AGENCY, seed.job('j', 'pub_report', '{"output": "gs://agency-bucket/output/x"}'));
    h.ok(KEEPER, seed.job('j', 'adv_match', '{"output": "gs://publisher-bucket/output/x"}'));
  });

  test('output is required and confined to the own output/ folder', () => {
    const h = new Harness();
    h.ok(ADVERTISER, cli.code('nodefault', 'INSERT', SQL_SOURCE));
    h.ok(KEEPER, cli.approval('CODE_REQUEST_APPROVED', { code_name: 'nodefault' }, versionHash(SQL_SOURCE), ''));
    expect(h.send(ADVERTISER, seed.job('j', 'nodefault', '{}')).message).toBe(
      'parameter "output" is required: set it to where the result goes, below your output folder, e.g. {"output": "gs://advertiser-bucket/output/j"}',
    );
    expect(h.send(ADVERTISER, seed.job('j', 'nodefault', '{"output": "gs://publisher-bucket/output/steal"}')).message).toBe(
      'parameter "output" gs://publisher-bucket/output/steal is outside gs://advertiser-bucket/output/: write results below your own output folder, e.g. gs://advertiser-bucket/output/<job name>',
    );
    expect(h.send(ADVERTISER, seed.job('j', 'nodefault', '{"output": "gs://advertiser-bucket/output/../control/runs"}')).message).toMatch(/^parameter "output": location .*'\.\.' path segment/);
    expect(h.send(ADVERTISER, seed.job('j', 'nodefault', '{"output": "gs://advertiser-bucket/input/x"}')).message).toMatch(/is outside gs:\/\/advertiser-bucket\/output\//);
  });

  test('compute, schedule, parameters and name checks', () => {
    const h = ready();
    expect(h.send(ADVERTISER, seed.job('j', 'adv_match', '{}', 'Huge')).message).toBe(
      'compute "Huge" is not offered: use one of 2X-Small, X-Small, Small, Medium, Large, X-Large, 2X-Large, 3X-Large, 4X-Large',
    );
    expect(h.send(ADVERTISER, seed.job('j', 'adv_match', '{}', 'Small', h.now, '0 0 6 * * ? *')).message).toBe(
      'schedule "0 0 6 * * ? *" is not valid: expected a cron schedule of 5 fields (minute hour day-of-month month day-of-week, e.g. "*/5 * * * *"); got 7 fields, in UTC; or use "ad-hoc" for a single run',
    );
    expect(h.send(ADVERTISER, seed.job('j', 'adv_match', "{'output': 'x'}")).message).toMatch(/^parameters is not valid JSON/);
    expect(h.send(ADVERTISER, seed.job('bad/name', 'adv_match', '{}')).message).toMatch(/^job name "bad\/name" is not allowed/);
    // the code's default output is inside the submitter's bucket, so {} is enough here
    h.ok(ADVERTISER, seed.job('j', 'adv_match', '{}'));
  });
});
