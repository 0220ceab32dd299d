/**
 * A local job never runs inside the pass: the pass that submits it returns while the run goes on in its worker
 * process, the next passes keep deciding other participants' events, and a runaway job is stopped at its time
 * limit and recorded TIMEDOUT, with the runtime unharmed.
 */
import { LocalEngine } from '../../src/engines/local';
import { runPass } from '../../src/runtime/run-pass';
import { loadLatestState } from '../../src/runtime/state-store';
import { cli } from '../processor/fixtures';
import { readyForJob, sendCountJob } from './count-users-scenario';
import { LocalCleanRoom, SETTINGS } from './pass-fixtures';

const RUNAWAY_SQL = 'SELECT count(*) AS n FROM range(100000000000000) t(i) WHERE i % 5 = 3';

let room: LocalCleanRoom;
afterEach(() => room.cleanup());

test('the pass returns while a runaway job runs; later passes decide new events; the run ends TIMEDOUT at its limit', async () => {
  room = new LocalCleanRoom();
  const engine = new LocalEngine({ localRoot: room.root, limits: { timeoutMs: 4_000 } });
  const pass = () => runPass({ config: SETTINGS, store: room.store, engine, now: room.now });
  await readyForJob(room, RUNAWAY_SQL, pass);
  const jobId = await sendCountJob(room);
  expect((await pass()).submitted).toEqual([jobId]);
  const runOf = async () => (await loadLatestState(room.store, SETTINGS.stateBucket)).state.runs[jobId];
  expect((await runOf()).lifeCycleState).toMatch(/^(PENDING|RUNNING)$/);

  // Another participant's request is decided while the job runs.
  room.clock += 1_000;
  const code = cli.code('agency_code', 'INSERT', 'SELECT 1 AS one', { atMs: room.clock - 500 });
  await room.send('agency-bucket', code);
  const meanwhile = await pass();
  expect(meanwhile.events.map((e) => [e.eventUuid, e.status])).toEqual([[code.uuid, 'SUCCESS']]);
  expect((await runOf()).lifeCycleState).toBe('RUNNING');

  for (let i = 0; i < 300 && (await runOf()).lifeCycleState === 'RUNNING'; i++) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    room.clock += 100;
    await pass();
  }
  expect(await runOf()).toMatchObject({ lifeCycleState: 'TERMINATED', resultState: 'TIMEDOUT' });
  expect((await runOf()).error).toMatch(/exceeded its time limit of 4000 ms/);
  const published = (await room.read('advertiser-bucket', 'runs')).find((r) => r.job_id === jobId);
  expect(published).toMatchObject({ state: 'TERMINATED', result_state: 'TIMEDOUT' });
}, 120_000);
