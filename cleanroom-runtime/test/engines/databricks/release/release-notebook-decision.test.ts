/**
 * The release notebook (src/engines/databricks/runner/cleanroom_release.py) decides exactly as the local release
 * step's decideRelease: the same rules in the same order, the same messages. Both are given the same answers to the
 * decision's questions (what an engine's checks found) from a shared corpus and must give the same outcome. The
 * notebook's own tests (request validation, the Spark calls, the write) run with python3 in runner-notebook.test.ts.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { decideRelease, STAGED, type ColumnInfo, type ReleaseQueries } from '../../../../src/runtime/release/release-decision';
import type { ReleaseRequest } from '../../../../src/runtime/release/release-step';

interface Bound { value: number; set_by: string[] }
interface CorpusCase {
  name: string;
  request: {
    staging: string;
    output: string;
    max_staged_rows: number;
    group_size_column: string | null;
    policy: { identifiers: Array<{ dataset: string; column: string }>; min_group_size: Bound | null; max_output_rows: Bound | null };
  };
  answers: {
    columns: Record<string, ColumnInfo[] | null>;
    staged_rows: number;
    identifier_hit: { output_column: string | null; identifier: number } | null;
    suppressed_rows: number;
  };
  load_problems?: Record<string, string>;
}

const CORPUS = path.join(__dirname, 'release-decision-corpus.json');
const DECIDE = path.join(__dirname, '..', 'runner', 'decide_release.py');

async function typescriptOutcome(c: CorpusCase): Promise<unknown> {
  const bound = (b: Bound | null) => (b === null ? null : { value: b.value, setBy: b.set_by });
  const request: ReleaseRequest = {
    jobId: 'job-1',
    runId: '1',
    stagingLocation: c.request.staging,
    outputLocation: c.request.output,
    groupSizeColumn: c.request.group_size_column,
    identifierDatasets: [],
    policy: { datasets: [], identifiers: c.request.policy.identifiers, minGroupSize: bound(c.request.policy.min_group_size), maxOutputRows: bound(c.request.policy.max_output_rows) },
  };
  let suppressArgs: { column: string; minGroupSize: number } | null = null;
  const queries: ReleaseQueries = {
    columns: async (table) => c.answers.columns[table === STAGED ? 'staged' : table] ?? null,
    stagedRows: async () => c.answers.staged_rows,
    identifierHit: async (identifiers) => {
      const hit = c.answers.identifier_hit;
      return hit === null ? null : { outputColumn: hit.output_column, identifier: identifiers[hit.identifier]! };
    },
    suppressedRows: async () => c.answers.suppressed_rows,
    releaseQuery: (suppress) => {
      suppressArgs = suppress;
      return 'released';
    },
  };
  const decision = await decideRelease(request, queries, { maxStagedRows: c.request.max_staged_rows, loadProblems: new Map(Object.entries(c.load_problems ?? {})) });
  const o = decision.outcome;
  const suppress = suppressArgs as { column: string; minGroupSize: number } | null;
  return {
    outcome: { state: o.state, rows_suppressed: o.rowsSuppressed, rows_released: o.rowsReleased, message: o.message },
    suppress: decision.releaseQuery === undefined || suppress === null ? null : { column: suppress.column, min_group_size: suppress.minGroupSize },
  };
}

describe('the release notebook decides as decideRelease', () => {
  const cases = JSON.parse(readFileSync(CORPUS, 'utf8')) as CorpusCase[];

  test('every corpus case: the same outcome, message and suppression', async () => {
    const run = spawnSync('python3', [DECIDE], { input: JSON.stringify(cases), encoding: 'utf8' });
    expect(run.stderr).toBe('');
    const python = JSON.parse(run.stdout) as unknown[];
    expect(python).toHaveLength(cases.length);
    for (const [i, c] of cases.entries()) expect({ name: c.name, ...(python[i] as object) }).toEqual({ name: c.name, ...(await typescriptOutcome(c) as object) });
  });

  test('the corpus covers every rule and every outcome', async () => {
    const outcomes = await Promise.all(cases.map(async (c) => [c.name, ((await typescriptOutcome(c)) as { outcome: { state: string; message: string } }).outcome] as const));
    const by = Object.fromEntries(outcomes);
    expect(new Set(outcomes.map(([, o]) => o.state))).toEqual(new Set(['RELEASED', 'RELEASED_WITH_SUPPRESSION', 'REFUSED']));
    expect(by['identifier values in an output column']!.message).toMatch(/^refused \(rule identifiers, set by globex\.clients\): output column "region" holds values of the identifier column globex\.clients\.email/);
    expect(by['an identifier value as a column name']!.message).toMatch(/a column name of the result is a value of the identifier column acme\.customers\.email/);
    expect(by['an identifier column its dataset no longer has is not checked']!.state).not.toBe('REFUSED');
    expect(by['small groups suppressed']).toEqual({ state: 'RELEASED_WITH_SUPPRESSION', rows_suppressed: 5, rows_released: 4, message: expect.stringContaining('5 rows suppressed for a group size under 50 (set by acme.customers, globex.clients)') });
    expect(by['the row cap counts the rows left after suppression']!.message).toMatch(/^refused \(rule max_output_rows 5, set by cleanroom\.yaml\): the result holds 6 rows/);
    expect(by['the group-size column is text']!.message).toMatch(/the group-size column "users" is STRING, not a number/);
    expect(by['the staged result over the bound']!.message).toMatch(/local_run_result_rows 1000/);
  });
});
