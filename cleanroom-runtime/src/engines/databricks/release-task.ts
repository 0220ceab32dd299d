/**
 * The release notebook (runner/cleanroom_release.py): the runtime's own step that checks a staged result and writes
 * the released rows at the submitter's output. Imported at `<root>/release/<sha256 of its source>` like the runner:
 * a new version gets a new path, participants can never edit it. Pure, except for reading its source once.
 */
import { ownedNotebookPath, ownedNotebookSource } from './owned-notebooks';

/** The notebook's one widget: the release request as JSON (names and bounds are validated by the notebook). */
export const RELEASE_WIDGET = 'cleanroom_release';

export function releaseNotebookSource(): string {
  return ownedNotebookSource('cleanroom_release.py');
}

export function releaseNotebookPath(root: string): string {
  return ownedNotebookPath(root, 'release', 'cleanroom_release.py');
}

export interface ReleaseBound {
  value: number;
  set_by: string[];
}

/** What the release notebook decides on (the catalog is the engine's). */
export interface ReleaseNotebookRequest {
  staging: string;
  output: string;
  max_staged_rows: number;
  group_size_column: string | null;
  policy: { identifiers: Array<{ dataset: string; column: string }>; min_group_size: ReleaseBound | null; max_output_rows: ReleaseBound | null };
  identifier_datasets: Array<{ name: string; version: number | null }>;
}

/** The outcome the notebook exits with (dbutils.notebook.exit), as JSON. */
export interface ReleaseNotebookOutcome {
  state: 'RELEASED' | 'RELEASED_WITH_SUPPRESSION' | 'REFUSED';
  rows_suppressed: number;
  rows_released: number;
  message: string;
}

/** The widget's value: the request with the clean room's catalog, as JSON (never spliced into code). */
export function releaseWidgetValue(request: ReleaseNotebookRequest, catalog: string): string {
  return JSON.stringify({ ...request, catalog });
}

const STATES = new Set(['RELEASED', 'RELEASED_WITH_SUPPRESSION', 'REFUSED']);

/** The notebook's exit value, or null when it is not an outcome the notebook gives. */
export function parseReleaseOutcome(text: string): ReleaseNotebookOutcome | null {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return null;
  }
  if (typeof value !== 'object' || value === null) return null;
  const v = value as Record<string, unknown>;
  const whole = (n: unknown): n is number => typeof n === 'number' && Number.isInteger(n) && n >= 0;
  if (typeof v.state !== 'string' || !STATES.has(v.state) || !whole(v.rows_suppressed) || !whole(v.rows_released) || typeof v.message !== 'string') return null;
  return { state: v.state as ReleaseNotebookOutcome['state'], rows_suppressed: v.rows_suppressed, rows_released: v.rows_released, message: v.message.slice(0, 4000) };
}
