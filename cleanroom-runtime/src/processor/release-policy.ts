/**
 * Which release policy applies to a run: pure logic over the configuration's `release:` sections and the datasets
 * the run's code reads. A dataset's policy is its owner's per-table entry, field by field over the owner's
 * defaults; the clean room's defaults apply to every dataset. The run gets the strictest of all of them: the union
 * of the identifier columns, the largest min_group_size, the smallest max_output_rows — each remembered with the
 * dataset that set it, so a refusal can name its cause. Code whose reads are unknown reads every dataset.
 */
import type { ParticipantReleasePolicy, ReleasePolicyFields } from '../config/release-schema';

export interface ReleasePolicySources {
  readonly defaults: ReleasePolicyFields;
  /** By participant name. */
  readonly participants: Readonly<Record<string, ParticipantReleasePolicy>>;
}

export const NO_RELEASE_POLICIES: ReleasePolicySources = { defaults: {}, participants: {} };

/** What set a bound: a dataset (`participant.table`) or the clean room's defaults. */
export const CLEANROOM_DEFAULTS = 'cleanroom.yaml';

export interface IdentifierColumn {
  /** `participant.table` */
  readonly dataset: string;
  /** Lower case. */
  readonly column: string;
}

export interface Bound {
  readonly value: number;
  /** The datasets (or CLEANROOM_DEFAULTS) whose policy sets this value, sorted. */
  readonly setBy: readonly string[];
}

export interface EffectiveReleasePolicy {
  /** The datasets the run reads (`participant.table`), sorted. */
  readonly datasets: readonly string[];
  readonly identifiers: readonly IdentifierColumn[];
  readonly minGroupSize: Bound | null;
  readonly maxOutputRows: Bound | null;
}

/** One dataset's own policy: the owner's per-table entry over the owner's defaults (without the clean room's). */
export function datasetReleasePolicy(dataset: string, sources: ReleasePolicySources): ReleasePolicyFields {
  const [owner = '', table = ''] = dataset.split('.');
  const policy = sources.participants[owner];
  if (policy === undefined) return {};
  const entry = Object.hasOwn(policy.datasets, table) ? policy.datasets[table] : undefined;
  const pick = <K extends keyof ReleasePolicyFields>(key: K): ReleasePolicyFields[K] => entry?.[key] ?? policy[key];
  const identifiers = pick('identifiers');
  const minGroupSize = pick('minGroupSize');
  const maxOutputRows = pick('maxOutputRows');
  return {
    ...(identifiers === undefined ? {} : { identifiers }),
    ...(minGroupSize === undefined ? {} : { minGroupSize }),
    ...(maxOutputRows === undefined ? {} : { maxOutputRows }),
  };
}

/**
 * The policy a run of code with these `reads` gets. `registered` is every registered dataset (`participant.table`):
 * unknown reads (undefined) mean all of them, and reads of datasets no longer registered still count (their owner's
 * defaults apply), since what the code may reach is what matters.
 */
export function releasePolicyFor(reads: readonly string[] | undefined, registered: readonly string[], sources: ReleasePolicySources): EffectiveReleasePolicy {
  const datasets = [...new Set((reads ?? registered).map((d) => d.toLowerCase()))].sort();
  const identifiers = new Map<string, IdentifierColumn>();
  let minGroupSize: Bound | null = null;
  let maxOutputRows: Bound | null = null;
  const levels: Array<[string, ReleasePolicyFields, readonly string[]]> = [[CLEANROOM_DEFAULTS, sources.defaults, datasets]];
  for (const dataset of datasets) levels.push([dataset, datasetReleasePolicy(dataset, sources), [dataset]]);
  for (const [source, fields, appliesTo] of levels) {
    for (const column of fields.identifiers ?? []) {
      for (const dataset of appliesTo) identifiers.set(`${dataset}\u0000${column}`, { dataset, column: column.toLowerCase() });
    }
    minGroupSize = stricter(minGroupSize, fields.minGroupSize, source, (a, b) => a > b);
    maxOutputRows = stricter(maxOutputRows, fields.maxOutputRows, source, (a, b) => a < b);
  }
  return {
    datasets,
    identifiers: [...identifiers.values()].sort((a, b) => (a.dataset + a.column < b.dataset + b.column ? -1 : 1)),
    minGroupSize,
    maxOutputRows,
  };
}

function stricter(current: Bound | null, value: number | undefined, source: string, isStricter: (a: number, b: number) => boolean): Bound | null {
  if (value === undefined) return current;
  if (current === null || isStricter(value, current.value)) return { value, setBy: [source] };
  if (value === current.value) return { value, setBy: [...current.setBy, source].sort() };
  return current;
}

/** One line for the keeper and the runs table: what the release gate will check. */
export function describeReleasePolicy(policy: EffectiveReleasePolicy): string {
  const parts: string[] = [];
  if (policy.identifiers.length > 0) parts.push(`identifiers ${policy.identifiers.map((i) => `${i.dataset}.${i.column}`).join(', ')} never released`);
  if (policy.minGroupSize) parts.push(`rows under a group size of ${policy.minGroupSize.value} suppressed (${policy.minGroupSize.setBy.join(', ')})`);
  if (policy.maxOutputRows) parts.push(`at most ${policy.maxOutputRows.value} rows (${policy.maxOutputRows.setBy.join(', ')})`);
  return parts.length === 0 ? 'no release policy applies' : parts.join('; ');
}
