import { Command } from 'commander';
import { registerRuntimeCommands } from '../../src/cli/runtime-commands';
import { createRuntimePass, RuntimePassNotConnectedError } from '../../src/serve/runtime-pass-adapter';
import { readServeConfig } from '../../src/serve/serve-config';
import { createLogger } from '../../src/logging/logger';
import { SCHEDULER_SA, PUSH_SA } from './id-tokens';

const env = {
  PORT: '9090',
  CLEANROOM_CONFIG_DIR: '/config',
  CLEANROOM_AUDIENCE: 'https://cleanroom-runtime-abc123-ew.a.run.app',
  CLEANROOM_INVOKERS: ` ${SCHEDULER_SA}, ${PUSH_SA.toUpperCase()} `,
  DATABRICKS_TOKEN: 'dapi-from-secret-manager',
  GOOGLE_CLOUD_PROJECT: 'demo-project',
};

describe('readServeConfig (environment of the Cloud Run service)', () => {
  it('reads port, config dir, audience, invokers, token and project', () => {
    expect(readServeConfig(env)).toEqual({
      ok: true,
      config: {
        port: 9090,
        configDir: '/config',
        audience: env.CLEANROOM_AUDIENCE,
        invokers: [SCHEDULER_SA, PUSH_SA],
        databricksToken: 'dapi-from-secret-manager',
        project: 'demo-project',
      },
    });
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

  it('has no pass connected yet: triggers fail loudly instead of pretending to work', async () => {
    const result = readServeConfig(env);
    if (!result.ok) throw new Error(result.problems.join('; '));
    const runPass = createRuntimePass(result.config, createLogger({ stream: { write: () => true } }));
    await expect(runPass({ kind: 'manual' })).rejects.toBeInstanceOf(RuntimePassNotConnectedError);
  });
});
