/**
 * `release:` — what may leave the clean room. A participant's file sets the policy of its own datasets (defaults,
 * overridable per table under `datasets:`); cleanroom.yaml sets clean-room-wide defaults that apply to every
 * dataset. The runtime's release gate applies, for each run, the strictest policy of every dataset the run read
 * (processor/release-policy.ts). A participant's section can name only its own tables: nothing in one file can
 * reach, let alone loosen, another participant's policy.
 */
import { z } from 'zod';

/** A column name as Spark and Delta write it; compared ignoring case. */
const COLUMN_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,127}$/;
/** A table name as the clean room stores it (processor/names.ts TABLE_NAME), optionally `<own participant>.` first. */
const TABLE_KEY = /^([a-z][a-z0-9_]{1,30}\.)?[a-z][a-z0-9_]{0,62}$/;

export const MAX_GROUP_SIZE = 1_000_000;
export const MAX_OUTPUT_ROWS = 1_000_000_000;

function policyFields() {
  return {
    identifiers: z
      .array(z.string().regex(COLUMN_NAME).describe('a column name (letters, digits and underscores, starting with a letter or underscore)'))
      .max(100)
      .optional()
      .describe('columns whose values must never leave the clean room: a list of column names (compared ignoring case)'),
    min_group_size: z
      .number()
      .int()
      .min(1)
      .max(MAX_GROUP_SIZE)
      .optional()
      .describe(`the smallest group a released row may describe: a whole number from 1 to ${MAX_GROUP_SIZE} (rows whose group-size column is below it are suppressed)`),
    max_output_rows: z
      .number()
      .int()
      .min(1)
      .max(MAX_OUTPUT_ROWS)
      .optional()
      .describe(`the most rows a released output may hold: a whole number from 1 to ${MAX_OUTPUT_ROWS} (a larger output is refused)`),
  };
}

/** cleanroom.yaml: clean-room-wide defaults, applied to every dataset (no per-table entries: tables belong to participants). */
export const cleanroomReleaseSchema = z
  .strictObject(policyFields())
  .prefault({})
  .describe('clean-room-wide release defaults for every dataset: optional identifiers, min_group_size, max_output_rows');

/** participants/<name>.yaml: the policy of the participant's own datasets. */
export const participantReleaseSchema = z
  .strictObject({
    ...policyFields(),
    datasets: z
      .record(
        z.string().describe('a table name of this participant'),
        z.strictObject(policyFields()).describe("a table's release policy: optional identifiers, min_group_size, max_output_rows"),
      )
      .optional()
      .describe('per-table release policies of this participant\'s own tables, by table name (e.g. users: { min_group_size: 100 })'),
  })
  .optional()
  .describe("the release policy of this participant's datasets: optional identifiers, min_group_size, max_output_rows and per-table datasets");


export type ParticipantReleaseFile = z.output<typeof participantReleaseSchema>;

/**
 * Problems with a participant's `release.datasets` keys, as [key, message]: a key is a table of the participant's
 * own (`users`, or `<own name>.users`); a key naming another participant's table would set that participant's
 * policy, which only that participant's file may do.
 */
export function releaseDatasetKeyProblems(owner: string, release: ParticipantReleaseFile): Array<[string, string]> {
  const problems: Array<[string, string]> = [];
  const seen = new Map<string, string>();
  for (const key of Object.keys(release?.datasets ?? {})) {
    if (!TABLE_KEY.test(key)) {
      problems.push([key, `expected a table name of ${owner} (a lowercase letter, then lowercase letters, digits or underscores; optionally "${owner}." first); got "${key.slice(0, 80)}"`]);
      continue;
    }
    const dot = key.indexOf('.');
    if (dot >= 0 && key.slice(0, dot) !== owner) {
      problems.push([key, `expected a table of ${owner}'s own: "${key}" belongs to ${key.slice(0, dot)}, whose release policy only participants/${key.slice(0, dot)}.yaml sets (a participant cannot set or weaken another's policy)`]);
      continue;
    }
    const table = dot >= 0 ? key.slice(dot + 1) : key;
    const earlier = seen.get(table);
    if (earlier !== undefined) problems.push([key, `expected each table once; "${key}" is the same table as "${earlier}"`]);
    else seen.set(table, key);
  }
  return problems;
}

/** One level of policy: absent fields leave the decision to the other levels. */
export interface ReleasePolicyFields {
  readonly identifiers?: readonly string[];
  readonly minGroupSize?: number;
  readonly maxOutputRows?: number;
}

/** A participant's release policy as the runtime applies it: defaults and per-table overrides by table name. */
export interface ParticipantReleasePolicy extends ReleasePolicyFields {
  readonly datasets: Readonly<Record<string, ReleasePolicyFields>>;
}

export function toReleaseFields(file: { identifiers?: string[] | undefined; min_group_size?: number | undefined; max_output_rows?: number | undefined } | undefined): ReleasePolicyFields {
  if (file === undefined) return {};
  return {
    ...(file.identifiers === undefined ? {} : { identifiers: [...new Set(file.identifiers.map((c) => c.toLowerCase()))] }),
    ...(file.min_group_size === undefined ? {} : { minGroupSize: file.min_group_size }),
    ...(file.max_output_rows === undefined ? {} : { maxOutputRows: file.max_output_rows }),
  };
}

export function toParticipantReleasePolicy(owner: string, file: ParticipantReleaseFile): ParticipantReleasePolicy {
  const datasets: Record<string, ReleasePolicyFields> = {};
  for (const [key, fields] of Object.entries(file?.datasets ?? {})) {
    const table = key.startsWith(`${owner}.`) ? key.slice(owner.length + 1) : key;
    datasets[table] = toReleaseFields(fields);
  }
  return { ...toReleaseFields(file), datasets };
}
