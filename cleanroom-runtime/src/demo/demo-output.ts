/**
 * How the demo prints: numbered steps, the command each participant would type, indented output. Bold and dim
 * on a terminal (unless NO_COLOR), plain text otherwise (CI logs, files, tests).
 */
export interface TextSink {
  write(text: string): unknown;
}

export class DemoOutput {
  private step = 0;

  constructor(private readonly sink: TextSink, private readonly styled: boolean) {}

  /** Styling only on a terminal and when the user did not ask for NO_COLOR. */
  static forStream(stream: TextSink & { isTTY?: boolean }, env: Readonly<Record<string, string | undefined>>): DemoOutput {
    return new DemoOutput(stream, stream.isTTY === true && !env.NO_COLOR);
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
