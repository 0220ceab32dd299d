/** A compiled expression: DuckDB SQL, its Spark type and name, and what the compiler needs to know about it. */
import { SparkSqlError } from './errors';
import { typeName, type SparkType } from './types';

export interface Typed {
  sql: string;
  type: SparkType;
  /** The column name Spark gives the expression. */
  name: string;
  /** Contains an aggregate function outside a window. */
  agg: boolean;
  /** Contains a window function. */
  win: boolean;
  /** For literals folded at compile time: the value (a string for numbers, to keep them exact). */
  literal?: { value: string | boolean | null };
  /** The expression has no column reference (constant for every row), so a subquery is not correlated through it. */
  constant?: boolean;
  /** A `:name` parameter marker: a string whose value is bound when the statement runs. */
  param?: boolean;
}

export function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

export function quoteString(text: string): string {
  if (text.includes('\0')) throw new SparkSqlError('INVALID_LITERAL', 'a string literal cannot contain a NUL character');
  return `'${text.replace(/'/g, "''")}'`;
}

/** DuckDB's error() with a Spark error class, for ANSI runtime errors (overflow, division by zero, invalid casts). */
export function raise(errorClass: string, message: string): string {
  return `error(${quoteString(`[${errorClass}] ${message}`)})`;
}

export function isNullLiteral(t: Typed): boolean {
  return t.literal !== undefined && t.literal.value === null;
}

export function mismatch(what: string, t: Typed, expected: string): SparkSqlError {
  return new SparkSqlError(
    'DATATYPE_MISMATCH.UNEXPECTED_INPUT_TYPE',
    `${what} requires ${expected}, but ${t.name} has type ${typeName(t.type)}`,
  );
}

/** Combine flags of the arguments into a result. */
export function derived(sql: string, type: SparkType, name: string, args: readonly Typed[]): Typed {
  return {
    sql,
    type,
    name,
    agg: args.some((a) => a.agg),
    win: args.some((a) => a.win),
    constant: args.every((a) => a.constant === true),
  };
}
