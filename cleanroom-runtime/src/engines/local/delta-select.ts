/**
 * The SELECT that reads a Delta snapshot: its Parquet files, grouped by partition values, with the partition
 * columns added as typed constants (Delta does not store them in the files), columns in the table's schema order.
 */
import type { StructField } from '../../delta/schema-types';
import type { DeltaSnapshotFiles } from './delta-bridge';

/** A snapshot whose files are local paths DuckDB may read (the run's copies of its data files). */
export interface LocalDeltaFiles extends Omit<DeltaSnapshotFiles, 'files'> {
  files: Array<{ path: string; partitionValues: Record<string, string | null> }>;
}
import { duckdbTypeFor } from './delta-to-duckdb-type';
import { literalList, quoteIdentifier, quoteLiteral } from './sql-text';

export function deltaSelect(snapshot: LocalDeltaFiles): string {
  const fields = snapshot.schema.fields;
  const columns = fields.map((f) => quoteIdentifier(f.name)).join(', ');
  if (snapshot.files.length === 0) {
    // An empty table still has its columns and types.
    const typedNulls = fields.map((f) => `CAST(NULL AS ${duckdbTypeFor(f.type)}) AS ${quoteIdentifier(f.name)}`);
    return `SELECT ${typedNulls.join(', ')} WHERE false`;
  }
  const partitionFields = snapshot.partitionColumns.map((name) => fieldNamed(fields, name));
  const groups = new Map<string, { values: Record<string, string | null>; paths: string[] }>();
  for (const file of snapshot.files) {
    const values = Object.fromEntries(partitionFields.map((f) => [f.name, file.partitionValues[f.name] ?? null]));
    const key = JSON.stringify(values);
    const group = groups.get(key) ?? { values, paths: [] };
    group.paths.push(file.path);
    groups.set(key, group);
  }
  const parts = [...groups.values()].map(({ values, paths }) => {
    const constants = partitionFields.map((f) => {
      const value = values[f.name];
      // Delta serialises a null partition value as null or ''.
      const literal = value === null || value === '' ? 'NULL' : quoteLiteral(value);
      return `, CAST(${literal} AS ${duckdbTypeFor(f.type)}) AS ${quoteIdentifier(f.name)}`;
    });
    // hive_partitioning off: Delta partition folders look like hive ones, but the log is the source of truth.
    return `SELECT ${columns} FROM (SELECT *${constants.join('')} FROM read_parquet(${literalList(paths)}, union_by_name = true, hive_partitioning = false))`;
  });
  return parts.join(' UNION ALL ');
}

function fieldNamed(fields: readonly StructField[], name: string): StructField {
  const field = fields.find((f) => f.name === name);
  if (!field) throw new Error(`partition column ${name} is not in the table schema`);
  return field;
}
