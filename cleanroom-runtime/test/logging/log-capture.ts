/** Test helper: a LogStream that keeps what was written, parsed as JSON lines. */
import type { LogStream } from '../../src/logging/logger';

export class LogCapture implements LogStream {
  readonly lines: string[] = [];
  private readonly listeners: Array<(entry: Record<string, unknown>) => void> = [];

  constructor(readonly isTTY = false) {}

  write(chunk: string): boolean {
    for (const line of chunk.split('\n').filter((l) => l !== '')) {
      this.lines.push(line);
      if (!this.isTTY) for (const listener of this.listeners) listener(JSON.parse(line) as Record<string, unknown>);
    }
    return true;
  }

  get text(): string {
    return this.lines.join('\n');
  }

  entries(): Array<Record<string, unknown>> {
    return this.lines.map((line) => JSON.parse(line) as Record<string, unknown>);
  }

  onEntry(listener: (entry: Record<string, unknown>) => void): void {
    this.listeners.push(listener);
  }
}
