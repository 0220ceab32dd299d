/**
 * Hostile names and locations, all sent by one collaborator in one commit and processed by one real pass:
 * path traversal, odd characters, look-alikes, over-long names and SQL in table, code and job names; dataset
 * locations and job outputs outside the submitter's own bucket or `output/`; claims on another participant's names.
 * Each gets its exact ERROR; the good events sent after them in the same commit succeed and the job runs.
 */
import {
  ADVERTISER_BUCKET,
  HostileRoom,
  KEEPER_BUCKET,
  KEEPER_SQL,
  cli,
  expected,
  outcomeOf,
  seed,
  sha256,
  type Case,
  versionHash,
} from './hostile-room';

const NUL = '\u0000';
const CYRILLIC_A = '\u0430'; // looks like a Latin "a"

let room: HostileRoom;
let t = 0;

const tableMsg = (table: string) =>
  `table name ${JSON.stringify(table)} is not allowed: use 1-63 letters, digits or '_', starting with a letter (names are case-insensitive and stored lowercase)`;
const shapeMsg = (name: string) =>
  `data_metastore_name ${JSON.stringify(name)} must be <database>.<table>, with your participant name as database, e.g. advertiser.my_table`;
const databaseMsg = (name: string, database: string) =>
  `data_metastore_name ${JSON.stringify(name)} is in database "${database}": you can only register tables of your own database, advertiser.<table>`;
const LEAVE_OUT = `" ' ! @ # $ % ^ & * ( ) + ? = , < > / \\ \``;
const objectMsg = (kind: 'code' | 'job', name: string, problem: string) => {
  const why =
    problem === 'length'
      ? 'use 1 to 100 characters'
      : problem === 'spaces'
        ? 'it has a space at either end or two in a row; use single spaces between words'
        : problem.length === 1 && LEAVE_OUT.includes(problem)
          ? `it contains ${JSON.stringify(problem)}; leave out ${LEAVE_OUT}`
          : `it contains ${JSON.stringify(problem)}; use ASCII letters, digits, spaces and punctuation (no control characters or non-ASCII letters)`;
  return `${kind} name ${JSON.stringify(name)} is not allowed: ${why}`;
};
const segmentMsg = (location: string) => `location ${JSON.stringify(location)} contains an empty, '.' or '..' path segment: write the plain path`;
const outsideOutputMsg = (uri: string) =>
  `parameter "output" ${uri} is outside gs://advertiser-bucket/output/: write results below your own output folder, e.g. gs://advertiser-bucket/output/<job name>`;

const data = (name: string, location = 'gs://advertiser-bucket/input/conversions', action = 'INSERT') => seed.data(name, action, location, 'delta', t);
const code = (name: string) => cli.code(name, 'INSERT', 'SELECT 1', { atMs: t });
const job = (name: string, output = 'gs://advertiser-bucket/output/fine') => seed.job(name, 'kp_count', JSON.stringify({ output }), 'Small', t);

function cases(): Case[] {
  return [
    // Table names (seed notebook rows, api_version 1).
    { title: 'table: traversal before the database', row: data('../advertiser.users'), message: shapeMsg('../advertiser.users') },
    { title: 'table: slash in the table', row: data('advertiser.input/users'), message: tableMsg('input/users') },
    { title: 'table: traversal in the table', row: data('advertiser...'), message: shapeMsg('advertiser...') },
    { title: 'table: NUL', row: data(`advertiser.us${NUL}ers`), message: tableMsg(`us${NUL}ers`) },
    { title: 'table: Cyrillic look-alike in the table', row: data(`advertiser.us${CYRILLIC_A}rs`), message: tableMsg(`us${CYRILLIC_A}rs`) },
    { title: 'table: Cyrillic look-alike of the own database', row: data(`${CYRILLIC_A}dvertiser.users`), message: databaseMsg(`${CYRILLIC_A}dvertiser.users`, `${CYRILLIC_A}dvertiser`) },
    { title: 'table: 64 characters', row: data(`advertiser.${'t'.repeat(64)}`), message: tableMsg('t'.repeat(64)) },
    { title: 'table: inner whitespace', row: data('advertiser.my table'), message: tableMsg('my table') },
    { title: 'table: SQL statement', row: data('advertiser.x;DROP TABLE publisher_users'), message: tableMsg('x;DROP TABLE publisher_users') },
    { title: 'table: backticks', row: data('advertiser.`users`'), message: tableMsg('`users`') },
    { title: 'table: quotes', row: data(`advertiser.users"--'`), message: tableMsg(`users"--'`) },
    { title: "table: another participant's database", row: data('publisher.users'), message: databaseMsg('publisher.users', 'publisher') },
    { title: "table: deleting another participant's dataset", row: data('publisher.users', '', 'DELETE'), message: databaseMsg('publisher.users', 'publisher') },

    // Code names (CLI rows, api_version 2).
    { title: 'code: traversal', row: code('../publisher/kp_count'), message: objectMsg('code', '../publisher/kp_count', '/') },
    { title: 'code: slash', row: code('adv/evil'), message: objectMsg('code', 'adv/evil', '/') },
    {
      title: "code: '..' inside is only a display name: its path segment holds no '..'",
      row: code('adv..evil'),
      status: 'SUCCESS',
      message: `code "adv..evil" registered (SQL, sha256 ${sha256('SELECT 1')}, version ${versionHash('SELECT 1')}); it awaits the keeper's approval`,
    },
    { title: 'code: NUL', row: code(`adv${NUL}evil`), message: objectMsg('code', `adv${NUL}evil`, NUL) },
    { title: 'code: Cyrillic look-alike', row: code(`kp_co${CYRILLIC_A}nt`), message: objectMsg('code', `kp_co${CYRILLIC_A}nt`, CYRILLIC_A) },
    { title: 'code: 101 characters', row: code('c'.repeat(101)), message: objectMsg('code', 'c'.repeat(101), 'length') },
    { title: 'code: leading whitespace', row: code(' kp_count'), message: objectMsg('code', ' kp_count', 'spaces') },
    { title: 'code: SQL statement', row: code("x'; DROP TABLE code; --"), message: objectMsg('code', "x'; DROP TABLE code; --", "'") },
    { title: "code: a comma would split the keeper's multi-select", row: code('kp_count,adv_x'), message: objectMsg('code', 'kp_count,adv_x', ',') },
    { title: 'code: backticks', row: code('`kp_count`'), message: objectMsg('code', '`kp_count`', '`') },
    { title: 'code: the keeper\'s name in another case', row: code('KP_Count'), message: 'code name is not unique: "KP_Count" differs from the registered "kp_count" (of publisher) only in letter case, and code names are compared ignoring case; pick another name, e.g. prefixed with your participant name' },
    { title: "code: updating the keeper's code", row: cli.code('kp_count', 'UPDATE', 'SELECT 42 AS n', { atMs: t }), message: 'code "kp_count" belongs to another participant: only its owner can update it' },
    { title: "code: deleting the keeper's code", row: cli.row('CODE', { code_name: 'kp_count', action: 'DELETE' }, t), message: 'code "kp_count" belongs to another participant: only its owner can delete it' },

    // Job names.
    { title: 'job: traversal', row: job('../../publisher-bucket/output/x'), message: objectMsg('job', '../../publisher-bucket/output/x', '/') },
    { title: 'job: slash', row: job('a/b'), message: objectMsg('job', 'a/b', '/') },
    { title: 'job: NUL', row: job(`job${NUL}`), message: objectMsg('job', `job${NUL}`, NUL) },
    { title: 'job: Cyrillic look-alike', row: job(`j${CYRILLIC_A}b`), message: objectMsg('job', `j${CYRILLIC_A}b`, CYRILLIC_A) },
    { title: 'job: 101 characters', row: job('j'.repeat(101)), message: objectMsg('job', 'j'.repeat(101), 'length') },
    { title: 'job: a tab', row: job('job\tname'), message: objectMsg('job', 'job\tname', '\t') },
    { title: 'job: SQL statement', row: job("x'; DROP TABLE jobs; --"), message: objectMsg('job', "x'; DROP TABLE jobs; --", "'") },
    { title: 'job: backticks and quotes', row: job("`x`'\""), message: objectMsg('job', "`x`'\"", '`') },

    // Dataset locations.
    { title: "location: another participant's bucket", row: data('advertiser.stolen', 'gs://publisher-bucket/input/users'), message: 'location gs://publisher-bucket/input/users is outside your bucket gs://advertiser-bucket: register data stored in your own bucket (e.g. gs://advertiser-bucket/input/<table>)' },
    { title: 'location: own bucket then ../other', row: data('advertiser.stolen2', 'gs://advertiser-bucket/../publisher-bucket/input/users'), message: segmentMsg('gs://advertiser-bucket/../publisher-bucket/input/users') },
    { title: 'location: input/../control', row: data('advertiser.events', 'gs://advertiser-bucket/input/../control/events'), message: segmentMsg('gs://advertiser-bucket/input/../control/events') },
    { title: 'location: empty segment', row: data('advertiser.slashes', 'gs://advertiser-bucket//input/conversions'), message: segmentMsg('gs://advertiser-bucket//input/conversions') },
    { title: 'location: s3 scheme', row: data('advertiser.s3', 's3://advertiser-bucket/input/conversions'), message: 'location "s3://advertiser-bucket/input/conversions" is not a gs:// URI: use gs://<your bucket>/<path>' },
    { title: 'location: file scheme', row: data('advertiser.passwd', 'file:///etc/passwd'), message: 'location "file:///etc/passwd" is not a gs:// URI: use gs://<your bucket>/<path>' },
    { title: 'location: plain path', row: data('advertiser.passwd2', '/etc/passwd'), message: 'location "/etc/passwd" is not a gs:// URI: use gs://<your bucket>/<path>' },
    { title: 'location: control folder', row: data('advertiser.ctl', 'gs://advertiser-bucket/control/events'), message: 'location gs://advertiser-bucket/control/events is inside control/, which the clean room manages: store datasets under gs://advertiser-bucket/input/' },
    { title: 'location: code folder', row: data('advertiser.code_copy', 'gs://advertiser-bucket/code/publisher'), message: 'location gs://advertiser-bucket/code/publisher is inside code/, which the clean room manages: store datasets under gs://advertiser-bucket/input/' },
    { title: 'location: bucket root', row: data('advertiser.everything', 'gs://advertiser-bucket/'), message: "location gs://advertiser-bucket is the bucket root: point at the dataset's folder, e.g. gs://advertiser-bucket/input/<table>" },
    { title: 'location: Cyrillic look-alike bucket', row: data('advertiser.lookalike', `gs://${CYRILLIC_A}dvertiser-bucket/input/conversions`), message: `location "gs://${CYRILLIC_A}dvertiser-bucket/input/conversions" has an invalid bucket name "${CYRILLIC_A}dvertiser-bucket"` },
    { title: 'location: percent-encoded traversal', row: data('advertiser.encoded', 'gs://advertiser-bucket/input/%2e%2e/x'), message: 'location "gs://advertiser-bucket/input/%2e%2e/x" contains the path segment "%2e%2e": use letters, digits and . _ - = + only' },
    { title: 'location: NUL', row: data('advertiser.nul', `gs://advertiser-bucket/input/x${NUL}y`), message: `location ${JSON.stringify(`gs://advertiser-bucket/input/x${NUL}y`)} contains the path segment ${JSON.stringify(`x${NUL}y`)}: use letters, digits and . _ - = + only` },

    // Job outputs.
    { title: "output: another participant's bucket", row: job('out_other', 'gs://publisher-bucket/output/steal'), message: outsideOutputMsg('gs://publisher-bucket/output/steal') },
    { title: 'output: own input folder', row: job('out_input', 'gs://advertiser-bucket/input/conversions'), message: outsideOutputMsg('gs://advertiser-bucket/input/conversions') },
    { title: 'output: own control folder', row: job('out_control', 'gs://advertiser-bucket/control/approval_status'), message: outsideOutputMsg('gs://advertiser-bucket/control/approval_status') },
    { title: 'output: the output folder itself', row: job('out_root', 'gs://advertiser-bucket/output/'), message: outsideOutputMsg('gs://advertiser-bucket/output') },
    { title: 'output: look-alike folder outputs/', row: job('out_prefix', 'gs://advertiser-bucket/outputs/x'), message: outsideOutputMsg('gs://advertiser-bucket/outputs/x') },
    { title: 'output: output/../input', row: job('out_dotdot', 'gs://advertiser-bucket/output/../input/x'), message: `parameter "output": ${segmentMsg('gs://advertiser-bucket/output/../input/x')}` },
    { title: 'output: own bucket then ../other', row: job('out_bucket_dotdot', 'gs://advertiser-bucket/../publisher-bucket/output/x'), message: `parameter "output": ${segmentMsg('gs://advertiser-bucket/../publisher-bucket/output/x')}` },
    { title: 'output: file scheme', row: job('out_file', 'file:///tmp/out'), message: 'parameter "output": location "file:///tmp/out" is not a gs:// URI: use gs://<your bucket>/<path>' },
    { title: 'output: SQL in a segment', row: job('out_sql', "gs://advertiser-bucket/output/x';DROP"), message: `parameter "output": location "gs://advertiser-bucket/output/x';DROP" contains the path segment "x';DROP": use letters, digits and . _ - = + only` },
    { title: 'output: missing', row: seed.job('no_output', 'kp_count', '{}', 'Small', t), message: 'parameter "output" is required: set it to where the result goes, below your output folder, e.g. {"output": "gs://advertiser-bucket/output/no_output"}' },

    // A payload claiming the keeper's identity changes nothing: the bucket decides who sent it.
    {
      title: "claim: a CODE payload naming the keeper as participant stays the collaborator's, pending",
      row: cli.row('CODE', {
        code_name: 'adv_claims_keeper', description: 'x', path_to_notebook: 'x.sql', action: 'INSERT', default_parameters: '{}',
        notebook_contents: 'SELECT 1', notebook_contents_hash: sha256('SELECT 1'), participant: 'publisher', owner: 'publisher', role: 'keeper',
      }, t),
      status: 'SUCCESS',
      message: `code "adv_claims_keeper" registered (SQL, sha256 ${sha256('SELECT 1')}, version ${versionHash('SELECT 1')}); it awaits the keeper's approval`,
    },
  ];
}

const corpus: Case[] = [];
let good: { data: Case; job: Case };

beforeAll(async () => {
  room = new HostileRoom();
  await room.setUp();
  t = await room.registerKeeperBasics();
  corpus.push(...cases());
  good = {
    data: {
      title: 'good dataset after the bad ones',
      row: data('advertiser.conversions'),
      status: 'SUCCESS',
      message: 'dataset advertiser.conversions registered (delta at gs://advertiser-bucket/input/conversions); jobs can read it as advertiser.conversions',
    },
    job: {
      title: 'good job after the bad ones',
      row: job('fine', 'gs://advertiser-bucket/output/fine'),
      status: 'SUCCESS',
      message: '',
    },
  };
  good.job.message = `job "fine" accepted (id ${good.job.row.uuid as string}): runs code "kp_count" sha256 ${sha256(KEEPER_SQL)} on Small, output gs://advertiser-bucket/output/fine; follow it in control.runs`;
  await room.sendBatch(ADVERTISER_BUCKET, [...corpus.map((c) => c.row), good.data.row, good.job.row]);
  await room.pass();
}, 60_000);
afterAll(() => room.cleanup());

describe('hostile names and locations in one pass', () => {
  test('the corpus is big enough and every case is a distinct event', () => {
    expect(corpus.length).toBeGreaterThanOrEqual(50);
    expect(new Set(corpus.map((c) => c.row.uuid)).size).toBe(corpus.length);
  });

  test.each(cases().map((c, i) => [c.title, i] as const))('%s', async (_title, i) => {
    const c = corpus[i];
    expect(outcomeOf(await room.statuses(ADVERTISER_BUCKET), c)).toEqual(expected(c));
  });

  test('processing continued: the good dataset and job sent after all of them succeed, and the job ran', async () => {
    const statuses = await room.statuses(ADVERTISER_BUCKET);
    expect(outcomeOf(statuses, good.data)).toEqual(expected(good.data));
    expect(outcomeOf(statuses, good.job)).toEqual(expected(good.job));
    expect(room.lastReport?.errors).toEqual([]);
    expect(room.lastReport?.submitted).toEqual([good.job.row.uuid]);
    const runs = await room.read(ADVERTISER_BUCKET, 'runs');
    expect(runs.map((r) => [r.job_name, r.result_state])).toEqual([['fine', 'SUCCESS']]);
    expect((await room.outputRows(ADVERTISER_BUCKET, 'output/fine')).map((r) => Number(r.n))).toEqual([4]);
  });

  test('nothing was registered, stored or written by the refused events', async () => {
    expect((await room.read(KEEPER_BUCKET, 'data')).map((d) => d.data_metastore_name)).toEqual(['advertiser.conversions', 'publisher.users']);
    expect((await room.read(KEEPER_BUCKET, 'code')).map((c) => `${c.participant}:${c.code_name}:${c.notebook_contents_hash}`)).toEqual([
      `advertiser:adv..evil:${sha256('SELECT 1')}`,
      `advertiser:adv_claims_keeper:${sha256('SELECT 1')}`,
      `publisher:kp_count:${sha256(KEEPER_SQL)}`,
    ]);
    expect((await room.read(ADVERTISER_BUCKET, 'approval_status')).find((a) => a.code_name === 'adv_claims_keeper')?.approval_status).toBe('CODE_REQUEST_PENDING_APPROVAL');
    expect((await room.store.list(KEEPER_BUCKET, 'output/')).objects.map((o) => o.key)).toEqual(['output/.cleanroom-folder']);
    const advertiserOutputs = (await room.store.list(ADVERTISER_BUCKET, 'output/')).objects.map((o) => o.key.split('/')[1]);
    expect([...new Set(advertiserOutputs)].sort()).toEqual(['.cleanroom-folder', 'fine']);
    expect((await room.store.list(ADVERTISER_BUCKET, 'code/')).objects.map((o) => o.key).sort()).toEqual([
      'code/.cleanroom-folder',
      // "adv..evil" is stored under its path segment: _<words>_<16 hex of sha256 of the name>.
      `code/advertiser/_adv_evil_${sha256('adv..evil').slice(0, 16)}/${sha256('SELECT 1')}`,
      `code/advertiser/adv_claims_keeper/${sha256('SELECT 1')}`,
      `code/publisher/kp_count/${sha256(KEEPER_SQL)}`,
    ]);
  });

  test('exactly one event_status row per event sent', async () => {
    const rows = await room.read(ADVERTISER_BUCKET, 'event_status');
    expect(rows).toHaveLength(corpus.length + 2);
    expect(new Set(rows.map((r) => r.event_uuid)).size).toBe(corpus.length + 2);
  });
});
