/**
 * Splits Spark SQL text into the parts that decide where code is: string literals, back-quoted identifiers,
 * comments, and everything else (code). The rules are Spark's own lexer rules (SqlBaseLexer.g4):
 * - `'...'` and `"..."` are string literals in which a backslash escapes the next character;
 *   `R'...'` / `R"..."` are raw strings (no escapes);
 * - `` `...` `` is an identifier in which a doubled back quote stands for one;
 * - `--` starts a comment that runs to the end of the line (a backslash right before the line break continues it);
 * - `/* ... *\/` comments nest; `/*+` starts a hint, which is code.
 * An unterminated literal or comment runs to the end of the text (Spark then refuses the statement).
 *
 * Nothing here ever inserts a value into code: the runtime only uses this reading to find statement boundaries
 * and parameter markers, and to refuse text substitution. Values are bound by the engines.
 */

export type SegmentKind = 'code' | 'string' | 'identifier' | 'comment';

export interface Segment {
  kind: SegmentKind;
  text: string;
  /** Offset of the first character in the whole text. */
  start: number;
}

export function lexSparkSql(sql: string): Segment[] {
  const segments: Segment[] = [];
  let codeStart = 0;
  let i = 0;
  const flushCode = (end: number) => {
    if (end > codeStart) segments.push({ kind: 'code', text: sql.slice(codeStart, end), start: codeStart });
  };
  while (i < sql.length) {
    const end = literalEnd(sql, i);
    if (end === undefined) {
      i++;
      continue;
    }
    flushCode(i);
    segments.push({ kind: end.kind, text: sql.slice(i, end.end), start: i });
    i = end.end;
    codeStart = i;
  }
  flushCode(sql.length);
  return segments;
}

/** When a literal, identifier or comment starts at `i`: its kind and end offset (exclusive). */
function literalEnd(sql: string, i: number): { kind: Exclude<SegmentKind, 'code'>; end: number } | undefined {
  const ch = sql[i];
  const next = sql[i + 1];
  if ((ch === 'r' || ch === 'R') && (next === "'" || next === '"') && !isIdentifierChar(sql[i - 1])) {
    const close = sql.indexOf(next, i + 2);
    return { kind: 'string', end: close === -1 ? sql.length : close + 1 };
  }
  if (ch === "'" || ch === '"') return { kind: 'string', end: escapedStringEnd(sql, i, ch) };
  if (ch === '`') return { kind: 'identifier', end: backQuotedEnd(sql, i) };
  if (ch === '-' && next === '-') return { kind: 'comment', end: lineCommentEnd(sql, i) };
  if (ch === '/' && next === '*' && sql[i + 2] !== '+') return { kind: 'comment', end: bracketedCommentEnd(sql, i) };
  return undefined;
}

function escapedStringEnd(sql: string, start: number, quote: string): number {
  for (let i = start + 1; i < sql.length; i++) {
    if (sql[i] === '\\') i++;
    else if (sql[i] === quote) return i + 1;
  }
  return sql.length;
}

function backQuotedEnd(sql: string, start: number): number {
  for (let i = start + 1; i < sql.length; i++) {
    if (sql[i] !== '`') continue;
    if (sql[i + 1] === '`') i++;
    else return i + 1;
  }
  return sql.length;
}

/** To the line break (included); a backslash right before a line break continues the comment. */
function lineCommentEnd(sql: string, start: number): number {
  for (let i = start + 2; i < sql.length; i++) {
    if (sql[i] === '\\' && sql[i + 1] === '\n') {
      i++;
      continue;
    }
    if (sql[i] === '\n') return i + 1;
    if (sql[i] === '\r') return sql[i + 1] === '\n' ? i + 2 : i + 1;
  }
  return sql.length;
}

function bracketedCommentEnd(sql: string, start: number): number {
  let depth = 0;
  for (let i = start; i < sql.length; i++) {
    if (sql[i] === '/' && sql[i + 1] === '*') {
      depth++;
      i++;
    } else if (sql[i] === '*' && sql[i + 1] === '/') {
      depth--;
      i++;
      if (depth === 0) return i + 1;
    }
  }
  return sql.length;
}

/** Characters of an unquoted Spark identifier: letters (any script), digits and '_'. */
export function isIdentifierChar(ch: string | undefined): boolean {
  return ch !== undefined && /[\p{L}\p{N}_]/u.test(ch);
}
