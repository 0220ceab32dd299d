/** A configuration problem: where it is (file, line, column, field) and what is expected instead. */
import * as path from 'path';

export interface ConfigProblem {
  /** Absolute path of the file (or folder) the problem is in. */
  readonly file: string;
  /** 1-based line. */
  readonly line: number;
  /** 1-based column. */
  readonly column: number;
  /** Dotted field path, e.g. `gcp.project` or `compute_sizes[2]`; empty when the problem is the whole file. */
  readonly field: string;
  /** What is wrong, phrased as what is expected. */
  readonly message: string;
}

/** `file:line:column field — message`, with the file shown relative to `cwd` when it is below it, else absolute. */
export function formatProblem(problem: ConfigProblem, cwd: string = process.cwd()): string {
  const file = shownPath(problem.file, cwd);
  const field = problem.field ? ` ${problem.field}` : '';
  return `${file}:${problem.line}:${problem.column}${field} — ${problem.message}`;
}

/** A path as a person would type it from `cwd`: relative below it, absolute elsewhere (never `../../x`). */
export function shownPath(file: string, cwd: string = process.cwd()): string {
  const relative = path.relative(cwd, file);
  if (relative === '') return '.';
  return relative === '..' || relative.startsWith(`..${path.sep}`) || path.isAbsolute(relative) ? path.resolve(file) : relative;
}

export function formatProblems(problems: readonly ConfigProblem[], cwd: string = process.cwd()): string {
  return problems.map((problem) => formatProblem(problem, cwd)).join('\n');
}

/** Problems in file order, then by position, so output reads top to bottom (ties keep the schema's field order). */
export function sortProblems(problems: readonly ConfigProblem[]): ConfigProblem[] {
  return [...problems].sort(
    (a, b) => a.file.localeCompare(b.file) || a.line - b.line || a.column - b.column,
  );
}

export class ConfigError extends Error {
  readonly problems: readonly ConfigProblem[];

  constructor(problems: readonly ConfigProblem[]) {
    super(formatProblems(problems));
    this.name = 'ConfigError';
    this.problems = problems;
  }
}
