/**
 * How the clean room reads approved SQL code, the same way for every engine:
 * - statements end at `;` in code or at a notebook cell boundary (`-- COMMAND ----------`), so a Databricks SQL
 *   notebook's cells without semicolons are statements too;
 * - `CREATE WIDGET ...` declares a parameter (its DEFAULT is a default value) and `REMOVE WIDGET` is ignored: the
 *   clean room gives parameters itself;
 * - parameters are Spark's named parameter markers `:name`, bound as values by the engines and never inserted
 *   into the text;
 * - text substitution (`${name}`, `$name`, `getArgument('name')`) is refused: a value substituted as text can
 *   rewrite the approved code, whatever a lexer believes about quotes;
 * - cells in other languages (`-- MAGIC %python`, `%sh`, `%run`, ...) are refused: SQL code runs statement by
 *   statement and such a cell would never run, or run unreviewed as another language.
 * Pure: used at registration (to refuse) and by the engines (to run).
 */
import { isIdentifierChar, lexSparkSql, type Segment } from './spark-lexer';

/** Parameter names a job can give (the same rule as job and default parameters). */
export const MARKER_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;

export interface SqlStatement {
  /** The statement's text (comments kept, the terminating `;` removed). */
  text: string;
  /** 1-based line of the statement's first character in the code. */
  line: number;
  /** Names of the `:name` markers it uses, each once, in order of first use. */
  parameters: string[];
}

export interface SqlWidget {
  name: string;
  defaultValue: string | null;
  line: number;
}

export interface SqlCodeProblem {
  line: number;
  message: string;
}

export interface SqlCode {
  /** The statements to run, in order (widget declarations left out). */
  statements: SqlStatement[];
  /** Parameters declared by `CREATE WIDGET`. */
  widgets: SqlWidget[];
  /** Why the code cannot be registered as SQL; empty when it can. */
  problems: SqlCodeProblem[];
}

const CELL_SEPARATOR = /^\s*--\s*COMMAND\s*-{4,}\s*$/;
const MAGIC = /^\s*--\s*MAGIC\s*%(\S+)/;
const MARKDOWN_MAGIC = new Set(['md', 'md-sandbox']);
const CREATE_WIDGET = /^CREATE\s+WIDGET\s+(TEXT|DROPDOWN|COMBOBOX|MULTISELECT)\s+(\S+)(?:\s+DEFAULT\s+([\s\S]*?))?(?:\s+CHOICES\s+[\s\S]*)?$/i;
const REMOVE_WIDGET = /^REMOVE\s+WIDGET\s+\S+$/i;
const SUBSTITUTION_FUNCTIONS = /\b(getArgument|dbutils\s*\.\s*widgets\s*\.\s*get)\s*\(/i;

export interface ReadSqlOptions {
  /** Parameters known besides the code's widgets (e.g. its default parameters): `$name` of one of them is refused in strings too. */
  parameters?: readonly string[];
}

/** Parameters every run gets from the clean room. */
const RUN_PARAMETERS = ['output', 'run_time'];

export function readSqlCode(source: string, options: ReadSqlOptions = {}): SqlCode {
  const text = source.replace(/^\uFEFF/, '');
  const lines = lineStarts(text);
  const lineOf = (offset: number) => lineAt(lines, offset);
  const problems: SqlCodeProblem[] = [];
  const statements: SqlStatement[] = [];
  const widgets: SqlWidget[] = [];
  let pending: Segment[] = [];

  const finish = () => {
    const statement = toStatement(pending, lineOf);
    pending = [];
    if (!statement) return;
    const code = codeOnly(statement.segments).trim();
    const widget = CREATE_WIDGET.exec(code);
    if (widget) {
      widgets.push({ name: unquoteName(widget[2]), defaultValue: widget[3] === undefined ? null : unquoteString(widget[3].trim()), line: statement.line });
      return;
    }
    if (REMOVE_WIDGET.test(code)) return;
    statements.push({ text: statement.text, line: statement.line, parameters: statement.parameters });
  };

  const segments = lexSparkSql(text);
  for (const segment of segments) {
    if (segment.kind === 'comment') {
      const magic = MAGIC.exec(segment.text);
      if (magic && !MARKDOWN_MAGIC.has(magic[1].toLowerCase())) {
        problems.push({
          line: lineOf(segment.start),
          message: `the cell magic %${magic[1].slice(0, 40)} is not allowed in SQL code: the clean room runs SQL statements only, so a cell in another language would never run (register Python, Scala or R code as its own notebook)`,
        });
      }
      if (CELL_SEPARATOR.test(segment.text)) {
        finish();
        continue;
      }
      pending.push(segment);
      continue;
    }
    if (segment.kind !== 'code') {
      pending.push(segment);
      continue;
    }
    // A `;` in code ends a statement.
    let from = 0;
    for (let i = segment.text.indexOf(';'); i !== -1; i = segment.text.indexOf(';', i + 1)) {
      if (i > from) pending.push({ kind: 'code', text: segment.text.slice(from, i), start: segment.start + from });
      finish();
      from = i + 1;
    }
    if (from < segment.text.length) pending.push({ kind: 'code', text: segment.text.slice(from), start: segment.start + from });
  }
  finish();
  const known = new Set([...RUN_PARAMETERS, ...(options.parameters ?? []), ...widgets.map((w) => w.name)]);
  for (const segment of segments) {
    if (segment.kind !== 'comment') problems.push(...substitutionProblems(segment, known, lineOf));
  }
  problems.sort((a, b) => a.line - b.line);
  for (const statement of statements) {
    for (const name of statement.parameters) {
      if (!MARKER_NAME.test(name)) {
        problems.push({ line: statement.line, message: `parameter marker :${name.slice(0, 70)} has a name jobs cannot give: use letters, digits and '_' (ASCII, up to 64, not starting with a digit)` });
      }
    }
  }
  for (const widget of widgets) {
    if (!MARKER_NAME.test(widget.name)) {
      problems.push({ line: widget.line, message: `widget ${JSON.stringify(widget.name.slice(0, 70))} has a name jobs cannot give: use letters, digits and '_'` });
    }
  }
  return { statements, widgets, problems };
}

/**
 * DuckDB's form of a statement: each `:name` marker becomes DuckDB's named parameter `$name`. Only marker names
 * are written, never a value; anything DuckDB would take as another kind of parameter (`$`, `?`) in code is
 * refused by readSqlCode before this runs.
 */
export function toDuckDbParameters(statement: string): string {
  return lexSparkSql(statement)
    .map((segment) => (segment.kind === 'code' ? rewriteMarkers(segment.text, (name) => `$${name}`) : segment.text))
    .join('');
}

/** The statement's text and markers, or undefined when it holds no code (only comments and blanks). */
function toStatement(segments: Segment[], lineOf: (offset: number) => number): { text: string; line: number; parameters: string[]; segments: Segment[] } | undefined {
  if (!segments.some((s) => s.kind !== 'comment' && s.text.trim() !== '')) return undefined;
  const text = segments.map((s) => s.text).join('').trim();
  const first = segments.find((s) => s.kind !== 'comment' && s.text.trim() !== '')!;
  const offset = first.start + (first.text.length - first.text.trimStart().length);
  const parameters: string[] = [];
  for (const segment of segments) {
    if (segment.kind !== 'code') continue;
    rewriteMarkers(segment.text, (name) => {
      if (!parameters.includes(name)) parameters.push(name);
      return '';
    });
  }
  return { text, line: lineOf(offset), parameters, segments };
}

/** Replaces each `:name` marker (not the `::` cast) in a code segment. */
function rewriteMarkers(code: string, replace: (name: string) => string): string {
  let out = '';
  let i = 0;
  while (i < code.length) {
    if (code[i] === ':' && code[i + 1] === ':') {
      out += '::';
      i += 2;
      continue;
    }
    if (code[i] === ':' && /[\p{L}_]/u.test(code[i + 1] ?? '')) {
      let end = i + 1;
      while (isIdentifierChar(code[end])) end++;
      out += replace(code.slice(i + 1, end));
      i = end;
      continue;
    }
    out += code[i];
    i++;
  }
  return out;
}

/**
 * Text substitution in any form: `${name}` anywhere but comments; `$name` of a known parameter in strings and
 * quoted names (other `$` text there is data, e.g. 'US$'); `$`, `?` or getArgument() in code.
 */
function substitutionProblems(segment: Segment, known: ReadonlySet<string>, lineOf: (offset: number) => number): SqlCodeProblem[] {
  const problems: SqlCodeProblem[] = [];
  const at = (index: number) => lineOf(segment.start + index);
  const rewrite = (name: string) => (segment.kind === 'string' ? `:${name} in place of the quoted text (a bound value is already a string)` : segment.kind === 'identifier' ? `:${name} (a name given as a parameter: IDENTIFIER(:${name}))` : `:${name}`);
  for (const match of segment.text.matchAll(/\$\{\s*([^}\s]{0,64})[^}]*\}/g)) {
    const name = match[1];
    problems.push({ line: at(match.index), message: `\${${name}} is text substitution, which can rewrite the code: write the named parameter marker ${rewrite(name)}` });
  }
  if (segment.kind !== 'code') {
    for (const match of segment.text.matchAll(/\$([\p{L}_][\p{L}\p{N}_]{0,63})/gu)) {
      if (!known.has(match[1])) continue;
      problems.push({ line: at(match.index), message: `$${match[1]} is text substitution, which can rewrite the code: write the named parameter marker ${rewrite(match[1])}` });
    }
    return problems;
  }
  for (const match of segment.text.matchAll(/\$([\p{L}_][\p{L}\p{N}_]{0,63})?/gu)) {
    if (segment.text[match.index + 1] === '{') continue;
    const name = match[1];
    problems.push({
      line: at(match.index),
      message: name
        ? `$${name} is text substitution, which can rewrite the code: write the named parameter marker :${name}`
        : '`$` is not Spark SQL outside strings: parameters are named markers (:name)',
    });
  }
  const question = segment.text.indexOf('?');
  if (question !== -1) {
    problems.push({ line: at(question), message: 'positional parameter markers (?) are not supported: use named markers (:name), which jobs give by name' });
  }
  const call = SUBSTITUTION_FUNCTIONS.exec(segment.text);
  if (call) {
    problems.push({ line: at(call.index), message: `${call[1].replace(/\s+/g, '')}(...) reads a notebook widget as text: write the named parameter marker :name instead` });
  }
  return problems;
}

function codeOnly(segments: Segment[]): string {
  return segments.map((s) => (s.kind === 'comment' ? ' ' : s.text)).join('');
}

function unquoteName(raw: string): string {
  return raw.startsWith('`') && raw.endsWith('`') && raw.length >= 2 ? raw.slice(1, -1).replace(/``/g, '`') : raw;
}

/** A widget's DEFAULT: a quoted string (Spark's escapes) or a bare word. */
function unquoteString(raw: string): string {
  const quote = raw[0];
  if ((quote === '"' || quote === "'") && raw.endsWith(quote) && raw.length >= 2) {
    return raw.slice(1, -1).replace(/\\(.)/g, '$1');
  }
  return raw;
}

function lineStarts(text: string): number[] {
  const starts = [0];
  for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) starts.push(i + 1);
  return starts;
}

function lineAt(starts: number[], offset: number): number {
  let lo = 0;
  let hi = starts.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (starts[mid] <= offset) lo = mid;
    else hi = mid - 1;
  }
  return lo + 1;
}
