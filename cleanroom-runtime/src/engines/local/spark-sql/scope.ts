/** Name resolution: the columns a query block sees, with Spark's rules for qualified, ambiguous and outer names. */
import { SparkSqlError } from './errors';
import type { Typed } from './typed';
import type { SparkType } from './types';

export interface ScopeColumn {
  name: string;
  /** The relation alias (or table name parts) the column can be qualified with, lower case. */
  qualifier: string[];
  sql: string;
  type: SparkType;
  /** Join keys of NATURAL/USING joins: the side columns resolve only when qualified and are left out of `*`. */
  qualifiedOnly?: boolean;
  /** The merged key of a NATURAL/USING join: in `*` but not in `t.*`. */
  unqualifiedOnly?: boolean;
}

export interface ScopeOptions {
  /** Select-list aliases usable where Spark allows them (GROUP BY, HAVING, ORDER BY). */
  aliases?: Map<string, Typed>;
  /** Marks a subquery's outer scope. */
  outer?: Scope;
}

export class Scope {
  /** Set when a name was resolved in an outer scope (the subquery is correlated). */
  correlated = false;

  constructor(
    readonly columns: ScopeColumn[],
    readonly options: ScopeOptions = {},
  ) {}

  withAliases(aliases: Map<string, Typed>): Scope {
    const scope = new Scope(this.columns, { ...this.options, aliases });
    return scope;
  }

  /** Columns for `*` or `t.*`. */
  star(qualifier?: string[]): ScopeColumn[] {
    if (!qualifier) return this.columns.filter((c) => !c.qualifiedOnly);
    const q = qualifier.map((p) => p.toLowerCase());
    const matches = this.columns.filter((c) => !c.unqualifiedOnly && endsWith(c.qualifier, q));
    if (matches.length === 0) {
      throw new SparkSqlError('CANNOT_RESOLVE_STAR_EXPAND', `cannot resolve ${qualifier.join('.')}.* given input columns`);
    }
    return matches;
  }

  /**
   * The column for `parts` (and the struct fields left to read), searching this scope then outer ones.
   * Qualified names are tried before struct field access, as Spark does.
   */
  resolve(parts: string[]): { column: ScopeColumn; fields: string[]; outer: boolean } | undefined {
    let scope: Scope | undefined = this;
    let outer = false;
    while (scope) {
      const found = scope.resolveHere(parts);
      if (found) {
        if (outer) this.markCorrelated();
        return { ...found, outer };
      }
      scope = scope.options.outer;
      outer = true;
    }
    return undefined;
  }

  private markCorrelated(): void {
    this.correlated = true;
  }

  private resolveHere(parts: string[]): { column: ScopeColumn; fields: string[] } | undefined {
    const lower = parts.map((p) => p.toLowerCase());
    for (let qualifierLength = Math.min(lower.length - 1, 3); qualifierLength >= 0; qualifierLength--) {
      const qualifier = lower.slice(0, qualifierLength);
      const name = lower[qualifierLength];
      const matches = this.columns.filter(
        (c) =>
          c.name.toLowerCase() === name &&
          (qualifierLength === 0 ? !c.qualifiedOnly : !c.unqualifiedOnly && endsWith(c.qualifier, qualifier)),
      );
      if (matches.length > 1) {
        throw new SparkSqlError('AMBIGUOUS_REFERENCE', `reference ${parts.slice(0, qualifierLength + 1).join('.')} is ambiguous`);
      }
      if (matches.length === 1) return { column: matches[0], fields: parts.slice(qualifierLength + 1) };
    }
    return undefined;
  }
}

function endsWith(qualifier: string[], suffix: string[]): boolean {
  if (suffix.length === 0) return true;
  if (suffix.length > qualifier.length) return false;
  return suffix.every((p, i) => qualifier[qualifier.length - suffix.length + i] === p);
}
