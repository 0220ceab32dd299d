/**
 * What DuckDB needs before the sandbox is locked so that the compiled statements have Spark's semantics: session
 * settings (time zone, null ordering) and the macros the compiler calls for Spark functions whose DuckDB
 * counterparts differ. Macros are created once per sandbox, before `lock_configuration`.
 */

export interface SessionSetup {
  /** DuckDB settings, applied with SET before the lock. */
  settings: Record<string, string>;
  /** Statements (CREATE MACRO) run before the lock. */
  statements: string[];
}

const TRIM = "regexp_replace(s, '^[\\x00-\\x20]+|[\\x00-\\x20]+$', '', 'g')";
const DATE_RE = "'^([+-]?)([0-9]{4,7})(-([0-9]{1,2})(-([0-9]{1,2})([ T].*)?)?)?$'";
const TS_RE = "'^([+-]?)([0-9]{4,7})(-([0-9]{1,2})(-([0-9]{1,2})([ T]([0-9]{1,2}):([0-9]{1,2})(:([0-9]{1,2})(\\.([0-9]{1,9}))?)?)?)?)?$'";

const MACROS: string[] = [
  // Decimal helpers: unscaled integers of a decimal's text, powers of ten, division rounding half up (Java's HALF_UP).
  "CREATE MACRO spark_unscaled(x) AS CAST(replace(CAST(x AS VARCHAR), '.', '') AS HUGEINT)",
  "CREATE MACRO spark_pow10(k) AS CAST('1' || repeat('0', CAST(k AS BIGINT)) AS HUGEINT)",
  'CREATE MACRO spark_div_half_up(n, d) AS (CASE WHEN (n < 0) = (d < 0) THEN (2 * abs(n) + abs(d)) // (2 * abs(d)) ELSE -((2 * abs(n) + abs(d)) // (2 * abs(d))) END)',
  "CREATE MACRO spark_unscaled_text(q, s) AS ((CASE WHEN q < 0 THEN '-' ELSE '' END) || CAST(abs(q) // spark_pow10(s) AS VARCHAR) || (CASE WHEN s > 0 THEN '.' || lpad(CAST(abs(q) % spark_pow10(s) AS VARCHAR), CAST(s AS INTEGER), '0') ELSE '' END))",
  "CREATE MACRO spark_decimal_divide(a, b, sa, sb, s) AS (CASE WHEN a IS NULL OR b IS NULL THEN NULL WHEN b = 0 THEN error('[DIVIDE_BY_ZERO] Division by zero') ELSE spark_unscaled_text(spark_div_half_up(spark_unscaled(a) * spark_pow10(s - sa + sb), spark_unscaled(b)), s) END)",
  'CREATE MACRO spark_round_half_up_int(x, p) AS (CASE WHEN x >= 0 THEN ((x + p // 2) // p) * p ELSE -(((-x + p // 2) // p) * p) END)',
  // Strings.
  "CREATE MACRO spark_substr_from(s, start, n) AS (CASE WHEN greatest(start, 0) >= least(CAST(start AS BIGINT) + n, 2147483647) THEN '' ELSE substr(s, CAST(greatest(start, 0) + 1 AS BIGINT), CAST(least(CAST(start AS BIGINT) + n, 2147483647) - greatest(start, 0) AS BIGINT)) END)",
  'CREATE MACRO spark_substr(s, pos, n) AS (CASE WHEN s IS NULL OR pos IS NULL OR n IS NULL THEN NULL ELSE spark_substr_from(s, CASE WHEN pos > 0 THEN pos - 1 WHEN pos < 0 THEN length(s) + pos ELSE 0 END, n) END)',
  "CREATE MACRO spark_split_part(s, d, n) AS (CASE WHEN s IS NULL OR d IS NULL OR n IS NULL THEN NULL WHEN n = 0 THEN error('[ELEMENT_AT_BY_INDEX_ZERO] The index 0 is invalid') ELSE coalesce(list_extract(CASE WHEN d = '' THEN [s] ELSE string_split(s, d) END, n), '') END)",
  "CREATE MACRO spark_pad(s, n, p, leftside) AS (CASE WHEN s IS NULL OR n IS NULL OR p IS NULL THEN NULL WHEN n <= 0 THEN '' WHEN length(s) >= n OR p = '' THEN left(s, CAST(n AS INTEGER)) WHEN leftside THEN lpad(s, CAST(n AS INTEGER), p) ELSE rpad(s, CAST(n AS INTEGER), p) END)",
  'CREATE MACRO spark_binary_pad(b, n, padhex, leftside) AS (CASE WHEN b IS NULL OR n IS NULL OR padhex IS NULL THEN NULL ELSE unhex(spark_pad(hex(b), 2 * CAST(n AS BIGINT), padhex, leftside)) END)',
  "CREATE MACRO spark_binary_to_string(b) AS decode(b)",
  // Java reverses code points and applies full case mappings (ß → SS, final sigma); DuckDB keeps grapheme
  // clusters and maps one character to one. Reverse by code points; raise where the case mappings differ.
  "CREATE MACRO spark_reverse(s) AS array_to_string(list_reverse(regexp_extract_all(s, '(?s).')), '')",
  "CREATE MACRO spark_upper(s) AS (CASE WHEN regexp_matches(s, '[\\x{DF}\\x{149}\\x{1F0}\\x{390}\\x{3B0}\\x{587}\\x{1E96}-\\x{1E9A}\\x{1F50}-\\x{1F57}\\x{1F80}-\\x{1FFF}\\x{FB00}-\\x{FB17}]') THEN error('[LOCAL_REHEARSAL] upper() of characters with special case mappings (such as ß) is not reproduced locally; it runs on Databricks') ELSE upper(s) END)",
  "CREATE MACRO spark_lower(s) AS (CASE WHEN regexp_matches(s, '[\\x{130}\\x{3A3}]') THEN error('[LOCAL_REHEARSAL] lower() of İ or Σ (special case mappings) is not reproduced locally; it runs on Databricks') ELSE lower(s) END)",
  // Dates: Spark's string forms (yyyy, yyyy-m, yyyy-m-d and anything after ' ' or 'T'), ANSI errors on bad input.
  `CREATE MACRO spark_date_parts(s) AS regexp_extract(${TRIM}, ${DATE_RE}, ['sign', 'y', 'm_', 'm', 'd_', 'd'])`,
  'CREATE MACRO spark_make_date(p) AS make_date(CAST(p.y AS BIGINT) * (CASE WHEN p.sign = \'-\' THEN -1 ELSE 1 END), CAST(coalesce(nullif(p.m, \'\'), \'1\') AS BIGINT), CAST(coalesce(nullif(p.d, \'\'), \'1\') AS BIGINT))',
  `CREATE MACRO spark_string_to_date(s) AS (CASE WHEN s IS NULL THEN NULL WHEN regexp_matches(${TRIM}, ${DATE_RE}) THEN spark_make_date(spark_date_parts(s)) ELSE error('[CAST_INVALID_INPUT] The value ''' || s || ''' of the type "STRING" cannot be cast to "DATE" because it is malformed') END)`,
  "CREATE MACRO spark_parse_iso_date(s) AS (CASE WHEN s IS NULL THEN NULL WHEN regexp_matches(s, '^[0-9]{4}-[0-9]{2}-[0-9]{2}$') THEN CAST(s AS DATE) ELSE error('[CANNOT_PARSE_TIMESTAMP] Text ''' || s || ''' could not be parsed') END)",
  `CREATE MACRO spark_ts_parts(s) AS regexp_extract(${TRIM}, ${TS_RE}, ['sign', 'y', 'm_', 'm', 'd_', 'd', 't_', 'h', 'mi', 's_', 'sec', 'f_', 'f'])`,
  "CREATE MACRO spark_make_ts(p) AS make_timestamptz(CAST(p.y AS BIGINT) * (CASE WHEN p.sign = '-' THEN -1 ELSE 1 END), CAST(coalesce(nullif(p.m, ''), '1') AS BIGINT), CAST(coalesce(nullif(p.d, ''), '1') AS BIGINT), CAST(coalesce(nullif(p.h, ''), '0') AS BIGINT), CAST(coalesce(nullif(p.mi, ''), '0') AS BIGINT), CAST(coalesce(nullif(p.sec, ''), '0') AS DOUBLE) + CAST('0.' || rpad(coalesce(p.f, ''), 6, '0')[1:6] AS DOUBLE))",
  `CREATE MACRO spark_string_to_timestamp(s) AS (CASE WHEN s IS NULL THEN NULL WHEN regexp_matches(${TRIM}, ${TS_RE}) THEN spark_make_ts(spark_ts_parts(s)) ELSE error('[CAST_INVALID_INPUT] The value ''' || s || ''' of the type "STRING" cannot be cast to "TIMESTAMP" because it is malformed') END)`,
  "CREATE MACRO spark_date_to_string(d) AS (CASE WHEN d IS NULL THEN NULL WHEN d BETWEEN DATE '0001-01-01' AND DATE '9999-12-31' THEN CAST(d AS VARCHAR) ELSE error('[LOCAL_REHEARSAL] dates outside the years 1 to 9999 are not converted to text locally') END)",
  "CREATE MACRO spark_dow(s) AS (CASE upper(s) WHEN 'SU' THEN 0 WHEN 'SUN' THEN 0 WHEN 'SUNDAY' THEN 0 WHEN 'MO' THEN 1 WHEN 'MON' THEN 1 WHEN 'MONDAY' THEN 1 WHEN 'TU' THEN 2 WHEN 'TUE' THEN 2 WHEN 'TUESDAY' THEN 2 WHEN 'WE' THEN 3 WHEN 'WED' THEN 3 WHEN 'WEDNESDAY' THEN 3 WHEN 'TH' THEN 4 WHEN 'THU' THEN 4 WHEN 'THURSDAY' THEN 4 WHEN 'FR' THEN 5 WHEN 'FRI' THEN 5 WHEN 'FRIDAY' THEN 5 WHEN 'SA' THEN 6 WHEN 'SAT' THEN 6 WHEN 'SATURDAY' THEN 6 ELSE error('[ILLEGAL_DAY_OF_WEEK] Illegal input for day of week: ' || s) END)",
  'CREATE MACRO spark_next_day(d, dow) AS (CASE WHEN d IS NULL OR dow IS NULL THEN NULL ELSE CAST(d + CAST((spark_dow(dow) - dayofweek(d) + 6) % 7 + 1 AS INTEGER) AS DATE) END)',
];

/** The settings and macros for a session in `timeZone` (the clean room: UTC). */
export function sessionSetup(timeZone = 'UTC'): SessionSetup {
  return {
    settings: {
      TimeZone: timeZone,
      // Spark sorts NULLs first in ascending and last in descending order; compiled ORDER BYs also say so.
      default_null_order: 'nulls_first_on_asc_last_on_desc',
    },
    statements: MACROS,
  };
}
