/** Which datasets a run reads, for recording and checking their versions. Pure. */
import type { DatasetRef, RunSpec } from './engine';

export interface RunInput {
  /** `<participant>.<table>` as the code writes it. */
  name: string;
  /** The Delta version the runtime checked. */
  version: number;
}

/**
 * The Delta datasets with a checked version whose table name appears in the code or in a parameter value (a
 * parameter may name a table through IDENTIFIER(:name)). Matching is case-insensitive, like Spark's names, and errs
 * towards listing more.
 */
export function versionedInputs(spec: Pick<RunSpec, 'code' | 'parameters' | 'datasets'>): RunInput[] {
  const haystack = [spec.code.content, ...Object.values(spec.parameters)].join('\n').toLowerCase();
  return spec.datasets
    .filter((d): d is DatasetRef & { version: number } => d.format === 'delta' && typeof d.version === 'number')
    .filter((d) => haystack.includes(d.table.toLowerCase()))
    .map((d) => ({ name: `${d.participant}.${d.table}`, version: d.version }));
}
