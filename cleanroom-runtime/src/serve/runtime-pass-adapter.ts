/**
 * The single place where `cleanroom runtime serve` gets its pass.
 *
 * TODO(lead): connect the runtime pass here once `src/runtime/index.ts` exports it, e.g.
 *   return (trigger) => runPass({ configDir: config.configDir, databricksToken: config.databricksToken, logger, trigger });
 * Until then every trigger fails with this error (HTTP 500, logged as ERROR): no pass is faked.
 */
import type { Logger } from '../logging/logger';
import type { RunPass } from './pass-trigger';
import type { ServeConfig } from './serve-config';

export class RuntimePassNotConnectedError extends Error {
  constructor() {
    super('the runtime pass is not connected to `cleanroom runtime serve` yet (src/serve/runtime-pass-adapter.ts)');
    this.name = 'RuntimePassNotConnectedError';
  }
}

export function createRuntimePass(config: ServeConfig, logger: Logger): RunPass<unknown> {
  void config;
  void logger;
  return async () => {
    throw new RuntimePassNotConnectedError();
  };
}
