/**
 * The runtime package installs on its own: `npm pack`, the tarball installed in an empty folder outside this
 * repository (offline: every dependency pinned to what this repository's lockfile resolved, taken from npm's
 * cache), then `npx cleanroom --help`, `npx cleanroom demo` and a config started with `config init` there.
 */
import { execFile } from 'node:child_process';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { installTarballOffline, packWorkspace } from '../support/offline-install';

const run = promisify(execFile);
const REPO = path.resolve(__dirname, '../../..');

let dir: string;
let project: string;
let tarball: string;

async function npx(args: string[], cwd = project): Promise<{ stdout: string; stderr: string }> {
  const env = { PATH: process.env.PATH, HOME: dir, npm_config_cache: process.env.npm_config_cache, TZ: 'UTC' };
  return run('npx', ['--offline', ...args], { cwd, env, maxBuffer: 16 * 1024 * 1024, timeout: 300_000 });
}

beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'cleanroom-package-'));
  project = path.join(dir, 'project');
  await fs.mkdir(project);
  tarball = await packWorkspace(REPO, 'cleanroom-runtime', dir);
  await installTarballOffline(REPO, 'cleanroom-runtime', tarball, project);
}, 600_000);

afterAll(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

test('the tarball holds the compiled CLI, its schemas and the example clean room, and no TypeScript or tests', async () => {
  const { stdout } = await run('tar', ['tzf', tarball]);
  const files = stdout.split('\n').filter(Boolean);
  expect(files).toEqual(expect.arrayContaining(['package/bin/cleanroom.js', 'package/dist/cli/main.js', 'package/dist/engines/local/job-worker.js', 'package/schema/cleanroom.schema.json', 'package/examples/cleanroom.yaml']));
  expect(files.filter((f) => /\.ts$|^package\/(src|test)\//.test(f))).toEqual([]);
  // The Databricks notebooks the runtime owns are read from next to the compiled engine at run time.
  expect(files).toEqual(expect.arrayContaining(['package/dist/engines/databricks/runner/cleanroom_runner.py', 'package/dist/engines/databricks/runner/cleanroom_release.py']));
  expect(files.filter((f) => /test_[^/]*\.py$/.test(f))).toEqual([]);
  // The packed examples point their editors at the package's own schemas.
  const installed = path.join(project, 'node_modules', 'cleanroom-runtime');
  const modeline = /\$schema=(\S+)/.exec(await fs.readFile(path.join(installed, 'examples', 'participants', 'publisher.yaml'), 'utf8'))![1];
  await expect(fs.access(path.resolve(installed, 'examples', 'participants', modeline))).resolves.toBeUndefined();
  // Nothing of the repository is reachable from the installed copy.
  expect((await fs.realpath(installed)).startsWith(REPO)).toBe(false);
});

test('npx cleanroom --help and npx cleanroom demo work in the installed folder', async () => {
  const help = await npx(['cleanroom', '--help']);
  expect(help.stdout).toMatch(/^Usage: cleanroom/);
  const demo = await npx(['cleanroom', 'demo']);
  expect(demo.stdout).toMatch(/The job's output, in the advertiser's bucket[\s\S]*segment\s+matched_users/);
  expect(demo.stdout).toMatch(/demo done in [\d.]+s: job segment_overlap_run_1 succeeded/);
  // Its job ran in the compiled worker: no TypeScript loader is installed here to run any other.
  await expect(fs.access(path.join(project, 'node_modules', 'tsx'))).rejects.toThrow();
  expect((await fs.readdir(path.join(project, '.cleanroom', 'engine', 'runs'))).some((f) => f.endsWith('.json'))).toBe(true);
}, 300_000);

test('config init writes a configuration outside any checkout whose modelines resolve, and it validates', async () => {
  const config = path.join(dir, 'our-cleanroom');
  await npx(['cleanroom', 'config', 'init', config, '--name', 'retail', '--keeper', 'publisher']);
  const text = await fs.readFile(path.join(config, 'participants', 'publisher.yaml'), 'utf8');
  const schema = path.resolve(config, 'participants', /\$schema=(\S+)/.exec(text)![1]);
  expect(JSON.parse(await fs.readFile(schema, 'utf8'))).toHaveProperty('title', 'participants/<name>.yaml');
  const validated = await npx(['cleanroom', 'config', 'validate', config]);
  expect(validated.stdout).toMatch(/is valid: clean room "retail", 1 participant, keeper "publisher"/);
});
