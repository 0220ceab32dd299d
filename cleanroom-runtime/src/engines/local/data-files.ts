/**
 * The data files DuckDB reads, and only those: each is copied through the local object store (which follows no
 * symbolic link and reads regular files only, src/storage/local-store.ts) into a private folder of this run, and
 * DuckDB is given the copies. DuckDB opens files by path, so it is never given a path inside a participant's
 * bucket, where a link swapped in after a check would be followed. The copies are bounded in count and bytes.
 */
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { LocalObjectStore } from '../../storage/local-store';
import { InvalidNameError } from '../../storage/names';
import { listAll, NotFoundError, ObjectTooLargeError } from '../../storage/object-store';
import type { GsLocation } from './gs-paths';
import { RunFailure } from './run-failure';
import { processIsAlive } from './process-alive';

/** Bytes of data files one run may copy, all datasets together. */
export const DEFAULT_MAX_DATA_BYTES = 4 * 1024 * 1024 * 1024;
/** Data files one run may copy, all datasets together. */
export const DEFAULT_MAX_DATA_FILES = 10_000;

const COPIES_PREFIX = 'cleanroom-run-';

export interface DataFileLimits {
  maxBytes: number;
  maxFiles: number;
}

/** A run's private folder of data file copies; `dispose` removes it. */
export class DataFileCopies {
  private bytesLeft: number;
  private filesLeft: number;
  private count = 0;

  private constructor(readonly dir: string, private readonly store: LocalObjectStore, private readonly limits: DataFileLimits) {
    this.bytesLeft = limits.maxBytes;
    this.filesLeft = limits.maxFiles;
  }

  /**
   * A new folder only this process's user can enter (mkdtemp makes it 0700), named after this process so that
   * copies left by a run stopped before it removed them (at its time or memory limit) are removed by a later run.
   */
  static async create(store: LocalObjectStore, limits: DataFileLimits, parent: string = os.tmpdir()): Promise<DataFileCopies> {
    await removeLeftovers(parent);
    return new DataFileCopies(await fs.mkdtemp(path.join(parent, `${COPIES_PREFIX}${process.pid}-`)), store, limits);
  }

  /** Copies `gs://bucket/key` and returns the copy's path; its name is ours (no glob character DuckDB would expand). */
  async copy(bucket: string, key: string, suffix: string, uri: string): Promise<string> {
    if (this.filesLeft <= 0) {
      throw new RunFailure(`the registered datasets have more than ${this.limits.maxFiles} data files in all, the local engine's limit per run (reached at ${uri})`);
    }
    this.filesLeft -= 1;
    this.count += 1;
    const copy = path.join(this.dir, `${String(this.count).padStart(6, '0')}${suffix}`);
    try {
      this.bytesLeft -= await this.store.copyToFile(bucket, key, copy, { maxBytes: this.bytesLeft });
      return copy;
    } catch (error) {
      if (error instanceof NotFoundError) {
        throw new RunFailure(`a data file of ${uri} is not there, or is not a regular file (a symbolic link, FIFO, ...): gs://${bucket}/${key}`);
      }
      if (error instanceof ObjectTooLargeError) {
        throw new RunFailure(`the data files of the registered datasets exceed ${this.limits.maxBytes} bytes in all, the local engine's limit per run (reached at gs://${bucket}/${key})`);
      }
      if (error instanceof InvalidNameError) throw new RunFailure(`${uri} names a data file with an invalid path: ${error.message}`);
      throw error;
    }
  }

  dispose(): Promise<void> {
    return fs.rm(this.dir, { recursive: true, force: true });
  }
}

/** Removes the copy folders of processes that no longer run. */
async function removeLeftovers(parent: string): Promise<void> {
  for (const name of await fs.readdir(parent).catch(() => [])) {
    const pid = name.startsWith(COPIES_PREFIX) ? Number(name.slice(COPIES_PREFIX.length).split('-')[0]) : NaN;
    if (Number.isInteger(pid) && pid > 0 && !processIsAlive(pid)) {
      await fs.rm(path.join(parent, name), { recursive: true, force: true }).catch(() => undefined);
    }
  }
}

/**
 * The keys of a non-Delta dataset: the location itself when it is an object, else every object below it with one of
 * the suffixes, skipping `_`/`.`-prefixed names such as _SUCCESS or _delta_log. At most `maxFiles`.
 */
export async function listDataFileKeys(store: LocalObjectStore, location: GsLocation, suffixes: readonly string[], uri: string, maxFiles: number): Promise<string[]> {
  if (location.key !== '') {
    const [first] = (await store.list(location.bucket, location.key, { maxResults: 1 })).objects;
    if (first?.key === location.key) return [location.key];
  }
  const folder = location.key === '' ? '' : `${location.key}/`;
  const keys: string[] = [];
  let seen = 0;
  for await (const object of listAll(store, location.bucket, folder)) {
    if (++seen > maxFiles) throw new RunFailure(`${uri} holds more than ${maxFiles} objects, the local engine's limit of data files per run`);
    const relative = object.key.slice(folder.length);
    if (relative.split('/').some((segment) => segment.startsWith('_') || segment.startsWith('.'))) continue;
    if (suffixes.some((s) => relative.toLowerCase().endsWith(s))) keys.push(object.key);
  }
  if (seen === 0) throw new RunFailure(`nothing exists at ${uri}`);
  if (keys.length === 0) throw new RunFailure(`no ${suffixes.join('/')} files under ${uri}`);
  return keys;
}

/** The suffix a copy keeps, so DuckDB recognises compression (`.csv.gz`): the one the name ends with, else the first. */
export function copySuffix(key: string, suffixes: readonly string[]): string {
  const lower = key.toLowerCase();
  return [...suffixes].sort((a, b) => b.length - a.length).find((s) => lower.endsWith(s)) ?? suffixes[0];
}
