/**
 * A hostile participant in a local clean room puts in its bucket folder what Cloud Storage cannot hold: symbolic
 * links (to the keeper's bucket, outside the local root, loops), FIFOs where the runtime reads, a hard link. Real
 * passes over that bucket must neither hang nor touch another bucket, and the other participants keep being served:
 * - a job whose output goes through `output/evil -> ../../publisher-bucket` (or a folder outside the root) fails
 *   with a message naming the link, and nothing is written there;
 * - `control/runs` replaced by a link to the keeper's `input/users`: publishing the advertiser's runs is refused
 *   (a pass error naming the link), the keeper's table is never written;
 * - link loops in the events `_delta_log`, FIFO `_last_checkpoint`s in the events log, a control table and the
 *   advertiser's dataset: the passes end, and the advertiser's own events are still decided.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { AGENCY_BUCKET, ADVERTISER_BUCKET, HostileRoom, KEEPER_BUCKET, seed } from './hostile-room';
import { USERS_SCHEMA } from '../runtime/pass-fixtures';
import { Fifos } from '../support/fifos';

/** Every entry under a folder (relative path → content, or the kind of a non-file), links not followed. */
function snapshotOf(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const entry of fs.readdirSync(dir, { recursive: true, withFileTypes: true })) {
    const full = path.join(entry.parentPath, entry.name);
    const rel = path.relative(dir, full);
    if (entry.isFile()) out[rel] = fs.readFileSync(full).toString('base64');
    else if (!entry.isDirectory()) out[rel] = entry.isSymbolicLink() ? `link -> ${fs.readlinkSync(full)}` : 'special';
  }
  return out;
}

describe('links, loops and FIFOs in a participant bucket (local mode)', () => {
  let room: HostileRoom;
  let outside = '';
  const fifos = new Fifos();
  const jobs: Record<string, string> = {};
  let keeperInputBefore: Record<string, string> = {};
  let agencyEvent = '';
  let advertiserData = '';

  const inAdvertiser = (key: string) => path.join(room.root, 'gs', ADVERTISER_BUCKET, ...key.split('/'));
  const mkfifo = (file: string) => fifos.make(file);

  beforeAll(async () => {
    room = new HostileRoom();
    await room.setUp();
    await room.writeDataset(AGENCY_BUCKET, 'input/panel', USERS_SCHEMA, [{ user_id: 'u9', country: 'ES' }]);
    outside = fs.mkdtempSync(path.join(os.tmpdir(), 'cleanroom-outside-'));

    // The attacks are in place before the first pass, so every pass meets them.
    fs.symlinkSync('../../publisher-bucket', inAdvertiser('output/evil'));
    fs.symlinkSync(outside, inAdvertiser('output/out'));
    fs.rmSync(inAdvertiser('control/runs'), { recursive: true });
    fs.symlinkSync('../../publisher-bucket/input/users', inAdvertiser('control/runs'));
    const log = 'control/events/_delta_log';
    fs.symlinkSync('.', inAdvertiser(`${log}/loop`));
    fs.symlinkSync('..', inAdvertiser(`${log}/up`));
    fs.symlinkSync('b', inAdvertiser(`${log}/a`));
    fs.symlinkSync('a', inAdvertiser(`${log}/b`));
    fs.symlinkSync('00000000000000000050.json', inAdvertiser(`${log}/00000000000000000050.json`));
    mkfifo(inAdvertiser(`${log}/_last_checkpoint`));
    mkfifo(inAdvertiser('control/jobs/_delta_log/_last_checkpoint'));
    mkfifo(inAdvertiser('input/conversions/_delta_log/_last_checkpoint'));
    keeperInputBefore = snapshotOf(path.join(room.root, 'gs', KEEPER_BUCKET, 'input'));

    const t = await room.registerKeeperBasics();
    const job = (name: string, output: string) => {
      const row = seed.job(name, 'kp_count', JSON.stringify({ output }), 'Small', t);
      jobs[name] = row.uuid as string;
      return row;
    };
    const data = seed.data('advertiser.conversions', 'INSERT', 'gs://advertiser-bucket/input/conversions', 'delta', t);
    advertiserData = data.uuid as string;
    await room.sendBatch(ADVERTISER_BUCKET, [
      data,
      job('into_keeper', 'gs://advertiser-bucket/output/evil/input/users'),
      job('into_outside', 'gs://advertiser-bucket/output/out/stolen'),
      job('own_output', 'gs://advertiser-bucket/output/fine'),
    ]);
    const panel = seed.data('agency.panel', 'INSERT', 'gs://agency-bucket/input/panel', 'delta', t);
    agencyEvent = panel.uuid as string;
    await room.sendBatch(AGENCY_BUCKET, [panel]);
    await room.sendBatch(KEEPER_BUCKET, [job('keeper_after', 'gs://publisher-bucket/output/after')]);
    await room.pass();
  }, 120_000);

  afterAll(async () => {
    await fifos.releaseAll();
    room.cleanup();
    fs.rmSync(outside, { recursive: true, force: true });
  });

  const runOf = async (bucket: string, name: string) => (await room.read(bucket, 'runs')).find((r) => r.job_id === jobs[name]);

  test("the keeper's input table is byte for byte what it was, and nothing was written outside the root", () => {
    expect(snapshotOf(path.join(room.root, 'gs', KEEPER_BUCKET, 'input'))).toEqual(keeperInputBefore);
    expect(fs.readdirSync(outside)).toEqual([]);
  });

  test('a job output through a link (to the keeper, outside the root) fails naming the link; the same job to a real folder succeeds', async () => {
    const runs = new Map((await room.read(KEEPER_BUCKET, 'runs')).map((r) => [r.job_id, r]));
    for (const [name, folder] of [['into_keeper', 'output/evil'], ['into_outside', 'output/out']] as const) {
      const run = runs.get(jobs[name]);
      expect(run).toMatchObject({ state: 'TERMINATED', result_state: 'FAILED' });
      expect(run?.error).toContain(`${folder} is a symbolic link`);
      expect(`${String(run?.error)} ${String(run?.error_trace)}`).not.toContain(room.root);
    }
    expect(runs.get(jobs.own_output)).toMatchObject({ result_state: 'SUCCESS' });
    expect((await room.outputRows(ADVERTISER_BUCKET, 'output/fine')).map((r) => Number(r.n))).toEqual([4]);
  });

  test("publishing the advertiser's runs through its linked control/runs is refused with a pass error naming it", () => {
    const errors = room.lastReport?.errors ?? [];
    expect(errors.some((e) => e.includes('control/runs is a symbolic link'))).toBe(true);
    expect(fs.lstatSync(inAdvertiser('control/runs')).isSymbolicLink()).toBe(true);
  });

  test("the advertiser's own events are decided despite the loops and FIFOs, and the others are served", async () => {
    const advertiser = await room.statuses(ADVERTISER_BUCKET);
    expect(advertiser.get(advertiserData)?.map((s) => s.status)).toEqual(['SUCCESS']);
    for (const name of ['into_keeper', 'into_outside', 'own_output']) expect(advertiser.get(jobs[name])?.map((s) => s.status)).toEqual(['SUCCESS']);
    expect((await room.statuses(AGENCY_BUCKET)).get(agencyEvent)?.map((s) => s.status)).toEqual(['SUCCESS']);
    expect(await runOf(KEEPER_BUCKET, 'keeper_after')).toMatchObject({ result_state: 'SUCCESS' });
    expect((await room.outputRows(KEEPER_BUCKET, 'output/after')).map((r) => Number(r.n))).toEqual([4]);
  });

  test('further passes end too, and still leave the keeper untouched', async () => {
    room.clock += 60_000;
    await room.pass();
    await room.pass();
    expect(snapshotOf(path.join(room.root, 'gs', KEEPER_BUCKET, 'input'))).toEqual(keeperInputBefore);
    expect(fs.readdirSync(outside)).toEqual([]);
  });
});
