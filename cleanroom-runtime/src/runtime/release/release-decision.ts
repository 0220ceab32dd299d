/**
 * The release gate's rules, in order, over queries an engine answers (release-sql.ts for DuckDB): (1) the staged
 * result is readable and within the bound; (2) no value of a declared identifier column of a dataset the run read
 * appears in any output column, compared after normalisation (lower case, whitespace removed) as a whole value or
 * as a token of a longer text; (3) rows whose group-size column is below min_group_size (or missing, or not a
 * finite number) are suppressed and counted — no group-size column while a min_group_size applies is a refusal;
 * (4) the released rows are at most max_output_rows. A refusal names the rule and the dataset that set it, never a
 * value of the result or of the data.
 */
import type { EffectiveReleasePolicy } from '../../processor/release-policy';
import type { ReleaseRecord } from '../../processor/state';
import { missingGroupSizeColumn, type ReleaseRequest } from './release-step';

export interface ColumnInfo {
  name: string;
  /** The engine's type name, upper case. */
  type: string;
}

export interface IdentifierSource {
  /** `participant.table` as loaded in the engine. */
  dataset: string;
  /** The column as the dataset names it. */
  column: string;
}

export interface ReleaseQueries {
  /** The columns of a loaded table (`participant.table`, or STAGED for the result); null when not loaded. */
  columns(table: string): Promise<ColumnInfo[] | null>;
  stagedRows(): Promise<number>;
  /** The first (output column, identifier) pair whose normalised values meet (column null: a column's name is such a value), or null. */
  identifierHit(identifiers: readonly IdentifierSource[], outputColumns: readonly string[]): Promise<{ outputColumn: string | null; identifier: IdentifierSource } | null>;
  /** Rows the suppression condition on `column` leaves out. */
  suppressedRows(column: string, minGroupSize: number): Promise<number>;
  /** The query that returns the released rows. */
  releaseQuery(suppress: { column: string; minGroupSize: number } | null): string;
}

export const STAGED = 'staged';
const NUMERIC = /^(TINYINT|SMALLINT|INTEGER|BIGINT|HUGEINT|UTINYINT|USMALLINT|UINTEGER|UBIGINT|UHUGEINT|FLOAT|DOUBLE|REAL|DECIMAL.*|BYTE|SHORT|INT|LONG)$/;

export interface Decision {
  outcome: ReleaseRecord;
  /** Set when rows are to be released: the query giving them. */
  releaseQuery?: string;
}

export async function decideRelease(
  request: ReleaseRequest,
  queries: ReleaseQueries,
  options: { maxStagedRows: number; loadProblems: ReadonlyMap<string, string> },
): Promise<Decision> {
  const refuse = (message: string, rowsSuppressed = 0): Decision => ({ outcome: { state: 'REFUSED', rowsSuppressed, rowsReleased: 0, message } });
  const policy = request.policy;
  const stagedColumns = await queries.columns(STAGED);
  if (stagedColumns === null) return refuse(`not released: the staged result could not be read (${options.loadProblems.get('staged') ?? 'not loaded'})`);
  const total = await queries.stagedRows();
  if (total > options.maxStagedRows) return refuse(`refused (limit local_run_result_rows ${options.maxStagedRows}): the staged result holds ${total} rows`);

  const identifiers: IdentifierSource[] = [];
  for (const { dataset, column } of policy.identifiers) {
    const columns = await queries.columns(dataset);
    if (columns === null) {
      // What cannot be checked is not released.
      const why = options.loadProblems.get(dataset) ?? 'not loaded';
      return refuse(`refused (rule identifiers, set by ${dataset}): the identifier column ${dataset}.${column} could not be read to check the result (${why})`);
    }
    const actual = columns.find((c) => c.name.toLowerCase() === column);
    if (actual) identifiers.push({ dataset, column: actual.name });
  }
  if (identifiers.length > 0) {
    const hit = await queries.identifierHit(identifiers, stagedColumns.map((c) => c.name));
    if (hit) {
      return refuse(
        `refused (rule identifiers, set by ${hit.identifier.dataset}): ${hit.outputColumn === null ? 'a column name of the result is a value' : `output column ${JSON.stringify(hit.outputColumn)} holds values`} of the identifier column ` +
          `${hit.identifier.dataset}.${hit.identifier.column.toLowerCase()} (compared ignoring case and whitespace, whole values and words of longer texts); ` +
          'identifiers never leave the clean room: aggregate them away (count them, group by other columns)',
      );
    }
  }

  let suppress: { column: string; minGroupSize: number } | null = null;
  let rowsSuppressed = 0;
  if (policy.minGroupSize !== null) {
    const missing = request.groupSizeColumn === null ? missingGroupSizeColumn(policy) : null;
    if (missing !== null) return refuse(missing);
    const declared = stagedColumns.find((c) => c.name.toLowerCase() === request.groupSizeColumn);
    const rule = `rule min_group_size ${policy.minGroupSize.value}, set by ${policy.minGroupSize.setBy.join(', ')}`;
    if (!declared) return refuse(`refused (${rule}): the result has no group-size column ${JSON.stringify(request.groupSizeColumn)} (its columns: ${stagedColumns.map((c) => c.name).join(', ')}); the code must return the column it declares with --group-size-column`);
    if (!NUMERIC.test(declared.type.toUpperCase())) return refuse(`refused (${rule}): the group-size column ${JSON.stringify(declared.name)} is ${declared.type}, not a number`);
    suppress = { column: declared.name, minGroupSize: policy.minGroupSize.value };
    rowsSuppressed = await queries.suppressedRows(declared.name, policy.minGroupSize.value);
  }
  const rowsReleased = total - rowsSuppressed;
  if (policy.maxOutputRows !== null && rowsReleased > policy.maxOutputRows.value) {
    return refuse(`refused (rule max_output_rows ${policy.maxOutputRows.value}, set by ${policy.maxOutputRows.setBy.join(', ')}): the result holds ${rowsReleased} rows to release`, rowsSuppressed);
  }
  return {
    outcome: { state: rowsSuppressed > 0 ? 'RELEASED_WITH_SUPPRESSION' : 'RELEASED', rowsSuppressed, rowsReleased, message: releasedMessage(policy, rowsReleased, rowsSuppressed) },
    releaseQuery: queries.releaseQuery(suppress),
  };
}

function releasedMessage(policy: EffectiveReleasePolicy, released: number, suppressed: number): string {
  const parts = [`released ${released} rows`];
  if (suppressed > 0 && policy.minGroupSize) parts.push(`${suppressed} rows suppressed for a group size under ${policy.minGroupSize.value} (set by ${policy.minGroupSize.setBy.join(', ')})`);
  if (policy.identifiers.length > 0) parts.push(`no value of ${policy.identifiers.length} identifier column(s) found`);
  return parts.join('; ');
}
