/**
 * `cleanroom runtime tick` / `watch` in-process, on the deployed clean room: the real Cloud Storage client against
 * the GCS fake and the real Databricks engine against the Databricks fake, configured only through the environment
 * `runtime serve` reads. Also: missing settings are named, and local mode still runs on folders.
 */
import { randomUUID } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Command } from 'commander';
import { registerPassCommands, type PassCommandIo } from '../../src/cli/runtime-pass-commands';
import { controlTableKey } from '../../src/control/tables';
import type { DeltaRow } from '../../src/delta/schema-types';
import { struct } from '../../src/delta/schema-types';
import { DeltaTable } from '../../src/delta/table';
import { buildDataEvent, type EventOrigin } from '../../src/events/build-event';
import { appendEventRow, onboardParticipant } from '../../src/runtime/control-tables';
import type { ObjectStore } from '../../src/storage/object-store';
import { LocalObjectStore } from '../../src/storage/local-store';
import { startFakeDatabricks, type FakeDatabricks } from '../support/fake-databricks';
import { startFakeGcs, type FakeGcs } from '../support/fake-gcs';

const EXAMPLES = path.resolve(__dirname, '..', '..', '..', 'examples');
const PUBLISHER = 'publisher-cleanroom-data';
// One policy per size the example offers (the seed's nine), as the stack declares them.
const POLICY_IDS = { '2X-Small': 'POLICY-2XS', 'X-Small': 'POLICY-XS', Small: 'POLICY-S', Medium: 'POLICY-M', Large: 'POLICY-L', 'X-Large': 'POLICY-XL', '2X-Large': 'POLICY-2XL', '3X-Large': 'POLICY-3XL', '4X-Large': 'POLICY-4XL' };
const TUNING = { databricks: { baseDelayMs: 1, maxDelayMs: 5, statementPollIntervalMs: 1 }, gcsRetry: { initialDelayMs: 1, maxDelayMs: 5 } };

interface CliRun {
  stdout: string;
  stderr: string;
  error?: Error;
}

/** Runs `cleanroom runtime <args>` in-process; `stop` stands for Ctrl-C (watch). */
async function cleanroom(args: string[], env: Record<string, string | undefined>, stop = new AbortController(), onOutput?: (run: CliRun) => void): Promise<CliRun> {
  const run: CliRun = { stdout: '', stderr: '' };
  const io: PassCommandIo = {
    env,
    stdout: { write: (text: string) => ((run.stdout += text), onOutput?.(run)) },
    stderr: { write: (text: string) => ((run.stderr += text), onOutput?.(run)) },
    stopSignal: () => stop.signal,
    tuning: TUNING,
  };
  const program = new Command('cleanroom').exitOverride().configureOutput({ writeOut: (t) => (run.stdout += t), writeErr: (t) => (run.stderr += t) });
  registerPassCommands(program.command('runtime'), io);
  try {
    await program.parseAsync(['runtime', ...args], { from: 'user' });
  } catch (error) {
    run.error = error as Error;
  }
  return run;
}

function origin(secondsAgo: number): EventOrigin {
  return { uuid: randomUUID(), nowMs: Date.now() - secondsAgo * 1000, user: 'pat@publisher', hostname: 'laptop' };
}

/** The publisher's users table and its registration event; returns the event's uuid. */
async function registerUsers(store: ObjectStore): Promise<string> {
  await onboardParticipant(store, PUBLISHER);
  await (await DeltaTable.create(store, PUBLISHER, 'input/users', struct([['user_id', 'string'], ['country', 'string']]))).append([{ user_id: 'u1', country: 'FR' }]);
  const event = buildDataEvent({ action: 'INSERT', dataMetastoreName: 'publisher.users', description: 'users', location: `gs://${PUBLISHER}/input/users`, format: 'delta' }, origin(10));
  await appendEventRow(store, PUBLISHER, event.row);
  return event.uuid;
}

async function eventStatus(store: ObjectStore): Promise<DeltaRow[]> {
  return (await DeltaTable.open(store, PUBLISHER, controlTableKey('event_status'))).readRows();
}

describe('deployed mode (Cloud Storage + Databricks, the settings of runtime serve)', () => {
  let gcs: FakeGcs;
  let databricks: FakeDatabricks;
  let env: Record<string, string>;

  beforeEach(async () => {
    gcs = await startFakeGcs();
    databricks = await startFakeDatabricks();
    env = {
      CLEANROOM_CONFIG_DIR: EXAMPLES,
      GOOGLE_CLOUD_PROJECT: 'publisher-cleanroom',
      DATABRICKS_HOST: databricks.host,
      DATABRICKS_TOKEN: databricks.token,
      CLEANROOM_DATABRICKS_WAREHOUSE_ID: databricks.warehouseId,
      CLEANROOM_DATABRICKS_POLICY_IDS: JSON.stringify(POLICY_IDS),
      CLEANROOM_GCS_API_ENDPOINT: gcs.apiEndpoint,
    };
  });

  afterEach(async () => {
    await databricks.close();
    await gcs.close();
  });

  test('tick --json runs one real pass: the event gets its status and the dataset becomes a Databricks table', async () => {
    const uuid = await registerUsers(gcs.store);

    const run = await cleanroom(['tick', '--json'], env);

    expect(run.error).toBeUndefined();
    const report = JSON.parse(run.stdout) as { events: Array<{ eventUuid: string; status: string }>; errors: string[] };
    expect(report.events).toEqual([expect.objectContaining({ eventUuid: uuid, status: 'SUCCESS' })]);
    expect(report.errors).toEqual([]);
    expect((await eventStatus(gcs.store)).map((s) => [s.event_uuid, s.status])).toEqual([[uuid, 'SUCCESS']]);
    expect(databricks.tables()).toEqual([expect.objectContaining({ schema: 'publisher', table: 'users', location: `gs://${PUBLISHER}/input/users` })]);
    expect(gcs.requests.length).toBeGreaterThan(0);
    expect(run.stdout + run.stderr).not.toContain(databricks.token);
  });

  test('tick prints the human summary, and a second tick has nothing new', async () => {
    const uuid = await registerUsers(gcs.store);

    const first = await cleanroom(['tick'], env);
    const second = await cleanroom(['tick'], env);

    expect(first.error).toBeUndefined();
    expect(first.stdout).toContain(`publisher DATA ${uuid}: SUCCESS`);
    expect(second.stdout).toMatch(/^state \d+: 0 event\(s\)/m);
    expect(second.stdout).not.toContain(uuid);
  });

  test('watch polls every 5000 ms by default, applies the event and stops on Ctrl-C', async () => {
    const uuid = await registerUsers(gcs.store);
    const stop = new AbortController();

    const run = await cleanroom(['watch'], env, stop, (output) => {
      if (output.stdout.includes(uuid)) stop.abort();
    });

    expect(run.error).toBeUndefined();
    expect(run.stderr).toContain(`every 5000 ms, deployed: Cloud Storage at ${gcs.apiEndpoint}, Databricks ${databricks.host}`);
    expect(run.stdout).toContain(`publisher DATA ${uuid}: SUCCESS`);
    expect((await eventStatus(gcs.store)).map((s) => s.status)).toEqual(['SUCCESS']);
  });

  test('a token Databricks rejects is reported as a pass problem, and never printed', async () => {
    const uuid = await registerUsers(gcs.store);
    const wrong = 'dapi-wrong-token-9876543210';

    const run = await cleanroom(['tick', '--json'], { ...env, DATABRICKS_TOKEN: wrong });

    expect(run.error).toBeUndefined();
    const report = JSON.parse(run.stdout) as { events: Array<{ eventUuid: string; status: string }>; errors: string[] };
    expect(report.events).toEqual([expect.objectContaining({ eventUuid: uuid, status: 'SUCCESS' })]);
    expect(report.errors).toEqual([expect.stringMatching(/^dataset sync failed.*403/)]);
    expect(databricks.tables()).toEqual([]);
    expect(run.stdout + run.stderr).not.toContain(wrong);
  });

  test('settings that do not fit cleanroom.yaml are refused before any pass', async () => {
    const run = await cleanroom(['tick'], { ...env, CLEANROOM_DATABRICKS_POLICY_IDS: '{"Small":"POLICY-S"}' });

    expect(run.error?.message).toMatch(/^cannot run a pass: the settings do not fit cleanroom.yaml/);
    for (const size of ['X-Small', 'Medium', 'Large']) expect(run.error?.message).toContain(`no cluster policy for compute size "${size}"`);
    expect(gcs.requests).toEqual([]);
    expect(databricks.requests).toEqual([]);
  });
});

describe('missing settings', () => {
  test('without a local root or Databricks settings, tick names each missing variable and how to run locally', async () => {
    const run = await cleanroom(['tick'], { CLEANROOM_CONFIG_DIR: EXAMPLES });

    const message = run.error?.message ?? '';
    expect(message).toMatch(/^cannot run a pass on the deployed clean room/);
    for (const variable of ['DATABRICKS_TOKEN', 'CLEANROOM_DATABRICKS_WAREHOUSE_ID', 'CLEANROOM_DATABRICKS_POLICY_IDS']) {
      expect(message).toMatch(new RegExp(`^  - ${variable} is not set`, 'm'));
    }
    expect(message).toContain('--local-root');
  });

  test('invalid values are named, never echoing the token', async () => {
    const token = 'dapi0123456789abcdef0123456789abcdef';
    const run = await cleanroom(['watch'], { CLEANROOM_CONFIG_DIR: EXAMPLES, DATABRICKS_TOKEN: token, CLEANROOM_DATABRICKS_WAREHOUSE_ID: 'not a warehouse!', CLEANROOM_DATABRICKS_POLICY_IDS: '[' });

    expect(run.error?.message).toMatch(/CLEANROOM_DATABRICKS_WAREHOUSE_ID "not a warehouse!" is not a SQL warehouse id/);
    expect(run.error?.message).toMatch(/CLEANROOM_DATABRICKS_POLICY_IDS is not JSON/);
    expect(run.error?.message).not.toMatch(/DATABRICKS_TOKEN/);
    expect(run.error?.message).not.toContain(token);
  });

  test('CLEANROOM_ENGINE=local without a root names CLEANROOM_LOCAL_ROOT', async () => {
    const run = await cleanroom(['tick'], { CLEANROOM_CONFIG_DIR: EXAMPLES, CLEANROOM_ENGINE: 'local' });

    expect(run.error?.message).toMatch(/^cannot run a local pass:\n  - CLEANROOM_LOCAL_ROOT is not set/);
  });
});

describe('local mode', () => {
  let root: string;
  beforeEach(() => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'cleanroom-tick-local-'));
  });
  afterEach(() => fs.rmSync(root, { recursive: true, force: true }));

  test('--local-root runs the pass on folders even when Databricks settings are in the environment', async () => {
    const store = new LocalObjectStore(root);
    const uuid = await registerUsers(store);

    const run = await cleanroom(['tick', '--local-root', root], { CLEANROOM_CONFIG_DIR: EXAMPLES, CLEANROOM_ENGINE: 'databricks', DATABRICKS_TOKEN: 'dapi-unused-token-123' });

    expect(run.error).toBeUndefined();
    expect(run.stdout).toContain(`publisher DATA ${uuid}: SUCCESS`);
    expect((await eventStatus(store)).map((s) => [s.event_uuid, s.status])).toEqual([[uuid, 'SUCCESS']]);
  });

  test('CLEANROOM_LOCAL_ROOT alone still means local mode; watch defaults to 100 ms there', async () => {
    const store = new LocalObjectStore(root);
    const uuid = await registerUsers(store);
    const stop = new AbortController();

    const run = await cleanroom(['watch', '--json'], { CLEANROOM_CONFIG_DIR: EXAMPLES, CLEANROOM_LOCAL_ROOT: root }, stop, (output) => {
      if (output.stdout.includes(uuid)) stop.abort();
    });

    expect(run.error).toBeUndefined();
    expect(run.stderr).toContain('every 100 ms, local rehearsal');
    const reports = run.stdout.trim().split('\n').map((line) => JSON.parse(line) as { events: Array<{ eventUuid: string; status: string }> });
    expect(reports.flatMap((r) => r.events)).toEqual([expect.objectContaining({ eventUuid: uuid, status: 'SUCCESS' })]);
  });

  test('watch re-reads the config before each pass: a new participant is served, a broken change is refused once', async () => {
    const configDir = path.join(root, 'config');
    fs.cpSync(EXAMPLES, configDir, { recursive: true });
    const store = new LocalObjectStore(path.join(root, 'buckets'));
    const newcoBucket = 'newco-cleanroom-data';
    const newco = buildDataEvent({ action: 'INSERT', dataMetastoreName: 'newco.sales', description: 'sales', location: `gs://${newcoBucket}/input/sales`, format: 'delta' }, origin(5));
    const stop = new AbortController();
    let step = 0;
    const next = async (): Promise<void> => {
      // After the first pass: a broken participant file (refused, said once), then a valid new participant.
      fs.writeFileSync(path.join(configDir, 'participants', 'broken.yaml'), 'name: broken\nrole: [\n');
      await new Promise((resolve) => setTimeout(resolve, 300));
      fs.rmSync(path.join(configDir, 'participants', 'broken.yaml'));
      fs.writeFileSync(
        path.join(configDir, 'participants', 'newco.yaml'),
        `name: newco\nrole: collaborator\nbucket: ${newcoBucket}\ndatabricks:\n  host: https://5555.5.gcp.databricks.com\ngcp:\n  project: newco-data\n`,
      );
      await onboardParticipant(store, newcoBucket);
      await (await DeltaTable.create(store, newcoBucket, 'input/sales', struct([['id', 'string']]))).append([{ id: 's1' }]);
      await appendEventRow(store, newcoBucket, newco.row);
    };

    const run = await cleanroom(['watch', '--json', '--local-root', path.join(root, 'buckets'), '--config', configDir], {}, stop, (output) => {
      if (step === 0 && output.stdout.length > 0) {
        step = 1;
        void next();
      }
      if (output.stdout.includes(newco.uuid)) stop.abort();
    });

    expect(run.error).toBeUndefined();
    expect(run.stderr.match(/config change refused/g)).toHaveLength(1);
    expect(run.stderr).toMatch(/participants\/broken\.yaml:\d+:\d+/);
    expect(run.stderr).toContain('config reloaded: 4 participants, added newco');
    const reports = run.stdout.trim().split('\n').map((line) => JSON.parse(line) as { events: Array<{ eventUuid: string; status: string }> });
    expect(reports.flatMap((r) => r.events)).toContainEqual(expect.objectContaining({ eventUuid: newco.uuid, status: 'SUCCESS' }));
  });

  test('--interval-ms must be a whole number of milliseconds', async () => {
    const run = await cleanroom(['watch', '--local-root', root, '--interval-ms', 'soon'], { CLEANROOM_CONFIG_DIR: EXAMPLES });

    expect(run.error?.message).toMatch(/--interval-ms "soon" is not a pause in milliseconds/);
  });
});
