/**
 * How SQL code runs on Databricks: through the clean room's runner notebook (runner/cleanroom_runner.py), owned by
 * the runtime and imported at `<root>/runner/<sha256 of its source>`, never editable by participants. The approved
 * SQL is imported as a workspace file; the runner reads it from `/Workspace<path>`, verifies its sha256, runs the
 * statements with bound parameters and writes the final query's result as a Delta table at its `output` widget, as
 * the local engine does. That widget is the run's result location: the clean room's staging location when the
 * runtime's release gate is on (the release step alone writes the participant's output), never chosen by the code.
 * Pure, except for reading the runner's source once.
 */
import { resultLocation, type RunSpec } from '../engine';
import { versionedInputs } from '../run-inputs';
import { ownedNotebookPath, ownedNotebookSource } from './owned-notebooks';

/** The runner notebook's source (shipped next to this file). */
export function runnerNotebookSource(): string {
  return ownedNotebookSource('cleanroom_runner.py');
}

/** `<root>/runner/<sha256>`: a new runner version gets a new path, an old one is never overwritten. */
export function runnerNotebookPath(root: string): string {
  return ownedNotebookPath(root, 'runner', 'cleanroom_runner.py');
}

/** The runner's widgets (names the runner owns; the job's own parameters travel inside cleanroom_parameters). */
export function runnerParameters(spec: RunSpec, sqlFilePath: string, catalog: string, output = resultLocation(spec)): Record<string, string> {
  return {
    cleanroom_code_path: `/Workspace${sqlFilePath}`,
    cleanroom_code_sha256: spec.code.hash,
    cleanroom_catalog: catalog,
    cleanroom_inputs: JSON.stringify(versionedInputs(spec)),
    cleanroom_parameters: JSON.stringify(codeParameters(spec, output)),
    output,
  };
}

/**
 * The job's parameters as the code sees them: `output` is where the run writes (staging under the release gate; on
 * an isolating engine, the path of the run's own staging volume).
 */
export function codeParameters(spec: RunSpec, output = resultLocation(spec)): Record<string, string> {
  return { ...spec.parameters, output };
}
