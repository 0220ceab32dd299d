/** `cleanroom runtime serve`: runs the HTTP server Cloud Run invokes (see src/serve/serve-config.ts for the env). */
import type { Command } from 'commander';
import { EXIT } from './exit-codes';
import { examples } from './help';
import { CliError } from './participant/errors';

export function registerServeCommand(runtime: Command): void {
  examples(runtime.command('serve'), ['PORT=8080 CLEANROOM_CONFIG_DIR=/config CLEANROOM_AUDIENCE=https://cleanroom-runtime.example.run.app cleanroom runtime serve'])
    .description(
      'Serve the runtime over HTTP for Cloud Run: POST /tick (Cloud Scheduler), POST /pubsub (GCS notifications ' +
        'via Pub/Sub push), GET /healthz. Env: PORT, CLEANROOM_CONFIG_DIR, CLEANROOM_AUDIENCE, CLEANROOM_INVOKERS, ' +
        'CLEANROOM_ENGINE (databricks | local), DATABRICKS_TOKEN or DATABRICKS_TOKEN_FILE, DATABRICKS_HOST, CLEANROOM_DATABRICKS_WAREHOUSE_ID, ' +
        'CLEANROOM_DATABRICKS_POLICY_IDS, CLEANROOM_DATABRICKS_CATALOG, CLEANROOM_GCS_API_ENDPOINT, CLEANROOM_LOCAL_ROOT, CLEANROOM_LOG_LEVEL, ' +
        'GOOGLE_CLOUD_PROJECT (see src/serve/serve-config.ts).',
    )
    .option('--port <port>', 'port to listen on (default: $PORT, else 8080)')
    .action(async (options: { port?: string }) => {
      // The server, the runtime and the cloud clients are loaded only when serving.
      const { createLogger } = require('../logging/logger') as typeof import('../logging/logger');
      const { createRuntimePass } = require('../serve/runtime-pass-adapter') as typeof import('../serve/runtime-pass-adapter');
      const { readServeConfig } = require('../serve/serve-config') as typeof import('../serve/serve-config');
      const { startServer } = require('../serve/server') as typeof import('../serve/server');
      const logger = createLogger();
      const result = readServeConfig(process.env, options.port);
      if (!result.ok) throw new CliError(`cannot serve:\n  - ${result.problems.join('\n  - ')}`, EXIT.unavailable);
      const config = result.config;
      if (config.databricksToken) logger.registerSecret(config.databricksToken);

      // Loads and checks the clean room config first: a server that cannot run a pass must not start.
      const runPass = await createRuntimePass(config, logger);
      const server = await startServer({
        port: config.port,
        runPass,
        auth: { audience: config.audience, allowedServiceAccounts: config.invokers, iamChecked: config.iamChecked },
        logger,
        traceProject: config.project,
      });
      // Cloud Run sends SIGTERM before stopping an instance: finish the running pass, then exit.
      const shutdown = (signal: string): void => {
        logger.notice('signal received', { signal });
        server.close().then(
          () => process.exit(0),
          (error: unknown) => {
            logger.error('shutdown failed', { error });
            process.exit(1);
          },
        );
      };
      process.once('SIGTERM', () => shutdown('SIGTERM'));
      process.once('SIGINT', () => shutdown('SIGINT'));
    });
}
