/**
 * The release step a runtime pass uses when none is given: the one that runs where the engine runs. The step is
 * the runtime's own (it writes the output; participant code never does); only where it runs follows the engine.
 */
import type { ExecutionEngine } from '../../engines/engine';
import { DatabricksEngine } from '../../engines/databricks/databricks-engine';
import { LocalEngine } from '../../engines/local/local-engine';
import { DatabricksReleaseStep } from './databricks-release';
import type { Limits } from '../../limits';
import { LocalReleaseStep } from './local-release';
import type { ReleaseStep } from './release-step';

/** Engines the runtime can release for: the local engine, and any engine that names its own release step. */
export interface ReleasingEngine {
  releaseStep(limits?: Limits): ReleaseStep;
}

export function defaultReleaseStep(engine: ExecutionEngine, limits?: Limits): ReleaseStep | undefined {
  if (engine instanceof LocalEngine) return new LocalReleaseStep({ localRoot: engine.localRoot, ...(limits ? { limits } : {}) });
  if (engine instanceof DatabricksEngine) return new DatabricksReleaseStep(engine, limits);
  const releasing = engine as Partial<ReleasingEngine>;
  return typeof releasing.releaseStep === 'function' ? releasing.releaseStep(limits) : undefined;
}
