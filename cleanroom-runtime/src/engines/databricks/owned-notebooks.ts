/**
 * The notebooks the runtime owns (runner/*.py: the SQL runner and the release step), shipped next to this file and
 * imported at `<root>/<folder>/<sha256 of the source>`: a new version gets a new path, an old one is never
 * overwritten, and participants can never edit them. Each source is read once.
 */
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { assertWorkspaceRoot, sha256Hex } from './workspace-notebooks';

const sources = new Map<string, string>();

export function ownedNotebookSource(file: string): string {
  let source = sources.get(file);
  if (source === undefined) {
    source = readFileSync(path.join(__dirname, 'runner', file), 'utf8');
    sources.set(file, source);
  }
  return source;
}

export function ownedNotebookPath(root: string, folder: string, file: string): string {
  assertWorkspaceRoot(root);
  return `${root}/${folder}/${sha256Hex(ownedNotebookSource(file))}`;
}
