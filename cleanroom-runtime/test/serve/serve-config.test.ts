import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Command } from 'commander';
import { registerRuntimeCommands } from '../../src/cli/runtime-commands';
import { controlTableKey } from '../../src/control/tables';
import { DeltaTable } from '../../src/delta/table';
import { appendEvent, onboardParticipant } from '../../src/runtime/control-tables';
import { createRuntimePass, RuntimeSettingsError } from '../../src/serve/runtime-pass-adapter';
import { readServeConfig } from '../../src/serve/serve-config';
import { createLogger } from '../../src/logging/logger';
import { LocalObjectStore } from '../../src/storage/local-store';
import { LogCapture } from '../logging/log-capture';
import { SCHEDULER_SA, PUSH_SA } from './id-tokens';

const EXAMPLES = path.resolve(__dirname, '..', '..', '..', 'examples');
// One policy per size the example offers (the seed's nine).
const POLICY_IDS = { '2X-Small': 'p-2xs', 'X-Small': 'p-xs', Small: 'p-s', Medium: 'p-m', Large: 'p-l', 'X-Large': 'p-xl', '2X-Large': 'p-2xl', '3X-Large': 'p-3xl', '4X-Large': 'p-4xl' };

const env = {
  PORT: '9090',
  CLEANROOM_CONFIG_DIR: '/config',
  CLEANROOM_AUDIENCE: 'https://cleanroom-runtime-abc123-ew.a.run.app',
  CLEANROOM_INVOKERS: ` ${SCHEDULER_SA}, ${PUSH_SA.toUpperCase()} `,
  DATABRICKS_TOKEN: 'dapi-from-secret-manager',
  GOOGLE_CLOUD_PROJECT: 'demo-project',
  CLEANROOM_DATABRICKS_WAREHOUSE_ID: '1234abcd5678ef90',
  CLEANROOM_DATABRICKS_POLICY_IDS: JSON.stringify(POLICY_IDS),
};

describe('readServeConfig (environment of the Cloud Run service)', () => {
  it('CLEANROOM_IAM_CHECKED=true (set by the stack) says Cloud Run checked the caller first; anything but true/false is refused', () => {
    expect(readServeConfig({ ...env, CLEANROOM_IAM_CHECKED: 'true' })).toMatchObject({ ok: true, config: { iamChecked: true } });
    expect(readServeConfig({ ...env, CLEANROOM_IAM_CHECKED: 'false' })).toMatchObject({ ok: true, config: { iamChecked: false } });
    expect(readServeConfig({ ...env, CLEANROOM_IAM_CHECKED: 'yes' })).toEqual({ ok: false, problems: [expect.stringMatching(/^CLEANROOM_IAM_CHECKED "yes" must be true or false/)] });
  });

  it('reads port, config dir, audience, invokers, token, project and the Databricks settings', () => {
    expect(readServeConfig(env)).toEqual({
      ok: true,
      config: {
        port: 9090,
        configDir: '/config',
        audience: env.CLEANROOM_AUDIENCE,
        invokers: [SCHEDULER_SA, PUSH_SA],
        iamChecked: false,
        databricksToken: 'dapi-from-secret-manager',
        project: 'demo-project',
        engine: { kind: 'databricks', token: 'dapi-from-secret-manager', warehouseId: '1234abcd5678ef90', policyIds: POLICY_IDS },
      },
    });
    expect(readServeConfig({ ...env, DATABRICKS_HOST: 'https://42.1.gcp.databricks.com/', CLEANROOM_GCS_API_ENDPOINT: 'http://127.0.0.1:4443' })).toMatchObject({
      ok: true,
      config: { engine: { kind: 'databricks', host: 'https://42.1.gcp.databricks.com', gcsApiEndpoint: 'http://127.0.0.1:4443' } },
    });
  });

  it('names each missing or invalid Databricks setting, never echoing the token', () => {
    const { DATABRICKS_TOKEN: _t, CLEANROOM_DATABRICKS_WAREHOUSE_ID: _w, CLEANROOM_DATABRICKS_POLICY_IDS: _p, ...rest } = env;
    const missing = readServeConfig(rest);
    expect(missing).toEqual({
      ok: false,
      problems: [
        expect.stringMatching(/^DATABRICKS_TOKEN is not set/),
        expect.stringMatching(/^CLEANROOM_DATABRICKS_WAREHOUSE_ID is not set/),
        expect.stringMatching(/^CLEANROOM_DATABRICKS_POLICY_IDS is not set/),
      ],
    });
    const invalid = readServeConfig({
      ...env,
      DATABRICKS_HOST: 'http://workspace.example.com',
      CLEANROOM_DATABRICKS_WAREHOUSE_ID: "x'; DROP",
      CLEANROOM_DATABRICKS_POLICY_IDS: '{"Small": 7, "Large": "ok-1"}',
    });
    expect(invalid).toEqual({
      ok: false,
      problems: [
        expect.stringMatching(/^DATABRICKS_HOST: .*must use https:\/\//),
        expect.stringMatching(/^CLEANROOM_DATABRICKS_WAREHOUSE_ID .* is not a SQL warehouse id/),
        expect.stringMatching(/^CLEANROOM_DATABRICKS_POLICY_IDS: the policy id of "Small" is not a cluster policy id/),
      ],
    });
    expect(readServeConfig({ ...env, CLEANROOM_DATABRICKS_POLICY_IDS: '["p-1"]' })).toEqual({ ok: false, problems: [expect.stringMatching(/must be a non-empty JSON object/)] });
    expect(readServeConfig({ ...env, CLEANROOM_DATABRICKS_POLICY_IDS: '{oops' })).toEqual({ ok: false, problems: [expect.stringMatching(/is not JSON/)] });
    expect(JSON.stringify(readServeConfig({ ...env, CLEANROOM_DATABRICKS_POLICY_IDS: '' }))).not.toContain(env.DATABRICKS_TOKEN);
  });

  it('CLEANROOM_ENGINE=local needs CLEANROOM_LOCAL_ROOT and no Databricks settings; other engines are refused', () => {
    const local = { PORT: '8080', CLEANROOM_AUDIENCE: env.CLEANROOM_AUDIENCE, CLEANROOM_INVOKERS: SCHEDULER_SA, CLEANROOM_ENGINE: 'local' };
    expect(readServeConfig({ ...local, CLEANROOM_LOCAL_ROOT: '/rehearsal' })).toMatchObject({ ok: true, config: { engine: { kind: 'local', localRoot: '/rehearsal' } } });
    expect(readServeConfig(local)).toEqual({ ok: false, problems: [expect.stringMatching(/^CLEANROOM_LOCAL_ROOT is not set/)] });
    expect(readServeConfig({ ...local, CLEANROOM_ENGINE: 'spark' })).toEqual({ ok: false, problems: [expect.stringMatching(/CLEANROOM_ENGINE "spark" is not an engine/)] });
  });

  it('defaults the port to 8080 and lets --port override PORT', () => {
    const { PORT: _unused, ...withoutPort } = env;
    expect(readServeConfig(withoutPort)).toMatchObject({ ok: true, config: { port: 8080 } });
    expect(readServeConfig(env, '7070')).toMatchObject({ ok: true, config: { port: 7070 } });
  });

  it('names every missing or invalid setting and what to set', () => {
    const result = readServeConfig({ PORT: '80x', CLEANROOM_INVOKERS: 'someone@gmail.com' });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.problems).toEqual([
      expect.stringMatching(/port "80x".*PORT or --port/),
      expect.stringMatching(/CLEANROOM_AUDIENCE is not set/),
      expect.stringMatching(/CLEANROOM_INVOKERS: "someone@gmail.com" is not a service account email/),
      expect.stringMatching(/DATABRICKS_TOKEN is not set/),
      expect.stringMatching(/CLEANROOM_DATABRICKS_WAREHOUSE_ID is not set/),
      expect.stringMatching(/CLEANROOM_DATABRICKS_POLICY_IDS is not set/),
    ]);
  });
});

describe('cleanroom runtime serve (CLI wiring)', () => {
  it('registers `runtime serve` with a --port option', () => {
    const program = new Command('cleanroom');
    const runtime = registerRuntimeCommands(program);
    expect(program.commands.map((c) => c.name())).toContain('runtime');
    const serve = runtime.commands.find((c) => c.name() === 'serve');
    expect(serve?.options.map((o) => o.long)).toEqual(['--port']);
  });

  it('refuses to start when a compute size of cleanroom.yaml has no cluster policy', async () => {
    const result = readServeConfig({ ...env, CLEANROOM_CONFIG_DIR: EXAMPLES, CLEANROOM_DATABRICKS_POLICY_IDS: '{"Small":"p-s"}' });
    if (!result.ok) throw new Error(result.problems.join('; '));
    const error = await createRuntimePass(result.config, createLogger({ stream: { write: () => true } })).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RuntimeSettingsError);
    expect((error as RuntimeSettingsError).problems).toEqual(
      ['2X-Small', 'X-Small', 'Medium', 'Large', 'X-Large', '2X-Large', '3X-Large', '4X-Large'].map((size) => expect.stringContaining(`no cluster policy for compute size "${size}"`)),
    );
  });

  it('with CLEANROOM_ENGINE=local, a trigger runs a real pass over folders and logs each event', async () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'cleanroom-serve-local-'));
    try {
      const store = new LocalObjectStore(root);
      await onboardParticipant(store, 'advertiser-cleanroom-data');
      const { uuid } = await appendEvent(store, 'advertiser-cleanroom-data', {
        eventType: 'DATA',
        payload: JSON.stringify({ data_metastore_name: 'advertiser.missing', description: '', action: 'INSERT', location: 'gs://advertiser-cleanroom-data/input/missing', format: 'delta' }),
      });
      const result = readServeConfig({ PORT: '8080', CLEANROOM_CONFIG_DIR: EXAMPLES, CLEANROOM_AUDIENCE: env.CLEANROOM_AUDIENCE, CLEANROOM_INVOKERS: SCHEDULER_SA, CLEANROOM_ENGINE: 'local', CLEANROOM_LOCAL_ROOT: root });
      if (!result.ok) throw new Error(result.problems.join('; '));
      const logs = new LogCapture();
      const runPass = await createRuntimePass(result.config, createLogger({ stream: logs }));
      expect(await runPass({ kind: 'manual', passId: 'pass-1' })).toMatchObject({ events: 1, events_refused: 1, submitted: 0 });
      const statuses = await (await DeltaTable.open(store, 'advertiser-cleanroom-data', controlTableKey('event_status'))).readRows();
      expect(statuses).toEqual([expect.objectContaining({ event_uuid: uuid, status: 'ERROR' })]);
      expect(logs.entries().find((e) => e.message === 'event refused')).toMatchObject({ severity: 'WARNING', pass_id: 'pass-1', participant: 'advertiser', event_uuid: uuid });
    } finally {
      fs.rmSync(root, { recursive: true, force: true });
    }
  });
});
