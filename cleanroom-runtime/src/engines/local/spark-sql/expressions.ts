/**
 * Expressions: literals, names, operators, CASE, IN, BETWEEN, LIKE, subqueries and windows, typed with Spark's
 * rules (ANSI mode) and emitted as DuckDB SQL that computes the same value or raises where Spark raises.
 */
import type { Expr, Literal, WindowSpec } from './ast';
import { castTo, timestampLiteralSql, typeFromSpec } from './casts';
import type { Compiler } from './compiler';
import { isoDate, isoTimestamp, parseSparkDate, parseSparkTimestamp } from './datetime-text';
import { Refusal, SparkSqlError } from './errors';
import { compileCall, windowClause } from './functions';
import type { Scope } from './scope';
import { derived, isNullLiteral, mismatch, quoteIdent, quoteString, raise, type Typed } from './typed';
import {
  boundedDecimal,
  commonType,
  decimalForIntegral,
  duckType,
  isDatetime,
  isFractional,
  isIntegral,
  isNumeric,
  MAX_PRECISION,
  sameType,
  T,
  typeName,
  type DecimalType,
  type SparkType,
} from './types';

export interface ExprOptions {
  windows?: Map<string, WindowSpec>;
}

const COMPARISONS = new Set(['=', '<>', '<', '<=', '>', '>=', '<=>']);
const ARITHMETIC = new Set(['+', '-', '*', '/', '%', 'div']);

export class ExpressionCompiler {
  constructor(readonly compiler: Compiler) {}

  expr(e: Expr, scope: Scope, options: ExprOptions = {}): Typed {
    switch (e.k) {
      case 'lit':
        return literal(e.lit);
      case 'col':
        return this.column(e.parts, scope);
      case 'star':
        throw new SparkSqlError('INVALID_USAGE_OF_STAR_OR_REGEX', 'a star (*) is only allowed in a select list or in count(*)');
      case 'param': {
        this.compiler.parameters.add(e.name);
        // Parameters are bound as string values; Spark's named markers accept any type, the clean room passes strings.
        return { sql: `$${e.name}`, type: T.string, name: `:${e.name}`, agg: false, win: false, constant: true, param: true };
      }
      case 'unary':
        return this.unary(e.op, e.arg, scope, options);
      case 'bin':
        return this.binary(e.op, e.left, e.right, scope, options);
      case 'is': {
        const arg = this.expr(e.arg, scope, options);
        const not = e.not ? 'NOT ' : '';
        if (e.what === 'null') return derived(`(${arg.sql} IS ${not}NULL)`, T.boolean, `(${arg.name} IS ${not}NULL)`, [arg]);
        const bool = this.boolean(arg, 'IS TRUE/FALSE/UNKNOWN');
        const what = e.what === 'unknown' ? 'NULL' : e.what.toUpperCase();
        const sql = e.what === 'unknown' ? `(${bool.sql} IS ${not}NULL)` : `(${bool.sql} IS ${not}DISTINCT FROM ${e.what === 'true' ? 'false' : 'true'} AND ${bool.sql} IS NOT NULL)`;
        const exact = e.what === 'unknown' ? sql : e.not ? `(${bool.sql} IS DISTINCT FROM ${e.what})` : `(${bool.sql} IS NOT DISTINCT FROM ${e.what})`;
        return derived(exact, T.boolean, `(${arg.name} IS ${not}${what})`, [arg]);
      }
      case 'distinctfrom': {
        const [l, r] = this.comparable(this.expr(e.left, scope, options), this.expr(e.right, scope, options), 'IS DISTINCT FROM');
        const op = e.not ? 'IS NOT DISTINCT FROM' : 'IS DISTINCT FROM';
        return derived(`(${l.sql} ${op} ${r.sql})`, T.boolean, `(${l.name} ${op} ${r.name})`, [l, r]);
      }
      case 'between': {
        const arg = this.expr(e.arg, scope, options);
        const low = this.comparison('>=', arg, this.expr(e.low, scope, options));
        const high = this.comparison('<=', arg, this.expr(e.high, scope, options));
        const sql = `(${low.sql} AND ${high.sql})`;
        return derived(e.not ? `(NOT ${sql})` : sql, T.boolean, `${e.not ? 'NOT ' : ''}between(${arg.name})`, [low, high]);
      }
      case 'in':
        return this.inList(e, scope, options);
      case 'insub': {
        const arg = this.expr(e.arg, scope, options);
        const query = this.subquery(e.query, scope);
        if (query.columns.length !== 1) {
          throw new SparkSqlError('DATATYPE_MISMATCH.INVALID_IN_SUBQUERY_LENGTH', `the IN subquery returns ${query.columns.length} columns, but 1 is expected`);
        }
        const type = commonType(arg.type, query.columns[0].type);
        if (!type || !comparableType(type)) throw new SparkSqlError('DATATYPE_MISMATCH.IN_SUBQUERY_DATA_TYPE_MISMATCH', `the IN subquery column is ${typeName(query.columns[0].type)} but the value is ${typeName(arg.type)}`);
        const left = castTo(arg, type, 'implicit');
        const inner = sameType(query.columns[0].type, type)
          ? query.sql
          : `SELECT CAST("_c0" AS ${duckType(type)}) FROM (${query.sql}) AS ${quoteIdent(this.compiler.newAlias('q'))}`;
        const sql = `(${left.sql} ${e.not ? 'NOT IN' : 'IN'} (${inner}))`;
        return { ...derived(sql, T.boolean, `(${arg.name} IN (listquery()))`, [arg]), constant: false };
      }
      case 'like':
        return this.like(e, scope, options);
      case 'case':
        return this.caseWhen(e, scope, options);
      case 'cast': {
        const arg = this.expr(e.arg, scope, options);
        return castTo(arg, typeFromSpec(e.type), e.mode === 'try' ? 'try' : 'explicit');
      }
      case 'call':
        return compileCall(e, scope, this, options);
      case 'exists': {
        const query = this.subquery(e.query, scope);
        return { sql: `(${e.not ? 'NOT ' : ''}EXISTS (${query.sql}))`, type: T.boolean, name: 'exists(listquery())', agg: false, win: false };
      }
      case 'subquery': {
        const query = this.subquery(e.query, scope, true);
        if (query.columns.length !== 1) {
          throw new SparkSqlError('INVALID_SUBQUERY_EXPRESSION.SCALAR_SUBQUERY_RETURN_MORE_THAN_ONE_OUTPUT_COLUMN', `a scalar subquery must return one column, not ${query.columns.length}`);
        }
        return { sql: `(${query.sql})`, type: query.columns[0].type, name: 'scalarsubquery()', agg: false, win: false };
      }
      case 'tuple': {
        const items = e.items.map((item) => this.expr(item, scope, options));
        return this.struct(items.map((t, i) => ({ name: `col${i + 1}`, value: t })), `named_struct(${items.map((t, i) => `col${i + 1}, ${t.name}`).join(', ')})`);
      }
      case 'field': {
        const arg = this.expr(e.arg, scope, options);
        return this.fieldAccess(arg, [e.name]);
      }
      case 'index':
        throw new Refusal('the [] subscript operator');
      case 'named':
        return { ...this.expr(e.expr, scope, options), name: e.name };
      case 'unsupported':
        throw new Refusal(e.what);
    }
  }

  /** A subquery: its scope sees the enclosing one; a correlated one must aggregate (Spark's rule). */
  subquery(query: import('./ast').Query, scope: Scope, scalar = false): import('./compiler').CompiledQuery {
    const { Scope: ScopeClass } = require('./scope') as typeof import('./scope');
    const probe = new ScopeClass([], { outer: scope });
    const compiled = this.compiler.query(query, probe);
    if (probe.correlated) {
      const body = query.body;
      const simple = body.k === 'select' && query.with.length === 0 && query.orderBy.length === 0 && !query.limit;
      if (!simple) throw new Refusal('a correlated subquery with set operations, ORDER BY or LIMIT');
      if (scalar && (body.groupBy !== undefined || !compiled.sql.includes('GROUP BY ()'))) {
        throw new Refusal('a correlated scalar subquery that is not a single aggregate');
      }
    }
    return compiled;
  }

  struct(fields: { name: string; value: Typed }[], name: string): Typed {
    const sql = `struct_pack(${fields.map((f) => `${quoteIdent(f.name)} := ${f.value.sql}`).join(', ')})`;
    return derived(sql, T.struct(fields.map((f) => ({ name: f.name, type: f.value.type.kind === 'void' ? T.void : f.value.type }))), name, fields.map((f) => f.value));
  }

  private column(parts: string[], scope: Scope): Typed {
    const found = scope.resolve(parts);
    if (found) {
      const base: Typed = { sql: found.column.sql, type: found.column.type, name: found.column.name, agg: false, win: false };
      return found.fields.length > 0 ? this.fieldAccess(base, found.fields) : base;
    }
    if (parts.length === 1) {
      const alias = findAlias(scope, parts[0]);
      if (alias) return alias;
    }
    throw new SparkSqlError('UNRESOLVED_COLUMN.WITH_SUGGESTION', `a column, variable, or function parameter with name \`${parts.join('`.`')}\` cannot be resolved`);
  }

  fieldAccess(base: Typed, fields: string[]): Typed {
    let current = base;
    for (const field of fields) {
      if (current.type.kind !== 'struct') {
        throw new SparkSqlError('INVALID_EXTRACT_BASE_FIELD_TYPE', `cannot extract a field from ${current.name} of type ${typeName(current.type)}`);
      }
      const matches = current.type.fields.filter((f) => f.name.toLowerCase() === field.toLowerCase());
      if (matches.length !== 1) throw new SparkSqlError('FIELD_NOT_FOUND', `no such struct field \`${field}\` in ${current.type.fields.map((f) => f.name).join(', ')}`);
      const index = current.type.fields.indexOf(matches[0]);
      current = derived(`struct_extract_at(${current.sql}, ${index + 1})`, matches[0].type, matches[0].name, [current]);
    }
    return current;
  }

  private unary(op: string, argExpr: Expr, scope: Scope, options: ExprOptions): Typed {
    if (op === '-' && argExpr.k === 'lit' && argExpr.lit.k === 'number' && !argExpr.lit.text.startsWith('-')) {
      // Spark's grammar reads the sign as part of a numeric literal (-2147483648 is an int).
      return literal({ k: 'number', text: `-${argExpr.lit.text}` });
    }
    const arg = this.expr(argExpr, scope, options);
    if (op === 'not') {
      const bool = this.boolean(arg, 'NOT');
      return derived(`(NOT ${bool.sql})`, T.boolean, `(NOT ${arg.name})`, [arg]);
    }
    if (op === '~') {
      if (!isIntegral(arg.type)) throw mismatch('~', arg, 'an integral type');
      return derived(`(~${arg.sql})`, arg.type, `~${arg.name}`, [arg]);
    }
    if (!isNumeric(arg.type) && arg.type.kind !== 'void') {
      throw mismatch(`unary ${op}`, arg, 'a numeric type');
    }
    if (op === '+') return { ...arg, name: `(+ ${arg.name})`, literal: undefined };
    const sql = arg.type.kind === 'decimal' || isIntegral(arg.type) ? `(-${arg.sql})` : `(-${arg.sql})`;
    return derived(sql, arg.type, `(- ${arg.name})`, [arg]);
  }

  /** A condition must be boolean (NULL is allowed); Spark does not cast other types implicitly here. */
  boolean(t: Typed, where: string): Typed {
    if (t.type.kind === 'boolean') return t;
    if (t.type.kind === 'void') return { ...t, sql: 'CAST(NULL AS BOOLEAN)', type: T.boolean };
    if (t.type.kind === 'string' && t.literal) return castTo(t, T.boolean, 'implicit');
    throw new SparkSqlError('DATATYPE_MISMATCH.UNEXPECTED_INPUT_TYPE', `${where} requires a boolean, but ${t.name} has type ${typeName(t.type)}`);
  }

  predicate(t: Typed, where: string): Typed {
    return this.boolean(t, `the ${where} condition`);
  }

  private binary(op: string, leftExpr: Expr, rightExpr: Expr, scope: Scope, options: ExprOptions): Typed {
    const left = this.expr(leftExpr, scope, options);
    const right = this.expr(rightExpr, scope, options);
    if (op === 'and' || op === 'or') {
      const l = this.boolean(left, op.toUpperCase());
      const r = this.boolean(right, op.toUpperCase());
      return derived(`(${l.sql} ${op.toUpperCase()} ${r.sql})`, T.boolean, `(${left.name} ${op.toUpperCase()} ${right.name})`, [l, r]);
    }
    if (COMPARISONS.has(op)) return this.comparison(op, left, right);
    if (op === '||') return compileCall({ k: 'call', name: 'concat', args: [leftExpr, rightExpr], distinct: false, star: false, syntax: '||' }, scope, this, options);
    if (ARITHMETIC.has(op)) return this.arithmetic(op, left, right);
    if (op === '&' || op === '|' || op === '^') {
      const type = isIntegral(left.type) && isIntegral(right.type) ? commonType(left.type, right.type)! : undefined;
      if (!type) throw mismatch(op, isIntegral(left.type) ? right : left, 'an integral type');
      const duckOp = op === '^' ? 'xor' : op;
      const l = castTo(left, type, 'implicit');
      const r = castTo(right, type, 'implicit');
      const sql = duckOp === 'xor' ? `xor(${l.sql}, ${r.sql})` : `(${l.sql} ${duckOp} ${r.sql})`;
      return derived(sql, type, `(${left.name} ${op} ${right.name})`, [l, r]);
    }
    throw new Refusal(`the ${op} operator`);
  }

  /** Both sides cast to the type Spark compares them in. */
  comparable(left: Typed, right: Typed, what: string): [Typed, Typed] {
    let l = left;
    let r = right;
    // A string literal against a date, timestamp, number or boolean is read as that type (Spark's ANSI coercion).
    if (l.type.kind === 'string' && r.type.kind !== 'string' && r.type.kind !== 'void') l = this.promoteString(l, r.type, what);
    if (r.type.kind === 'string' && l.type.kind !== 'string' && l.type.kind !== 'void') r = this.promoteString(r, l.type, what);
    const type = commonType(l.type, r.type);
    if (!type) {
      throw new SparkSqlError('DATATYPE_MISMATCH.BINARY_OP_DIFF_TYPES', `${what} of ${left.name} (${typeName(left.type)}) and ${right.name} (${typeName(right.type)}): the types differ`);
    }
    if (!comparableType(type)) throw new SparkSqlError('DATATYPE_MISMATCH.INVALID_ORDERING_TYPE', `${typeName(type)} values cannot be compared`);
    const target = type.kind === 'void' ? T.boolean : type;
    return [castTo(l, target, 'implicit'), castTo(r, target, 'implicit')];
  }

  private promoteString(t: Typed, to: SparkType, what: string): Typed {
    if (t.param) {
      // A bound parameter is a string literal whose value comes at run time: read it as Spark reads a literal.
      if (isIntegral(to)) return castTo(t, T.bigint, 'explicit');
      if (to.kind === 'double' || to.kind === 'float') return castTo(t, T.double, 'explicit');
      if (to.kind === 'date' || to.kind === 'timestamp' || to.kind === 'boolean') return castTo(t, to, 'explicit');
      throw new Refusal(`${what} between the parameter ${t.name} and ${typeName(to)}`, 'cast the parameter explicitly');
    }
    if (!t.literal || typeof t.literal.value !== 'string') {
      throw new Refusal(`${what} between a string and ${typeName(to)}`, 'cast one side explicitly');
    }
    // Against an integral type Spark (ANSI) reads the string as a bigint, raising CAST_INVALID_INPUT if it is not one.
    if (isIntegral(to)) return castTo(t, T.bigint, 'explicit');
    if (to.kind === 'decimal' || isFractional(to)) {
      if (!/^[\x00-\x20]*[+-]?\d+[\x00-\x20]*$/.test(t.literal.value)) throw new Refusal(`${what} between a string and ${typeName(to)}`);
      return castTo(t, T.bigint, 'explicit');
    }
    if (to.kind === 'date' || to.kind === 'timestamp' || to.kind === 'boolean') return castTo(t, to, 'explicit');
    throw new Refusal(`${what} between a string and ${typeName(to)}`);
  }

  comparison(op: string, left: Typed, right: Typed): Typed {
    const [l, r] = this.comparable(left, right, `the comparison ${op}`);
    const name = op === '<>' ? `(NOT (${left.name} = ${right.name}))` : `(${left.name} ${op} ${right.name})`;
    if (op === '<=>') return derived(`(${l.sql} IS NOT DISTINCT FROM ${r.sql})`, T.boolean, `(${left.name} <=> ${right.name})`, [l, r]);
    return derived(`(${l.sql} ${op} ${r.sql})`, T.boolean, name, [l, r]);
  }

  private arithmetic(op: string, left: Typed, right: Typed): Typed {
    const name = `(${left.name} ${op} ${right.name})`;
    // Dates: date ± integer days (Spark's date_add/date_sub).
    if (op === '+' || op === '-') {
      const days = (t: Typed) => ['int', 'smallint', 'tinyint', 'void'].includes(t.type.kind);
      if (left.type.kind === 'date' && days(right)) return this.dateAdd(left, right, op === '-');
      if (op === '+' && right.type.kind === 'date' && days(left)) return this.dateAdd(right, left, false);
      if (op === '-' && left.type.kind === 'date' && right.type.kind === 'string') {
        // Spark reads the string as a date (raising if it is not one), then subtracts dates.
        this.promoteString(right, T.date, 'date subtraction');
      }
      const dateWith = (d: Typed, other: Typed) => d.type.kind === 'date' && (isNumeric(other.type) || other.type.kind === 'string');
      if (dateWith(left, right) || (op === '+' && dateWith(right, left))) {
        const other = left.type.kind === 'date' ? right : left;
        throw new SparkSqlError('DATATYPE_MISMATCH.UNEXPECTED_INPUT_TYPE', `${op === '+' ? 'date_add' : 'date_sub'} requires an int, smallint or tinyint number of days, but ${other.name} has type ${typeName(other.type)}`);
      }
      if (isDatetime(left.type) || isDatetime(right.type)) {
        throw new Refusal(`${op === '-' ? 'subtracting' : 'adding'} ${typeName(right.type)} ${op === '-' ? 'from' : 'to'} ${typeName(left.type)}`, 'intervals are not reproduced locally');
      }
    }
    const l0 = left.type.kind === 'void' ? { ...left, type: numericPeer(right.type) } : left;
    const r0 = right.type.kind === 'void' ? { ...right, type: numericPeer(left.type) } : right;
    for (const side of [l0, r0]) {
      if (!isNumeric(side.type)) {
        if (side.type.kind === 'string') throw new Refusal(`arithmetic on strings`, `${side.name} is a string: cast it explicitly`);
        throw new SparkSqlError('DATATYPE_MISMATCH.BINARY_OP_WRONG_TYPE', `the ${op} operator requires numeric types, but ${side.name} has type ${typeName(side.type)}`);
      }
    }
    const lt = l0.type;
    const rt = r0.type;
    const sqlOf = (t: Typed) => (t.type.kind === 'void' || isNullLiteral(t) ? `CAST(NULL AS ${duckType(t.type)})` : t.sql);
    if (op === 'div') {
      if (!isIntegral(lt) || !isIntegral(rt)) throw new Refusal('div on non-integral values');
      const l = `CAST(${sqlOf(l0)} AS BIGINT)`;
      const r = `CAST(${sqlOf(r0)} AS BIGINT)`;
      return derived(`(CASE WHEN ${r} = 0 THEN ${raise('DIVIDE_BY_ZERO', 'Division by zero')} WHEN ${l} = -9223372036854775808 AND ${r} = -1 THEN ${raise('ARITHMETIC_OVERFLOW', 'long overflow')} ELSE ${l} // ${r} END)`, T.bigint, name, [left, right]);
    }
    if (op === '/' && lt.kind !== 'decimal' && rt.kind !== 'decimal') {
      const l = `CAST(${sqlOf(l0)} AS DOUBLE)`;
      const r = `CAST(${sqlOf(r0)} AS DOUBLE)`;
      return derived(`(CASE WHEN ${r} = 0 THEN ${raise('DIVIDE_BY_ZERO', 'Division by zero. Use `try_divide` to tolerate divisor being 0 and return NULL instead')} ELSE ${l} / ${r} END)`, T.double, name, [left, right]);
    }
    if ((isFractional(lt) || isFractional(rt)) && op !== '/') {
      const type = lt.kind === 'float' && rt.kind === 'float' ? T.float : lt.kind === 'float' && isIntegral(rt) ? T.float : rt.kind === 'float' && isIntegral(lt) ? T.float : T.double;
      const l = `CAST(${sqlOf(l0)} AS ${duckType(type)})`;
      const r = `CAST(${sqlOf(r0)} AS ${duckType(type)})`;
      if (op === '%') return derived(`(CASE WHEN ${r} = 0 THEN ${raise('DIVIDE_BY_ZERO', 'Division by zero')} ELSE fmod(${l}, ${r}) END)`, type, name, [left, right]);
      return derived(`(${l} ${op} ${r})`, type, name, [left, right]);
    }
    if (isIntegral(lt) && isIntegral(rt)) {
      const type = commonType(lt, rt)!;
      const l = `CAST(${sqlOf(l0)} AS ${duckType(type)})`;
      const r = `CAST(${sqlOf(r0)} AS ${duckType(type)})`;
      if (op === '%') return derived(`(CASE WHEN ${r} = 0 THEN ${raise('DIVIDE_BY_ZERO', 'Division by zero')} ELSE ${l} % ${r} END)`, type, name, [left, right]);
      // DuckDB raises on overflow of the same width, as Spark's ANSI mode does.
      return derived(`(${l} ${op} ${r})`, type, name, [left, right]);
    }
    // Decimal arithmetic (an integral side is widened to its decimal).
    const a = lt.kind === 'decimal' ? lt : decimalForIntegral(lt);
    const b = rt.kind === 'decimal' ? rt : decimalForIntegral(rt);
    if (!a || !b) throw new Refusal(`${op} on ${typeName(lt)} and ${typeName(rt)}`);
    const l = `CAST(${sqlOf(l0)} AS ${duckType(a)})`;
    const r = `CAST(${sqlOf(r0)} AS ${duckType(b)})`;
    const result = decimalResult(op, a, b);
    if (op === '/') {
      return derived(`spark_decimal_divide(${l}, ${r}, ${a.scale}, ${b.scale}, ${result.scale})::${duckType(result)}`, result, name, [left, right]);
    }
    if (op === '%') {
      return derived(`CAST((CASE WHEN ${r} = 0 THEN ${raise('DIVIDE_BY_ZERO', 'Division by zero')} ELSE ${l} % ${r} END) AS ${duckType(result)})`, result, name, [left, right]);
    }
    return derived(`CAST((${l} ${op} ${r}) AS ${duckType(result)})`, result, name, [left, right]);
  }

  dateAdd(date: Typed, days: Typed, subtract: boolean): Typed {
    const n = days.type.kind === 'void' ? 'CAST(NULL AS INTEGER)' : `CAST(${days.sql} AS INTEGER)`;
    const name = `${subtract ? 'date_sub' : 'date_add'}(${date.name}, ${days.name})`;
    return derived(`CAST(${date.sql} ${subtract ? '-' : '+'} ${n} AS DATE)`, T.date, name, [date, days]);
  }

  private inList(e: Extract<Expr, { k: 'in' }>, scope: Scope, options: ExprOptions): Typed {
    const arg = this.expr(e.arg, scope, options);
    const list = e.list.map((item) => this.expr(item, scope, options));
    let type: SparkType = arg.type;
    const promoted = list.map((item) => (item.type.kind === 'string' && arg.type.kind !== 'string' && arg.type.kind !== 'void' ? this.promoteString(item, arg.type, 'IN') : item));
    for (const item of promoted) {
      const common = commonType(type, item.type);
      if (!common) throw new SparkSqlError('DATATYPE_MISMATCH.DATA_DIFF_TYPES', `the values of IN must all have the same type as ${arg.name} (${typeName(arg.type)}), but ${item.name} is ${typeName(item.type)}`);
      type = common;
    }
    if (!comparableType(type)) throw new SparkSqlError('DATATYPE_MISMATCH.INVALID_ORDERING_TYPE', `${typeName(type)} values cannot be compared`);
    const target = type.kind === 'void' ? T.int : type;
    const l = castTo(arg, target, 'implicit');
    const items = promoted.map((item) => castTo(item, target, 'implicit'));
    const sql = `(${l.sql} ${e.not ? 'NOT IN' : 'IN'} (${items.map((i) => i.sql).join(', ')}))`;
    return derived(sql, T.boolean, `(${arg.name} IN (${list.map((i) => i.name).join(', ')}))`, [l, ...items]);
  }

  private like(e: Extract<Expr, { k: 'like' }>, scope: Scope, options: ExprOptions): Typed {
    const arg = this.stringArg(this.expr(e.arg, scope, options), e.op.toUpperCase());
    const pattern = this.stringArg(this.expr(e.pattern, scope, options), e.op.toUpperCase());
    const not = e.not ? 'NOT ' : '';
    if (e.op === 'rlike') {
      if (!pattern.literal || typeof pattern.literal.value !== 'string') throw new Refusal('RLIKE with a computed pattern');
      checkPortableRegex(pattern.literal.value, 'RLIKE');
      const sql = `(${not}regexp_matches(${arg.sql}, ${pattern.sql}))`;
      return derived(sql, T.boolean, `${not}RLIKE(${arg.name}, ${pattern.name})`, [arg, pattern]);
    }
    const escape = e.escape ?? '\\';
    if (escape.length !== 1) throw new SparkSqlError('INVALID_ESCAPE_CHAR', 'the escape character must be one character');
    if (pattern.literal && typeof pattern.literal.value === 'string') checkLikePattern(pattern.literal.value, escape);
    else throw new Refusal(`${e.op.toUpperCase()} with a computed pattern`);
    const sql = `(${arg.sql} ${not}${e.op === 'ilike' ? 'ILIKE' : 'LIKE'} ${pattern.sql} ESCAPE ${quoteString(escape)})`;
    return derived(sql, T.boolean, `${not}${arg.name} ${e.op.toUpperCase()} ${pattern.name}`, [arg, pattern]);
  }

  stringArg(t: Typed, what: string): Typed {
    if (t.type.kind === 'string') return t;
    if (t.type.kind === 'void') return { ...t, sql: 'CAST(NULL AS VARCHAR)', type: T.string };
    throw new SparkSqlError('DATATYPE_MISMATCH.UNEXPECTED_INPUT_TYPE', `${what} requires a string, but ${t.name} has type ${typeName(t.type)}`);
  }

  private caseWhen(e: Extract<Expr, { k: 'case' }>, scope: Scope, options: ExprOptions): Typed {
    const operand = e.operand ? this.expr(e.operand, scope, options) : undefined;
    const conditions = e.whens.map(([when]) => {
      const w = this.expr(when, scope, options);
      return operand ? this.comparison('=', operand, w) : this.boolean(w, 'CASE WHEN');
    });
    const values = e.whens.map(([, then]) => this.expr(then, scope, options));
    const otherwise = e.else ? this.expr(e.else, scope, options) : undefined;
    const branches = otherwise ? [...values, otherwise] : values;
    const type = this.commonOf(branches, 'CASE');
    const cast = (t: Typed) => castTo(t, type, 'implicit').sql;
    const sql = `(CASE ${conditions.map((c, i) => `WHEN ${c.sql} THEN ${cast(values[i])}`).join(' ')}${otherwise ? ` ELSE ${cast(otherwise)}` : ''} END)`;
    const name = `CASE ${operand ? `${operand.name} ` : ''}${e.whens.map((_, i) => `WHEN ${conditions[i].name} THEN ${values[i].name}`).join(' ')}${otherwise ? ` ELSE ${otherwise.name}` : ''} END`;
    return derived(sql, type, name, [...conditions, ...branches]);
  }

  /** The common type of values that must share one (CASE branches, COALESCE arguments, …). */
  commonOf(values: Typed[], what: string): SparkType {
    let type: SparkType = T.void;
    for (const v of values) {
      const common = commonType(type, v.type);
      if (!common) throw new SparkSqlError('DATATYPE_MISMATCH.DATA_DIFF_TYPES', `the arguments of ${what} must have a common type, but ${typeName(type)} and ${typeName(v.type)} have none`);
      type = common;
    }
    return type;
  }

  /** A window's OVER clause in DuckDB form (named windows inlined, Spark's null ordering made explicit). */
  over(spec: WindowSpec | string, scope: Scope, options: ExprOptions, fn: string): string {
    return windowClause(spec, scope, this, options, fn);
  }
}

function findAlias(scope: Scope, name: string): Typed | undefined {
  return scope.options.aliases?.get(name.toLowerCase());
}

/** Types whose values DuckDB orders and compares as Spark does. */
function comparableType(type: SparkType): boolean {
  if (type.kind === 'map') return false;
  if (type.kind === 'array') return comparableType(type.element);
  if (type.kind === 'struct') return type.fields.every((f) => comparableType(f.type));
  return true;
}

function numericPeer(type: SparkType): SparkType {
  return isNumeric(type) ? type : T.int;
}

/** Spark's result type of decimal arithmetic (DecimalPrecision), refused where Spark would lose precision. */
function decimalResult(op: string, a: DecimalType, b: DecimalType): DecimalType {
  let precision: number;
  let scale: number;
  switch (op) {
    case '+':
    case '-':
      scale = Math.max(a.scale, b.scale);
      precision = Math.max(a.precision - a.scale, b.precision - b.scale) + scale + 1;
      break;
    case '*':
      precision = a.precision + b.precision + 1;
      scale = a.scale + b.scale;
      break;
    case '/':
      scale = Math.max(6, a.scale + b.precision + 1);
      precision = a.precision - a.scale + b.scale + scale;
      break;
    default:
      scale = Math.max(a.scale, b.scale);
      precision = Math.min(a.precision - a.scale, b.precision - b.scale) + scale;
  }
  if (precision > MAX_PRECISION) {
    if (op === '*' || op === '/') throw new Refusal(`decimal ${op} whose exact result needs more than 38 digits`);
    return boundedDecimal(precision, scale);
  }
  return T.decimal(precision, scale);
}

/** Regular expressions whose meaning is the same in Java (Spark) and RE2 (DuckDB). */
export function checkPortableRegex(pattern: string, what: string): void {
  if (/\\[pPQEGZzbBk0-9]|\(\?[<=!>]|\(\?[a-z]*\)|[*+?}]\+|\[[^\]]*\[|&&/.test(pattern)) {
    throw new Refusal(`${what} with this regular expression`, 'it uses syntax whose meaning differs between Java and the local engine');
  }
}

/** Spark rejects an escape character followed by anything but _, % or itself. */
function checkLikePattern(pattern: string, escape: string): void {
  for (let i = 0; i < pattern.length; i++) {
    if (pattern[i] === escape) {
      const next = pattern[i + 1];
      if (next === undefined || !['_', '%', escape].includes(next)) {
        throw new SparkSqlError('INVALID_FORMAT.ESC_IN_THE_MIDDLE', `the pattern ${quoteString(pattern)} has an invalid escape sequence`);
      }
      i++;
    }
  }
}

/** A literal with Spark's type (integer literals: int, else bigint, else decimal; 1.5 is a decimal; 1e5 a double). */
export function literal(lit: Literal): Typed {
  const base = { agg: false, win: false, constant: true };
  switch (lit.k) {
    case 'null':
      return { ...base, sql: 'NULL', type: T.void, name: 'NULL', literal: { value: null } };
    case 'boolean':
      return { ...base, sql: String(lit.value), type: T.boolean, name: String(lit.value), literal: { value: lit.value } };
    case 'string':
      return { ...base, sql: quoteString(lit.value), type: T.string, name: lit.value, literal: { value: lit.value } };
    case 'binary': {
      if (lit.hex.length % 2 !== 0) throw new Refusal('binary literals with an odd number of hex digits');
      return { ...base, sql: `unhex(${quoteString(lit.hex)})`, type: T.binary, name: `X'${lit.hex.toUpperCase()}'` };
    }
    case 'date': {
      const parts = parseSparkDate(lit.text);
      if (!parts) throw new SparkSqlError('INVALID_TYPED_LITERAL', `the value of the typed literal "DATE" is invalid: '${lit.text}'`);
      const iso = isoDate(parts);
      return { ...base, sql: `DATE ${quoteString(iso)}`, type: T.date, name: `DATE '${iso}'` };
    }
    case 'timestamp': {
      const parts = parseSparkTimestamp(lit.text);
      if (!parts) throw new SparkSqlError('INVALID_TYPED_LITERAL', `the value of the typed literal "TIMESTAMP" is invalid: '${lit.text}'`);
      const iso = isoTimestamp(parts);
      return { ...base, sql: timestampLiteralSql(iso, parts.zone, lit.ntz), type: lit.ntz ? T.timestampNtz : T.timestamp, name: `TIMESTAMP '${iso}'` };
    }
    case 'interval':
      throw new Refusal(`INTERVAL ${lit.text}`, 'intervals are not reproduced locally');
    case 'number':
      return numberLiteral(lit.text);
  }
}

function numberLiteral(text: string): Typed {
  const base = { agg: false, win: false, constant: true };
  const match = /^(-?)(\d*\.?\d*(?:[eE][+-]?\d+)?)(BD|[LSYDF])?$/i.exec(text);
  if (!match) throw new SparkSqlError('INVALID_NUMERIC_LITERAL', `invalid number ${text}`);
  const sign = match[1];
  const body = match[2];
  const suffix = match[3]?.toUpperCase();
  const isInteger = /^\d+$/.test(body);
  const integralLiteral = (type: SparkType, bits: number): Typed => {
    if (!isInteger) throw new SparkSqlError('INVALID_NUMERIC_LITERAL', `${text} is not an integer`);
    const n = BigInt(sign + body);
    const limit = 1n << BigInt(bits - 1);
    if (n < -limit || n >= limit) throw new SparkSqlError('INVALID_NUMERIC_LITERAL_RANGE', `numeric literal ${text} is outside the range of ${typeName(type)}`);
    return { ...base, sql: `CAST(${n} AS ${duckType(type)})`, type, name: n.toString(), literal: { value: n.toString() } };
  };
  switch (suffix) {
    case 'L':
      return integralLiteral(T.bigint, 64);
    case 'S':
      return integralLiteral(T.smallint, 16);
    case 'Y':
      return integralLiteral(T.tinyint, 8);
    case 'D':
    case 'F': {
      const type = suffix === 'D' ? T.double : T.float;
      const value = Number(sign + body);
      if (!Number.isFinite(value)) throw new SparkSqlError('INVALID_NUMERIC_LITERAL_RANGE', `numeric literal ${text} is outside the range of ${typeName(type)}`);
      return { ...base, sql: `CAST(${quoteString(sign + body)} AS ${duckType(type)})`, type, name: javaDouble(value), literal: { value: sign + body } };
    }
    case 'BD':
      return decimalLiteral(sign, body, text);
  }
  if (isInteger) {
    const n = BigInt(sign + body);
    if (n >= -(1n << 31n) && n < 1n << 31n) return { ...base, sql: `CAST(${n} AS INTEGER)`, type: T.int, name: n.toString(), literal: { value: n.toString() } };
    if (n >= -(1n << 63n) && n < 1n << 63n) return { ...base, sql: `CAST(${n} AS BIGINT)`, type: T.bigint, name: n.toString(), literal: { value: n.toString() } };
    return decimalLiteral(sign, body, text);
  }
  if (/[eE]/.test(body)) {
    const value = Number(sign + body);
    if (!Number.isFinite(value)) throw new SparkSqlError('INVALID_NUMERIC_LITERAL_RANGE', `numeric literal ${text} is outside the range of double`);
    return { ...base, sql: `CAST(${quoteString(sign + body)} AS DOUBLE)`, type: T.double, name: javaDouble(value), literal: { value: sign + body } };
  }
  return decimalLiteral(sign, body, text);
}

function decimalLiteral(sign: string, body: string, text: string): Typed {
  if (/[eE]/.test(body)) throw new Refusal('decimal literals with an exponent');
  const [intPart, fraction = ''] = body.split('.');
  const digits = (intPart.replace(/^0+/, '') + fraction).replace(/^0+(?=\d)/, '');
  const scale = fraction.length;
  const precision = Math.max(digits.length === 0 ? 1 : intPart.replace(/^0+/, '').length + scale, scale, 1);
  if (precision > MAX_PRECISION) throw new SparkSqlError('INVALID_NUMERIC_LITERAL_RANGE', `decimal literal ${text} has more than 38 digits`);
  const type = T.decimal(precision, scale);
  const value = `${sign}${intPart || '0'}${scale ? `.${fraction}` : ''}`;
  return { sql: `CAST(${quoteString(value)} AS ${duckType(type)})`, type, name: value, agg: false, win: false, constant: true, literal: { value } };
}

/** Java's Double.toString for the names of double literals (1.0E10, 0.001). */
function javaDouble(value: number): string {
  if (Number.isInteger(value) && Math.abs(value) < 1e7) return `${value}.0`;
  return String(value);
}
