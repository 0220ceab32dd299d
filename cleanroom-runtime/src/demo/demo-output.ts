/**
 * How the demo prints: numbered steps, the command each participant would type, indented output. Bold and dim
 * where the CLI colours its output (a terminal, unless --no-color or NO_COLOR: cli/style.ts), plain text otherwise.
 */
import { colorEnabled } from '../cli/style';

export interface TextSink {
  write(text: string): unknown;
}

export class DemoOutput {
  private step = 0;

  constructor(private readonly sink: TextSink, private readonly styled: boolean) {}

  /** Styling as every command colours: see cli/style.ts. */
  static forStream(stream: TextSink & { isTTY?: boolean }, env: Readonly<Record<string, string | undefined>>): DemoOutput {
    return new DemoOutput(stream, colorEnabled(stream, env));
  }

  heading(title: string): void {
    this.step++;
    this.sink.write(`\n${this.style('1', `${this.step}. ${title}`)}\n`);
  }

  line(text = ''): void {
    this.sink.write(text === '' ? '\n' : `  ${text}\n`);
  }

  note(text: string): void {
    this.line(this.style('2', text));
  }

  /** A command as the participant would type it. */
  command(text: string): void {
    this.line(this.style('36', `$ ${text}`));
  }

  /** A block of output (e.g. a command's), indented under the step. */
  block(text: string, indent = '    '): void {
    const lines = text.replace(/\n+$/, '').split('\n');
    if (lines.length === 1 && lines[0] === '') return;
    this.sink.write(lines.map((l) => `${indent}${l}`.trimEnd()).join('\n') + '\n');
  }

  private style(code: string, text: string): string {
    return this.styled ? `\x1b[${code}m${text}\x1b[0m` : text;
  }
}
