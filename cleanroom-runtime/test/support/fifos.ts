/**
 * FIFOs (named pipes) for tests of hostile bucket folders. Node cannot make one, so `mkfifo` does. Should code under
 * test ever block opening one for reading, `releaseAll` opens each write end (O_RDWR never blocks on Linux), so a
 * regression fails its test instead of hanging the test process.
 */
import { spawnSync } from 'node:child_process';
import { constants, mkdirSync, promises as fs } from 'node:fs';
import * as path from 'node:path';

export class Fifos {
  private readonly made: string[] = [];

  make(file: string): void {
    mkdirSync(path.dirname(file), { recursive: true });
    const made = spawnSync('mkfifo', [file]);
    if (made.status !== 0) throw new Error(`mkfifo ${file} failed: ${String(made.stderr)}`);
    this.made.push(file);
  }

  async releaseAll(): Promise<void> {
    for (const fifo of this.made.splice(0)) {
      await fs.open(fifo, constants.O_RDWR | constants.O_NONBLOCK).then((h) => h.close(), () => undefined);
    }
  }
}
