import { CONTROL_TABLES } from '../../src/control/tables';
import { codeObjectsFor, rowsHash, viewFor, type PublishedTable } from '../../src/processor/views';
import { recordSubmission } from '../../src/processor/runs';
import { ADVERTISER, AGENCY, cli, Harness, KEEPER, seed, sourceHash, SQL_SOURCE, versionHash } from './fixtures';

function cleanRoom(): Harness {
  const h = new Harness()
    .at('gs://publisher-bucket/input/users', 'delta', { exists: true })
    .at('gs://advertiser-bucket/input/conv', 'delta', { exists: true })
    .at('gs://agency-bucket/input/spend', 'delta', { exists: true });
  h.ok(KEEPER, seed.data('publisher.users', 'INSERT', 'gs://publisher-bucket/input/users', 'delta'));
  h.ok(ADVERTISER, seed.data('advertiser.conv', 'INSERT', 'gs://advertiser-bucket/input/conv', 'delta'));
  h.ok(AGENCY, seed.data('agency.spend', 'INSERT', 'gs://agency-bucket/input/spend', 'delta'));
  h.ok(KEEPER, cli.code('pub_code', 'INSERT', SQL_SOURCE));
  h.ok(ADVERTISER, cli.code('adv_code', 'INSERT', SQL_SOURCE));
  h.ok(AGENCY, cli.code('agency_code', 'INSERT', SQL_SOURCE));
  h.ok(ADVERTISER, seed.job('adv_job', 'pub_code', '{"output": "gs://advertiser-bucket/output/a"}'));
  h.ok(AGENCY, seed.job('agency_job', 'pub_code', '{"output": "gs://agency-bucket/output/a"}'));
  h.ok(KEEPER, seed.job('pub_job', 'pub_code', '{"output": "gs://publisher-bucket/output/a"}'));
  h.send(AGENCY, seed.job('broken', 'adv_code', '{}'));
  for (const job of Object.values(h.state.jobs)) recordSubmission(h.state, job.jobId, `run-${job.jobName}`, 'local', h.now);
  return h;
}

const names = (rows: Array<Record<string, unknown>>, column: string) => rows.map((r) => r[column]).sort();

describe('viewFor: visibility (docs/protocol.md)', () => {
  test('the keeper sees every dataset, code, approval, job and run, but only its own events', () => {
    const h = cleanRoom();
    const view = viewFor(h.state, KEEPER, 'publisher');
    expect(names(view.data, 'data_metastore_name')).toEqual(['advertiser.conv', 'agency.spend', 'publisher.users']);
    expect(names(view.code, 'code_name')).toEqual(['adv_code', 'agency_code', 'pub_code']);
    expect(names(view.approval_status, 'code_name')).toEqual(['adv_code', 'agency_code', 'pub_code']);
    expect(names(view.jobs, 'job_name')).toEqual(['adv_job', 'agency_job', 'pub_job']);
    expect(names(view.runs, 'run_id')).toEqual(['run-adv_job', 'run-agency_job', 'run-pub_job']);
    expect(view.event_status).toHaveLength(3);
    expect(new Set(view.event_status.map((r) => r.participant))).toEqual(new Set(['publisher']));
  });

  test("a collaborator sees its own and the keeper's data and code, only its own jobs, runs and events", () => {
    const h = cleanRoom();
    const view = viewFor(h.state, AGENCY, 'publisher');
    expect(names(view.data, 'data_metastore_name')).toEqual(['agency.spend', 'publisher.users']);
    expect(names(view.code, 'code_name')).toEqual(['agency_code', 'pub_code']);
    expect(names(view.approval_status, 'code_name')).toEqual(['agency_code', 'pub_code']);
    expect(names(view.jobs, 'job_name')).toEqual(['agency_job']);
    expect(names(view.runs, 'run_id')).toEqual(['run-agency_job']);
    expect(view.event_status.map((r) => r.status)).toEqual(['SUCCESS', 'SUCCESS', 'SUCCESS', 'ERROR']);
    expect(view.event_status[3].message).toBe(`code "adv_code" is not available to you: you can run your own code and the keeper's`);
  });

  test('rows have exactly the columns of control/tables.ts with DeltaRow types', () => {
    const h = cleanRoom();
    h.ok(KEEPER, cli.code('pub_other', 'INSERT', 'SELECT 2'));
    h.ok(KEEPER, cli.approval('CODE_REQUEST_REJECTED', { code_name: 'pub_other' }, versionHash('SELECT 2'), 'a decision, for control.approval_decisions'));
    const view = viewFor(h.state, KEEPER, 'publisher');
    for (const table of Object.keys(view) as PublishedTable[]) {
      const schema = CONTROL_TABLES[table];
      expect(view[table].length).toBeGreaterThan(0);
      for (const row of view[table]) {
        expect(Object.keys(row).sort()).toEqual(schema.fields.map((f) => f.name).sort());
        for (const field of schema.fields) {
          const value = row[field.name];
          if (value === null) {
            expect(field.nullable).toBe(true);
            continue;
          }
          const expected = field.type === 'timestamp' || field.type === 'long' ? 'bigint' : 'string';
          expect(`${field.name}:${typeof value}`).toBe(`${field.name}:${expected}`);
        }
      }
    }
    const code = view.code.find((r) => r.code_name === 'adv_code');
    expect(code).toMatchObject({ participant: 'advertiser', notebook_contents_hash: sourceHash(SQL_SOURCE), stored_path: `gs://publisher-bucket/code/advertiser/adv_code/${sourceHash(SQL_SOURCE)}` });
    expect(view.approval_status.find((r) => r.code_name === 'adv_code')?.approval_status).toBe('CODE_REQUEST_PENDING_APPROVAL');
    expect(view.data.find((r) => r.data_metastore_name === 'publisher.users')?.created_at).toBe(BigInt(h.state.datasets['publisher.users'].createdAt) * 1000n);
  });

  test('rowsHash changes only when rows change', () => {
    const h = cleanRoom();
    const before = viewFor(h.state, ADVERTISER, 'publisher');
    const same = viewFor(structuredClone(h.state), ADVERTISER, 'publisher');
    expect(rowsHash(before.data)).toBe(rowsHash(same.data));
    h.ok(AGENCY, cli.code('agency_two', 'INSERT', 'SELECT 2'));
    const after = viewFor(h.state, ADVERTISER, 'publisher');
    expect(rowsHash(after.code)).toBe(rowsHash(before.code));
    const keeperBefore = rowsHash(viewFor(structuredClone(h.state), KEEPER, 'publisher').code);
    h.ok(AGENCY, cli.code('agency_three', 'INSERT', 'SELECT 3'));
    expect(rowsHash(viewFor(h.state, KEEPER, 'publisher').code)).not.toBe(keeperBefore);
  });

  test("code objects: the keeper's code goes to everyone, a collaborator's to itself and the keeper", () => {
    const h = cleanRoom();
    const hash = sourceHash(SQL_SOURCE);
    expect(codeObjectsFor(h.state, AGENCY, 'publisher').map((o) => o.key)).toEqual([`code/agency/agency_code/${hash}`, `code/publisher/pub_code/${hash}`]);
    expect(codeObjectsFor(h.state, KEEPER, 'publisher')).toHaveLength(3);
  });
});
