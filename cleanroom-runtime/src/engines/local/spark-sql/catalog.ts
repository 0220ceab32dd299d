/**
 * What the session holds: registered datasets (`participant.table`) and the temporary views and tables that
 * earlier statements created, each with its columns in Spark types. The compiler reads it; the caller applies a
 * statement's effect once DuckDB has run it.
 */
import type { SparkType } from './types';

export interface CatalogColumn {
  name: string;
  type: SparkType;
}

export interface CatalogEntry {
  /** DuckDB's name for it, quoted. */
  sql: string;
  columns: CatalogColumn[];
  kind: 'table' | 'view' | 'dataset';
}

export type CatalogEffect =
  | { k: 'define'; name: string[]; entry: CatalogEntry }
  | { k: 'drop'; name: string[] };

export class SessionCatalog {
  private readonly entries = new Map<string, CatalogEntry>();

  static key(name: readonly string[]): string {
    return name.map((p) => p.toLowerCase()).join('.');
  }

  lookup(name: readonly string[]): CatalogEntry | undefined {
    return this.entries.get(SessionCatalog.key(name));
  }

  define(name: readonly string[], entry: CatalogEntry): void {
    this.entries.set(SessionCatalog.key(name), entry);
  }

  drop(name: readonly string[]): void {
    this.entries.delete(SessionCatalog.key(name));
  }

  apply(effect: CatalogEffect | undefined): void {
    if (!effect) return;
    if (effect.k === 'define') this.define(effect.name, effect.entry);
    else this.drop(effect.name);
  }
}
