/**
 * The runtime's public API for programs (the CLI is `bin/cleanroom.js`). The infrastructure imports the
 * modules it needs by deep path (`cleanroom-runtime/src/config`, `.../control/tables`) so synth loads no more
 * than it uses.
 */
export * from './config';
export * from './control/tables';
export * from './storage';
export * from './delta';
export * from './engines/engine';
export { EngineUnavailableError } from './engines/errors';
export { LocalEngine } from './engines/local';
export { DatabricksEngine } from './engines/databricks';
export * from './events/build-event';
export { parseEvent } from './events/parse-event';
export * from './runtime';
