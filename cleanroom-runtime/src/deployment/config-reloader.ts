/**
 * The clean room config of a long-running service: re-read at the start of every pass (a few small YAML files), so
 * a warm instance picks up a new participant without a restart. A folder that does not validate — or does not fit
 * the service's settings — is refused as a whole: the service keeps running with the last valid config, never with a
 * half-valid one.
 */
import { formatProblem, validateConfigDir, type CleanroomConfig, type ValidationResult } from '../config';

export type ConfigReload =
  | { readonly kind: 'unchanged'; readonly config: CleanroomConfig }
  | { readonly kind: 'changed'; readonly config: CleanroomConfig; readonly previous: CleanroomConfig }
  /** `config` is the last valid one, still in use; `problems` say what to fix (`file:line:column field — …`). */
  | { readonly kind: 'refused'; readonly config: CleanroomConfig; readonly problems: readonly string[] };

export interface ConfigReloaderOptions {
  /** The config folder (cleanroom.yaml + participants/). */
  readonly dir: string;
  /** The config the service started with (already validated and accepted). */
  readonly initial: CleanroomConfig;
  /** Problems of a valid config with the service's own settings (e.g. a compute size without a cluster policy). */
  readonly fitsSettings?: (config: CleanroomConfig) => readonly string[];
  /** Reads and validates the folder; default the loader every command uses. */
  readonly read?: (dir: string) => Promise<ValidationResult>;
}

export class ConfigReloader {
  private last: CleanroomConfig;
  private lastText: string;

  constructor(private readonly options: ConfigReloaderOptions) {
    this.last = options.initial;
    this.lastText = JSON.stringify(options.initial);
  }

  /** The config in use: the last one that validated. */
  get config(): CleanroomConfig {
    return this.last;
  }

  async reload(): Promise<ConfigReload> {
    let result: ValidationResult;
    try {
      result = await (this.options.read ?? validateConfigDir)(this.options.dir);
    } catch (error) {
      return this.refused([`${this.options.dir}: the config folder could not be read (${error instanceof Error ? error.message : String(error)})`]);
    }
    if (result.config === undefined) {
      const problems = result.problems.map((problem) => formatProblem(problem, this.options.dir));
      return this.refused(problems.length > 0 ? problems : [`${this.options.dir}: the config folder did not validate`]);
    }
    const text = JSON.stringify(result.config);
    if (text === this.lastText) return { kind: 'unchanged', config: this.last };
    const misfits = this.options.fitsSettings?.(result.config) ?? [];
    if (misfits.length > 0) return this.refused(misfits);
    const previous = this.last;
    this.last = result.config;
    this.lastText = text;
    return { kind: 'changed', config: this.last, previous };
  }

  private refused(problems: readonly string[]): ConfigReload {
    return { kind: 'refused', config: this.last, problems };
  }
}

/** Participant names added and removed between two configs (for the reload log entry). */
export function participantChanges(previous: CleanroomConfig, next: CleanroomConfig): { added: string[]; removed: string[] } {
  const before = new Set(previous.participants.map((p) => p.name));
  const after = new Set(next.participants.map((p) => p.name));
  return {
    added: [...after].filter((name) => !before.has(name)),
    removed: [...before].filter((name) => !after.has(name)),
  };
}
