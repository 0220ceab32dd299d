/** `cleanroom code pending|show`, `cleanroom status` and `--wait`, over control tables written by the test as the runtime publishes them. */
import { EXIT } from '../../src/cli/exit-codes';
import type { CliError } from '../../src/cli/participant/errors';
import type { DeltaRow } from '../../src/delta';
import { sha256, versionHash } from '../processor/fixtures';
import { micros, Sandbox } from './participant-harness';

let box: Sandbox;
beforeEach(async () => {
  box = await Sandbox.create();
});
afterEach(async () => {
  await box.remove();
});

const SQL = 'SELECT country, count(*) AS n FROM advertiser.conversions GROUP BY country\n';
const HASH = sha256(SQL);
/** The seed notebooks' hash: sha256 of the base64 Workspace export (register_code in christophergrant/clean-notebooks). */
const seedHash = (source: string) => sha256(Buffer.from(source, 'utf8').toString('base64'));

function codeRow(name: string, owner: string, hash: string, description: string): DeltaRow {
  return {
    code_id: `id-${name}`, participant: owner, code_name: name, description, notebook_language: 'SQL', default_parameters: '{"min": "5"}',
    notebook_contents_hash: hash, version_hash: `version-of-${name}`, stored_path: `gs://publisher-cleanroom-data/code/${owner}/${name}/${hash}`,
    created_at: micros('2024-06-01T08:00:00Z'), updated_at: micros('2024-06-01T08:00:00Z'), event_uuid: `ev-${name}`, events_version: 3n,
    id: `id-${name}`, name, participant_name: owner, notebook_hash: `seed-hash-of-${name}`, default_compute: null, submitted_timestamp: micros('2024-06-01T08:00:00Z'),
  };
}

function approvalRow(name: string, owner: string, hash: string, status: string): DeltaRow {
  return {
    code_id: `id-${name}`, code_name: name, participant: owner, notebook_contents_hash: hash, version_hash: `version-of-${name}`, approval_status: status,
    reason: status === 'CODE_REQUEST_APPROVED' ? 'registered by the keeper' : null, reviewed_by: null, updated_at: micros('2024-06-01T08:00:00Z'), event_uuid: `ev-${name}`,
  };
}

describe('code pending', () => {
  test('lists code awaiting review with hash, submitter and description; approved code is left out', async () => {
    const otherHash = sha256('SELECT 2');
    await box.publish('publisher', 'code', [codeRow('adv_lift', 'advertiser', HASH, 'weekly lift'), codeRow('pub_base', 'publisher', otherHash, 'baseline'), codeRow('m_reach', 'measurement', otherHash, 'reach')]);
    await box.publish('publisher', 'approval_status', [
      approvalRow('adv_lift', 'advertiser', HASH, 'CODE_REQUEST_PENDING_APPROVAL'),
      approvalRow('pub_base', 'publisher', otherHash, 'CODE_REQUEST_APPROVED'),
      approvalRow('m_reach', 'measurement', otherHash, 'CODE_REQUEST_PENDING_APPROVAL'),
    ]);
    const text = await box.run(['code', 'pending', '--as', 'publisher']);
    const lines = text.stdout.trimEnd().split('\n');
    // The seed notebooks' hash stands beside the version hash, as approve_code shows it.
    expect(lines[0].split(/\s{2,}/)).toEqual(['code_name', 'version_hash', 'notebook_hash', 'participant', 'notebook_language', 'default_parameters', 'updated_at', 'description', 'reads', 'group_size_column', 'release_policy']);
    expect(lines.slice(1).map((l) => l.split(/\s{2,}/))).toEqual([
      ['adv_lift', 'version-of-adv_lift', 'seed-hash-of-adv_lift', 'advertiser', 'SQL', '{"min": "5"}', '2024-06-01T08:00:00.000000Z', 'weekly lift', 'at most 1000000 rows (cleanroom.yaml)'],
      ['m_reach', 'version-of-m_reach', 'seed-hash-of-m_reach', 'measurement', 'SQL', '{"min": "5"}', '2024-06-01T08:00:00.000000Z', 'reach', 'at most 1000000 rows (cleanroom.yaml)'],
    ]);
    const json = await box.run(['code', 'pending', '--as', 'publisher', '--json']);
    expect(json.stdout.trimEnd().split('\n').map((l) => JSON.parse(l).code_name)).toEqual(['adv_lift', 'm_reach']);
  });

  test('nothing published yet is a clear message, not a stack trace', async () => {
    const result = await box.run(['code', 'pending', '--as', 'publisher']);
    expect(result.error?.message).toBe(
      'control.approval_status has not been published for publisher yet (nothing at gs://publisher-cleanroom-data/control/approval_status): the clean room runtime writes it on its first pass — ask the operator to run it (`cleanroom runtime tick`), then try again',
    );
  });
});

describe('code show', () => {
  beforeEach(async () => {
    await box.publish('publisher', 'code', [codeRow('adv_lift', 'advertiser', HASH, 'weekly lift')]);
  });

  test('prints the stored content after checking its sha256', async () => {
    await box.putObject('publisher', `code/advertiser/adv_lift/${HASH}`, SQL);
    const result = await box.run(['code', 'show', 'adv_lift', '--as', 'publisher']);
    expect(result.error).toBeUndefined();
    expect(result.stdout).toBe(SQL);
    // The version hash to approve and the seed hash of the current version are the published ones (here markers, to
    // show it is the published value that is printed: it covers what the CLI cannot see, such as declared reads).
    expect(result.stderr).toBe(
      `code "adv_lift" by advertiser, SQL, sha256 ${HASH}, default parameters {"min": "5"}\nversion hash (approve with --hash): version-of-adv_lift\n` +
        "seed notebooks' hash (sha256 of the base64 export, shown by approve_code): seed-hash-of-adv_lift\n" +
        'reads: unknown (every registered dataset); group-size column: none\n' +
        'release policy of its runs: at most 1000000 rows (cleanroom.yaml)\n',
    );
  });

  test('an older version asked by --hash: its seed hash is computed from the stored source; a spaced name is read at its path segment', async () => {
    const old = 'SELECT 1 AS n\n';
    await box.putObject('publisher', `code/advertiser/adv_lift/${sha256(old)}`, old);
    const result = await box.run(['code', 'show', 'adv_lift', '--hash', sha256(old), '--as', 'publisher']);
    expect(result.stdout).toBe(old);
    expect(result.stderr).toContain(`seed notebooks' hash (sha256 of the base64 export, shown by approve_code): ${seedHash(old)}\n`);
    // An older version's hash is worked out from what is published about it (content, language, defaults).
    expect(result.stderr).toContain(`version hash (approve with --hash): ${versionHash(old, { defaults: { min: '5' } })}\n`);

    await box.publish('publisher', 'code', [codeRow('Weekly lift v2', 'advertiser', HASH, 'weekly lift')]);
    const segment = `_weekly_lift_v2_${sha256('Weekly lift v2').slice(0, 16)}`;
    await box.putObject('publisher', `code/advertiser/${segment}/${HASH}`, SQL);
    const spaced = await box.run(['code', 'show', 'Weekly lift v2', '--as', 'publisher']);
    expect(spaced.error).toBeUndefined();
    expect(spaced.stdout).toBe(SQL);
  });

  test('refuses a stored file that was modified in the bucket', async () => {
    const tampered = SQL.replace('count(*)', 'user_id');
    await box.putObject('publisher', `code/advertiser/adv_lift/${HASH}`, tampered);
    const result = await box.run(['code', 'show', 'adv_lift', '--as', 'publisher']);
    expect(result.error?.message).toBe(
      `gs://publisher-cleanroom-data/code/advertiser/adv_lift/${HASH} was modified: its sha256 is ${sha256(tampered)}, not ${HASH}. Do not review or approve it from this copy; ask the operator to republish it`,
    );
    expect(result.stdout).toBe('');
  });

  test('unknown code and a missing stored file are clear errors', async () => {
    const unknown = await box.run(['code', 'show', 'nope', '--as', 'publisher']);
    expect(unknown.error?.message).toContain('code "nope" is not in your control.code');
    const missing = await box.run(['code', 'show', 'adv_lift', '--as', 'publisher']);
    expect(missing.error?.message).toContain(`gs://publisher-cleanroom-data/code/advertiser/adv_lift/${HASH} is missing`);
  });
});

describe('status', () => {
  const run1: DeltaRow = {
    run_id: '901', job_id: 'job-1', job_name: 'weekly', participant: 'advertiser', engine: 'local', state: 'TERMINATED', result_state: 'SUCCESS',
    state_message: null, start_time: micros('2024-06-02T10:00:00.5Z'), end_time: micros('2024-06-02T10:01:00Z'), run_page_url: null,
    output_location: 'gs://advertiser-cleanroom-data/output/weekly', error: null, error_trace: null, updated_at: micros('2024-06-02T10:01:00Z'),
  };

  test('--json prints one object per row with every column, longs and timestamps as strings', async () => {
    await box.publish('advertiser', 'runs', [run1]);
    await box.publish('advertiser', 'event_status', [
      { event_uuid: 'u-2', participant: 'advertiser', event_type: 'JOB', events_version: 9007199254740993n, status: 'ERROR', message: 'code "x" does not exist', processed_at: micros('2024-06-02T09:00:02Z') },
      { event_uuid: 'u-1', participant: 'advertiser', event_type: 'DATA', events_version: 4n, status: 'SUCCESS', message: 'ok', processed_at: micros('2024-06-02T09:00:01Z') },
    ]);
    const runs = await box.run(['status', 'runs', '--json', '--as', 'advertiser']);
    expect(runs.stdout.trimEnd().split('\n').map((l) => JSON.parse(l))).toEqual([
      {
        run_id: '901', job_id: 'job-1', job_name: 'weekly', participant: 'advertiser', engine: 'local', state: 'TERMINATED', result_state: 'SUCCESS',
        state_message: null, start_time: '2024-06-02T10:00:00.500000Z', end_time: '2024-06-02T10:01:00.000000Z', run_page_url: null,
        output_location: 'gs://advertiser-cleanroom-data/output/weekly', error: null, error_trace: null, updated_at: '2024-06-02T10:01:00.000000Z',
        scheduled_for: null, release_state: null, rows_suppressed: null, release_message: null, input_versions: null,
      },
    ]);
    const events = await box.run(['status', 'events', '--json', '--as', 'advertiser']);
    const parsed = events.stdout.trimEnd().split('\n').map((l) => JSON.parse(l));
    expect(parsed.map((r) => [r.event_uuid, r.events_version, r.processed_at])).toEqual([
      ['u-1', '4', '2024-06-02T09:00:01.000000Z'],
      ['u-2', '9007199254740993', '2024-06-02T09:00:02.000000Z'],
    ]);
  });

  test('text output is an aligned table; without a view every table is shown and missing ones are named', async () => {
    await box.publish('advertiser', 'runs', [run1, { ...run1, run_id: '902', job_name: 'daily_reach', state: 'RUNNING', result_state: null, start_time: micros('2024-06-02T11:00:00Z'), end_time: null }]);
    const one = await box.run(['status', 'runs', '--as', 'advertiser']);
    const lines = one.stdout.trimEnd().split('\n');
    expect(lines).toHaveLength(3);
    const stateColumn = lines[0].indexOf('state');
    expect(lines.slice(1).map((l) => l.slice(stateColumn).split(/\s+/)[0])).toEqual(['TERMINATED', 'RUNNING']);
    expect(lines[1].startsWith('weekly ')).toBe(true);
    const longMessage = `code "adv_lift" changed since you reviewed it: you reviewed sha256 ${'a'.repeat(64)}, the current version is ${'b'.repeat(64)}`;
    await box.publish('advertiser', 'event_status', [
      { event_uuid: 'u-9', participant: 'advertiser', event_type: 'CODE_REQUEST_APPROVED', events_version: 2n, status: 'ERROR', message: longMessage, processed_at: null },
    ]);
    const events = await box.run(['status', 'events', '--as', 'advertiser']);
    const row = events.stdout.trimEnd().split('\n')[1];
    expect(row.startsWith('u-9')).toBe(true);
    expect(row.endsWith(`  ${longMessage}`)).toBe(true);
    const all = await box.run(['status', '--as', 'advertiser']);
    expect(all.error).toBeUndefined();
    expect(all.stdout).toContain('== runs (control.runs) ==\njob_name');
    expect(all.stdout).toContain('== data (control.data) ==\nnot published yet');
  });

  test('one missing view is an error; an unknown view names the valid ones', async () => {
    const missing = await box.run(['status', 'jobs', '--as', 'advertiser']);
    expect(missing.error?.message).toContain('control.jobs has not been published for advertiser yet');
    const unknown = await box.run(['status', 'secrets', '--as', 'advertiser']);
    expect(unknown.error?.message).toBe('unknown status view "secrets": use one of data, code, approvals, jobs, runs, events');
  });
});

describe('--wait', () => {
  const statusRow = (uuid: string, status: string, message: string): DeltaRow => ({
    event_uuid: uuid, participant: 'advertiser', event_type: 'DATA', events_version: 1n, status, message, processed_at: micros('2024-06-03T09:00:05Z'),
  });
  const register = ['data', 'register', 'advertiser.conversions', '--as', 'advertiser', '--location', 'gs://advertiser-cleanroom-data/input/c', '--format', 'delta', '--wait'];

  test('waits until event_status has the row of its event and prints it', async () => {
    const uuid = box.nextUuid();
    let polls = 0;
    const result = await box.run(register, {
      onSleep: async () => {
        polls += 1;
        // Another event's status first, then ours: only the matching uuid ends the wait.
        if (polls === 1) await box.publish('advertiser', 'event_status', [statusRow('someone-else', 'ERROR', 'not yours')]);
        if (polls === 3) await box.publish('advertiser', 'event_status', [statusRow(uuid, 'SUCCESS', 'dataset advertiser.conversions registered')]);
      },
    });
    expect(result.error).toBeUndefined();
    expect(result.stdout).toBe(`${uuid}\nSUCCESS: dataset advertiser.conversions registered\n`);
    expect(result.exitCode).toBe(0);
    expect(polls).toBe(3);
    expect(result.stderr).toContain(`waiting for the clean room to process event ${uuid}`);
    expect(result.stderr).not.toContain('\r');
  });

  test('an ERROR status exits 1; a terminal gets a spinner drawn in place', async () => {
    const uuid = box.nextUuid();
    const result = await box.run(register, {
      tty: true,
      env: { NO_COLOR: '1' },
      onSleep: async () => box.publish('advertiser', 'event_status', [statusRow(uuid, 'ERROR', 'no Delta table (no _delta_log/) found at gs://advertiser-cleanroom-data/input/c')]),
    });
    expect(result.stdout).toBe(`${uuid}\nERROR: no Delta table (no _delta_log/) found at gs://advertiser-cleanroom-data/input/c\n`);
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toContain(`\r| waiting for event ${uuid} (0s)`);
  });

  test('gives up after --timeout with the event still saved', async () => {
    const uuid = box.nextUuid();
    const result = await box.run([...register, '--timeout', '5']);
    expect(result.error?.message).toBe(`no status for event ${uuid} after 5s: the event is saved; the runtime may not be running — check later with \`cleanroom status events\``);
    expect((result.error as CliError).exitCode).toBe(EXIT.timeout);
    expect(await box.parsedEvents('advertiser')).toHaveLength(1);
    const bad = await box.run([...register, '--timeout', 'soon']);
    expect(bad.error?.message).toBe('--timeout "soon" must be a positive number of seconds');
    expect(await box.parsedEvents('advertiser')).toHaveLength(1);
  });
});
