/**
 * Colour, decided once for every command: never with --no-color or NO_COLOR (https://no-color.org: set and not
 * empty); always with FORCE_COLOR (not "0"); otherwise only on a terminal whose TERM is not "dumb".
 */
export type Env = Readonly<Record<string, string | undefined>>;

export interface Styler {
  readonly enabled: boolean;
  bold(text: string): string;
  dim(text: string): string;
  red(text: string): string;
  green(text: string): string;
  yellow(text: string): string;
  cyan(text: string): string;
}

export function colorEnabled(stream: { isTTY?: boolean }, env: Env): boolean {
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false;
  if (env.FORCE_COLOR !== undefined && env.FORCE_COLOR !== '0' && env.FORCE_COLOR !== 'false') return true;
  return stream.isTTY === true && env.TERM !== 'dumb';
}

export function styler(enabled: boolean): Styler {
  const sgr = (code: string) => (text: string) => (enabled ? `\x1b[${code}m${text}\x1b[0m` : text);
  return { enabled, bold: sgr('1'), dim: sgr('2'), red: sgr('31'), green: sgr('32'), yellow: sgr('33'), cyan: sgr('36') };
}

/** The styler for one output stream of this process. */
export function streamStyler(stream: { isTTY?: boolean }, env: Env): Styler {
  return styler(colorEnabled(stream, env));
}
