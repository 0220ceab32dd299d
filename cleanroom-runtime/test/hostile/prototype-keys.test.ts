/**
 * Names that are also properties of every JavaScript object (`__proto__`, `constructor`, `toString`...). The state
 * keeps records in plain objects keyed by names and uuids a participant chooses: a lookup must never find an
 * inherited property. Before the fix, the keeper's JOB on code "__proto__" threw inside the pass (blocking every
 * event after it, for good), "constructor" was "not unique", and the uuid "constructor" was a "duplicate".
 */
import { ADVERTISER_BUCKET, HostileRoom, KEEPER_BUCKET, cli, expected, outcomeOf, seed, sha256, versionHash, type Case } from './hostile-room';

let room: HostileRoom;
let t = 0;
const keeperCases: Case[] = [];
const advertiserCases: Case[] = [];

const missing = (name: string) => `code "${name}" does not exist: register it first, or check the name in control.code`;
const registered = (name: string, source: string) => `code "${name}" registered (SQL, sha256 ${sha256(source)}, version ${versionHash(source)}); it awaits the keeper's approval`;

beforeAll(async () => {
  room = new HostileRoom();
  await room.setUp();
  t = await room.registerKeeperBasics();
  const job = (code: string) => seed.job(`j_${code.replace(/_/g, '')}`, code, JSON.stringify({ output: 'gs://publisher-bucket/output/p' }), 'Small', t);
  keeperCases.push(
    { title: 'keeper job on code "__proto__"', row: job('__proto__'), message: missing('__proto__') },
    { title: 'keeper job on code "constructor" (before it exists)', row: job('constructor'), message: missing('constructor') },
    { title: 'keeper job on code "hasOwnProperty"', row: job('hasOwnProperty'), message: missing('hasOwnProperty') },
    {
      title: 'keeper approval of code "__proto__"',
      row: cli.approval('CODE_REQUEST_APPROVED', { code_name: '__proto__' }, versionHash('x'), 'ok', t),
      message: 'code "__proto__" does not exist (it may have been deleted): check control.code or control.approval_status',
    },
  );
  const uuidConstructor = cli.code('adv_uuid_named', 'INSERT', 'SELECT 3', { atMs: t + 1000 });
  uuidConstructor.uuid = 'constructor';
  advertiserCases.push(
    { title: 'code named "constructor"', row: cli.code('constructor', 'INSERT', 'SELECT 1', { atMs: t + 1000 }), status: 'SUCCESS', message: registered('constructor', 'SELECT 1') },
    { title: 'code named "toString"', row: cli.code('toString', 'INSERT', 'SELECT 2', { atMs: t + 1000 }), status: 'SUCCESS', message: registered('toString', 'SELECT 2') },
    { title: 'an event whose uuid is "constructor"', row: uuidConstructor, status: 'SUCCESS', message: registered('adv_uuid_named', 'SELECT 3') },
    { title: 'UPDATE of code "valueOf" that does not exist', row: cli.code('valueOf', 'UPDATE', 'SELECT 4', { atMs: t + 1000 }), message: 'code "valueOf" is not registered: register it first (`cleanroom code register`, or an INSERT event from a notebook)' },
  );
  await room.sendBatch(KEEPER_BUCKET, [...keeperCases.map((c) => c.row), cli.code('kp_after', 'INSERT', 'SELECT 5', { atMs: t })]);
  await room.sendBatch(ADVERTISER_BUCKET, advertiserCases.map((c) => c.row));
  await room.pass();
}, 60_000);
afterAll(() => room.cleanup());

test('the pass completes and every event gets its status', () => {
  expect(room.lastReport?.events).toHaveLength(keeperCases.length + 1 + advertiserCases.length);
  expect(room.lastReport?.errors).toEqual([]);
});

test.each([0, 1, 2, 3])('keeper case %i is refused as missing code', async (i) => {
  const c = keeperCases[i];
  expect({ title: c.title, ...outcomeOf(await room.statuses(KEEPER_BUCKET), c) }).toEqual({ title: c.title, ...expected(c) });
});

test.each([0, 1, 2, 3])('advertiser case %i is decided on its own merits', async (i) => {
  const c = advertiserCases[i];
  expect({ title: c.title, ...outcomeOf(await room.statuses(ADVERTISER_BUCKET), c) }).toEqual({ title: c.title, ...expected(c) });
});

test('the keeper event after them succeeds and the registry holds exactly the real code', async () => {
  const keeperStatuses = await room.read(KEEPER_BUCKET, 'event_status');
  expect(keeperStatuses[keeperStatuses.length - 1]).toMatchObject({ status: 'SUCCESS', message: `code "kp_after" registered (SQL, sha256 ${sha256('SELECT 5')}, version ${versionHash('SELECT 5')}); it is approved and can be used in jobs` });
  expect((await room.read(KEEPER_BUCKET, 'code')).map((c) => c.code_name).sort()).toEqual(['adv_uuid_named', 'constructor', 'kp_after', 'kp_count', 'toString']);
});
