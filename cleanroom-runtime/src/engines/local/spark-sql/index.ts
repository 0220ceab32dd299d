/**
 * The Spark SQL front of the local engine. A `SparkSqlSession` reads one Spark SQL statement at a time and
 * answers with DuckDB SQL that computes Databricks' result (ANSI mode, the session time zone), a refusal naming
 * the construct local rehearsal does not reproduce, or the error Databricks would raise. It is pure: running the
 * SQL, and telling the session that a statement ran, is the caller's job.
 */
import { Compiler, type CompiledStatement, type SparkSettings, type TranslateOptions } from './compiler';
import { SessionCatalog } from './catalog';
import { Refusal, SparkSqlError } from './errors';
import { parseStatement } from './parser';

export { splitStatements } from './lexer';
export { sessionSetup, type SessionSetup } from './session-setup';
export { SessionCatalog, type CatalogColumn, type CatalogEntry } from './catalog';
export { Refusal, SparkSqlError } from './errors';
export { typeName, sparkTypeOfDuck, type SparkType } from './types';
export { allowedFunctions } from './functions';
export type { CompiledStatement, TranslateOptions } from './compiler';

export type Translation =
  | { k: 'run'; statement: CompiledStatement }
  | { k: 'refused'; message: string }
  | { k: 'error'; message: string };

/** Spark settings whose value local rehearsal reproduces (they are the clean room's defaults). */
const REPRODUCED_SETTINGS: Record<string, (value: string, timeZone: string) => boolean> = {
  'spark.sql.ansi.enabled': (v) => v.toLowerCase() === 'true',
  'spark.sql.session.timezone': (v, tz) => v === tz || (tz === 'UTC' && /^(utc|z|gmt|\+00:00)$/i.test(v)),
  'spark.sql.groupbyordinal': (v) => v.toLowerCase() === 'true',
  'spark.sql.crossjoin.enabled': (v) => v.toLowerCase() === 'true',
  'spark.sql.orderbyordinal': (v) => v.toLowerCase() === 'true',
};

/** Settings the front reproduces at any value: Spark's key (lower case) → the compiler setting. */
const REPRODUCED_FLAGS: Record<string, keyof SparkSettings> = {
  'spark.sql.groupbyaliases': 'groupByAliases',
  'spark.sql.legacy.parser.havingwithoutgroupbyaswhere': 'havingWithoutGroupByAsWhere',
  'spark.sql.legacy.allowparameterlesscount': 'allowParameterlessCount',
  'spark.sql.legacy.allowstarwithsingletableidentifierincount': 'allowStarWithSingleTableIdentifierInCount',
};

export class SparkSqlSession {
  readonly catalog = new SessionCatalog();
  private readonly settings: Partial<SparkSettings> = {};
  /** Settings set to values local rehearsal does not reproduce: while any is set, statements are refused. */
  private readonly divergent = new Map<string, string>();

  constructor(readonly options: TranslateOptions = { timeZone: 'UTC' }) {}

  translate(sql: string): Translation {
    try {
      const statement = parseStatement(sql);
      if (statement.k === 'set') return this.set(statement.text);
      if (this.divergent.size > 0) {
        const [key, value] = [...this.divergent.entries()][0];
        return { k: 'refused', message: new Refusal(`the setting ${key}=${value}`, 'statements after it are not reproduced until it is set back').message };
      }
      return { k: 'run', statement: new Compiler(this.catalog, { ...this.options, settings: { ...this.options.settings, ...this.settings } }).statement(statement) };
    } catch (error) {
      if (error instanceof Refusal) return { k: 'refused', message: error.message };
      if (error instanceof SparkSqlError) return { k: 'error', message: error.message };
      throw error;
    }
  }

  /** Call once DuckDB ran the statement: views and tables it created or dropped become visible to the next ones. */
  ran(statement: CompiledStatement): void {
    this.catalog.apply(statement.effect);
  }

  /** `SET key=value`: Spark prints the pair; only settings that keep Databricks' defaults are reproduced. */
  private set(text: string): Translation {
    const match = /^set\s+(\S+?)\s*=\s*(.*)$/is.exec(text.replace(/\s*\.\s*/g, '.').replace(/\s*=\s*/, '='));
    if (!match) return { k: 'refused', message: new Refusal(`the statement ${text.split(/\s+/).slice(0, 2).join(' ').toUpperCase()}`).message };
    const key = match[1].trim();
    const value = match[2].trim();
    const lower = key.toLowerCase();
    const flag = REPRODUCED_FLAGS[lower];
    if (flag && /^(true|false)$/i.test(value)) this.settings[flag] = value.toLowerCase() === 'true';
    const reproduced = flag && /^(true|false)$/i.test(value) ? true : undefined;
    const reproducedDefault = REPRODUCED_SETTINGS[lower]?.(value, this.options.timeZone) ?? (lower.startsWith('spark.sql.legacy.') && value.toLowerCase() === 'false');
    if (!reproduced && !reproducedDefault) {
      this.divergent.set(lower, value);
      return { k: 'refused', message: new Refusal(`the setting ${key}=${value}`, 'local rehearsal runs with Databricks SQL defaults').message };
    }
    this.divergent.delete(lower);
    const quote = (s: string) => `'${s.replace(/'/g, "''")}'`;
    return {
      k: 'run',
      statement: {
        kind: 'query',
        sql: `SELECT ${quote(key)} AS "key", ${quote(value)} AS "value"`,
        columns: [
          { name: 'key', type: { kind: 'string' } },
          { name: 'value', type: { kind: 'string' } },
        ],
        parameters: [],
      },
    };
  }
}
