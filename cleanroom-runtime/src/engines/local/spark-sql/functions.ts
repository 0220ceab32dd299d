/**
 * The allow-list of functions: each entry checks its arguments as Spark does (count and types, raising Spark's
 * analysis errors), gives Spark's result type and emits DuckDB SQL that computes Spark's value. A function not
 * listed here is refused by name.
 */
import type { Expr, WindowSpec } from './ast';
import { castTo } from './casts';
import { Refusal, SparkSqlError } from './errors';
import { checkPortableRegex, type ExpressionCompiler, type ExprOptions } from './expressions';
import { intervalSql, parseInterval } from './intervals';
import type { Scope } from './scope';
import { derived, mismatch, quoteString, raise, type Typed } from './typed';
import { boundedDecimal, containsMap, duckType, isIntegral, isNumeric, sameType, T, typeName, type SparkType } from './types';

type CallExpr = Extract<Expr, { k: 'call' }>;

export interface CallContext {
  call: CallExpr;
  /** Lower-case function name as written. */
  name: string;
  args: Typed[];
  scope: Scope;
  exprs: ExpressionCompiler;
  options: ExprOptions;
}

type Fn = (ctx: CallContext) => Typed;

interface Entry {
  fn: Fn;
  /** Aggregate functions take DISTINCT, FILTER and OVER. */
  aggregate?: boolean;
  /** Ranking and offset functions need OVER. */
  windowOnly?: boolean;
  /** Allowed argument counts. */
  arity: number[] | [number, typeof Infinity];
}

const REGISTRY = new Map<string, Entry>();

function register(names: string | string[], arity: Entry['arity'], fn: Fn, extra: Partial<Entry> = {}): void {
  for (const name of ([] as string[]).concat(names)) REGISTRY.set(name, { fn, arity, ...extra });
}

/** Names of the functions local rehearsal reproduces, for documentation and messages. */
export function allowedFunctions(): string[] {
  return [...REGISTRY.keys()].sort();
}

const REASONS: Record<string, string> = {
  split: 'its pattern is a Java regular expression',
  regexp_replace: 'its replacement syntax differs from the local engine',
  regexp_extract: 'Java and the local engine differ on groups that do not match',
  skewness: 'its floating-point result depends on the order in which the engine combines values and can differ in the last digits',
  kurtosis: 'its floating-point result depends on the order in which the engine combines values and can differ in the last digits',
  stddev: 'its floating-point result depends on the order in which the engine combines values and can differ in the last digits',
  stddev_samp: 'its floating-point result depends on the order in which the engine combines values and can differ in the last digits',
  stddev_pop: 'its floating-point result depends on the order in which the engine combines values and can differ in the last digits',
  std: 'its floating-point result depends on the order in which the engine combines values and can differ in the last digits',
  variance: 'its floating-point result depends on the order in which the engine combines values and can differ in the last digits',
  var_samp: 'its floating-point result depends on the order in which the engine combines values and can differ in the last digits',
  var_pop: 'its floating-point result depends on the order in which the engine combines values and can differ in the last digits',
  corr: 'its floating-point result depends on the order in which the engine combines values and can differ in the last digits',
  covar_pop: 'its floating-point result depends on the order in which the engine combines values and can differ in the last digits',
  covar_samp: 'its floating-point result depends on the order in which the engine combines values and can differ in the last digits',
  regr_slope: 'its floating-point result depends on the order in which the engine combines values and can differ in the last digits',
  regr_intercept: 'its floating-point result depends on the order in which the engine combines values and can differ in the last digits',
  regr_r2: 'its floating-point result depends on the order in which the engine combines values and can differ in the last digits',
  exp: 'the math libraries of the JVM and the local engine can differ in the last digit',
  expm1: 'the math libraries of the JVM and the local engine can differ in the last digit',
  ln: 'the math libraries of the JVM and the local engine can differ in the last digit',
  log: 'the math libraries of the JVM and the local engine can differ in the last digit',
  log10: 'the math libraries of the JVM and the local engine can differ in the last digit',
  log2: 'the math libraries of the JVM and the local engine can differ in the last digit',
  log1p: 'the math libraries of the JVM and the local engine can differ in the last digit',
  pow: 'the math libraries of the JVM and the local engine can differ in the last digit',
  power: 'the math libraries of the JVM and the local engine can differ in the last digit',
  sin: 'the math libraries of the JVM and the local engine can differ in the last digit',
  cos: 'the math libraries of the JVM and the local engine can differ in the last digit',
  tan: 'the math libraries of the JVM and the local engine can differ in the last digit',
  asin: 'the math libraries of the JVM and the local engine can differ in the last digit',
  acos: 'the math libraries of the JVM and the local engine can differ in the last digit',
  atan: 'the math libraries of the JVM and the local engine can differ in the last digit',
  atan2: 'the math libraries of the JVM and the local engine can differ in the last digit',
  sinh: 'the math libraries of the JVM and the local engine can differ in the last digit',
  cosh: 'the math libraries of the JVM and the local engine can differ in the last digit',
  tanh: 'the math libraries of the JVM and the local engine can differ in the last digit',
  cbrt: 'the math libraries of the JVM and the local engine can differ in the last digit',
  degrees: 'the math libraries of the JVM and the local engine can differ in the last digit',
  radians: 'the math libraries of the JVM and the local engine can differ in the last digit',
  hypot: 'the math libraries of the JVM and the local engine can differ in the last digit',
  cot: 'the math libraries of the JVM and the local engine can differ in the last digit',
  sec: 'the math libraries of the JVM and the local engine can differ in the last digit',
  csc: 'the math libraries of the JVM and the local engine can differ in the last digit',
  approx_count_distinct: 'approximate results differ between the engines',
  percentile_approx: 'approximate results differ between the engines',
  approx_percentile: 'approximate results differ between the engines',
  collect_set: 'the order of its elements is not defined',
  rand: 'random numbers differ between the engines',
  randn: 'random numbers differ between the engines',
  format_string: 'Java format strings are not reproduced',
  printf: 'Java format strings are not reproduced',
  to_number: 'number formats are not reproduced',
  to_char: 'number and date formats are not reproduced',
  date_format: 'Java date formats are not reproduced',
  histogram_numeric: 'its approximation is not reproduced',
  from_json: 'JSON parsing is not reproduced',
  from_csv: 'CSV parsing is not reproduced',
};

/** Functions refused by name whose argument count Spark still checks first. */
const MINIMUM_ARGS: Record<string, number> = { format_string: 1, printf: 1, to_number: 2, to_char: 2, date_format: 2 };

export function compileCall(callExpr: CallExpr, scope: Scope, exprs: ExpressionCompiler, options: ExprOptions): Typed {
  let call = callExpr;
  const entry = REGISTRY.get(call.name);
  if (!entry) {
    const reason = REASONS[call.name];
    const minimum = MINIMUM_ARGS[call.name];
    if (minimum !== undefined && call.args.length < minimum) {
      throw new SparkSqlError('WRONG_NUM_ARGS', `the function ${call.name} requires at least ${minimum} argument${minimum > 1 ? 's' : ''}, but ${call.args.length} were given`);
    }
    throw new Refusal(`the function ${call.name}`, reason ?? 'it is not on the list of functions whose local results are checked against Spark');
  }
  const [min, max] = entry.arity.length === 2 && entry.arity[1] === Infinity ? [entry.arity[0], Infinity] : [Math.min(...entry.arity), Math.max(...entry.arity)];
  const count = call.args.length + (call.star ? 0 : 0);
  const allowedCounts = entry.arity.length === 2 && entry.arity[1] === Infinity ? undefined : entry.arity;
  if (count < min || count > max || (allowedCounts && !allowedCounts.includes(count) && !call.star)) {
    throw new SparkSqlError('WRONG_NUM_ARGS', `the function ${call.name} requires ${describeArity(entry.arity)} arguments, but ${count} were given`);
  }
  if (!entry.aggregate && !entry.windowOnly) {
    if (call.distinct) throw new SparkSqlError('INVALID_SQL_SYNTAX', `DISTINCT is only allowed in aggregate functions, not in ${call.name}`);
    if (call.over) throw new SparkSqlError('UNSUPPORTED_EXPR_FOR_WINDOW', `${call.name} is not a window function`);
    if (call.filter) throw new SparkSqlError('INVALID_SQL_SYNTAX', `FILTER is only allowed in aggregate functions`);
  }
  if (call.nulls && !['first', 'first_value', 'last', 'last_value', 'lag', 'lead', 'nth_value', 'any_value'].includes(call.name)) {
    throw new SparkSqlError('INVALID_SQL_SYNTAX', `IGNORE/RESPECT NULLS is not allowed for ${call.name}`);
  }
  if (entry.windowOnly && !call.over) throw new SparkSqlError('WINDOW_FUNCTION_WITHOUT_OVER_CLAUSE', `${call.name} requires an OVER clause`);
  if (call.over && call.filter) throw new SparkSqlError('UNSUPPORTED_EXPR_FOR_WINDOW', 'FILTER is not allowed with a window function');
  if (call.over) windowClause(call.over, scope, exprs, options, call.name);
  if (call.name !== 'struct' && call.args.some((a) => a.k === 'named')) throw new SparkSqlError('PARSE_SYNTAX_ERROR', `AS is not allowed in the arguments of ${call.name}`);
  const settings = exprs.compiler.settings;
  // Legacy count(): Spark counts rows where all of no arguments are set, which it reports as 0.
  if (call.name === 'count' && call.args.length === 0 && !call.star && settings.allowParameterlessCount) call = { ...call, args: [{ k: 'lit', lit: { k: 'null' } }] };
  if (call.name === 'count' && call.args.length === 1 && call.args[0].k === 'star' && call.args[0].qualifier && !call.distinct) {
    if (!settings.allowStarWithSingleTableIdentifierInCount) throw new SparkSqlError('INVALID_USAGE_OF_STAR_WITH_SINGLE_TABLE_IDENTIFIER_IN_COUNT', `count(${call.args[0].qualifier.join('.')}.*) is not allowed; use count(*)`);
  }
  if (call.star && call.distinct) call = { ...call, star: false, args: [{ k: 'star' }] };
  const innerOptions = entry.aggregate ? { ...options } : options;
  const args = call.args.flatMap((a) => {
    if (a.k === 'star' && call.name === 'count') {
      return scope.star(a.qualifier).map((c): Typed => ({ sql: c.sql, type: c.type, name: c.name, agg: false, win: false }));
    }
    return [exprs.expr(a, scope, innerOptions)];
  });
  if (entry.aggregate && !call.over) {
    const nested = args.find((a) => a.agg);
    if (nested) throw new SparkSqlError('NESTED_AGGREGATE_FUNCTION', `it is not allowed to use an aggregate function in the argument of another aggregate function: ${nested.name}`);
  }
  if (entry.aggregate) {
    const windowed = args.find((a) => a.win);
    if (windowed) throw new SparkSqlError('NESTED_AGGREGATE_FUNCTION', `window function ${windowed.name} inside an aggregate`);
  }
  return entry.fn({ call, name: call.name, args, scope, exprs, options });
}

function describeArity(arity: Entry['arity']): string {
  if (arity.length === 2 && arity[1] === Infinity) return `at least ${arity[0]}`;
  return arity.join(' or ');
}

// ---------------------------------------------------------------- helpers

function display(ctx: CallContext, names?: string[]): string {
  const args = names ?? ctx.args.map((a) => a.name);
  return `${ctx.name}(${ctx.call.distinct ? 'DISTINCT ' : ''}${args.join(', ')})`;
}

function nullOf(type: SparkType): string {
  return `CAST(NULL AS ${duckType(type)})`;
}

/** An argument that must be a string: strings pass, NULL becomes a string NULL; others per Spark's implicit cast. */
function str(ctx: CallContext, i: number): Typed {
  const t = ctx.args[i];
  if (t.type.kind === 'string') return t;
  if (t.type.kind === 'void') return { ...t, sql: nullOf(T.string), type: T.string };
  if (isIntegral(t.type) || t.type.kind === 'boolean' || t.type.kind === 'date' || t.type.kind === 'decimal') return castTo(t, T.string, 'implicit');
  if (t.type.kind === 'binary') return castTo(t, T.string, 'implicit');
  throw mismatch(ctx.name, t, 'a string');
}

/** An argument that must be an integer (int): Spark casts strings (ANSI: raising on bad input) and narrower ints. */
function int(ctx: CallContext, i: number): Typed {
  const t = ctx.args[i];
  if (t.type.kind === 'int') return t;
  if (t.type.kind === 'void') return { ...t, sql: nullOf(T.int), type: T.int };
  if (t.type.kind === 'tinyint' || t.type.kind === 'smallint' || t.type.kind === 'string') return castTo(t, T.int, 'explicit');
  throw mismatch(ctx.name, t, 'an int');
}

function numeric(ctx: CallContext, i: number): Typed {
  const t = ctx.args[i];
  if (isNumeric(t.type)) return t;
  if (t.type.kind === 'void') return { ...t, sql: nullOf(T.double), type: T.double };
  throw mismatch(ctx.name, t, 'a numeric type');
}

function toDouble(ctx: CallContext, i: number): Typed {
  const t = numeric(ctx, i);
  return castTo(t, T.double, 'implicit');
}

function bool(ctx: CallContext, i: number): Typed {
  const t = ctx.args[i];
  if (t.type.kind === 'boolean') return t;
  if (t.type.kind === 'void') return { ...t, sql: nullOf(T.boolean), type: T.boolean };
  if (t.type.kind === 'string' && t.literal) return castTo(t, T.boolean, 'explicit');
  throw new SparkSqlError('DATATYPE_MISMATCH.UNEXPECTED_INPUT_TYPE', `${ctx.name} requires a boolean, but ${t.name} has type ${typeName(t.type)}`);
}

/** A date argument: dates pass; timestamps and strings are cast as Spark's implicit cast does. */
function date(ctx: CallContext, i: number): Typed {
  const t = ctx.args[i];
  if (t.type.kind === 'date') return t;
  if (t.type.kind === 'void') return { ...t, sql: nullOf(T.date), type: T.date };
  if (t.type.kind === 'timestamp' || t.type.kind === 'timestamp_ntz' || t.type.kind === 'string') return castTo(t, T.date, 'explicit');
  throw mismatch(ctx.name, t, 'a date');
}

function simple(ctx: CallContext, sql: string, type: SparkType, args = ctx.args, name = display(ctx)): Typed {
  return derived(sql, type, name, args);
}

function literalString(ctx: CallContext, i: number, what: string): string | null {
  const t = ctx.args[i];
  if (t.type.kind === 'void') return null;
  if (!t.literal || (t.type.kind !== 'string')) throw new Refusal(`${ctx.name} with a computed ${what}`);
  return t.literal.value as string;
}

function literalInt(ctx: CallContext, i: number): number | undefined {
  const t = ctx.args[i];
  if (t?.literal && typeof t.literal.value === 'string' && /^-?\d+$/.test(t.literal.value)) return Number(t.literal.value);
  return undefined;
}

// ---------------------------------------------------------------- aggregates

function aggregate(ctx: CallContext, inner: string, type: SparkType, wrap = (s: string) => s, ownFilter?: string): Typed {
  const { call } = ctx;
  const conditions = ownFilter ? [ownFilter] : [];
  if (call.filter) {
    const condition = ctx.exprs.boolean(ctx.exprs.expr(call.filter, ctx.scope, ctx.options), 'FILTER');
    if (condition.agg) throw new SparkSqlError('INVALID_WHERE_CONDITION', 'an aggregate FILTER cannot contain aggregates');
    conditions.push(condition.sql);
  }
  const filter = conditions.length > 0 ? ` FILTER (WHERE ${conditions.join(' AND ')})` : '';
  const name = display(ctx);
  if (call.over) {
    const over = ctx.exprs.over(call.over, ctx.scope, ctx.options, ctx.name);
    if (call.distinct) throw new Refusal(`${ctx.name}(DISTINCT ...) OVER a window`);
    return { sql: wrap(`${inner}${filter} OVER ${over}`), type, name, agg: false, win: true, constant: false };
  }
  return { sql: wrap(`${inner}${filter}`), type, name, agg: true, win: ctx.args.some((a) => a.win), constant: false };
}

function distinct(ctx: CallContext): string {
  return ctx.call.distinct ? 'DISTINCT ' : '';
}

register('count', [0, Infinity], (ctx) => {
  const { call, args } = ctx;
  if (call.star || args.length === 0) {
    if (args.length === 0 && !call.star) throw new SparkSqlError('WRONG_NUM_ARGS.WITHOUT_SUGGESTION', 'count() requires at least one argument; use count(*)');
    if (call.distinct) throw new SparkSqlError('INVALID_SQL_SYNTAX', 'count(DISTINCT *) is not allowed');
    return { ...aggregate(ctx, 'count(*)', T.bigint), name: 'count(1)' };
  }
  for (const a of args) if (a.type.kind === 'struct' && !call.distinct && false) void a;
  if (args.length === 1) {
    const a = args[0];
    // count(x) counts rows where x is not NULL; a struct is NULL only when the struct itself is NULL.
    const sql = a.type.kind === 'void' ? `count(${distinct(ctx)}NULL)` : `count(${distinct(ctx)}${a.sql})`;
    return aggregate(ctx, sql, T.bigint);
  }
  // count(a, b): rows where every argument is non-NULL.
  const allSet = args.map((a) => `${a.sql} IS NOT NULL`).join(' AND ');
  if (call.distinct) {
    const tuple = `struct_pack(${args.map((a, i) => `"c${i}" := ${a.sql}`).join(', ')})`;
    return aggregate(ctx, `count(DISTINCT CASE WHEN ${allSet} THEN ${tuple} END)`, T.bigint);
  }
  return aggregate(ctx, `count(CASE WHEN ${allSet} THEN 1 END)`, T.bigint);
}, { aggregate: true });

register('count_if', [1], (ctx) => aggregate(ctx, `count(${distinct(ctx)}CASE WHEN ${bool(ctx, 0).sql} THEN 1 END)`, T.bigint), { aggregate: true });

register('sum', [1], (ctx) => {
  const a = numericOrNull(ctx);
  if (isIntegral(a.type)) return aggregate(ctx, `sum(${distinct(ctx)}${a.sql})`, T.bigint, (s) => `CAST(${s} AS BIGINT)`);
  if (a.type.kind === 'decimal') {
    const type = boundedDecimal(Math.min(38, a.type.precision + 10), a.type.scale);
    return aggregate(ctx, `sum(${distinct(ctx)}${a.sql})`, type, (s) => `CAST(${s} AS ${duckType(type)})`);
  }
  return aggregate(ctx, `sum(${distinct(ctx)}CAST(${a.sql} AS DOUBLE))`, T.double);
}, { aggregate: true });

register(['avg', 'mean'], [1], (ctx) => {
  const t = ctx.args[0];
  if (t.type.kind === 'timestamp' || t.type.kind === 'timestamp_ntz') {
    // Spark averages timestamps as seconds since the epoch (a double).
    return aggregate(ctx, `avg(${distinct(ctx)}epoch_us(${t.sql}) / 1000000.0)`, T.double);
  }
  const a = numericOrNull(ctx);
  if (a.type.kind === 'decimal') {
    const scale = a.type.scale;
    const type = T.decimal(Math.min(38, a.type.precision + 4), Math.min(38, scale + 4));
    if (ctx.call.over || ctx.call.filter) throw new Refusal('avg of decimals over a window or with FILTER');
    // Spark divides the exact sum by the count, rounding half up to the result scale.
    const sum = `CAST(sum(${distinct(ctx)}${a.sql}) AS DECIMAL(38,${scale}))`;
    const n = `CAST(count(${distinct(ctx)}${a.sql}) AS DECIMAL(38,0))`;
    return aggregate(ctx, `spark_decimal_divide(${sum}, ${n}, ${scale}, 0, ${type.scale})::${duckType(type)}`, type);
  }
  return aggregate(ctx, `avg(${distinct(ctx)}CAST(${a.sql} AS DOUBLE))`, T.double);
}, { aggregate: true });

function numericOrNull(ctx: CallContext): Typed {
  const a = ctx.args[0];
  if (a.type.kind === 'void') return { ...a, sql: nullOf(T.double), type: T.double };
  if (!isNumeric(a.type)) {
    if (a.type.kind === 'string') throw new Refusal(`${ctx.name} of a string`, 'cast it to a number explicitly');
    throw mismatch(ctx.name, a, 'a numeric type');
  }
  return a;
}

register(['min', 'max'], [1], (ctx) => {
  const a = ctx.args[0];
  if (a.type.kind === 'map') throw new SparkSqlError('DATATYPE_MISMATCH.INVALID_ORDERING_TYPE', `${ctx.name} does not support map`);
  if (containsMap(a.type)) throw new SparkSqlError('DATATYPE_MISMATCH.INVALID_ORDERING_TYPE', `${ctx.name} does not support a map inside ${typeName(a.type)}`);
  return aggregate(ctx, `${ctx.name}(${a.sql})`, a.type);
}, { aggregate: true });

register(['every', 'bool_and'], [1], (ctx) => aggregate(ctx, `bool_and(${bool(ctx, 0).sql})`, T.boolean), { aggregate: true });
register(['some', 'any', 'bool_or'], [1], (ctx) => aggregate(ctx, `bool_or(${bool(ctx, 0).sql})`, T.boolean), { aggregate: true });

register(['collect_list', 'array_agg'], [1], (ctx) => {
  const a = ctx.args[0];
  if (ctx.call.over) throw new Refusal(`${ctx.name} over a window`);
  // Spark skips NULLs and returns an empty array for no rows.
  const name = `collect_list(${a.name})`;
  return { ...aggregate(ctx, `list(${distinct(ctx)}${a.sql})`, T.array(a.type), (s) => `coalesce(${s}, [])`, `${a.sql} IS NOT NULL`), name };
}, { aggregate: true });

register(['first', 'first_value', 'last', 'last_value', 'any_value'], [1, 2], (ctx) => {
  const a = ctx.args[0];
  let ignoreNulls = ctx.call.nulls === 'ignore';
  if (ctx.args.length === 2) {
    const flag = ctx.args[1];
    if (flag.type.kind !== 'boolean' || flag.literal === undefined) throw new SparkSqlError('DATATYPE_MISMATCH.UNEXPECTED_INPUT_TYPE', `the second argument of ${ctx.name} must be a boolean literal`);
    ignoreNulls = flag.literal.value === true;
  }
  if (!ctx.call.over) {
    if (ctx.name === 'any_value' && !ignoreNulls) throw new Refusal('any_value outside a window', 'which row it picks is not defined');
    throw new Refusal(`${ctx.name} outside a window`, 'which row it picks depends on the engine');
  }
  const fn = ctx.name.startsWith('last') ? 'last' : 'first';
  return aggregate(ctx, `${fn}(${a.sql}${ignoreNulls ? ' IGNORE NULLS' : ''})`, a.type);
}, { aggregate: true });

// ---------------------------------------------------------------- window functions

for (const [name, duck, type] of [
  ['row_number', 'row_number', T.int],
  ['rank', 'rank', T.int],
  ['dense_rank', 'dense_rank', T.int],
  ['percent_rank', 'percent_rank', T.double],
  ['cume_dist', 'cume_dist', T.double],
] as const) {
  register(name, [0], (ctx) => {
    const over = ctx.exprs.over(ctx.call.over!, ctx.scope, ctx.options, name);
    if (!/ORDER BY/.test(over) && name !== 'row_number') throw new SparkSqlError('WINDOW_FUNCTION_WITHOUT_ORDER', `${name} requires the window to be ordered`);
    if (!/ORDER BY/.test(over)) throw new SparkSqlError('WINDOW_FUNCTION_WITHOUT_ORDER', `${name} requires the window to be ordered`);
    return { sql: `CAST(${duck}() OVER ${over} AS ${duckType(type)})`, type, name: `${name}()`, agg: false, win: true, constant: false };
  }, { windowOnly: true });
}

register('ntile', [1], (ctx) => {
  const n = literalInt(ctx, 0);
  if (n === undefined || n <= 0) throw new SparkSqlError('DATATYPE_MISMATCH.VALUE_OUT_OF_RANGE', 'ntile requires a positive integer literal');
  const over = ctx.exprs.over(ctx.call.over!, ctx.scope, ctx.options, 'ntile');
  if (!/ORDER BY/.test(over)) throw new SparkSqlError('WINDOW_FUNCTION_WITHOUT_ORDER', 'ntile requires the window to be ordered');
  return { sql: `CAST(ntile(${n}) OVER ${over} AS INTEGER)`, type: T.int, name: display(ctx), agg: false, win: true, constant: false };
}, { windowOnly: true });

register(['lag', 'lead'], [1, 2, 3], (ctx) => {
  const value = ctx.args[0];
  const offset = ctx.args.length > 1 ? literalInt(ctx, 1) : 1;
  if (offset === undefined) throw new SparkSqlError('DATATYPE_MISMATCH.NON_FOLDABLE_INPUT', `the offset of ${ctx.name} must be an integer literal`);
  let fallback = '';
  let type = value.type;
  if (ctx.args.length > 2) {
    const d = ctx.args[2];
    const common = ctx.exprs.commonOf([value, d], ctx.name);
    type = common;
    fallback = `, ${castTo(d, common, 'implicit').sql}`;
  }
  const over = ctx.exprs.over(ctx.call.over!, ctx.scope, ctx.options, ctx.name);
  if (!/ORDER BY/.test(over)) throw new SparkSqlError('WINDOW_FUNCTION_WITHOUT_ORDER', `${ctx.name} requires the window to be ordered`);
  if (/ROWS BETWEEN|RANGE BETWEEN/.test(over.replace(/RANGE BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW/, ''))) {
    throw new SparkSqlError('DATATYPE_MISMATCH.SPECIFIED_WINDOW_FRAME_UNACCEPTED', `${ctx.name} does not take a window frame`);
  }
  const ignore = ctx.call.nulls === 'ignore' ? ' IGNORE NULLS' : '';
  const v = castTo(value, type, 'implicit').sql;
  return { sql: `${ctx.name}(${v}, ${offset}${fallback || (ignore ? `, NULL` : '')}${ignore}) OVER ${over.replace(/ RANGE BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW/, '')}`, type, name: display(ctx), agg: false, win: true, constant: false };
}, { windowOnly: true });

register('nth_value', [2], (ctx) => {
  const n = literalInt(ctx, 1);
  if (n === undefined || n <= 0) throw new SparkSqlError('DATATYPE_MISMATCH.VALUE_OUT_OF_RANGE', 'nth_value requires a positive integer literal');
  const over = ctx.exprs.over(ctx.call.over!, ctx.scope, ctx.options, 'nth_value');
  const ignore = ctx.call.nulls === 'ignore' ? ' IGNORE NULLS' : '';
  return { sql: `nth_value(${ctx.args[0].sql}, ${n}${ignore}) OVER ${over}`, type: ctx.args[0].type, name: display(ctx), agg: false, win: true, constant: false };
}, { windowOnly: true });

/** The OVER clause: named windows inlined; frames checked as Spark checks them. */
export function windowClause(spec: WindowSpec | string, scope: Scope, exprs: ExpressionCompiler, options: ExprOptions, fn: string): string {
  let resolved: WindowSpec;
  if (typeof spec === 'string') {
    const found = options.windows?.get(spec);
    if (!found) throw new SparkSqlError('MISSING_WINDOW_SPECIFICATION', `window ${spec} is not defined`);
    resolved = found;
  } else if (spec.base) {
    const base = options.windows?.get(spec.base);
    if (!base) throw new SparkSqlError('MISSING_WINDOW_SPECIFICATION', `window ${spec.base} is not defined`);
    resolved = { partitionBy: spec.partitionBy.length ? spec.partitionBy : base.partitionBy, orderBy: spec.orderBy.length ? spec.orderBy : base.orderBy, frame: spec.frame ?? base.frame };
  } else resolved = spec;
  const noWindow = { ...options, windows: undefined };
  const partition = resolved.partitionBy.map((e) => {
    const t = exprs.expr(e, scope, noWindow);
    if (t.win) throw new SparkSqlError('UNSUPPORTED_EXPR_FOR_WINDOW', 'window functions cannot be nested');
    if (t.type.kind === 'map') throw new SparkSqlError('DATATYPE_MISMATCH.INVALID_ORDERING_TYPE', 'a map cannot partition a window');
    return t.sql;
  });
  const order = resolved.orderBy.map((o) => {
    const t = exprs.expr(o.expr, scope, noWindow);
    if (t.win) throw new SparkSqlError('UNSUPPORTED_EXPR_FOR_WINDOW', 'window functions cannot be nested');
    return { t, sql: `${t.sql} ${o.desc ? 'DESC' : 'ASC'} NULLS ${(o.nulls ?? (o.desc ? 'last' : 'first')).toUpperCase()}`, desc: o.desc };
  });
  let frame = '';
  if (resolved.frame) {
    const f = resolved.frame;
    const ranking = ['row_number', 'rank', 'dense_rank', 'percent_rank', 'cume_dist', 'ntile', 'lag', 'lead'].includes(fn);
    if (ranking) throw new SparkSqlError('DATATYPE_MISMATCH.SPECIFIED_WINDOW_FRAME_UNACCEPTED', `${fn} does not take a window frame`);
    const rank = (b: typeof f.start) => ({ unbounded_preceding: 0, preceding: 1, current_row: 2, following: 3, unbounded_following: 4 })[b.k];
    if (f.start.k === 'unbounded_following' || f.end.k === 'unbounded_preceding' || rank(f.start) > rank(f.end)) {
      throw new SparkSqlError('DATATYPE_MISMATCH.SPECIFIED_WINDOW_FRAME_WRONG_COMPARISON', 'the window frame starts after it ends');
    }
    const bound = (b: typeof f.start): string => {
      switch (b.k) {
        case 'unbounded_preceding':
          return 'UNBOUNDED PRECEDING';
        case 'unbounded_following':
          return 'UNBOUNDED FOLLOWING';
        case 'current_row':
          return 'CURRENT ROW';
        default: {
          if (b.offset!.k === 'lit' && b.offset!.lit.k === 'interval') return intervalBound(b.offset!.lit.text, b.k);
          const offset = exprs.expr(b.offset!, scope, noWindow);
          if (!offset.constant || offset.literal === undefined) throw new SparkSqlError('DATATYPE_MISMATCH.SPECIFIED_WINDOW_FRAME_WITHOUT_FOLDABLE', 'a window frame offset must be a literal');
          const value = String(offset.literal.value);
          if (f.unit === 'rows') {
            if (!isIntegral(offset.type)) throw new SparkSqlError('DATATYPE_MISMATCH.SPECIFIED_WINDOW_FRAME_UNACCEPTED_TYPE', 'a ROWS frame offset must be an integer');
            if (BigInt(value) > 2147483647n || BigInt(value) < -2147483648n) throw new SparkSqlError('INVALID_BOUNDARY', 'a ROWS frame offset must fit in an int');
            if (BigInt(value) < 0n) throw new Refusal('negative frame offsets');
            return `${value} ${b.k === 'preceding' ? 'PRECEDING' : 'FOLLOWING'}`;
          }
          // RANGE with a value offset: one numeric ORDER BY key of the same kind as the offset.
          if (order.length !== 1) throw new SparkSqlError('DATATYPE_MISMATCH.RANGE_FRAME_MULTI_ORDER', 'a RANGE frame with a value offset needs exactly one ORDER BY key');
          const key = order[0].t;
          if (key.type.kind === 'date' && ['int', 'smallint', 'tinyint'].includes(offset.type.kind)) {
            if (BigInt(value) < 0n) throw new Refusal('negative frame offsets');
            return `INTERVAL (${value}) DAY ${b.k === 'preceding' ? 'PRECEDING' : 'FOLLOWING'}`;
          }
          if (!isNumeric(key.type) || !isNumeric(offset.type)) {
            throw new SparkSqlError('DATATYPE_MISMATCH.RANGE_FRAME_INVALID_TYPE', `a RANGE frame over ${typeName(key.type)} needs a numeric ORDER BY key`);
          }
          if (BigInt(/^-?\d+$/.test(value) ? value : '0') < 0n || value.startsWith('-')) throw new Refusal('negative frame offsets');
          if (!isIntegral(offset.type) && !isIntegral(key.type) && key.type.kind !== 'double') throw new Refusal('RANGE frames with fractional offsets over this type');
          return `${offset.sql} ${b.k === 'preceding' ? 'PRECEDING' : 'FOLLOWING'}`;
        }
      }
    };
    /** RANGE over a date or timestamp with an INTERVAL offset: year-month on either, day-time on timestamps. */
    const intervalBound = (text: string, side: string): string => {
      const value = parseInterval(text);
      if (!value) throw new Refusal(`INTERVAL ${text}`, 'this interval form is not reproduced locally');
      if (f.unit !== 'range') throw new SparkSqlError('DATATYPE_MISMATCH.SPECIFIED_WINDOW_FRAME_UNACCEPTED_TYPE', 'a ROWS frame offset must be an integer');
      if (order.length !== 1) throw new SparkSqlError('DATATYPE_MISMATCH.RANGE_FRAME_MULTI_ORDER', 'a RANGE frame with a value offset needs exactly one ORDER BY key');
      const key = order[0].t.type.kind;
      const fits = key === 'timestamp' || key === 'timestamp_ntz' || (key === 'date' && value.kind === 'year_month');
      if (!fits) throw new SparkSqlError('DATATYPE_MISMATCH.RANGE_FRAME_INVALID_TYPE', `a RANGE frame over ${key} cannot use this interval`);
      if (value.kind === 'year_month' ? value.months < 0 : value.micros < 0n) throw new Refusal('negative frame offsets');
      return `${intervalSql(value)} ${side === 'preceding' ? 'PRECEDING' : 'FOLLOWING'}`;
    };
    if (f.unit === 'range' && order.length === 0 && (f.start.k === 'preceding' || f.start.k === 'following' || f.end.k === 'preceding' || f.end.k === 'following')) {
      throw new SparkSqlError('DATATYPE_MISMATCH.RANGE_FRAME_WITHOUT_ORDER', 'a RANGE frame with a value offset needs an ORDER BY');
    }
    frame = ` ${f.unit.toUpperCase()} BETWEEN ${bound(f.start)} AND ${bound(f.end)}`;
  } else if (order.length > 0 && !['row_number', 'rank', 'dense_rank', 'percent_rank', 'cume_dist', 'ntile', 'lag', 'lead'].includes(fn)) {
    frame = ' RANGE BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW';
  }
  const parts = [];
  if (partition.length) parts.push(`PARTITION BY ${partition.join(', ')}`);
  if (order.length) parts.push(`ORDER BY ${order.map((o) => o.sql).join(', ')}`);
  return `(${parts.join(' ')}${frame})`;
}

// ---------------------------------------------------------------- conditional and null functions

function commonArgs(ctx: CallContext, args: Typed[]): { type: SparkType; sql: string[] } {
  const type = ctx.exprs.commonOf(args, ctx.name);
  const target = type.kind === 'void' ? T.int : type;
  return { type: type.kind === 'void' ? T.void : type, sql: args.map((a) => castTo(a, target, 'implicit').sql) };
}

register('coalesce', [1, Infinity], (ctx) => {
  const { type, sql } = commonArgs(ctx, ctx.args);
  return simple(ctx, `coalesce(${sql.join(', ')})`, type);
});
register(['nvl', 'ifnull'], [2], (ctx) => {
  const { type, sql } = commonArgs(ctx, ctx.args);
  return simple(ctx, `coalesce(${sql.join(', ')})`, type);
});
register('nvl2', [3], (ctx) => {
  const { type, sql } = commonArgs(ctx, ctx.args.slice(1));
  return simple(ctx, `(CASE WHEN ${ctx.args[0].sql} IS NOT NULL THEN ${sql[0]} ELSE ${sql[1]} END)`, type);
});
register('nullif', [2], (ctx) => {
  const [l, r] = ctx.exprs.comparable(ctx.args[0], ctx.args[1], 'nullif');
  return simple(ctx, `(CASE WHEN ${l.sql} = ${r.sql} THEN NULL ELSE ${ctx.args[0].sql} END)`, ctx.args[0].type);
});
register(['if', 'iff'], [3], (ctx) => {
  const condition = bool(ctx, 0);
  const { type, sql } = commonArgs(ctx, ctx.args.slice(1));
  const name = `(IF(${ctx.args.map((a) => a.name).join(', ')}))`;
  return simple(ctx, `(CASE WHEN ${condition.sql} THEN ${sql[0]} ELSE ${sql[1]} END)`, type, ctx.args, name);
});
register('nanvl', [2], (ctx) => {
  const a = numeric(ctx, 0);
  const b = numeric(ctx, 1);
  const type = a.type.kind === 'float' && b.type.kind === 'float' ? T.float : T.double;
  const x = castTo(a, type, 'implicit').sql;
  return simple(ctx, `(CASE WHEN isnan(${x}) THEN ${castTo(b, type, 'implicit').sql} ELSE ${x} END)`, type);
});
register(['isnull'], [1], (ctx) => simple(ctx, `(${ctx.args[0].sql} IS NULL)`, T.boolean, ctx.args, `(${ctx.args[0].name} IS NULL)`));
register(['isnotnull'], [1], (ctx) => simple(ctx, `(${ctx.args[0].sql} IS NOT NULL)`, T.boolean, ctx.args, `(${ctx.args[0].name} IS NOT NULL)`));
register('equal_null', [2], (ctx) => {
  const [l, r] = ctx.exprs.comparable(ctx.args[0], ctx.args[1], 'equal_null');
  return simple(ctx, `(${l.sql} IS NOT DISTINCT FROM ${r.sql})`, T.boolean);
});
register('nullifzero', [1], (ctx) => {
  const a = ctx.args[0];
  if (a.type.kind === 'string' && a.literal && typeof a.literal.value === 'string') {
    // Spark compares the string with 0 as a number (ANSI: a malformed string raises).
    const n = castTo(a, T.double, 'explicit');
    return simple(ctx, Number(n.literal?.value ?? a.literal.value) === 0 ? 'CAST(NULL AS VARCHAR)' : a.sql, T.string);
  }
  if (!isNumeric(a.type) && a.type.kind !== 'void') throw mismatch(ctx.name, a, 'a numeric type');
  if (a.type.kind === 'void') return simple(ctx, 'CAST(NULL AS INTEGER)', T.int);
  return simple(ctx, `(CASE WHEN ${a.sql} = 0 THEN NULL ELSE ${a.sql} END)`, a.type);
});
register('zeroifnull', [1], (ctx) => {
  const a = ctx.args[0];
  if (!isNumeric(a.type) && a.type.kind !== 'void') throw mismatch(ctx.name, a, 'a numeric type');
  if (a.type.kind === 'void') return simple(ctx, 'CAST(0 AS INTEGER)', T.int);
  return simple(ctx, `coalesce(${a.sql}, 0)`, a.type);
});
register(['greatest', 'least'], [2, Infinity], (ctx) => {
  const { type, sql } = commonArgs(ctx, ctx.args);
  // Spark skips NULL arguments, as DuckDB's greatest/least do.
  return simple(ctx, `${ctx.name}(${sql.join(', ')})`, type);
});
register('decode', [2, Infinity], (ctx) => {
  if (ctx.args.length === 2) {
    const charset = literalString(ctx, 1, 'charset');
    if (ctx.args[0].type.kind !== 'binary' && ctx.args[0].type.kind !== 'void') throw mismatch('decode', ctx.args[0], 'a binary');
    if (charset === null) return simple(ctx, nullOf(T.string), T.string);
    if (!/^utf-?8$/i.test(charset)) throw new Refusal(`decode with the charset ${charset}`);
    return simple(ctx, `spark_binary_to_string(${ctx.args[0].sql})`, T.string);
  }
  // decode(expr, search, result, ..., default): Oracle's CASE; NULL matches NULL.
  const [value, ...rest] = ctx.args;
  const pairs: [Typed, Typed][] = [];
  for (let i = 0; i + 1 < rest.length; i += 2) pairs.push([rest[i], rest[i + 1]]);
  const fallback = rest.length % 2 === 1 ? rest[rest.length - 1] : undefined;
  const results = [...pairs.map((p) => p[1]), ...(fallback ? [fallback] : [])];
  const { type, sql } = commonArgs(ctx, results);
  const whens = pairs.map(([search], i) => {
    const [l, r] = ctx.exprs.comparable(value, search, 'decode');
    return `WHEN ${l.sql} IS NOT DISTINCT FROM ${r.sql} THEN ${sql[i]}`;
  });
  return simple(ctx, `(CASE ${whens.join(' ')}${fallback ? ` ELSE ${sql[sql.length - 1]}` : ''} END)`, type);
});

// ---------------------------------------------------------------- strings

register(['concat'], [0, Infinity], (ctx) => {
  if (ctx.args.length === 0) return simple(ctx, "''", T.string);
  const binary = ctx.args.every((a) => a.type.kind === 'binary');
  if (binary) return simple(ctx, `(${ctx.args.map((a) => a.sql).join(' || ')})`, T.binary);
  const parts = ctx.args.map((_, i) => str(ctx, i));
  if (parts.every((p) => p.literal && typeof p.literal.value === 'string')) {
    const value = parts.map((p) => p.literal!.value as string).join('');
    return { sql: quoteString(value), type: T.string, name: display(ctx), agg: false, win: false, constant: true, literal: { value } };
  }
  const name = ctx.call.syntax === '||' ? `concat(${ctx.args.map((a) => a.name).join(', ')})` : display(ctx);
  // Spark's concat is NULL when any argument is NULL, as DuckDB's || is.
  return simple(ctx, `(${parts.map((p) => p.sql).join(' || ')})`, T.string, ctx.args, name);
});
register('concat_ws', [1, Infinity], (ctx) => {
  const sep = str(ctx, 0);
  const parts = ctx.args.slice(1).map((a, i) => {
    if (a.type.kind === 'array') {
      if (a.type.element.kind !== 'string') throw mismatch('concat_ws', a, 'strings or arrays of strings');
      return `array_to_string(list_filter(${a.sql}, x -> x IS NOT NULL), ${sep.sql})`;
    }
    return str(ctx, i + 1).sql;
  });
  if (parts.length === 0) return simple(ctx, `(CASE WHEN ${sep.sql} IS NULL THEN NULL ELSE '' END)`, T.string);
  // Spark skips NULL values (not the separator), as DuckDB's concat_ws does.
  return simple(ctx, `(CASE WHEN ${sep.sql} IS NULL THEN NULL ELSE concat_ws(${sep.sql}, ${parts.join(', ')}) END)`, T.string);
});
register(['length', 'char_length', 'character_length', 'len'], [1], (ctx) => {
  const a = ctx.args[0];
  if (a.type.kind === 'binary') return simple(ctx, `CAST(octet_length(${a.sql}) AS INTEGER)`, T.int);
  return simple(ctx, `CAST(length(${str(ctx, 0).sql}) AS INTEGER)`, T.int);
});
register(['octet_length'], [1], (ctx) => {
  const a = ctx.args[0];
  if (a.type.kind === 'binary') return simple(ctx, `CAST(octet_length(${a.sql}) AS INTEGER)`, T.int);
  return simple(ctx, `CAST(octet_length(encode(${str(ctx, 0).sql})) AS INTEGER)`, T.int);
});
register(['upper', 'ucase'], [1], (ctx) => simple(ctx, `spark_upper(${str(ctx, 0).sql})`, T.string));
register(['lower', 'lcase'], [1], (ctx) => simple(ctx, `spark_lower(${str(ctx, 0).sql})`, T.string));
register('reverse', [1], (ctx) => {
  if (ctx.args[0].type.kind === 'array') return simple(ctx, `list_reverse(${ctx.args[0].sql})`, ctx.args[0].type);
  return simple(ctx, `spark_reverse(${str(ctx, 0).sql})`, T.string);
});
register('replace', [2, 3], (ctx) => {
  const s = str(ctx, 0);
  const search = str(ctx, 1);
  const replacement = ctx.args.length === 3 ? str(ctx, 2).sql : "''";
  // Spark returns the input unchanged for an empty search string; DuckDB's replace too.
  const name = `replace(${ctx.args.map((a) => a.name).join(', ')}${ctx.args.length === 2 ? ', ' : ''})`;
  return simple(ctx, `replace(${s.sql}, ${search.sql}, ${replacement})`, T.string, ctx.args, name);
});
register('uuid', [0], (ctx) => ({ ...simple(ctx, 'CAST(gen_random_uuid() AS VARCHAR)', T.string), constant: false }));
register(['position', 'locate'], [2, 3], (ctx) => {
  const needle = str(ctx, 0);
  const hay = str(ctx, 1);
  const start = ctx.args.length === 3 ? int(ctx, 2).sql : '1';
  const name = ctx.name === 'position' && ctx.call.syntax === 'in' ? `locate(${ctx.args[0].name}, ${ctx.args[1].name}, 1)` : `${ctx.name}(${ctx.args.map((a) => a.name).join(', ')}${ctx.args.length === 2 ? ', 1' : ''})`;
  // Spark: 0 when not found or when start < 1; NULL when any argument is NULL.
  const sql = `(CASE WHEN ${needle.sql} IS NULL OR ${hay.sql} IS NULL OR ${start} IS NULL THEN NULL WHEN ${start} < 1 THEN 0 ELSE CAST(coalesce(nullif(strpos(substr(${hay.sql}, ${start}), ${needle.sql}), 0) + ${start} - 1, 0) AS INTEGER) END)`;
  return simple(ctx, sql, T.int, ctx.args, name);
});
register('instr', [2], (ctx) => simple(ctx, `CAST(strpos(${str(ctx, 0).sql}, ${str(ctx, 1).sql}) AS INTEGER)`, T.int));
register('left', [2], (ctx) => {
  const s = str(ctx, 0);
  const n = int(ctx, 1);
  return simple(ctx, `(CASE WHEN ${n.sql} <= 0 THEN (CASE WHEN ${s.sql} IS NULL THEN NULL ELSE '' END) ELSE left(${s.sql}, ${n.sql}) END)`, T.string);
});
register('right', [2], (ctx) => {
  const s = str(ctx, 0);
  const n = int(ctx, 1);
  return simple(ctx, `(CASE WHEN ${n.sql} <= 0 THEN (CASE WHEN ${s.sql} IS NULL THEN NULL ELSE '' END) ELSE right(${s.sql}, ${n.sql}) END)`, T.string);
});
register(['substr', 'substring'], [2, 3], (ctx) => {
  if (ctx.args[0].type.kind === 'binary') throw new Refusal(`${ctx.name} of a binary`);
  const s = str(ctx, 0);
  const pos = int(ctx, 1);
  const len = ctx.args.length === 3 ? int(ctx, 2) : undefined;
  const fn = ctx.call.syntax === 'from' ? 'substring' : ctx.name;
  const name = `${fn}(${ctx.args.map((a) => a.name).join(', ')}${len ? '' : ', 2147483647'})`;
  return simple(ctx, `spark_substr(${s.sql}, ${pos.sql}, ${len ? len.sql : '2147483647'})`, T.string, ctx.args, name);
});
register('split_part', [3], (ctx) => {
  const s = str(ctx, 0);
  const d = str(ctx, 1);
  const n = int(ctx, 2);
  return simple(ctx, `spark_split_part(${s.sql}, ${d.sql}, ${n.sql})`, T.string);
});
register(['trim', 'ltrim', 'rtrim', 'btrim'], [1, 2], (ctx) => {
  const mode = ctx.call.syntax?.startsWith('trim_') ? ctx.call.syntax.slice(5) : { trim: 'both', btrim: 'both', ltrim: 'leading', rtrim: 'trailing' }[ctx.name]!;
  const fn = { both: 'trim', leading: 'ltrim', trailing: 'rtrim' }[mode]!;
  const binaryArgs = ctx.args.map((a) => (a.type.kind === 'binary' ? { ...a, sql: `spark_binary_to_string(${a.sql})`, type: T.string } : a));
  const c2 = { ...ctx, args: binaryArgs };
  const s = str(c2, 0);
  // Spark trims only the space character by default; DuckDB's trim(x) does the same.
  const chars = ctx.args.length === 2 ? str(c2, 1).sql : "' '";
  const name = ctx.call.syntax?.startsWith('trim_') ? `TRIM(${mode.toUpperCase()}${ctx.args.length === 2 ? ` ${ctx.args[1].name}` : ''} FROM ${ctx.args[0].name})` : display(ctx);
  return simple(ctx, `${fn}(${s.sql}, ${chars})`, T.string, ctx.args, name);
});
for (const side of ['lpad', 'rpad'] as const) {
  register(side, [2, 3], (ctx) => {
    const first = ctx.args[0];
    const pad = ctx.args[2];
    const n = int(ctx, 1);
    if (first.type.kind === 'binary' && (!pad || pad.type.kind === 'binary')) {
      // Binary padding: pad the hex digits (two per byte), then decode.
      const padHex = pad ? `hex(${pad.sql})` : "'00'";
      const name = `${side}(${first.name}, ${ctx.args[1].name}, ${pad ? pad.name : "X'00'"})`;
      return simple(ctx, `spark_binary_pad(${first.sql}, ${n.sql}, ${padHex}, ${side === 'lpad'})`, T.binary, ctx.args, name);
    }
    const c2 = { ...ctx, args: ctx.args.map((a) => (a.type.kind === 'binary' ? { ...a, sql: `spark_binary_to_string(${a.sql})`, type: T.string } : a)) };
    const s = str(c2, 0);
    const p = pad ? str(c2, 2).sql : "' '";
    const name = `${side}(${ctx.args.map((a) => a.name).join(', ')}${pad ? '' : ',  '})`;
    return simple(ctx, `spark_pad(${s.sql}, ${n.sql}, ${p}, ${side === 'lpad'})`, T.string, ctx.args, name);
  });
}
register('repeat', [2], (ctx) => simple(ctx, `repeat(${str(ctx, 0).sql}, greatest(${int(ctx, 1).sql}, 0))`, T.string));
register('ascii', [1], (ctx) => simple(ctx, `CAST(coalesce(nullif(ascii(${str(ctx, 0).sql}), 0), 0) AS INTEGER)`, T.int));
register(['contains', 'startswith', 'endswith'], [2], (ctx) => {
  const [a, b] = ctx.args;
  const fn = { contains: 'contains', startswith: 'starts_with', endswith: 'ends_with' }[ctx.name]!;
  if (a.type.kind === 'binary' || b.type.kind === 'binary') {
    const asHex = (t: Typed) => (t.type.kind === 'binary' ? `hex(${t.sql})` : t.type.kind === 'void' ? nullOf(T.string) : undefined);
    const ha = asHex(a);
    const hb = asHex(b);
    if (!ha || !hb) throw new Refusal(`${ctx.name} between a binary and a ${typeName(a.type.kind === 'binary' ? b.type : a.type)}`);
    // Compare whole bytes: hex digits in pairs.
    const sql =
      ctx.name === 'contains'
        ? `(CASE WHEN ${ha} IS NULL OR ${hb} IS NULL THEN NULL ELSE list_contains(list_transform(range(0, length(${ha}) - length(${hb}) + 1, 2), i -> substr(${ha}, i + 1, length(${hb})) = ${hb}), true) END)`
        : `${fn}(${ha}, ${hb})`;
    return simple(ctx, sql, T.boolean);
  }
  const sa = str(ctx, 0);
  const sb = str(ctx, 1);
  return simple(ctx, `${fn}(${sa.sql}, ${sb.sql})`, T.boolean);
});
register('hex', [1], (ctx) => {
  const a = ctx.args[0];
  if (a.type.kind === 'binary') return simple(ctx, `upper(hex(${a.sql}))`, T.string);
  if (a.type.kind === 'string') return simple(ctx, `upper(hex(encode(${a.sql})))`, T.string);
  if (isIntegral(a.type)) return simple(ctx, `upper(hex(CAST(${a.sql} AS BIGINT)))`, T.string);
  if (a.type.kind === 'void') return simple(ctx, nullOf(T.string), T.string);
  throw mismatch('hex', a, 'a bigint, binary or string');
});
register('unhex', [1], (ctx) => {
  const s = str(ctx, 0);
  // Spark returns NULL for text that is not hex; an odd length gets a leading 0.
  return simple(ctx, `(CASE WHEN regexp_matches(${s.sql}, '^[0-9A-Fa-f]*$') THEN unhex(CASE WHEN length(${s.sql}) % 2 = 1 THEN '0' || ${s.sql} ELSE ${s.sql} END) END)`, T.binary);
});
register('encode', [2], (ctx) => {
  const charset = literalString(ctx, 1, 'charset');
  if (charset === null) return simple(ctx, nullOf(T.binary), T.binary);
  if (!/^utf-?8$/i.test(charset)) throw new Refusal(`encode with the charset ${charset}`);
  return simple(ctx, `encode(${str(ctx, 0).sql})`, T.binary);
});
register('to_binary', [1, 2], (ctx) => {
  if (ctx.args.length === 2 && ctx.args[1].type.kind === 'string' && !ctx.args[1].literal && ctx.args[1].constant) throw new Refusal('to_binary with a computed format');
  if (ctx.args.length === 2 && !(ctx.args[1].type.kind === 'string' && ctx.args[1].literal) && ctx.args[1].type.kind !== 'void') {
    throw new SparkSqlError('INVALID_PARAMETER_VALUE.BINARY_FORMAT', "the 'format' parameter of function 'to_binary' needs to be a string literal");
  }
  const format = ctx.args.length === 2 ? literalString(ctx, 1, 'format') : 'hex';
  if (format === null) return simple(ctx, nullOf(T.binary), T.binary);
  const s = str(ctx, 0);
  switch (format.toLowerCase()) {
    case 'utf-8':
    case 'utf8':
      return simple(ctx, `encode(${s.sql})`, T.binary);
    case 'hex':
      return simple(ctx, `(CASE WHEN ${s.sql} IS NULL THEN NULL WHEN regexp_matches(${s.sql}, '^[0-9A-Fa-f]*$') THEN unhex(CASE WHEN length(${s.sql}) % 2 = 1 THEN '0' || ${s.sql} ELSE ${s.sql} END) ELSE ${raise('CONVERSION_INVALID_INPUT', 'the value is not a valid hex string')} END)`, T.binary);
    case 'base64':
      throw new Refusal('to_binary with the base64 format', 'Java and the local engine decode base64 differently');
    default:
      throw new SparkSqlError('INVALID_PARAMETER_VALUE.BINARY_FORMAT', `invalid value for the 'format' parameter of function 'to_binary': ${format.toLowerCase()}`);
  }
});
register('typeof', [1], (ctx) => {
  const type = typeName(ctx.args[0].type);
  return { sql: quoteString(type), type: T.string, name: display(ctx), agg: ctx.args[0].agg, win: ctx.args[0].win, constant: true, literal: { value: type } };
});
register('split', [2, 3], (ctx) => {
  const pattern = literalString(ctx, 1, 'pattern');
  const limit = ctx.args.length === 3 ? literalInt(ctx, 2) : -1;
  if (limit === undefined) throw new Refusal('split with a computed limit');
  if (pattern === null) return simple(ctx, nullOf(T.array(T.string)), T.array(T.string));
  const name = `split(${ctx.args.map((a) => a.name).join(', ')}${ctx.args.length === 2 ? ', -1' : ''})`;
  if (limit > 0) throw new Refusal('split with a positive limit');
  if (!/[\\^$.|?*+()[\]{}]/.test(pattern) && pattern !== '') return simple(ctx, `string_split(${str(ctx, 0).sql}, ${quoteString(pattern)})`, T.array(T.string), ctx.args, name);
  // A regular expression: only patterns that mean the same in Java and RE2 and never match the empty string.
  checkPortableRegex(pattern, 'split');
  let matchesEmpty: boolean;
  try {
    matchesEmpty = new RegExp(`^(?:${pattern})$`).test('');
  } catch {
    throw new Refusal('split with this regular expression');
  }
  if (matchesEmpty || /\\[^dDsSwW.\\[\](){}*+?^$|-]/.test(pattern)) throw new Refusal('split with a regular expression that can match the empty string');
  return simple(ctx, `regexp_split_to_array(${str(ctx, 0).sql}, ${quoteString(pattern)})`, T.array(T.string), ctx.args, name);
});
register('initcap', [1], () => {
  throw new Refusal('the function initcap', 'its word boundaries differ between the engines');
});

// ---------------------------------------------------------------- math

register('abs', [1], (ctx) => {
  const a = numeric(ctx, 0);
  return simple(ctx, `abs(${a.sql})`, a.type);
});
register(['negative'], [1], (ctx) => {
  const a = numeric(ctx, 0);
  return simple(ctx, `(-${a.sql})`, a.type);
});
register(['positive'], [1], (ctx) => simple(ctx, numeric(ctx, 0).sql, ctx.args[0].type));
register(['sign', 'signum'], [1], (ctx) => simple(ctx, `CAST(sign(${toDouble(ctx, 0).sql}) AS DOUBLE)`, T.double));
register('sqrt', [1], (ctx) => {
  // IEEE square roots are correctly rounded in both engines; Spark returns NaN for a negative input.
  const x = toDouble(ctx, 0).sql;
  return simple(ctx, `(CASE WHEN ${x} < 0 THEN CAST('NaN' AS DOUBLE) ELSE sqrt(${x}) END)`, T.double, ctx.args, `SQRT(${ctx.args[0].name})`);
});
register(['ceil', 'ceiling', 'floor'], [1], (ctx) => {
  const a = numeric(ctx, 0);
  const fn = ctx.name === 'floor' ? 'floor' : 'ceil';
  if (a.type.kind === 'decimal') {
    const type = T.decimal(Math.min(38, a.type.precision - a.type.scale + 1), 0);
    return simple(ctx, `CAST(${fn}(${a.sql}) AS ${duckType(type)})`, type, ctx.args, `${fn.toUpperCase()}(${a.name})`);
  }
  if (isIntegral(a.type)) return simple(ctx, `CAST(${a.sql} AS BIGINT)`, T.bigint, ctx.args, `${fn.toUpperCase()}(${a.name})`);
  return simple(ctx, `CAST(${fn}(CAST(${a.sql} AS DOUBLE)) AS BIGINT)`, T.bigint, ctx.args, `${fn.toUpperCase()}(${a.name})`);
});
register('round', [1, 2], (ctx) => {
  const a = numeric(ctx, 0);
  const scale = ctx.args.length === 2 ? literalInt(ctx, 1) : 0;
  if (scale === undefined) throw new SparkSqlError('DATATYPE_MISMATCH.NON_FOLDABLE_INPUT', 'the scale of round must be an integer literal');
  if (isIntegral(a.type)) {
    if (scale >= 0) return simple(ctx, a.sql, a.type);
    // round(int, -n): HALF_UP at a power of ten; the result keeps the type and raises on overflow.
    const p = 10n ** BigInt(-scale);
    return simple(ctx, `CAST(spark_round_half_up_int(CAST(${a.sql} AS HUGEINT), CAST(${p} AS HUGEINT)) AS ${duckType(a.type)})`, a.type);
  }
  if (a.type.kind === 'decimal') {
    const s = Math.max(0, Math.min(scale, a.type.scale));
    if (scale < 0) throw new Refusal('round of a decimal to a negative scale');
    const type = T.decimal(Math.min(38, a.type.precision - a.type.scale + s + 1), s);
    return simple(ctx, `CAST(round(${a.sql}, ${s}) AS ${duckType(type)})`, type);
  }
  if (a.type.kind === 'double' && scale >= 0 && scale <= 22) {
    // Spark rounds the double's shortest decimal text (Scala's BigDecimal(d)) half up; DuckDB prints the same
    // shortest text, and its decimal cast rounds half up. Doubles of 2^53 and more have no fraction to round.
    const x = a.sql;
    return simple(ctx, `(CASE WHEN isnan(${x}) OR isinf(${x}) OR abs(${x}) >= 9007199254740992 THEN ${x} ELSE CAST(CAST(CAST(${x} AS VARCHAR) AS DECIMAL(38,${scale})) AS DOUBLE) END)`, T.double);
  }
  throw new Refusal(a.type.kind === 'double' ? `round of a double ${scale < 0 ? 'to a negative scale' : 'to more than 22 decimals'}` : `round of a ${typeName(a.type)}`, 'Spark rounds its decimal expansion');
});
register('mod', [2], (ctx) => ctx.exprs.expr({ k: 'bin', op: '%', left: ctx.call.args[0], right: ctx.call.args[1] }, ctx.scope, ctx.options));
register('pmod', [2], (ctx) => {
  const [a, b] = [ctx.args[0], ctx.args[1]];
  if (!isIntegral(a.type) || !isIntegral(b.type)) throw new Refusal('pmod of non-integral values');
  const type = ctx.exprs.commonOf([a, b], 'pmod');
  const l = castTo(a, type, 'implicit').sql;
  const r = castTo(b, type, 'implicit').sql;
  return simple(ctx, `(CASE WHEN ${r} = 0 THEN ${raise('DIVIDE_BY_ZERO', 'Division by zero')} ELSE CAST(((${l} % ${r}) + ${r}) % ${r} AS ${duckType(type)}) END)`, type);
});

// ---------------------------------------------------------------- dates

/** `current_date()` parses only in some Spark versions (a reserved word in ANSI mode); `current_date` always does. */
function refuseParens(name: string): never {
  throw new Refusal(`${name}() with parentheses`, `write ${name} without them`);
}

register('current_date', [0], (ctx) => ctx.call.syntax !== 'keyword' ? refuseParens('current_date') : ({ ...simple(ctx, 'current_date', T.date, [], 'current_date()'), constant: false }));
register(['current_timestamp', 'now'], [0], (ctx) => ctx.call.syntax !== 'keyword' && ctx.name === 'current_timestamp' ? refuseParens('current_timestamp') : ({ ...simple(ctx, 'get_current_timestamp()', T.timestamp, [], 'current_timestamp()'), constant: false }));
register(['date_add', 'date_sub', 'dateadd'], [2], (ctx) => {
  const d = date(ctx, 0);
  const n = ctx.args[1];
  let days: Typed;
  if (n.type.kind === 'int' || n.type.kind === 'smallint' || n.type.kind === 'tinyint' || n.type.kind === 'void') days = n;
  else if (n.type.kind === 'string' && n.literal) {
    if (!/^[\x00-\x20]*[+-]?\d+[\x00-\x20]*$/.test(String(n.literal.value))) {
      throw new SparkSqlError('SECOND_FUNCTION_ARGUMENT_NOT_INTEGER', `the second argument of ${ctx.name} must be an integer`);
    }
    days = castTo(n, T.int, 'explicit');
  } else throw mismatch(ctx.name, n, 'an int, smallint or tinyint');
  const t = ctx.exprs.dateAdd(d, days, ctx.name === 'date_sub');
  return { ...t, name: display(ctx) };
});
register('datediff', [2], (ctx) => simple(ctx, `CAST(${date(ctx, 0).sql} - ${date(ctx, 1).sql} AS INTEGER)`, T.int));
for (const [name, part] of [
  ['year', 'year'],
  ['month', 'month'],
  ['day', 'day'],
  ['dayofmonth', 'day'],
  ['quarter', 'quarter'],
  ['dayofyear', 'dayofyear'],
] as const) {
  register(name, [1], (ctx) => simple(ctx, `CAST(${part}(${date(ctx, 0).sql}) AS INTEGER)`, T.int));
}
register('dayofweek', [1], (ctx) => simple(ctx, `CAST(dayofweek(${date(ctx, 0).sql}) + 1 AS INTEGER)`, T.int));
register('weekday', [1], (ctx) => simple(ctx, `CAST(isodow(${date(ctx, 0).sql}) - 1 AS INTEGER)`, T.int));
register('weekofyear', [1], (ctx) => simple(ctx, `CAST(weekofyear(${date(ctx, 0).sql}) AS INTEGER)`, T.int));
register('last_day', [1], (ctx) => simple(ctx, `last_day(${date(ctx, 0).sql})`, T.date));
register('add_months', [2], (ctx) => simple(ctx, `CAST(${date(ctx, 0).sql} + to_months(${int(ctx, 1).sql}) AS DATE)`, T.date));
register('date_from_unix_date', [1], (ctx) => simple(ctx, `CAST(DATE '1970-01-01' + ${int(ctx, 0).sql} AS DATE)`, T.date));
register('unix_date', [1], (ctx) => {
  if (ctx.args[0].type.kind !== 'date' && ctx.args[0].type.kind !== 'void') throw mismatch('unix_date', ctx.args[0], 'a date');
  return simple(ctx, `CAST(${date(ctx, 0).sql} - DATE '1970-01-01' AS INTEGER)`, T.int);
});
register('to_date', [1, 2], (ctx) => {
  const a = ctx.args[0];
  if (ctx.args.length === 2) {
    const format = literalString(ctx, 1, 'format');
    if (format === null) return simple(ctx, nullOf(T.date), T.date);
    if (a.type.kind !== 'string' && a.type.kind !== 'void') return simple(ctx, date(ctx, 0).sql, T.date);
    // With a pattern, Spark parses the whole text strictly with it; fields it lacks default to 1970-01-01.
    const { regex, fields } = datePattern(format);
    const s = str(ctx, 0).sql;
    const part = (name: string, fallback: number) => (fields.includes(name) ? `CAST(regexp_extract(${s}, ${quoteString(regex)}, ${fields.indexOf(name) + 1}) AS BIGINT)` : String(fallback));
    const parse = `make_date(${part('y', 1970)}, ${part('M', 1)}, ${part('d', 1)})`;
    return simple(ctx, `(CASE WHEN ${s} IS NULL THEN NULL WHEN regexp_matches(${s}, ${quoteString(regex)}) THEN ${parse} ELSE ${raise('CANNOT_PARSE_TIMESTAMP', `the text does not match the pattern ${format}`)} END)`, T.date);
  }
  return simple(ctx, date(ctx, 0).sql, T.date);
});

/**
 * A Java date pattern made of numeric year, month and day fields (yyyy, M, MM, d, dd) and separators, as a regular
 * expression with one group per field. Text fields (MMM, E, …) are refused; five or more letters are an error in
 * Spark's parser.
 */
function datePattern(pattern: string): { regex: string; fields: string[] } {
  let regex = '^';
  const fields: string[] = [];
  for (let i = 0; i < pattern.length; ) {
    const ch = pattern[i];
    let run = 1;
    while (pattern[i + run] === ch) run++;
    if (/[A-Za-z]/.test(ch)) {
      if (run >= 5) throw new SparkSqlError('INCONSISTENT_BEHAVIOR_CROSS_VERSION.DATETIME_PATTERN_RECOGNITION', `fail to recognize '${pattern}' pattern in the DateTimeFormatter`);
      if (ch === 'y' && run === 4) regex += '([0-9]{4})';
      else if ((ch === 'M' || ch === 'd') && run <= 2) regex += run === 1 ? '([0-9]{1,2})' : '([0-9]{2})';
      else throw new Refusal(`to_date with the pattern letter ${ch.repeat(run)}`, 'Java date patterns are not reproduced beyond yyyy, M, MM, d and dd');
      if (fields.includes(ch === 'y' ? 'y' : ch)) throw new Refusal('to_date with a repeated pattern field');
      fields.push(ch === 'y' ? 'y' : ch);
    } else if ('-/.: ,'.includes(ch)) regex += ch.replace(/[.]/, '\\.').repeat(run);
    else throw new Refusal(`to_date with the pattern character ${ch}`);
    i += run;
  }
  return { regex: `${regex}$`, fields };
}
register('next_day', [2], (ctx) => {
  const a = ctx.args[0];
  if (a.type.kind !== 'date' && a.type.kind !== 'string' && a.type.kind !== 'void') throw mismatch('next_day', a, 'a date');
  const d = date(ctx, 0);
  const dow = str(ctx, 1);
  return simple(ctx, `spark_next_day(${d.sql}, ${dow.sql})`, T.date);
});
register('to_timestamp_ntz', [1], (ctx) => {
  const a = ctx.args[0];
  if (a.type.kind === 'timestamp' || a.type.kind === 'date' || a.type.kind === 'timestamp_ntz') return simple(ctx, `CAST(${a.sql} AS TIMESTAMP)`, T.timestampNtz);
  throw new Refusal(`to_timestamp_ntz of a ${typeName(a.type)}`);
});
register('timestamp_seconds', [1], (ctx) => {
  const a = ctx.args[0];
  if (!isIntegral(a.type) && a.type.kind !== 'void') throw new Refusal('timestamp_seconds of a non-integral value');
  return simple(ctx, `to_timestamp(CAST(${a.type.kind === 'void' ? 'NULL' : a.sql} AS BIGINT))`, T.timestamp);
});
register(['date', 'timestamp', 'int', 'bigint', 'smallint', 'tinyint', 'double', 'float', 'string', 'boolean', 'decimal', 'binary'], [1], (ctx) => {
  const targets: Record<string, SparkType> = { date: T.date, timestamp: T.timestamp, int: T.int, bigint: T.bigint, smallint: T.smallint, tinyint: T.tinyint, double: T.double, float: T.float, string: T.string, boolean: T.boolean, decimal: T.decimal(10, 0), binary: T.binary };
  const t = castTo(ctx.args[0], targets[ctx.name], 'explicit');
  return { ...t, name: display(ctx) };
});

// ---------------------------------------------------------------- complex types

register(['struct'], [1, Infinity], (ctx) => {
  const fields = ctx.args.map((a, i) => {
    const expr = ctx.call.args[i];
    const named = expr.k === 'col' ? expr.parts[expr.parts.length - 1] : undefined;
    return { name: named ?? `col${i + 1}`, value: a };
  });
  return ctx.exprs.struct(fields, display(ctx));
});
register('named_struct', [2, Infinity], (ctx) => {
  if (ctx.args.length % 2 !== 0) throw new SparkSqlError('WRONG_NUM_ARGS', 'named_struct requires an even number of arguments');
  const fields: { name: string; value: Typed }[] = [];
  for (let i = 0; i < ctx.args.length; i += 2) {
    const key = ctx.args[i];
    if (key.type.kind !== 'string' || !key.literal) throw new SparkSqlError('DATATYPE_MISMATCH.CREATE_NAMED_STRUCT_WITHOUT_FOLDABLE_STRING', 'named_struct field names must be string literals');
    fields.push({ name: String(key.literal.value), value: ctx.args[i + 1] });
  }
  return ctx.exprs.struct(fields, display(ctx));
});
register('array', [0, Infinity], (ctx) => {
  if (ctx.args.length === 0) throw new Refusal('array() without elements');
  const { type, sql } = commonArgs(ctx, ctx.args);
  if (type.kind === 'void') throw new Refusal('an array of NULLs');
  return simple(ctx, `[${sql.join(', ')}]`, T.array(type));
});
register('map', [2, Infinity], (ctx) => {
  if (ctx.args.length % 2 !== 0) throw new SparkSqlError('WRONG_NUM_ARGS', 'map requires an even number of arguments');
  const keys = ctx.args.filter((_, i) => i % 2 === 0);
  const values = ctx.args.filter((_, i) => i % 2 === 1);
  const k = commonArgs(ctx, keys);
  const v = commonArgs(ctx, values);
  if (k.type.kind === 'void' || v.type.kind === 'void') throw new Refusal('a map with NULL keys or only NULL values');
  if (containsMap(k.type)) throw new SparkSqlError('DATATYPE_MISMATCH.INVALID_MAP_KEY_TYPE', 'a map cannot be a map key');
  // Duplicate keys raise in both engines (Spark's default mapKeyDedupPolicy is EXCEPTION).
  return simple(ctx, `MAP([${k.sql.join(', ')}], [${v.sql.join(', ')}])`, T.map(k.type, v.type));
});
register(['size', 'cardinality', 'array_size'], [1], (ctx) => {
  const a = ctx.args[0];
  // size and cardinality take an array or a map; array_size only an array.
  if (a.type.kind === 'map' && ctx.name !== 'array_size') return simple(ctx, `CAST(cardinality(${a.sql}) AS INTEGER)`, T.int);
  if (a.type.kind !== 'array') throw mismatch(ctx.name, a, ctx.name === 'array_size' ? 'an array' : 'an array or a map');
  // Spark (ANSI, legacy sizeOfNull off): NULL for a NULL array.
  return simple(ctx, `CAST(len(${a.sql}) AS INTEGER)`, T.int);
});
register('array_contains', [2], (ctx) => {
  const [a, v] = ctx.args;
  if (a.type.kind !== 'array') throw mismatch('array_contains', a, 'an array');
  if (!sameType(a.type.element, v.type)) throw new Refusal('array_contains with a value of another type');
  // Spark: NULL when the value is NULL, or when it is not found and the array has a NULL.
  return simple(ctx, `(CASE WHEN ${a.sql} IS NULL OR ${v.sql} IS NULL THEN NULL WHEN list_contains(${a.sql}, ${v.sql}) THEN true WHEN list_contains(list_transform(${a.sql}, x -> x IS NULL), true) THEN NULL ELSE false END)`, T.boolean);
});

