/**
 * Spark SQL tokens: identifiers (plain or `back-quoted`), '...' and "..." string literals (both are strings in
 * Spark, with backslash escapes, and adjacent ones concatenate), numbers with Spark's type suffixes, X'..' binary
 * literals, operators and `:name` parameter markers. Comments (`--`, nested `/* *\/`) are skipped.
 */
import { parseError } from './errors';

export type TokenKind = 'ident' | 'quoted' | 'string' | 'number' | 'binary' | 'op' | 'param' | 'eof';

export interface Token {
  kind: TokenKind;
  /** Identifier text, operator, number text, the string's value, the binary's hex digits or the parameter's name. */
  text: string;
  /** Offset of the token in the statement. */
  pos: number;
  /** Offset just past the token. */
  end: number;
}

const OPERATORS = ['<=>', '==', '<>', '!=', '<=', '>=', '||', '::', '->', '=>', '=', ':', '?', '<', '>', '+', '-', '*', '/', '%', '&', '|', '^', '~', '(', ')', ',', '.', ';', '[', ']', '!', '{', '}'];
const IDENT_START = /[A-Za-z_\u0080-\uffff]/;
const IDENT_PART = /[A-Za-z0-9_\u0080-\uffff]/;
const NUMBER = /^(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?(?:BD|bd|Bd|bD|[LlSsYyDdFf])?(?![A-Za-z0-9_])/;

export function tokenize(sql: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < sql.length) {
    const ch = sql[i];
    if (/\s/.test(ch)) {
      i++;
      continue;
    }
    if (ch === '-' && sql[i + 1] === '-') {
      while (i < sql.length && sql[i] !== '\n') i++;
      continue;
    }
    if (ch === '/' && sql[i + 1] === '*') {
      i = skipBlockComment(sql, i);
      continue;
    }
    const start = i;
    if ((ch === 'x' || ch === 'X') && sql[i + 1] === "'") {
      const { value, end } = readString(sql, i + 1);
      if (!/^[0-9A-Fa-f]*$/.test(value)) throw parseError(`invalid binary literal X'${value}'`);
      tokens.push({ kind: 'binary', text: value, pos: start, end });
      i = end;
      continue;
    }
    if (ch === "'" || ch === '"') {
      const { value, end } = readString(sql, i);
      tokens.push({ kind: 'string', text: value, pos: start, end });
      i = end;
      continue;
    }
    if (ch === '`') {
      let text = '';
      i++;
      for (;;) {
        if (i >= sql.length) throw parseError('unclosed back-quoted identifier');
        if (sql[i] === '`') {
          if (sql[i + 1] === '`') {
            text += '`';
            i += 2;
            continue;
          }
          i++;
          break;
        }
        text += sql[i++];
      }
      tokens.push({ kind: 'quoted', text, pos: start, end: i });
      continue;
    }
    if (/\d/.test(ch) || (ch === '.' && /\d/.test(sql[i + 1] ?? ''))) {
      const match = NUMBER.exec(sql.slice(i));
      if (match) {
        tokens.push({ kind: 'number', text: match[0], pos: start, end: i + match[0].length });
        i += match[0].length;
        continue;
      }
      // Digits followed by letters: Spark reads e.g. `1a` as an identifier.
      let j = i;
      while (j < sql.length && IDENT_PART.test(sql[j])) j++;
      tokens.push({ kind: 'ident', text: sql.slice(i, j), pos: start, end: j });
      i = j;
      continue;
    }
    if (IDENT_START.test(ch)) {
      let j = i;
      while (j < sql.length && IDENT_PART.test(sql[j])) j++;
      tokens.push({ kind: 'ident', text: sql.slice(i, j), pos: start, end: j });
      i = j;
      continue;
    }
    if (ch === ':' && sql[i + 1] !== ':' && IDENT_START.test(sql[i + 1] ?? '')) {
      let j = i + 1;
      while (j < sql.length && IDENT_PART.test(sql[j])) j++;
      tokens.push({ kind: 'param', text: sql.slice(i + 1, j), pos: start, end: j });
      i = j;
      continue;
    }
    const op = OPERATORS.find((o) => sql.startsWith(o, i));
    if (op) {
      tokens.push({ kind: 'op', text: op, pos: start, end: i + op.length });
      i += op.length;
      continue;
    }
    throw parseError(`unexpected character ${JSON.stringify(ch)} at position ${i}`);
  }
  tokens.push({ kind: 'eof', text: '', pos: sql.length, end: sql.length });
  return tokens;
}

function skipBlockComment(sql: string, from: number): number {
  let depth = 0;
  let i = from;
  while (i < sql.length) {
    if (sql[i] === '/' && sql[i + 1] === '*') {
      depth++;
      i += 2;
    } else if (sql[i] === '*' && sql[i + 1] === '/') {
      depth--;
      i += 2;
      if (depth === 0) return i;
    } else i++;
  }
  throw parseError('unclosed comment');
}

const ESCAPES: Record<string, string> = { '0': '\0', b: '\b', n: '\n', r: '\r', t: '\t', Z: '\x1a', '%': '\\%', _: '\\_' };

/** A '...' or "..." literal with Spark's escapes (`\n`, `\t`, `\uXXXX`, `\'`, a doubled quote is not an escape). */
function readString(sql: string, from: number): { value: string; end: number } {
  const quote = sql[from];
  let value = '';
  let i = from + 1;
  for (;;) {
    if (i >= sql.length) throw parseError('unclosed string literal');
    const ch = sql[i];
    if (ch === quote) return { value, end: i + 1 };
    if (ch === '\\' && i + 1 < sql.length) {
      const next = sql[i + 1];
      if (next === 'u' && /^[0-9A-Fa-f]{4}$/.test(sql.slice(i + 2, i + 6))) {
        value += String.fromCharCode(parseInt(sql.slice(i + 2, i + 6), 16));
        i += 6;
        continue;
      }
      if (/^[0-7]{3}$/.test(sql.slice(i + 1, i + 4))) {
        value += String.fromCharCode(parseInt(sql.slice(i + 1, i + 4), 8));
        i += 4;
        continue;
      }
      value += ESCAPES[next] ?? next;
      i += 2;
      continue;
    }
    value += ch;
    i++;
  }
}

/**
 * Splits a script into statements at `;` outside strings, quoted identifiers and comments. Returns each
 * statement's text (trimmed) with its start offset; empty statements are dropped.
 */
export function splitStatements(script: string): { text: string; offset: number }[] {
  const out: { text: string; offset: number }[] = [];
  let start = 0;
  let i = 0;
  const push = (end: number) => {
    const raw = script.slice(start, end);
    if (hasCode(raw)) out.push({ text: raw.trim(), offset: start + (raw.length - raw.trimStart().length) });
  };
  while (i < script.length) {
    const ch = script[i];
    if (ch === '-' && script[i + 1] === '-') {
      while (i < script.length && script[i] !== '\n') i++;
    } else if (ch === '/' && script[i + 1] === '*') {
      try {
        i = skipBlockComment(script, i);
      } catch {
        i = script.length;
      }
    } else if (ch === "'" || ch === '"' || ch === '`') {
      i++;
      while (i < script.length && script[i] !== ch) {
        if (script[i] === '\\' && ch !== '`') i++;
        i++;
      }
      i++;
    } else if (ch === ';') {
      push(i);
      start = i + 1;
      i++;
    } else i++;
  }
  push(script.length);
  return out;
}

/** True when the text has something besides whitespace and comments. */
function hasCode(text: string): boolean {
  try {
    return tokenize(text).length > 1;
  } catch {
    return text.trim() !== '';
  }
}
