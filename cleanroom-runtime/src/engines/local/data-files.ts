/**
 * The files of a non-Delta dataset: the location itself when it is a file, else every data file below it
 * (skipping `_`/`.`-prefixed names such as _SUCCESS or _delta_log). Files must really lie inside the owner's
 * bucket folder: symbolic links out of it are refused, so a location cannot reach other files on the machine.
 */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { RunFailure } from './run-failure';

/** DuckDB expands these in file names; data files with them are refused rather than globbed. */
const GLOB_CHARACTERS = /[*?[\]{}]/;

export async function listDataFiles(location: string, bucketDir: string, suffixes: readonly string[], uri: string): Promise<string[]> {
  const stat = await fs.stat(location).catch(() => undefined);
  if (!stat) throw new RunFailure(`nothing exists at ${uri}`);
  const files = stat.isFile() ? [location] : await walk(location, suffixes);
  if (files.length === 0) throw new RunFailure(`no ${suffixes.join('/')} files under ${uri}`);
  await checkInsideBucket(files, bucketDir, uri);
  return files.sort();
}

/** Every file really lies inside the bucket's folder (no symbolic link out) and has no glob character DuckDB would expand. */
export async function checkInsideBucket(files: readonly string[], bucketDir: string, uri: string): Promise<void> {
  const realBucket = await fs.realpath(bucketDir);
  const globbed = () => new RunFailure(`a file under ${uri} has one of the characters * ? [ ] { } in its name; rename it`);
  for (const file of files) {
    if (GLOB_CHARACTERS.test(path.relative(bucketDir, file))) throw globbed();
    const real = await fs.realpath(file).catch(() => {
      throw new RunFailure(`a data file of ${uri} does not exist: ${path.relative(bucketDir, file)}`);
    });
    if (real !== realBucket && !real.startsWith(realBucket + path.sep)) {
      throw new RunFailure(`${uri} leads outside its bucket (symbolic link); store the data files themselves there`);
    }
    if (GLOB_CHARACTERS.test(path.relative(realBucket, real))) throw globbed();
  }
}

async function walk(dir: string, suffixes: readonly string[]): Promise<string[]> {
  const found: string[] = [];
  for (const entry of await fs.readdir(dir, { withFileTypes: true })) {
    if (entry.name.startsWith('_') || entry.name.startsWith('.')) continue;
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) found.push(...(await walk(full, suffixes)));
    else if (entry.isFile() && suffixes.some((s) => entry.name.toLowerCase().endsWith(s))) found.push(full);
  }
  return found;
}
