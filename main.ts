/**
 * The cdktf app: loads the clean room config (the runtime's schema), then declares the `cleanroom` stack and one
 * `participant-<name>` stack per participant. Config folder: $CLEANROOM_CONFIG_DIR, else the `cleanroomConfigDir`
 * context of cdktf.json.
 */
import { App } from 'cdktf';
import { ConfigError } from 'cleanroom-runtime/src/config';
import { buildAppFromConfigDir } from './stacks/from-config';

async function main(): Promise<void> {
  const app = new App();
  const contextDir: unknown = app.node.tryGetContext('cleanroomConfigDir');
  const dir = process.env.CLEANROOM_CONFIG_DIR ?? (typeof contextDir === 'string' ? contextDir : 'examples');
  await buildAppFromConfigDir(app, dir);
  app.synth();
}

main().catch((error: unknown) => {
  // The validator's message already names file, line, field and what is expected: print it as is.
  process.stderr.write(`${error instanceof ConfigError ? error.message : error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
