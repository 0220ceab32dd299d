/** Building Delta tables with hand-written logs for the tests: copies of fixtures, commits written as JSON lines. */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { FIXTURES } from './support';

/** Copies a fixture table into `dir/name` (the shared fixtures are never written); returns the copy's folder. */
export function copyFixture(name: string, dir: string): string {
  const target = path.join(dir, name);
  fs.cpSync(path.join(FIXTURES, name), target, { recursive: true });
  return target;
}

export function commitPath(tableDir: string, version: number): string {
  return path.join(tableDir, '_delta_log', `${String(version).padStart(20, '0')}.json`);
}

/** Writes commit `version` (creating `_delta_log/`), one action per line. */
export function writeCommit(tableDir: string, version: number, actions: Array<Record<string, unknown>>): void {
  fs.mkdirSync(path.join(tableDir, '_delta_log'), { recursive: true });
  fs.writeFileSync(commitPath(tableDir, version), actions.map((a) => JSON.stringify(a)).join('\n') + '\n');
}

/** Replaces the `protocol` action of commit `version`. */
export function replaceProtocol(tableDir: string, version: number, protocol: Record<string, unknown>): void {
  const file = commitPath(tableDir, version);
  const lines = fs.readFileSync(file, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
  fs.writeFileSync(file, lines.map((a) => JSON.stringify('protocol' in a ? { protocol } : a)).join('\n') + '\n');
}
