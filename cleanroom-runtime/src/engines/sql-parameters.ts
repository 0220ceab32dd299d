/**
 * `${name}` substitution in approved SQL, as notebook widgets do it (textual), but context-aware so that a job's
 * parameters cannot rewrite the approved code: the keeper approved the code's *structure*, the submitter only
 * chooses values.
 *
 * - inside a '...' string literal: the value is inserted with quotes (and, in E'...' strings, backslashes) escaped,
 *   so it stays one string;
 * - inside a "..." identifier: the value is inserted with double quotes escaped, so it stays one name;
 * - in plain code: the value must be a number or a (dotted) name, one token that cannot add clauses;
 * - inside a $tag$...$tag$ string: verbatim, refused if it contains the closing tag;
 * - inside comments nothing is substituted.
 * Every value is inserted once, never re-scanned, so a value containing `${other}` is just text.
 *
 * With `textual: true` the caller only checks values for an engine that substitutes text as-is (Databricks SQL
 * notebooks): there a value cannot be escaped, so one that would end its quoted context is refused instead.
 * Both engines share this one reading of the approved code.
 */

export class ParameterError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ParameterError';
  }
}

const NUMBER = /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/;
const NAME = /^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$/;
const PLACEHOLDER = /^\$\{([^}\r\n]*)\}/;
const DOLLAR_QUOTE = /^\$[A-Za-z_]*\$/;

type Context = 'code' | 'string' | 'escape-string' | 'identifier' | 'dollar-string';

export interface SubstitutionOptions {
  /** The engine inserts values verbatim: refuse values that would leave their quotes instead of escaping them. */
  textual?: boolean;
}

export function substituteParameters(sql: string, parameters: Readonly<Record<string, string>>, options: SubstitutionOptions = {}): string {
  const textual = options.textual === true;
  let out = '';
  let context: Context = 'code';
  let i = 0;
  while (i < sql.length) {
    const ch = sql[i];
    const next = sql[i + 1];
    if (ch === '$' && next === '{') {
      const match = PLACEHOLDER.exec(sql.slice(i));
      if (match) {
        out += valueFor(match[1].trim(), parameters, context, textual);
        i += match[0].length;
        continue;
      }
    }
    if (context === 'code') {
      if (ch === '-' && next === '-') {
        const end = sql.indexOf('\n', i);
        const stop = end === -1 ? sql.length : end;
        out += sql.slice(i, stop);
        i = stop;
        continue;
      }
      if (ch === '/' && next === '*') {
        const end = sql.indexOf('*/', i + 2);
        const stop = end === -1 ? sql.length : end + 2;
        out += sql.slice(i, stop);
        i = stop;
        continue;
      }
      const dollar = DOLLAR_QUOTE.exec(sql.slice(i));
      if (dollar) {
        // $tag$ ... $tag$: a raw string; values go in verbatim unless they contain the closing tag.
        const tag = dollar[0];
        const end = sql.indexOf(tag, i + tag.length);
        const stop = end === -1 ? sql.length : end + tag.length;
        out += substituteInDollarString(sql.slice(i, stop), tag, end !== -1, parameters);
        i = stop;
        continue;
      }
      if (ch === "'") context = /[eE]$/.test(out) && !/[A-Za-z0-9_][eE]$/.test(out) ? 'escape-string' : 'string';
      else if (ch === '"') context = 'identifier';
      out += ch;
      i += 1;
      continue;
    }
    // Inside a literal: a doubled quote (or a backslash escape in E'...') stays inside; a single quote closes it.
    const quote = context === 'identifier' ? '"' : "'";
    if (context === 'escape-string' && ch === '\\' && next !== undefined) {
      out += ch + next;
      i += 2;
      continue;
    }
    if (ch === quote) {
      if (next === quote) {
        out += ch + next;
        i += 2;
        continue;
      }
      context = 'code';
    }
    out += ch;
    i += 1;
  }
  return out;
}

function substituteInDollarString(
  text: string,
  tag: string,
  terminated: boolean,
  parameters: Readonly<Record<string, string>>): string {
  const names: string[] = [];
  const result = text.replace(/\$\{([^}\r\n]*)\}/g, (_match, rawName: string) => {
    names.push(rawName.trim());
    return valueFor(rawName.trim(), parameters, 'dollar-string');
  });
  const close = result.indexOf(tag, tag.length);
  if (close !== (terminated ? result.length - tag.length : -1)) {
    throw new ParameterError(
      `a value of ${names.map((n) => `\${${n}}`).join(', ')} contains "${tag}", which would end the code's ${tag}-quoted string`,
    );
  }
  return result;
}

function valueFor(name: string, parameters: Readonly<Record<string, string>>, context: Context, textual = false): string {
  if (!Object.prototype.hasOwnProperty.call(parameters, name)) {
    const known = Object.keys(parameters).sort().join(', ') || 'none';
    throw new ParameterError(
      `the code uses parameter \${${name}} but the job does not give it (given: ${known}); ` +
        `pass it in the job's --params JSON or add it to the code's default parameters`,
    );
  }
  const value = parameters[name];
  if (textual) refuseQuoteBreakers(name, value, context);
  switch (context) {
    case 'string':
      return value.replace(/'/g, "''");
    case 'escape-string':
      return value.replace(/\\/g, '\\\\').replace(/'/g, "''");
    case 'identifier':
      return value.replace(/"/g, '""');
    case 'dollar-string':
      return value;
    case 'code':
      if (NUMBER.test(value) || NAME.test(value)) return value;
      throw new ParameterError(
        `parameter \${${name}} is used outside quotes in the code, so its value must be a number or a name ` +
          `(letters, digits, _ and dots); got ${JSON.stringify(truncate(value))}. ` +
          `To pass text, the code must quote it: '\${${name}}'`,
      );
  }
}

/** For verbatim substitution: a value that contains its context's closing quote (or an escape) would end it. */
function refuseQuoteBreakers(name: string, value: string, context: Context): void {
  const breakers = context === 'string' || context === 'escape-string' ? ["'", '\\'] : context === 'identifier' ? ['"'] : [];
  const found = breakers.find((b) => value.includes(b));
  if (found !== undefined) {
    throw new ParameterError(
      `parameter \${${name}} is inserted into a quoted part of the code as-is by this engine, so its value cannot ` +
        `contain ${JSON.stringify(found)}; got ${JSON.stringify(truncate(value))}`,
    );
  }
}

function truncate(value: string): string {
  return value.length > 80 ? `${value.slice(0, 80)}…` : value;
}
