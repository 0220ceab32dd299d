/**
 * The store, engine and clean room config of a long-running runtime (`runtime serve`, `runtime watch`): before each
 * pass `refresh()` re-reads the config folder, and a valid change also rebuilds the engine (it knows the
 * participants). Passes never overlap in either command, so swapping the engine between passes is safe.
 */
import type { CleanroomConfig } from '../config';
import type { ExecutionEngine } from '../engines/engine';
import type { ObjectStore } from '../storage/object-store';
import { buildEngine, type DeploymentOptions } from './build';
import { ConfigReloader, type ConfigReload } from './config-reloader';
import { deploymentProblems, type DeploymentSettings } from './settings';

export interface LiveDeploymentOptions {
  /** The config folder re-read before each pass. */
  configDir: string;
  /** The config the command started with (already validated and checked against the settings). */
  initial: CleanroomConfig;
  settings: DeploymentSettings;
  store: ObjectStore;
  engine: ExecutionEngine;
  options?: DeploymentOptions;
}

export class LiveDeployment {
  readonly store: ObjectStore;
  private current: ExecutionEngine;
  private readonly reloader: ConfigReloader;

  constructor(private readonly live: LiveDeploymentOptions) {
    this.store = live.store;
    this.current = live.engine;
    this.reloader = new ConfigReloader({ dir: live.configDir, initial: live.initial, fitsSettings: (next) => deploymentProblems(next, live.settings) });
  }

  get config(): CleanroomConfig {
    return this.reloader.config;
  }

  get engine(): ExecutionEngine {
    return this.current;
  }

  /** Re-reads the config; a refused change keeps the last valid config (the caller reports its problems). */
  async refresh(): Promise<ConfigReload> {
    const reload = await this.reloader.reload();
    if (reload.kind === 'changed') this.current = buildEngine(reload.config, this.live.settings, this.live.options);
    return reload;
  }
}
