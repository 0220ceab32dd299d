/**
 * The one output format of `npm run bench`: one JSON object per line per figure on stdout, so runs can be
 * compared line by line. Progress goes to stderr; nothing here judges a figure (no thresholds).
 */
export type Context = Record<string, string | number | boolean | null>;

export interface Figure extends Context {
  benchmark: string;
  metric: string;
  value: number;
  unit: string;
}

/** Writes one figure line to stdout. */
export type Emit = (metric: string, value: number, unit: string, context?: Context) => void;

export function emitterFor(benchmark: string, write: (line: string) => void = (l) => process.stdout.write(l)): Emit {
  return (metric, value, unit, context = {}) => {
    const figure: Figure = { benchmark, metric, value: round(value), unit, ...context };
    write(`${JSON.stringify(figure)}\n`);
  };
}

/** Progress and diagnostics: stderr only, so stdout stays pure JSON lines. */
export function progress(benchmark: string, message: string): void {
  process.stderr.write(`[bench ${benchmark}] ${message}\n`);
}

/** Three significant decimals are plenty for timings and rates; keeps lines readable. */
function round(value: number): number {
  if (!Number.isFinite(value)) return value;
  return Math.abs(value) >= 100 ? Math.round(value * 10) / 10 : Math.round(value * 1000) / 1000;
}
