/**
 * Installs a packed `cleanroom-runtime` tarball into an empty folder the way `npm install <tarball>` lays it out,
 * without the network: the folder gets a package-lock.json listing the tarball and every production dependency it
 * needs, pinned (version, resolved URL, integrity) to what this repository's lockfile resolved, and `npm ci
 * --offline` then takes each package from npm's cache (filled by the repository's own `npm ci`).
 */
import { createHash } from 'node:crypto';
import { execFile } from 'node:child_process';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

interface LockEntry {
  version?: string;
  resolved?: string;
  integrity?: string;
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
  optional?: boolean;
  dev?: boolean;
  devOptional?: boolean;
  link?: boolean;
  [field: string]: unknown;
}

interface Lockfile {
  name: string;
  lockfileVersion: number;
  packages: Record<string, LockEntry>;
}

/** Where Node would find `name` from the package installed at `from` (a lockfile location). */
function resolveIn(packages: Record<string, LockEntry>, from: string, name: string): string | undefined {
  for (let dir = from; ; ) {
    const candidate = dir === '' ? `node_modules/${name}` : `${dir}/node_modules/${name}`;
    if (packages[candidate] && !packages[candidate].link) return candidate;
    if (dir === '') return undefined;
    const up = dir.lastIndexOf('/node_modules/');
    dir = up === -1 ? '' : dir.slice(0, up);
  }
}

/**
 * The lockfile of a project whose only dependency is the package `workspace` of `repoLock`, installed from
 * `tarball`: the workspace's production dependencies and theirs, at the same relative places.
 */
export function lockfileForTarball(repoLock: Lockfile, workspace: string, tarball: string, tarballIntegrity: string): Lockfile {
  const source = repoLock.packages[workspace];
  if (!source) throw new Error(`${workspace} is not in the lockfile`);
  const target = `node_modules/${workspace}`;
  // Locations in the repository's lockfile → locations in the new project.
  const moved = (location: string): string => (location.startsWith(`${workspace}/`) ? `${target}/${location.slice(workspace.length + 1)}` : location);
  const packages: Record<string, LockEntry> = {
    '': { dependencies: { [workspace]: `file:${tarball}` } },
    [target]: { ...source, version: source.version, resolved: `file:${tarball}`, integrity: tarballIntegrity, devDependencies: undefined },
  };
  const queue: Array<{ from: string; deps: Record<string, string>; optional: boolean }> = [
    { from: workspace, deps: source.dependencies ?? {}, optional: false },
  ];
  while (queue.length > 0) {
    const { from, deps, optional } = queue.shift()!;
    for (const name of Object.keys(deps)) {
      const location = resolveIn(repoLock.packages, from, name);
      if (!location) {
        if (optional) continue; // An optional dependency of another platform that npm did not lock.
        throw new Error(`${name} (needed by ${from || 'the root'}) is not in the lockfile`);
      }
      const to = moved(location);
      if (packages[to]) continue;
      const { dev, devOptional, ...entry } = repoLock.packages[location];
      void dev;
      void devOptional;
      packages[to] = entry;
      queue.push({ from: location, deps: entry.dependencies ?? {}, optional: false });
      queue.push({ from: location, deps: entry.optionalDependencies ?? {}, optional: true });
    }
  }
  return { name: 'installed', lockfileVersion: 3, packages };
}

/** `npm pack` of the workspace into `dir`; returns the tarball's path. */
export async function packWorkspace(repoRoot: string, workspace: string, dir: string): Promise<string> {
  const { stdout } = await run('npm', ['pack', '--json', '--pack-destination', dir], { cwd: path.join(repoRoot, workspace), maxBuffer: 64 * 1024 * 1024 });
  const [packed] = JSON.parse(stdout) as Array<{ filename: string }>;
  return path.join(dir, packed.filename);
}

/** Installs `tarball` (a pack of `workspace`) into the empty folder `dir`, offline. */
export async function installTarballOffline(repoRoot: string, workspace: string, tarball: string, dir: string): Promise<void> {
  const repoLock = JSON.parse(await fs.readFile(path.join(repoRoot, 'package-lock.json'), 'utf8')) as Lockfile;
  const integrity = `sha512-${createHash('sha512').update(await fs.readFile(tarball)).digest('base64')}`;
  const lock = lockfileForTarball(repoLock, workspace, tarball, integrity);
  await fs.writeFile(path.join(dir, 'package.json'), `${JSON.stringify({ name: 'installed', private: true, dependencies: lock.packages[''].dependencies }, null, 2)}\n`);
  await fs.writeFile(path.join(dir, 'package-lock.json'), `${JSON.stringify(lock, null, 2)}\n`);
  await run('npm', ['ci', '--offline', '--no-audit', '--no-fund', '--loglevel=error'], { cwd: dir, maxBuffer: 64 * 1024 * 1024 });
}
