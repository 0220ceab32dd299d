/**
 * Compiles parsed Spark SQL into DuckDB SQL with Spark's semantics: every name is resolved here (so errors are
 * Spark's), every expression is typed with Spark's rules, and what DuckDB would compute differently is emitted
 * with explicit casts and guards, or refused. Query blocks output internal column names `_c0, _c1, …`; the
 * statement wraps the outermost one with Spark's column names.
 */
import type { Expr, OrderItem, Query, Relation, Select, SetBody, Statement, WindowSpec } from './ast';
import { castTo, typeFromSpec } from './casts';
import type { CatalogColumn, CatalogEffect, SessionCatalog } from './catalog';
import { Refusal, SparkSqlError } from './errors';
import { ExpressionCompiler } from './expressions';
import { Scope, type ScopeColumn } from './scope';
import { quoteIdent, type Typed } from './typed';
import { commonType, containsMap, duckType, sameType, T, typeName, type SparkType } from './types';

export interface CompiledQuery {
  sql: string;
  columns: CatalogColumn[];
}

export interface TranslateOptions {
  /** The session time zone (Databricks in the clean room: UTC). */
  timeZone: string;
  /** Spark settings the front reproduces; absent ones have Databricks' defaults. */
  settings?: Partial<SparkSettings>;
}

/** Spark SQL settings whose non-default values the front reproduces. */
export interface SparkSettings {
  /** spark.sql.groupByAliases (default true): GROUP BY may name a select-list alias. */
  groupByAliases: boolean;
  /** spark.sql.legacy.parser.havingWithoutGroupByAsWhere (default false). */
  havingWithoutGroupByAsWhere: boolean;
  /** spark.sql.legacy.allowParameterlessCount (default false): count() is count(*). */
  allowParameterlessCount: boolean;
  /** spark.sql.legacy.allowStarWithSingleTableIdentifierInCount (default false): count(t.*) is count(*). */
  allowStarWithSingleTableIdentifierInCount: boolean;
}

export const DEFAULT_SETTINGS: SparkSettings = {
  groupByAliases: true,
  havingWithoutGroupByAsWhere: false,
  allowParameterlessCount: false,
  allowStarWithSingleTableIdentifierInCount: false,
};

export interface CompiledStatement {
  kind: 'query' | 'command';
  sql: string;
  /** Result columns of a query, in Spark's names and types. */
  columns: CatalogColumn[];
  /** `:name` parameter markers the statement uses (bound as DuckDB `$name`). */
  parameters: string[];
  effect?: CatalogEffect;
}

interface Cte {
  name: string;
  sql: string;
  columns: CatalogColumn[];
}

export class Compiler {
  private aliasCounter = 0;
  readonly parameters = new Set<string>();
  private readonly ctes: Cte[][] = [];
  readonly exprs: ExpressionCompiler;

  readonly settings: SparkSettings;

  constructor(
    readonly catalog: SessionCatalog,
    readonly options: TranslateOptions,
  ) {
    this.exprs = new ExpressionCompiler(this);
    this.settings = { ...DEFAULT_SETTINGS, ...options.settings };
  }

  newAlias(prefix = 't'): string {
    return `_${prefix}${++this.aliasCounter}`;
  }

  statement(statement: Statement): CompiledStatement {
    const result = this.statementWithoutParameters(statement);
    return { ...result, parameters: [...this.parameters].sort() };
  }

  private statementWithoutParameters(statement: Statement): Omit<CompiledStatement, 'parameters'> {
    switch (statement.k) {
      case 'query': {
        const query = this.query(statement.query, undefined);
        return { kind: 'query', sql: outerSelect(query), columns: query.columns };
      }
      case 'create_view': {
        if (statement.name.length > 1) throw new Refusal('views in a schema', 'create a temporary view');
        const existing = this.catalog.lookup(statement.name);
        if (existing && !statement.replace) {
          if (statement.ifNotExists) return { kind: 'command', sql: 'SELECT 1 WHERE false', columns: [] };
          throw new SparkSqlError('TEMP_TABLE_OR_VIEW_ALREADY_EXISTS', `cannot create the temporary view ${statement.name[0]} because it already exists`);
        }
        if (existing && existing.kind !== 'view') throw new SparkSqlError('EXPECT_VIEW_NOT_TABLE', `${statement.name[0]} is a table`);
        const query = this.query(statement.query, undefined);
        const columns = renameColumns(query.columns, statement.columns);
        const sqlName = quoteIdent(statement.name[0].toLowerCase());
        const sql = `CREATE OR REPLACE TEMP VIEW ${sqlName} AS ${outerSelect({ sql: query.sql, columns })}`;
        return { kind: 'command', sql, columns: [], effect: { k: 'define', name: statement.name, entry: { sql: sqlName, columns, kind: 'view' } } };
      }
      case 'create_table': {
        if (statement.name.length > 1) throw new Refusal('tables in a schema', 'create a table in the session');
        const existing = this.catalog.lookup(statement.name);
        if (existing && existing.kind === 'view') throw new SparkSqlError('TABLE_OR_VIEW_ALREADY_EXISTS', `${statement.name[0]} is a view`);
        if (existing && !statement.replace) {
          if (statement.ifNotExists) return { kind: 'command', sql: 'SELECT 1 WHERE false', columns: [] };
          throw new SparkSqlError('TABLE_OR_VIEW_ALREADY_EXISTS', `cannot create table ${statement.name[0]} because it already exists`);
        }
        const sqlName = quoteIdent(statement.name[0].toLowerCase());
        let columns: CatalogColumn[];
        let sql: string;
        if (statement.query) {
          if (statement.columns) throw new Refusal('CREATE TABLE with both columns and AS query');
          const query = this.query(statement.query, undefined);
          columns = renameColumns(query.columns);
          sql = `CREATE OR REPLACE TABLE ${sqlName} AS ${outerSelect({ sql: query.sql, columns })}`;
        } else {
          columns = statement.columns!.map((c) => ({ name: c.name, type: typeFromSpec(c.type) }));
          checkUnique(columns.map((c) => c.name));
          sql = `CREATE OR REPLACE TABLE ${sqlName} (${columns.map((c) => `${quoteIdent(c.name)} ${duckType(c.type)}`).join(', ')})`;
        }
        return { kind: 'command', sql, columns: [], effect: { k: 'define', name: statement.name, entry: { sql: sqlName, columns, kind: 'table' } } };
      }
      case 'insert':
        return this.insert(statement);
      case 'drop': {
        const existing = this.catalog.lookup(statement.name);
        if (!existing) {
          if (statement.ifExists) return { kind: 'command', sql: 'SELECT 1 WHERE false', columns: [] };
          throw new SparkSqlError('TABLE_OR_VIEW_NOT_FOUND', `the table or view ${statement.name.join('.')} cannot be found`);
        }
        if (existing.kind === 'dataset') throw new Refusal('DROP of a registered dataset');
        // Spark's DROP TABLE also drops a temporary view; DROP VIEW does not drop a table.
        if (statement.what === 'view' && existing.kind !== 'view') {
          throw new SparkSqlError(statement.what === 'view' ? 'WRONG_COMMAND_FOR_OBJECT_TYPE' : 'WRONG_COMMAND_FOR_OBJECT_TYPE', `${statement.name.join('.')} is a ${existing.kind}: use DROP ${existing.kind.toUpperCase()}`);
        }
        return { kind: 'command', sql: `DROP ${existing.kind === 'view' ? 'VIEW' : 'TABLE'} ${existing.sql}`, columns: [], effect: { k: 'drop', name: statement.name } };
      }
      case 'set':
        throw new Error('SET is handled by the session');
    }
  }

  private insert(statement: Extract<Statement, { k: 'insert' }>): Omit<CompiledStatement, 'parameters'> {
    const target = this.catalog.lookup(statement.name);
    if (!target) throw new SparkSqlError('TABLE_OR_VIEW_NOT_FOUND', `the table ${statement.name.join('.')} cannot be found`);
    if (target.kind !== 'table') throw new Refusal(`INSERT into a ${target.kind === 'dataset' ? 'registered dataset' : 'view'}`);
    if (statement.overwrite) throw new Refusal('INSERT OVERWRITE');
    if (statement.columns) throw new Refusal('INSERT with a column list');
    const query = this.query(statement.query, undefined);
    if (query.columns.length !== target.columns.length) {
      throw new SparkSqlError('INSERT_COLUMN_ARITY_MISMATCH', `${statement.name.join('.')} has ${target.columns.length} columns but the inserted data has ${query.columns.length}`);
    }
    const values = query.columns.map((c, i) => {
      const column: Typed = { sql: quoteIdent(`_c${i}`), type: c.type, name: c.name, agg: false, win: false };
      const to = target.columns[i].type;
      if (sameType(c.type, to) || c.type.kind === 'void') return castTo(column, to, 'explicit').sql;
      const common = commonType(c.type, to);
      if (!common || !sameType(common, to)) {
        // Spark's ANSI store assignment also narrows numbers (raising on overflow); DuckDB's cast raises too.
        if (!(isNumericPair(c.type, to))) throw new Refusal(`inserting ${typeName(c.type)} into a ${typeName(to)} column`);
      }
      return castTo(column, to, 'explicit').sql;
    });
    return { kind: 'command', sql: `INSERT INTO ${target.sql} SELECT ${values.join(', ')} FROM (${query.sql}) AS ${quoteIdent(this.newAlias('q'))}`, columns: [] };
  }

  // ---- queries ----

  query(query: Query, outer: Scope | undefined): CompiledQuery {
    const ctes: Cte[] = [];
    this.ctes.push(ctes);
    try {
      const withSql: string[] = [];
      for (const cte of query.with) {
        if (ctes.some((c) => c.name.toLowerCase() === cte.name.toLowerCase())) {
          throw new SparkSqlError('DUPLICATED_CTE_NAMES', `CTE ${cte.name} is defined more than once`);
        }
        const compiled = this.query(cte.query, outer);
        const sqlName = this.newAlias('w');
        ctes.push({ name: cte.name, sql: sqlName, columns: renameColumns(compiled.columns, cte.columns, true) });
        withSql.push(`${quoteIdent(sqlName)} AS (${compiled.sql})`);
      }
      const body = this.body(query.body, outer, query.orderBy);
      let sql = body.sql;
      const bodyIsSelect = query.body.k === 'select';
      if (query.orderBy.length > 0 && !bodyIsSelect) {
        // ORDER BY over a set operation or VALUES sees only the output columns.
        const scope = new Scope(body.columns.map((c, i) => ({ name: c.name, qualifier: [], sql: quoteIdent(`_c${i}`), type: c.type })), { outer });
        const order = query.orderBy.map((item) => this.orderItem(item, scope, body.columns.map((c, i) => ({ sql: quoteIdent(`_c${i}`), name: c.name }))));
        sql = `SELECT * FROM (${sql}) AS ${quoteIdent(this.newAlias('q'))} ORDER BY ${order.join(', ')}`;
      }
      sql += this.limitClause(query);
      if (withSql.length > 0) sql = `WITH ${withSql.join(', ')} ${sql}`;
      return { sql, columns: body.columns };
    } finally {
      this.ctes.pop();
    }
  }

  private limitClause(query: Query): string {
    let sql = '';
    for (const [word, expr] of [['LIMIT', query.limit], ['OFFSET', query.offset]] as const) {
      if (!expr) continue;
      const value = this.exprs.expr(expr, new Scope([]));
      if (!value.constant || !['int', 'tinyint', 'smallint', 'bigint'].includes(value.type.kind)) {
        throw new SparkSqlError('INVALID_LIMIT_LIKE_EXPRESSION', `the ${word.toLowerCase()} expression must be a constant integer`);
      }
      const literal = value.literal?.value;
      if (typeof literal === 'string' && BigInt(literal) < 0n) {
        throw new SparkSqlError('INVALID_LIMIT_LIKE_EXPRESSION.IS_NEGATIVE', `the ${word.toLowerCase()} expression must be equal to or greater than 0`);
      }
      if (literal === undefined) throw new Refusal(`a computed ${word}`);
      sql += ` ${word} ${value.sql}`;
    }
    return sql;
  }

  private body(body: SetBody, outer: Scope | undefined, orderBy: OrderItem[]): CompiledQuery {
    switch (body.k) {
      case 'select':
        return this.select(body, outer, orderBy);
      case 'nested':
        return this.query(body.query, outer);
      case 'values':
        return this.values(body.rows, outer, body.columns);
      case 'tableref': {
        const relation = this.tableRelation(body.name);
        return { sql: `SELECT ${relation.columns.map((c, i) => `${quoteIdent(c.sqlName)} AS ${quoteIdent(`_c${i}`)}`).join(', ')} FROM ${relation.sql}`, columns: relation.columns.map((c) => ({ name: c.name, type: c.type })) };
      }
      case 'setop':
        return this.setOperation(body, outer);
    }
  }

  private setOperation(body: Extract<SetBody, { k: 'setop' }>, outer: Scope | undefined): CompiledQuery {
    if (body.byName) throw new Refusal(`${body.op.toUpperCase()} BY NAME`);
    const left = this.body(body.left, outer, []);
    const right = this.body(body.right, outer, []);
    if (left.columns.length !== right.columns.length) {
      throw new SparkSqlError('NUM_COLUMNS_MISMATCH', `${body.op.toUpperCase()} can only be performed on inputs with the same number of columns, but the first input has ${left.columns.length} columns and the second input has ${right.columns.length} columns`);
    }
    const types = left.columns.map((c, i) => {
      const common = commonType(c.type, right.columns[i].type);
      if (!common) {
        throw new SparkSqlError('INCOMPATIBLE_COLUMN_TYPE', `${body.op.toUpperCase()} can only be performed on compatible column types: ${typeName(c.type)} and ${typeName(right.columns[i].type)} in column ${i + 1}`);
      }
      return common;
    });
    const side = (q: CompiledQuery) => {
      if (q.columns.every((c, i) => sameType(c.type, types[i]))) return `(${q.sql})`;
      const items = q.columns.map((c, i) => `${castTo({ sql: quoteIdent(`_c${i}`), type: c.type, name: c.name, agg: false, win: false }, types[i], 'implicit').sql} AS ${quoteIdent(`_c${i}`)}`);
      return `(SELECT ${items.join(', ')} FROM (${q.sql}) AS ${quoteIdent(this.newAlias('q'))})`;
    };
    if (!(body.op === 'union' && body.all) && types.some(containsMap)) {
      throw new Refusal(`${body.op.toUpperCase()}${body.all ? ' ALL' : ''} over map columns`, 'maps are compared by content in Spark');
    }
    const op = { union: 'UNION', except: 'EXCEPT', intersect: 'INTERSECT' }[body.op];
    return {
      sql: `SELECT * FROM ${side(left)} ${op}${body.all ? ' ALL' : ''} SELECT * FROM ${side(right)}`,
      columns: left.columns.map((c, i) => ({ name: c.name, type: types[i] })),
    };
  }

  /** VALUES rows: each column gets the common type of its values (Spark's inline table). */
  private values(rows: Expr[][], outer: Scope | undefined, names?: string[]): CompiledQuery {
    const scope = new Scope([], { outer });
    const compiled = rows.map((row) => row.map((e) => this.exprs.expr(e, scope)));
    const width = compiled[0].length;
    if (compiled.some((r) => r.length !== width)) {
      throw new SparkSqlError('INVALID_INLINE_TABLE.NUM_COLUMNS_MISMATCH', 'every row of an inline table must have the same number of values');
    }
    for (const row of compiled) {
      for (const value of row) {
        if (!value.constant) throw new SparkSqlError('INVALID_INLINE_TABLE.CANNOT_EVALUATE_EXPRESSION_IN_INLINE_TABLE', `${value.name} is not a constant`);
        if (value.agg || value.win) throw new SparkSqlError('INVALID_INLINE_TABLE.CANNOT_EVALUATE_EXPRESSION_IN_INLINE_TABLE', `${value.name} is not a constant`);
      }
    }
    const types: SparkType[] = [];
    for (let i = 0; i < width; i++) {
      let type: SparkType = compiled[0][i].type;
      for (const row of compiled.slice(1)) {
        const common = commonType(type, row[i].type);
        if (!common) throw new SparkSqlError('INVALID_INLINE_TABLE.INCOMPATIBLE_TYPES_IN_INLINE_TABLE', `incompatible types in column ${i + 1}: ${typeName(type)} and ${typeName(row[i].type)}`);
        type = common;
      }
      // An all-NULL column stays of type void (Spark's NullType); DuckDB stores it as INTEGER NULLs.
      types.push(type);
    }
    const columnNames = names ?? types.map((_, i) => `col${i + 1}`);
    if (columnNames.length !== width) {
      throw new SparkSqlError('ASSIGNMENT_ARITY_MISMATCH', `the inline table has ${width} columns but ${columnNames.length} names were given`);
    }
    const rowSql = compiled.map((row) => `(${row.map((v, i) => castTo(v, types[i], 'implicit').sql).map((sql, i) => (types[i].kind === 'void' ? 'CAST(NULL AS INTEGER)' : sql)).join(', ')})`);
    const alias = this.newAlias('v');
    const cols = types.map((_, i) => quoteIdent(`_c${i}`)).join(', ');
    return {
      sql: `SELECT * FROM (VALUES ${rowSql.join(', ')}) AS ${quoteIdent(alias)}(${cols})`,
      columns: types.map((type, i) => ({ name: columnNames[i], type })),
    };
  }

  // ---- SELECT ----

  private select(statementSelect: Select, outer: Scope | undefined, orderBy: OrderItem[]): CompiledQuery {
    let select = statementSelect;
    const from = this.fromClause(select.from, outer);
    const scope = from.scope;
    const parts: string[] = [];
    if (select.qualify) throw new Refusal('QUALIFY');

    // WHERE: no aggregates, no windows.
    let where: string | undefined;
    if (select.having && !select.groupBy && this.settings.havingWithoutGroupByAsWhere) {
      // Legacy: HAVING without GROUP BY filters rows like WHERE.
      select = { ...select, where: select.where ? { k: 'bin', op: 'and', left: select.where, right: select.having } : select.having, having: undefined };
    }
    if (select.where) {
      const condition = this.exprs.expr(select.where, scope);
      if (condition.agg || condition.win) {
        throw new SparkSqlError('INVALID_WHERE_CONDITION', `the WHERE condition ${condition.name} contains an aggregate or window function`);
      }
      where = this.exprs.predicate(condition, 'WHERE').sql;
    }

    // The select list, with * expanded.
    const windows = this.windowDefinitions(select.windows);
    const items: { typed: Typed; alias?: string; expr?: Expr }[] = [];
    for (const item of select.items) {
      if (item.expr.k === 'star') {
        for (const column of scope.star(item.expr.qualifier)) {
          items.push({ typed: { sql: column.sql, type: column.type, name: column.name, agg: false, win: false } });
        }
        continue;
      }
      items.push({ typed: this.exprs.expr(item.expr, scope, { windows }), alias: item.alias, expr: item.expr });
    }
    if (items.length === 0) throw new SparkSqlError('UNRESOLVED_STAR', 'the select list is empty');
    const aliases = new Map<string, Typed>();
    for (const item of items) {
      if (item.alias) {
        const key = item.alias.toLowerCase();
        if (!aliases.has(key)) aliases.set(key, item.typed);
      }
    }

    // GROUP BY: positions and select aliases (when no input column has the name) are Spark's extensions.
    let groupSql: string[] | undefined;
    if (select.groupBy?.special === 'GROUP BY ALL') {
      // Spark: group by every select-list expression that has no aggregate (none: a global aggregate).
      const keys = items.filter((i) => !i.typed.agg && !i.typed.win && !i.typed.constant);
      if (items.some((i) => i.typed.win)) throw new Refusal('GROUP BY ALL with window functions');
      groupSql = keys.map((k) => (containsMap(k.typed.type) ? normalizedForGrouping(k.typed.sql, k.typed.type, 0) : k.typed.sql));
    } else if (select.groupBy) {
      if (select.groupBy.special) throw new Refusal(select.groupBy.special);
      groupSql = select.groupBy.items.map((e) => {
        const position = positionOf(e);
        if (position !== undefined) {
          if (position < 1 || position > items.length) throw new SparkSqlError('GROUP_BY_POS_OUT_OF_RANGE', `GROUP BY position ${position} is not in the select list`);
          const target = items[position - 1].typed;
          if (target.agg) throw new SparkSqlError('GROUP_BY_POS_AGGREGATE', `GROUP BY position ${position} refers to an aggregate function`);
          return target.constant ? `${position}` : target.sql;
        }
        const typed = this.exprs.expr(e, this.settings.groupByAliases ? scope.withAliases(aliases) : scope);
        if (typed.agg) throw new SparkSqlError('GROUP_BY_AGGREGATE', `aggregate functions are not allowed in GROUP BY, but found ${typed.name}`);
        if (typed.win) throw new SparkSqlError('GROUP_BY_AGGREGATE', `window functions are not allowed in GROUP BY`);
        // Spark groups maps by their entries whatever their order; DuckDB compares maps in entry order.
        if (containsMap(typed.type)) return normalizedForGrouping(typed.sql, typed.type, 0);
        return typed.sql;
      });
    }
    const aggregate = groupSql !== undefined || items.some((i) => i.typed.agg) || select.having !== undefined;

    let having: string | undefined;
    if (select.having) {
      const condition = this.exprs.expr(select.having, scope.withAliases(aliases));
      if (condition.win) throw new SparkSqlError('INVALID_WHERE_CONDITION', 'window functions are not allowed in HAVING');
      having = this.exprs.predicate(condition, 'HAVING').sql;
    }

    // ORDER BY: output names and positions first, then input columns.
    const outputs = items.map((item, i) => ({ sql: quoteIdent(`_c${i}`), name: item.alias ?? item.typed.name, inner: item.typed.sql }));
    const order = orderBy.map((o) => this.orderItem(o, scope.withAliases(aliases), outputs, windows, select.distinct || aggregate));

    if (select.distinct && items.some((i) => containsMap(i.typed.type))) throw new Refusal('SELECT DISTINCT over map columns', 'maps are compared by content in Spark');
    const selectList = items.map((item, i) => `${item.typed.sql} AS ${quoteIdent(`_c${i}`)}`);
    parts.push(`SELECT ${select.distinct ? 'DISTINCT ' : ''}${selectList.join(', ')}`);
    if (from.sql) parts.push(`FROM ${from.sql}`);
    if (where) parts.push(`WHERE ${where}`);
    if (groupSql && groupSql.length > 0) parts.push(`GROUP BY ${groupSql.join(', ')}`);
    else if (aggregate && !groupSql) parts.push('GROUP BY ()');
    else if (aggregate) parts.push('GROUP BY ()');
    if (having) parts.push(`HAVING ${having}`);
    if (order.length > 0) parts.push(`ORDER BY ${order.join(', ')}`);
    return {
      sql: parts.join(' '),
      columns: items.map((item) => ({ name: item.alias ?? item.typed.name, type: item.typed.type })),
    };
  }

  private windowDefinitions(defs: Map<string, WindowSpec>): Map<string, WindowSpec> {
    const resolved = new Map<string, WindowSpec>();
    for (const [name, spec] of defs) {
      if (spec.base) {
        const base = resolved.get(spec.base) ?? defs.get(spec.base);
        if (!base) throw new SparkSqlError('MISSING_WINDOW_SPECIFICATION', `window ${spec.base} is not defined`);
        resolved.set(name, { ...base, ...(spec.partitionBy.length ? { partitionBy: spec.partitionBy } : {}), ...(spec.orderBy.length ? { orderBy: spec.orderBy } : {}), ...(spec.frame ? { frame: spec.frame } : {}) });
      } else resolved.set(name, spec);
    }
    return resolved;
  }

  /**
   * One ORDER BY item with Spark's null ordering made explicit (ASC: NULLS FIRST, DESC: NULLS LAST). A position
   * or an output name refers to the select list; anything else is compiled against the input.
   */
  private orderItem(item: OrderItem, scope: Scope, outputs: { sql: string; name: string; inner?: string }[], windows?: Map<string, WindowSpec>, projected = false): string {
    const direction = `${item.desc ? 'DESC' : 'ASC'} NULLS ${(item.nulls ?? (item.desc ? 'last' : 'first')).toUpperCase()}`;
    const position = positionOf(item.expr);
    if (position !== undefined) {
      if (position < 1 || position > outputs.length) throw new SparkSqlError('ORDER_BY_POS_OUT_OF_RANGE', `ORDER BY position ${position} is not in the select list`);
      return `${outputs[position - 1].sql} ${direction}`;
    }
    if (item.expr.k === 'col' && item.expr.parts.length === 1) {
      const matches = outputs.filter((o) => o.name.toLowerCase() === (item.expr as { parts: string[] }).parts[0].toLowerCase());
      if (matches.length === 1) return `${matches[0].sql} ${direction}`;
    }
    const typed = this.exprs.expr(item.expr, scope, { windows });
    checkOrderable(typed);
    const same = outputs.find((o) => o.inner === typed.sql);
    if (same) return `${same.sql} ${direction}`;
    if (projected && !typed.agg && !typed.constant && outputs.every((o) => o.inner === undefined)) {
      throw new SparkSqlError('UNRESOLVED_COLUMN', `ORDER BY ${typed.name} is not in the output`);
    }
    return `${typed.sql} ${direction}`;
  }

  // ---- FROM ----

  private fromClause(relations: Relation[], outer: Scope | undefined): { sql: string; scope: Scope } {
    if (relations.length === 0) return { sql: '', scope: new Scope([], { outer }) };
    const compiled = relations.map((r) => this.relation(r, outer));
    const columns = compiled.flatMap((c) => c.columns);
    return { sql: compiled.map((c) => c.sql).join(' CROSS JOIN '), scope: new Scope(columns, { outer }) };
  }

  private relation(relation: Relation, outer: Scope | undefined): { sql: string; columns: ScopeColumn[] } {
    switch (relation.k) {
      case 'table': {
        const found = this.tableRelation(relation.name);
        const alias = this.newAlias();
        const names = relation.columns ?? found.columns.map((c) => c.name);
        if (names.length !== found.columns.length) throw new SparkSqlError('ASSIGNMENT_ARITY_MISMATCH', `${relation.name.join('.')} has ${found.columns.length} columns but ${names.length} aliases were given`);
        const qualifier = relation.alias ? [relation.alias.toLowerCase()] : relation.name.map((p) => p.toLowerCase());
        return {
          sql: `${found.sql} AS ${quoteIdent(alias)}`,
          columns: found.columns.map((c, i) => ({ name: names[i], qualifier, sql: `${quoteIdent(alias)}.${quoteIdent(c.sqlName)}`, type: c.type })),
        };
      }
      case 'derived':
      case 'values':
      case 'tvf': {
        const query =
          relation.k === 'derived'
            ? this.query(relation.query, relation.k === 'derived' ? undefined : outer)
            : relation.k === 'values'
              ? this.values(relation.rows, outer, relation.columns)
              : this.tableFunction(relation.name, relation.args);
        const alias = this.newAlias();
        const names = relation.k === 'values' ? query.columns.map((c) => c.name) : (relation.columns ?? query.columns.map((c) => c.name));
        if (names.length !== query.columns.length) throw new SparkSqlError('ASSIGNMENT_ARITY_MISMATCH', `the subquery has ${query.columns.length} columns but ${names.length} aliases were given`);
        const qualifier = relation.alias ? [relation.alias.toLowerCase()] : [];
        return {
          sql: `(${query.sql}) AS ${quoteIdent(alias)}`,
          columns: query.columns.map((c, i) => ({ name: names[i], qualifier, sql: `${quoteIdent(alias)}.${quoteIdent(`_c${i}`)}`, type: c.type })),
        };
      }
      case 'join':
        return this.join(relation, outer);
    }
  }

  private tableFunction(name: string, args: Expr[]): CompiledQuery {
    if (name !== 'range') throw new Refusal(`the table function ${name}`);
    const values = args.map((a) => this.exprs.expr(a, new Scope([])));
    if (values.length < 1 || values.length > 3 || values.some((v) => v.literal === undefined || !['int', 'bigint', 'smallint', 'tinyint'].includes(v.type.kind))) {
      throw new Refusal('range() with arguments other than 1 to 3 integer literals');
    }
    const [a, b, step] = values.map((v) => v.literal!.value as string);
    const [start, end] = b === undefined ? ['0', a] : [a, b];
    if (step !== undefined && BigInt(step) === 0n) throw new SparkSqlError('INVALID_PARAMETER_VALUE', 'range() step must not be 0');
    return { sql: `SELECT range AS "_c0" FROM range(${start}, ${end}${step ? `, ${step}` : ''})`, columns: [{ name: 'id', type: T.bigint }] };
  }

  /** A table, view, dataset or CTE: its DuckDB name and columns (`sqlName` is the DuckDB column name). */
  private tableRelation(name: string[]): { sql: string; columns: (CatalogColumn & { sqlName: string })[] } {
    if (name.length === 1) {
      const cte = this.findCte(name[0]);
      if (cte) return { sql: quoteIdent(cte.sql), columns: cte.columns.map((c, i) => ({ ...c, sqlName: `_c${i}` })) };
    }
    const entry = this.catalog.lookup(name);
    if (!entry) throw new SparkSqlError('TABLE_OR_VIEW_NOT_FOUND', `the table or view ${name.map((p) => `\`${p}\``).join('.')} does not exist`);
    return { sql: entry.sql, columns: entry.columns.map((c) => ({ ...c, sqlName: c.name })) };
  }

  private findCte(name: string): Cte | undefined {
    for (let i = this.ctes.length - 1; i >= 0; i--) {
      const found = this.ctes[i].find((c) => c.name.toLowerCase() === name.toLowerCase());
      if (found) return found;
    }
    return undefined;
  }

  private join(join: Extract<Relation, { k: 'join' }>, outer: Scope | undefined): { sql: string; columns: ScopeColumn[] } {
    const left = this.relation(join.left, outer);
    const right = this.relation(join.right, outer);
    const kind = { inner: 'JOIN', left: 'LEFT JOIN', right: 'RIGHT JOIN', full: 'FULL JOIN', cross: 'CROSS JOIN', semi: 'SEMI JOIN', anti: 'ANTI JOIN' }[join.type];
    let keys: string[] | undefined = join.using;
    if (join.natural) {
      const rightNames = new Set(right.columns.filter((c) => !c.qualifiedOnly).map((c) => c.name.toLowerCase()));
      keys = left.columns.filter((c) => !c.qualifiedOnly && rightNames.has(c.name.toLowerCase())).map((c) => c.name);
    }
    if (keys) {
      const pairs = keys.map((key) => {
        const find = (cols: ScopeColumn[], side: string) => {
          const matches = cols.filter((c) => !c.qualifiedOnly && c.name.toLowerCase() === key.toLowerCase());
          if (matches.length !== 1) throw new SparkSqlError('UNRESOLVED_USING_COLUMN_FOR_JOIN', `USING column ${key} cannot be resolved on the ${side} side of the join`);
          return matches[0];
        };
        return { key, l: find(left.columns, 'left'), r: find(right.columns, 'right') };
      });
      const conditions = pairs.map(({ l, r }) => {
        const common = commonType(l.type, r.type);
        if (!common) throw new Refusal(`joining ${typeName(l.type)} with ${typeName(r.type)}`);
        return `${l.sql} = ${r.sql}`;
      });
      const on = conditions.length > 0 ? ` ON ${conditions.join(' AND ')}` : ' ON true';
      const merged: ScopeColumn[] = pairs.map(({ l, r }) => {
        const sql = join.type === 'right' ? r.sql : join.type === 'full' ? `COALESCE(${l.sql}, ${r.sql})` : l.sql;
        return { name: l.name, qualifier: [], sql, type: join.type === 'right' ? r.type : l.type, unqualifiedOnly: true };
      });
      const keySet = new Set(pairs.flatMap(({ l, r }) => [l, r]));
      const rest = (cols: ScopeColumn[]) => cols.map((c) => (keySet.has(c) ? { ...c, qualifiedOnly: true } : c));
      const sideColumns = join.type === 'semi' || join.type === 'anti' ? rest(left.columns) : [...rest(left.columns), ...rest(right.columns)];
      return { sql: `${left.sql} ${kind === 'CROSS JOIN' ? 'JOIN' : kind} ${right.sql}${on}`, columns: [...merged, ...sideColumns] };
    }
    const columns = join.type === 'semi' || join.type === 'anti' ? left.columns : [...left.columns, ...right.columns];
    if (join.type === 'cross' || !join.on) {
      if (join.type !== 'cross' && join.type !== 'inner') throw new SparkSqlError('PARSE_SYNTAX_ERROR', `${kind} needs an ON or USING condition`);
      return { sql: `${left.sql} CROSS JOIN ${right.sql}`, columns };
    }
    const scope = new Scope([...left.columns, ...right.columns], { outer });
    const condition = this.exprs.expr(join.on, scope);
    if (condition.agg || condition.win) throw new SparkSqlError('UNSUPPORTED_EXPR_FOR_OPERATOR', 'aggregate and window functions are not allowed in a join condition');
    return { sql: `${left.sql} ${kind} ${right.sql} ON ${this.exprs.predicate(condition, 'ON').sql}`, columns };
  }
}

function isNumericPair(a: SparkType, b: SparkType): boolean {
  const numeric = (t: SparkType) => ['tinyint', 'smallint', 'int', 'bigint', 'float', 'double', 'decimal'].includes(t.kind);
  return numeric(a) && numeric(b);
}

/** A value with every map inside replaced by its entries in sorted order, so equal maps group together. */
function normalizedForGrouping(sql: string, type: SparkType, depth: number): string {
  const v = `_e${depth}`;
  switch (type.kind) {
    case 'map':
      return `list_sort(list_transform(map_entries(${sql}), ${v} -> struct_pack(k := ${normalizedForGrouping(`${v}.key`, type.key, depth + 1)}, v := ${normalizedForGrouping(`${v}.value`, type.value, depth + 1)})))`;
    case 'array':
      return containsMap(type.element) ? `list_transform(${sql}, ${v} -> ${normalizedForGrouping(v, type.element, depth + 1)})` : sql;
    case 'struct':
      return containsMap(type) ? `struct_pack(${type.fields.map((f, i) => `${quoteIdent(f.name)} := ${normalizedForGrouping(`struct_extract_at(${sql}, ${i + 1})`, f.type, depth + 1)}`).join(', ')})` : sql;
    default:
      return sql;
  }
}

function checkOrderable(typed: Typed): void {
  if (containsMap(typed.type)) throw new SparkSqlError('DATATYPE_MISMATCH.INVALID_ORDERING_TYPE', `${typed.name} of type ${typeName(typed.type)} cannot be ordered`);
}

/** An integer literal in GROUP BY / ORDER BY is a position in the select list. */
function positionOf(expr: Expr): number | undefined {
  if (expr.k === 'lit' && expr.lit.k === 'number' && /^\d+$/.test(expr.lit.text)) return Number(expr.lit.text);
  return undefined;
}

function checkUnique(names: string[]): void {
  const seen = new Set<string>();
  for (const name of names) {
    const key = name.toLowerCase();
    if (seen.has(key)) throw new SparkSqlError('COLUMN_ALREADY_EXISTS', `the column \`${name}\` already exists`);
    seen.add(key);
  }
}

/** A view's or table's columns: the given names (if any), which must be unique. */
function renameColumns(columns: CatalogColumn[], names?: string[], allowDuplicates = false): CatalogColumn[] {
  if (names && names.length !== columns.length) {
    throw new SparkSqlError('CREATE_VIEW_COLUMN_ARITY_MISMATCH', `the query has ${columns.length} columns but ${names.length} names were given`);
  }
  const renamed = columns.map((c, i) => ({ name: names ? names[i] : c.name, type: c.type }));
  if (!allowDuplicates) checkUnique(renamed.map((c) => c.name));
  return renamed;
}

/** The outermost SELECT: internal `_cN` columns renamed to Spark's names. */
function outerSelect(query: CompiledQuery): string {
  const items = query.columns.map((c, i) => `${quoteIdent(`_c${i}`)} AS ${quoteIdent(c.name)}`);
  return `SELECT ${items.join(', ')} FROM (${query.sql}) AS "_q"`;
}

