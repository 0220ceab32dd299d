/**
 * Reads Spark's SQLQueryTestSuite golden files (`*.sql.out`): blocks of `-- !query` (or `-- !query N`), the SQL,
 * `-- !query schema` with `struct<...>`, `-- !query output` and the rows (tab-separated) or, for a failing query,
 * the exception class. Format as written by apache/spark's SQLQueryTestSuite.
 */
import * as fs from 'node:fs';

export interface GoldenQuery {
  /** 1-based position in the file. */
  index: number;
  sql: string;
  schema: string;
  /** Output lines as Spark printed them. */
  output: string[];
  /** Spark raised: the output names an exception instead of rows. */
  raises: boolean;
  /** Written by Spark 2.x (numbered markers), which printed decimals without trailing zeros. */
  legacyFormat: boolean;
}

const MARKER = /^-- !query(?: (\d+))?(?: (schema|output))?$/;

export function readGoldenFile(file: string): GoldenQuery[] {
  const lines = fs.readFileSync(file, 'utf8').split('\n');
  const queries: GoldenQuery[] = [];
  let section: 'none' | 'sql' | 'schema' | 'output' = 'none';
  let current: { sql: string[]; schema: string[]; output: string[] } | undefined;
  let legacyFormat = false;
  const flush = () => {
    if (!current) return;
    const output = trimBlank(current.output);
    const schema = current.schema.join('\n').trim();
    queries.push({
      index: queries.length + 1,
      sql: current.sql.join('\n').trim(),
      schema,
      output,
      legacyFormat: false,
      raises: schema === 'struct<>' && output.length > 0 && /^[a-z]+(\.[a-zA-Z0-9_$]+)+(Exception|Error)\b/.test(output[0]),
    });
  };
  for (const line of lines) {
    const marker = MARKER.exec(line);
    if (marker) {
      if (marker[1] !== undefined) legacyFormat = true;
      if (!marker[2]) {
        flush();
        current = { sql: [], schema: [], output: [] };
        section = 'sql';
      } else {
        section = marker[2] as 'schema' | 'output';
      }
      continue;
    }
    if (!current) continue;
    if (section === 'sql') current.sql.push(line);
    else if (section === 'schema') current.schema.push(line);
    else if (section === 'output') current.output.push(line);
  }
  flush();
  return queries.map((q) => ({ ...q, legacyFormat }));
}

export function trimBlank(lines: string[]): string[] {
  let end = lines.length;
  while (end > 0 && lines[end - 1] === '') end--;
  let start = 0;
  while (start < end && lines[start] === '') start++;
  return lines.slice(start, end);
}
