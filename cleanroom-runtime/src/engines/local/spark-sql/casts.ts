/**
 * CAST with Spark's ANSI semantics, emitted as DuckDB SQL. DuckDB's own casts differ in places (it rounds
 * 1.5 to 2 where Spark truncates, accepts '1.5' as an integer, prints doubles differently), so every cast
 * Spark allows is either emitted with a guard that raises Spark's error, or refused.
 */
import type { TypeSpec } from './ast';
import { isoDate, isoTimestamp, parseSparkDate, parseSparkTimestamp } from './datetime-text';
import { Refusal, SparkSqlError } from './errors';
import { derived, quoteString, raise, type Typed } from './typed';
import { duckType, isFractional, isIntegral, isNumeric, sameType, T, typeName, type SparkType } from './types';

export type CastMode = 'explicit' | 'implicit' | 'try';

/** A type written in SQL (`INT`, `decimal(10,2)`, `array<string>`), in Spark's names. */
export function typeFromSpec(spec: TypeSpec): SparkType {
  const name = spec.name;
  switch (name) {
    case 'boolean':
      return T.boolean;
    case 'tinyint':
    case 'byte':
      return T.tinyint;
    case 'smallint':
    case 'short':
      return T.smallint;
    case 'int':
    case 'integer':
      return T.int;
    case 'bigint':
    case 'long':
      return T.bigint;
    case 'float':
    case 'real':
      return T.float;
    case 'double':
      return T.double;
    case 'string':
      return T.string;
    case 'varchar':
    case 'char':
      // Spark casts to CHAR(n)/VARCHAR(n) as to STRING (replaceCharVarcharWithStringForCast); a length is required.
      if (spec.args.length !== 1) throw new SparkSqlError('DATATYPE_MISSING_SIZE', `${name.toUpperCase()} needs a length, e.g. ${name.toUpperCase()}(10)`);
      return T.string;
    case 'binary':
      return T.binary;
    case 'date':
      return T.date;
    case 'timestamp':
    case 'timestamp_ltz':
      return T.timestamp;
    case 'timestamp_ntz':
      return T.timestampNtz;
    case 'decimal':
    case 'dec':
    case 'numeric': {
      const [precision = 10, scale = 0] = spec.args;
      if (precision < 1 || precision > 38 || scale > precision) {
        throw new SparkSqlError('DECIMAL_PRECISION_EXCEEDS_MAX_PRECISION', `decimal(${precision},${scale}) is not a valid decimal type`);
      }
      return T.decimal(precision, scale);
    }
    case 'array':
      return T.array(typeFromSpec(spec.element!));
    case 'map':
      return T.map(typeFromSpec(spec.key!), typeFromSpec(spec.value!));
    case 'struct':
      return T.struct(spec.fields!.map((f) => ({ name: f.name, type: typeFromSpec(f.type) })));
    default:
      throw new SparkSqlError('UNSUPPORTED_DATATYPE', `unsupported data type "${name.toUpperCase()}"`);
  }
}

const WS = "'^[\\x00-\\x20]+|[\\x00-\\x20]+$'";
/** Spark trims ASCII whitespace and control characters before reading a number, date or boolean from a string. */
function trimmed(sql: string): string {
  return `regexp_replace(${sql}, ${WS}, '', 'g')`;
}

const INTEGER_TEXT = '^[+-]?[0-9]+$';
const NUMBER_TEXT = '^[+-]?([0-9]+\\.?[0-9]*|\\.[0-9]+)([eE][+-]?[0-9]+)?$';
const DOUBLE_SPECIAL: Record<string, string> = { nan: "'NaN'", infinity: "'Infinity'", '+infinity': "'Infinity'", '-infinity': "'-Infinity'", inf: "'Infinity'", '+inf': "'Infinity'", '-inf': "'-Infinity'" };

/**
 * CAST(t AS target). `implicit` is Spark's ANSI implicit cast (used for coercion; only widening and the
 * string-to-date/timestamp promotions Spark does); `try` returns NULL instead of raising.
 */
export function castTo(t: Typed, target: SparkType, mode: CastMode): Typed {
  const name = mode === 'implicit' ? t.name : `${mode === 'try' ? 'TRY_CAST' : 'CAST'}(${t.name} AS ${typeName(target).toUpperCase()})`;
  const out = (sql: string) => ({ ...derived(sql, target, name, [t]), literal: undefined });
  if (sameType(t.type, target)) return mode === 'implicit' ? t : { ...t, name };
  if (t.type.kind === 'void') return { ...out(`CAST(NULL AS ${duckType(target)})`), literal: { value: null } };
  if (mode === 'try') {
    // TRY_CAST: DuckDB's TRY_CAST differs in the same places as its CAST; only exact widenings are allowed.
    if (!lossless(t.type, target)) throw new Refusal(`TRY_CAST from ${typeName(t.type)} to ${typeName(target)}`);
    return out(`CAST(${t.sql} AS ${duckType(target)})`);
  }
  const literal = t.literal?.value;
  const from = t.type;
  const plain = () => out(`CAST(${t.sql} AS ${duckType(target)})`);
  const invalid = (what: string) => raise('CAST_INVALID_INPUT', `The value cannot be cast to ${what} because it is malformed`);

  if (isNumeric(from) && isNumeric(target)) {
    if (isIntegral(target) && (from.kind === 'decimal' || isFractional(from))) {
      // Spark truncates toward zero; DuckDB would round. NaN/Infinity and out-of-range values raise in both.
      return out(`CAST(trunc(${t.sql}) AS ${duckType(target)})`);
    }
    return plain();
  }
  if (from.kind === 'boolean' && isNumeric(target)) return out(`CAST(CAST(${t.sql} AS INTEGER) AS ${duckType(target)})`);
  if (isNumeric(from) && target.kind === 'boolean') {
    if (from.kind === 'decimal' || isFractional(from)) return out(`(${t.sql} <> 0)`);
    return plain();
  }
  if (from.kind === 'string') {
    if (typeof literal === 'string') return castStringLiteral(literal, t, target, name);
    if (isIntegral(target)) {
      const v = trimmed(t.sql);
      return out(`(CASE WHEN ${t.sql} IS NULL THEN NULL WHEN regexp_matches(${v}, '${INTEGER_TEXT}') THEN CAST(${v} AS ${duckType(target)}) ELSE ${invalid(typeName(target))} END)`);
    }
    if (target.kind === 'decimal' || isFractional(target)) {
      const v = trimmed(t.sql);
      const special = isFractional(target)
        ? ` WHEN lower(${v}) IN (${Object.keys(DOUBLE_SPECIAL).map((k) => `'${k}'`).join(', ')}) THEN CAST(CASE lower(${v}) ${Object.entries(DOUBLE_SPECIAL).map(([k, val]) => `WHEN '${k}' THEN ${val}`).join(' ')} END AS ${duckType(target)})`
        : '';
      return out(`(CASE WHEN ${t.sql} IS NULL THEN NULL WHEN regexp_matches(${v}, '${NUMBER_TEXT}') THEN CAST(${v} AS ${duckType(target)})${special} ELSE ${invalid(typeName(target))} END)`);
    }
    if (target.kind === 'boolean') {
      const v = `lower(${trimmed(t.sql)})`;
      return out(`(CASE WHEN ${t.sql} IS NULL THEN NULL WHEN ${v} IN ('t', 'true', 'y', 'yes', '1') THEN true WHEN ${v} IN ('f', 'false', 'n', 'no', '0') THEN false ELSE ${invalid('BOOLEAN')} END)`);
    }
    if (target.kind === 'date') return out(`spark_string_to_date(${t.sql})`);
    if (target.kind === 'timestamp') return out(`spark_string_to_timestamp(${t.sql})`);
    if (target.kind === 'binary') return out(`encode(${t.sql})`);
    throw new Refusal(`CAST from string to ${typeName(target)}`);
  }
  if (target.kind === 'string') {
    if (isIntegral(from) || from.kind === 'boolean') return plain();
    if (from.kind === 'decimal') return plain();
    if (from.kind === 'date') return out(`spark_date_to_string(${t.sql})`);
    if (from.kind === 'binary') return out(`spark_binary_to_string(${t.sql})`);
    throw new Refusal(`CAST from ${typeName(from)} to string`, 'its text form differs between the engines');
  }
  if (from.kind === 'date' && (target.kind === 'timestamp' || target.kind === 'timestamp_ntz')) return plain();
  if ((from.kind === 'timestamp' || from.kind === 'timestamp_ntz') && target.kind === 'date') return plain();
  if (from.kind === 'timestamp' && target.kind === 'timestamp_ntz') return plain();
  if (from.kind === 'timestamp_ntz' && target.kind === 'timestamp') return plain();
  if (mode === 'implicit') throw new Refusal(`the implicit cast from ${typeName(from)} to ${typeName(target)}`);
  throw new SparkSqlError('DATATYPE_MISMATCH.CAST_WITHOUT_SUGGESTION', `cannot cast ${typeName(from)} to ${typeName(target)}`);
}

/** A string literal cast at compile time, so its value is checked exactly as Spark reads it. */
function castStringLiteral(text: string, t: Typed, target: SparkType, name: string): Typed {
  const lit = (sql: string, value: string | boolean | null): Typed => ({ sql, type: target, name, agg: false, win: false, constant: true, literal: { value } });
  const bad = () => new SparkSqlError('CAST_INVALID_INPUT', `The value ${quoteString(text)} of the type "STRING" cannot be cast to "${typeName(target).toUpperCase()}" because it is malformed`);
  const value = text.replace(/^[\x00-\x20]+|[\x00-\x20]+$/g, '');
  if (isIntegral(target)) {
    if (!new RegExp(INTEGER_TEXT).test(value)) throw bad();
    const n = BigInt(value);
    const bits = { tinyint: 8, smallint: 16, int: 32, bigint: 64 }[target.kind as 'int'];
    const limit = 1n << BigInt(bits - 1);
    if (n < -limit || n >= limit) throw bad();
    return lit(`CAST(${n.toString()} AS ${duckType(target)})`, n.toString());
  }
  if (target.kind === 'decimal' || isFractional(target)) {
    const special = DOUBLE_SPECIAL[value.toLowerCase()];
    if (special && isFractional(target)) return lit(`CAST(${special} AS ${duckType(target)})`, special.slice(1, -1));
    if (!new RegExp(NUMBER_TEXT).test(value)) throw bad();
    return { ...lit(`CAST(${quoteString(value)} AS ${duckType(target)})`, value), literal: undefined };
  }
  if (target.kind === 'boolean') {
    const v = value.toLowerCase();
    if (['t', 'true', 'y', 'yes', '1'].includes(v)) return lit('true', true);
    if (['f', 'false', 'n', 'no', '0'].includes(v)) return lit('false', false);
    throw bad();
  }
  if (target.kind === 'date') {
    const parts = parseSparkDate(text);
    if (!parts) throw bad();
    return { ...lit(`DATE ${quoteString(isoDate(parts))}`, null), literal: undefined };
  }
  if (target.kind === 'timestamp' || target.kind === 'timestamp_ntz') {
    const parts = parseSparkTimestamp(text);
    if (!parts) throw bad();
    return { ...lit(timestampLiteralSql(isoTimestamp(parts), parts.zone, target.kind === 'timestamp_ntz'), null), literal: undefined };
  }
  if (target.kind === 'binary') return { ...lit(`encode(${t.sql})`, null), literal: undefined };
  throw new Refusal(`CAST from string to ${typeName(target)}`);
}

export function timestampLiteralSql(iso: string, zone: string | undefined, ntz: boolean): string {
  if (ntz) {
    if (zone) throw new SparkSqlError('INVALID_TYPED_LITERAL', 'a TIMESTAMP_NTZ literal cannot have a time zone');
    return `TIMESTAMP ${quoteString(iso)}`;
  }
  return `CAST(${quoteString(zone ? `${iso}${zone === 'Z' ? '+00:00' : zone}` : iso)} AS TIMESTAMPTZ)`;
}

/** Widenings whose DuckDB cast is exact and cannot fail. */
function lossless(from: SparkType, to: SparkType): boolean {
  const order = ['tinyint', 'smallint', 'int', 'bigint'];
  if (isIntegral(from) && isIntegral(to)) return order.indexOf(from.kind) <= order.indexOf(to.kind);
  if (isIntegral(from) && to.kind === 'double') return true;
  if (from.kind === 'float' && to.kind === 'double') return true;
  return false;
}
