/**
 * A warm `runtime serve` instance re-reads its config folder at every pass: a new participant is served from the
 * next pass on; a change that does not validate is logged at ERROR and the last valid config stays in use.
 * Real config folders, the real loader, the real pass (local engine over folders).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { controlTableKey } from '../../src/control/tables';
import { DeltaTable } from '../../src/delta/table';
import { loadConfig } from '../../src/config';
import { createLogger } from '../../src/logging/logger';
import { appendEvent, onboardParticipant } from '../../src/runtime/control-tables';
import { ConfigReloader, participantChanges } from '../../src/deployment/config-reloader';
import { createRuntimePass } from '../../src/serve/runtime-pass-adapter';
import { readServeConfig } from '../../src/serve/serve-config';
import { LocalObjectStore } from '../../src/storage/local-store';
import { LogCapture } from '../logging/log-capture';
import { AUDIENCE, SCHEDULER_SA } from './id-tokens';

const EXAMPLES = path.resolve(__dirname, '..', '..', '..', 'examples');
const NEWCO_BUCKET = 'newco-cleanroom-data';
const NEWCO = [
  'name: newco',
  'role: collaborator',
  `bucket: ${NEWCO_BUCKET}`,
  'databricks:',
  '  host: https://5678901234567890.2.gcp.databricks.com',
  'gcp:',
  '  project: newco-analytics',
  '',
].join('\n');

let tmp: string;
let configDir: string;

beforeEach(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'cleanroom-reload-'));
  configDir = path.join(tmp, 'config');
  fs.cpSync(EXAMPLES, configDir, { recursive: true });
});

afterEach(() => {
  fs.rmSync(tmp, { recursive: true, force: true });
});

function write(relative: string, text: string): void {
  fs.writeFileSync(path.join(configDir, relative), text);
}

describe('ConfigReloader', () => {
  it('reports unchanged, then a new participant, then refuses a broken folder and keeps the last valid config', async () => {
    const reloader = new ConfigReloader({ dir: configDir, initial: await loadConfig(configDir) });
    expect(await reloader.reload()).toMatchObject({ kind: 'unchanged' });

    write('participants/newco.yaml', NEWCO);
    const changed = await reloader.reload();
    expect(changed.kind).toBe('changed');
    if (changed.kind !== 'changed') throw new Error('unreachable');
    expect(participantChanges(changed.previous, changed.config)).toEqual({ added: ['newco'], removed: [] });
    expect(reloader.config.participants.map((p) => p.name)).toEqual(['advertiser', 'measurement', 'newco', 'publisher']);

    // One broken file makes the whole folder invalid: nothing of it is applied, not even the valid parts.
    fs.rmSync(path.join(configDir, 'participants', 'measurement.yaml'));
    write('participants/newco.yaml', NEWCO.replace('name: newco', 'name: NewCo!'));
    const refused = await reloader.reload();
    expect(refused).toMatchObject({ kind: 'refused', problems: [expect.stringMatching(/^participants\/newco\.yaml:1:\d+ name — expected/)] });
    expect(reloader.config.participants.map((p) => p.name)).toEqual(['advertiser', 'measurement', 'newco', 'publisher']);

    write('participants/newco.yaml', NEWCO);
    const fixed = await reloader.reload();
    expect(fixed.kind).toBe('changed');
    if (fixed.kind !== 'changed') throw new Error('unreachable');
    expect(participantChanges(fixed.previous, fixed.config)).toEqual({ added: [], removed: ['measurement'] });
  });

  it('refuses a valid config that does not fit the service settings, and a folder that cannot be read', async () => {
    // Deployed without 4X-Large (the example offers all nine sizes); the change adds it back.
    const example = fs.readFileSync(path.join(EXAMPLES, 'cleanroom.yaml'), 'utf8');
    write('cleanroom.yaml', example.replace('  - 4X-Large\n', ''));
    const initial = await loadConfig(configDir);
    const reloader = new ConfigReloader({
      dir: configDir,
      initial,
      fitsSettings: (config) => (config.computeSizes.includes('4X-Large') ? ['no cluster policy for compute size "4X-Large"'] : []),
    });
    write('cleanroom.yaml', example);
    expect(await reloader.reload()).toEqual({ kind: 'refused', config: initial, problems: ['no cluster policy for compute size "4X-Large"'] });

    const failing = new ConfigReloader({ dir: configDir, initial, read: () => Promise.reject(new Error('transport endpoint is not connected')) });
    expect(await failing.reload()).toEqual({
      kind: 'refused',
      config: initial,
      problems: [`${configDir}: the config folder could not be read (transport endpoint is not connected)`],
    });
  });
});

describe('createRuntimePass (serve) re-reads the config at every pass', () => {
  it('serves a participant added while warm, and keeps serving it when a later change is invalid', async () => {
    const root = path.join(tmp, 'local');
    const store = new LocalObjectStore(root);
    await onboardParticipant(store, NEWCO_BUCKET);
    const dataEvent = (table: string) => ({
      eventType: 'DATA' as const,
      payload: JSON.stringify({ data_metastore_name: `newco.${table}`, description: '', action: 'INSERT', location: `gs://${NEWCO_BUCKET}/input/${table}`, format: 'delta' }),
    });
    const first = await appendEvent(store, NEWCO_BUCKET, dataEvent('missing_one'));

    const result = readServeConfig({ CLEANROOM_CONFIG_DIR: configDir, CLEANROOM_AUDIENCE: AUDIENCE, CLEANROOM_INVOKERS: SCHEDULER_SA, CLEANROOM_ENGINE: 'local', CLEANROOM_LOCAL_ROOT: root });
    if (!result.ok) throw new Error(result.problems.join('; '));
    const logs = new LogCapture();
    const runPass = await createRuntimePass(result.config, createLogger({ stream: logs }));

    // Started before newco's file was merged: its bucket is not read.
    expect(await runPass({ kind: 'schedule', passId: 'p1' })).toMatchObject({ events: 0 });

    write('participants/newco.yaml', NEWCO);
    expect(await runPass({ kind: 'schedule', passId: 'p2' })).toMatchObject({ events: 1, events_refused: 1 });
    expect(logs.entries().find((e) => e.message === 'config reloaded')).toMatchObject({ severity: 'NOTICE', pass_id: 'p2', participants: 4, participants_added: ['newco'], participants_removed: [] });
    expect(logs.entries().find((e) => e.message === 'event refused')).toMatchObject({ pass_id: 'p2', participant: 'newco', event_uuid: first.uuid });

    // A broken change: ERROR naming the problem, and the pass still runs with the last valid config (newco included).
    write('participants/bad.yaml', NEWCO.replace('name: newco', 'name: Bad!').replace(NEWCO_BUCKET, 'bad-cleanroom-data'));
    const second = await appendEvent(store, NEWCO_BUCKET, dataEvent('missing_two'));
    expect(await runPass({ kind: 'schedule', passId: 'p3' })).toMatchObject({ events: 1 });
    const refusal = logs.entries().find((e) => e.message === 'config change refused: this pass uses the last valid config');
    expect(refusal).toMatchObject({ severity: 'ERROR', pass_id: 'p3', config_dir: configDir, problems: [expect.stringMatching(/^participants\/bad\.yaml:1:\d+ name — /)] });
    const statuses = await (await DeltaTable.open(store, NEWCO_BUCKET, controlTableKey('event_status'))).readRows();
    expect(statuses.map((s) => s.event_uuid).sort()).toEqual([first.uuid, second.uuid].sort());
    expect(logs.entries().filter((e) => e.message === 'config reloaded')).toHaveLength(1);
  });
});
