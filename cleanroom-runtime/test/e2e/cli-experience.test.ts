/**
 * The `cleanroom` binary as a new user meets it, one process per command: exit codes by kind, --wait that follows
 * a job to its run's end, problems named at once, help that helps, messages in the CLI's words, tables that fit
 * a terminal, colour only where asked, completion, and the compiled CLI loading no more than a command needs.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { DeltaTable, struct } from '../../src/delta';
import { LocalObjectStore } from '../../src/storage';

const REPO = path.resolve(__dirname, '../../..');
const BIN = path.join(REPO, 'cleanroom-runtime', 'bin', 'cleanroom.js');
const COMPILED = path.join(REPO, 'cleanroom-runtime', 'dist', 'cli', 'main.js');
const EXAMPLES = path.join(REPO, 'examples');
const ADVERTISER_BUCKET = 'advertiser-cleanroom-data';

interface Result {
  status: number | null;
  stdout: string;
  stderr: string;
}

let dir: string;
let root: string;
let baseEnv: NodeJS.ProcessEnv;

/** One command as a shell runs it (no terminal): environment of the test plus `env`. */
function cleanroom(args: string[], options: { env?: NodeJS.ProcessEnv; input?: string; cwd?: string; nodeArgs?: string[] } = {}): Result {
  const result = spawnSync(process.execPath, [...(options.nodeArgs ?? []), BIN, ...args], {
    cwd: options.cwd ?? dir,
    env: { ...baseEnv, ...options.env },
    input: options.input ?? '',
    encoding: 'utf8',
    timeout: 120_000,
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

const local = (participant: string): string[] => ['--as', participant, '--config', EXAMPLES, '--local-root', root];

beforeAll(async () => {
  if (!existsSync(COMPILED)) throw new Error(`${COMPILED} is missing: \`npm run build\` (npm ci and npm test run it)`);
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'cleanroom-cli-experience-'));
  root = path.join(dir, 'root');
  // No variable of the developer's shell decides an outcome here; no Google credentials are found.
  baseEnv = { PATH: process.env.PATH, HOME: dir, CLOUDSDK_CONFIG: path.join(dir, 'gcloud'), CLEANROOM_USER: 'ana@advertiser.example', TZ: 'UTC' };
  const table = await DeltaTable.create(new LocalObjectStore(root), ADVERTISER_BUCKET, 'input/conversions', struct([['conversion_id', 'string'], ['category', 'string'], ['order_value', 'double']]));
  await table.append([
    { conversion_id: 'cv-1', category: 'shoes', order_value: 8 },
    { conversion_id: 'cv-2', category: 'shoes', order_value: 12.5 },
    { conversion_id: 'cv-3', category: 'outdoor', order_value: 40 },
  ]);
});

afterAll(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

describe('start-up: the compiled CLI, help, version', () => {
  test('--help loads only the command definitions: no DuckDB, cloud client, Parquet, YAML or schema library', async () => {
    const loadedFile = path.join(dir, 'loaded.json');
    const hook = path.join(dir, 'record-modules.js');
    await fs.writeFile(hook, `process.on('exit', () => require('fs').writeFileSync(${JSON.stringify(loadedFile)}, JSON.stringify(Object.keys(require.cache))));\n`);
    const help = cleanroom(['--help'], { nodeArgs: ['--require', hook] });
    expect(help.status).toBe(0);
    const loaded = JSON.parse(await fs.readFile(loadedFile, 'utf8')) as string[];
    expect(loaded).toContain(COMPILED); // the compiled CLI, not the TypeScript sources
    expect(loaded.filter((file) => /node_modules[\\/](@duckdb|@google-cloud|google-auth-library|hyparquet|yaml|zod|tsx)[\\/]/.test(file))).toEqual([]);
    expect(loaded.filter((file) => file.endsWith('.ts'))).toEqual([]);
  });

  test('no arguments and a group alone print help on stdout and exit 0; --version prints the version', () => {
    const bare = cleanroom([]);
    expect(bare.status).toBe(0);
    expect(bare.stdout).toMatch(/^Usage: cleanroom \[options\] \[command\]/);
    expect(bare.stdout).toMatch(/Exit codes:\n\s+0\s+done/);
    expect(bare.stdout).toContain('CLEANROOM_CONFIG_DIR');
    expect(bare.stderr).toBe('');
    const group = cleanroom(['data']);
    expect(group.status).toBe(0);
    expect(group.stdout).toContain('register [options] <participant.table>');
    const version = cleanroom(['--version']);
    expect(version.status).toBe(0);
    expect(version.stdout.trim()).toBe((require('../../package.json') as { version: string }).version);
  });

  test('help marks required options and shows examples', () => {
    const help = cleanroom(['job', 'submit', '--help']);
    expect(help.status).toBe(0);
    expect(help.stdout).toMatch(/--code <name>\s+approved code to run \(required\)/);
    expect(help.stdout).toMatch(/--compute <size>\s+compute size offered by the clean room, e\.g\. Small\s+\(required\)/);
    expect(help.stdout).toMatch(/Examples:\n\s+\$ cleanroom job submit /);
  });

  test('a typo is a usage error (exit 2) with a suggestion', () => {
    const typo = cleanroom(['stauts']);
    expect(typo.status).toBe(2);
    expect(typo.stderr).toMatch(/unknown command 'stauts'[\s\S]*Did you mean status\?/);
    const option = cleanroom(['status', '--jsn']);
    expect(option.status).toBe(2);
    expect(option.stderr).toMatch(/unknown option '--jsn'[\s\S]*Did you mean --json\?/);
  });
});

describe('config', () => {
  test('validate reads --config and CLEANROOM_CONFIG_DIR like every other command', () => {
    const byOption = cleanroom(['config', 'validate', '--config', EXAMPLES]);
    expect(byOption.status).toBe(0);
    expect(byOption.stdout).toContain('clean room "retail-media", 3 participants');
    const byEnv = cleanroom(['config', 'validate'], { env: { CLEANROOM_CONFIG_DIR: EXAMPLES } });
    expect(byEnv.status).toBe(0);
    expect(byEnv.stdout).toContain('clean room "retail-media"');
    const empty = cleanroom(['config', 'validate'], { env: { CLEANROOM_CONFIG_DIR: path.join(dir, 'nowhere') } });
    expect(empty.status).toBe(3);
  });

  test('problems go to stderr with "did you mean", absolute paths outside the current folder, and --json on stdout', async () => {
    const config = path.join(dir, 'typos');
    await fs.cp(EXAMPLES, config, { recursive: true });
    const advertiser = path.join(config, 'participants', 'advertiser.yaml');
    await fs.writeFile(advertiser, (await fs.readFile(advertiser, 'utf8')).replace('role: collaborator', 'role: colaborator').replace('bucket: ', 'bucekt: '));
    const elsewhere = path.join(dir, 'elsewhere');
    await fs.mkdir(elsewhere);
    const text = cleanroom(['config', 'validate', config], { cwd: elsewhere });
    expect(text.status).toBe(3);
    expect(text.stdout).toBe('');
    expect(text.stderr).toContain(`${advertiser}:`); // not ../typos/participants/advertiser.yaml
    expect(text.stderr).toMatch(/bucekt — unknown field \(did you mean "bucket"\?\)/);
    expect(text.stderr).toMatch(/role — [^\n]*got "colaborator" \(did you mean "collaborator"\?\)/);
    const json = cleanroom(['config', 'validate', config, '--json']);
    expect(json.status).toBe(3);
    const document = JSON.parse(json.stdout) as { valid: boolean; problems: Array<{ field: string; line: number; message: string }> };
    expect(document.valid).toBe(false);
    expect(document.problems.map((p) => p.field)).toEqual(expect.arrayContaining(['role', 'bucekt']));
  });

  test('init writes a starter outside the repository whose modelines resolve, and it validates', async () => {
    const target = path.join(dir, 'my-config');
    const init = cleanroom(['config', 'init', target, '--name', 'retail', '--keeper', 'publisher']);
    expect(init.status).toBe(0);
    for (const file of ['cleanroom.yaml', 'participants/publisher.yaml']) {
      const text = await fs.readFile(path.join(target, file), 'utf8');
      const schema = /\$schema=(\S+)/.exec(text)![1];
      const resolved = path.resolve(path.dirname(path.join(target, file)), schema);
      expect(JSON.parse(await fs.readFile(resolved, 'utf8'))).toHaveProperty('properties');
    }
    expect(cleanroom(['config', 'validate', target]).status).toBe(0);
    const again = cleanroom(['config', 'init', target]);
    expect(again.stdout).toContain('kept');
  });
});

describe('no runtime, no credentials', () => {
  test('without --local-root a missing Google credential is named at once, with the fix (exit 4)', () => {
    const result = cleanroom(['status', 'runs', '--as', 'advertiser', '--config', EXAMPLES], { env: { GOOGLE_APPLICATION_CREDENTIALS: path.join(dir, 'missing-key.json') } });
    expect(result.status).toBe(4);
    expect(result.stderr).toContain('GOOGLE_APPLICATION_CREDENTIALS names');
    expect(result.stderr).toContain('--local-root');
    const none = cleanroom(['table', 'show', `gs://${ADVERTISER_BUCKET}/control/runs`], { env: { GOOGLE_APPLICATION_CREDENTIALS: path.join(dir, 'missing-key.json') } });
    expect(none.status).toBe(4);
  });

  test('--wait with no pass running says so early and how to start one, then times out with exit 5', () => {
    const result = cleanroom(['data', 'register', 'advertiser.conversions', '--location', `gs://${ADVERTISER_BUCKET}/input/conversions`, '--format', 'delta', ...local('advertiser'), '--wait', '--timeout', '8']);
    expect(result.status).toBe(5);
    expect(result.stderr).toMatch(/no pass seems to be running[^\n]*`cleanroom runtime watch`/);
    expect(result.stderr).toMatch(/no status for event \S+ after 8s: the event is saved/);
  });

  test('reading before the runtime published anything is "not there yet" (exit 4); an unknown participant is a usage error', () => {
    const unpublished = cleanroom(['status', 'runs', ...local('measurement')]);
    expect(unpublished.status).toBe(4);
    expect(unpublished.stderr).toContain('has not been published for measurement yet');
    const unknown = cleanroom(['status', ...local('advertisr')]);
    expect(unknown.status).toBe(2);
    expect(unknown.stderr).toContain('(did you mean "advertiser"?)');
  });
});

describe('with the runtime watching', () => {
  let watch: ChildProcess;
  let watchLog = '';

  beforeAll(async () => {
    watch = spawn(process.execPath, [BIN, 'runtime', 'watch', '--config', EXAMPLES, '--local-root', root], { env: { ...baseEnv }, stdio: ['ignore', 'pipe', 'pipe'] });
    watch.stdout!.on('data', (chunk: Buffer) => (watchLog += chunk.toString()));
    watch.stderr!.on('data', (chunk: Buffer) => (watchLog += chunk.toString()));
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`runtime watch did not start:\n${watchLog}`)), 60_000);
      const check = setInterval(() => {
        if (watchLog.includes('watching')) {
          clearInterval(check);
          clearTimeout(timer);
          resolve();
        }
      }, 50);
    });
  });

  afterAll(async () => {
    const ended = new Promise((resolve) => watch.once('exit', resolve));
    watch.kill('SIGTERM');
    await ended;
  });

  const register = async (name: string, sql: string): Promise<string> => {
    const file = path.join(dir, `${name}.sql`);
    await fs.writeFile(file, sql);
    const registered = cleanroom(['code', 'register', name, '--file', file, ...local('advertiser'), '--wait']);
    expect(registered.stderr + registered.stdout).toMatch(/SUCCESS/);
    const pending = cleanroom(['code', 'pending', '--json', ...local('publisher')]);
    const row = pending.stdout.trim().split('\n').map((l) => JSON.parse(l) as { code_name: string; version_hash: string }).find((r) => r.code_name === name)!;
    return row.version_hash;
  };

  test('requests with --wait: a refusal exits 1 in the CLI\'s words; stdin feeds --file and --params', () => {
    // The registration written while no pass ran (above) was processed by the first pass.
    const again = cleanroom(['data', 'register', 'advertiser.conversions', '--location', `gs://${ADVERTISER_BUCKET}/input/conversions`, '--format', 'delta', ...local('advertiser'), '--wait']);
    expect(again.status).toBe(1);
    expect(again.stdout).toMatch(/ERROR: dataset advertiser\.conversions is already registered: change it with `cleanroom data update`/);
    const unknown = cleanroom(['data', 'delete', 'advertiser.foo', ...local('advertiser'), '--wait']);
    expect(unknown.status).toBe(1);
    expect(unknown.stdout).toMatch(/ERROR: dataset advertiser\.foo is not registered: register it first \(`cleanroom data register`/);
    const fromStdin = cleanroom(['code', 'register', 'from_stdin', '--file', '-', '--language', 'sql', ...local('advertiser'), '--wait'], { input: 'SELECT category FROM advertiser.conversions\n' });
    expect(fromStdin.status).toBe(0);
    expect(fromStdin.stderr).toContain('SQL code, sha256');
    const noLanguage = cleanroom(['code', 'register', 'no_language', '--file', '-', ...local('advertiser')], { input: 'SELECT 1\n' });
    expect(noLanguage.status).toBe(2);
    expect(noLanguage.stderr).toContain('--language');
  });

  test('a mistyped --hash is caught before anything is written, naming the current version', async () => {
    const current = await register('typo_check', 'SELECT category FROM advertiser.conversions\n');
    const wrong = `${current.slice(0, 60)}0000`;
    const result = cleanroom(['code', 'approve', 'typo_check', '--hash', wrong, '--reason', 'ok', ...local('publisher'), '--wait']);
    expect(result.status).toBe(2);
    expect(result.stderr).toContain(`is not the current version of "typo_check" (${current}`);
    expect(result.stderr).not.toContain('changed since you reviewed it');
  });

  test('job submit --wait follows the run to its end: a failed run exits 1 with its error, a good one exits 0', async () => {
    const broken = await register('broken_sql', 'SELECT no_such_column FROM advertiser.conversions\n');
    expect(cleanroom(['code', 'approve', 'broken_sql', '--hash', broken, '--reason', 'try it', ...local('publisher'), '--wait']).status).toBe(0);
    const failed = cleanroom(['job', 'submit', 'broken_1', '--code', 'broken_sql', '--compute', 'Small', '--params', '-', ...local('advertiser'), '--wait', '--timeout', '120'], {
      input: JSON.stringify({ output: `gs://${ADVERTISER_BUCKET}/output/broken_1` }),
    });
    expect(failed.status).toBe(1);
    expect(failed.stdout).toMatch(/^SUCCESS: /m); // the job was accepted...
    expect(failed.stdout).toMatch(/run \S+: TERMINATED FAILED/); // ...and its run failed
    expect(failed.stdout).toMatch(/no_such_column/);

    const good = await register('by_category', 'SELECT category, count(*) AS orders, sum(order_value) AS revenue FROM advertiser.conversions GROUP BY category ORDER BY category\n');
    expect(cleanroom(['code', 'approve', 'by_category', '--hash', good, '--reason', 'aggregates', ...local('publisher'), '--wait']).status).toBe(0);
    const output = `gs://${ADVERTISER_BUCKET}/output/by_category_1`;
    const succeeded = cleanroom(['job', 'submit', 'by_category_1', '--code', 'by_category', '--compute', 'Small', '--params', JSON.stringify({ output }), ...local('advertiser'), '--wait', '--timeout', '120']);
    expect(succeeded.status).toBe(0);
    expect(succeeded.stdout).toMatch(/run \S+: TERMINATED SUCCESS, output at gs:\/\/advertiser-cleanroom-data\/output\/by_category_1/);

    // Doubles keep their decimals on screen; JSON keeps numbers.
    const shown = cleanroom(['table', 'show', output, '--local-root', root]);
    expect(shown.stdout).toMatch(/outdoor\s+1\s+40\.0\n/);
    expect(shown.stdout).toMatch(/shoes\s+2\s+20\.5\n/);
    const json = cleanroom(['table', 'show', output, '--local-root', root, '--json']);
    expect(JSON.parse(json.stdout.split('\n')[0])).toEqual({ category: 'outdoor', orders: '1', revenue: 40 });
  });

  test('status fits an 80-column terminal; an empty table says so', async () => {
    const runs = cleanroom(['status', 'runs', ...local('advertiser')], { env: { COLUMNS: '80' } });
    expect(runs.status).toBe(0);
    const lines = runs.stdout.split('\n');
    // Records instead of a wide table: every aligned line fits; only a long free-text value may run on.
    expect(lines.filter((l) => l.length > 80 && !/^(error|run_page_url|release_message)\s/.test(l))).toEqual([]);
    expect(runs.stdout).toMatch(/^job_name\s+broken_1$/m);
    const wide = cleanroom(['status', 'runs', ...local('advertiser')]);
    expect(wide.stdout.split('\n')[0]).toMatch(/^job_name\s+run_id\s+state/);

    const empty = path.join(dir, 'empty-table');
    await DeltaTable.create(new LocalObjectStore(path.dirname(empty), { bucketLayout: 'direct' }), path.basename(empty), '', struct([['a', 'string']]));
    const shown = cleanroom(['table', 'show', empty]);
    expect(shown.status).toBe(0);
    expect(shown.stdout).toBe('(no rows)\n');
  });

  test('colour only where asked: FORCE_COLOR colours, NO_COLOR and --no-color win', () => {
    const args = ['data', 'delete', 'advertiser.nothing', ...local('advertiser'), '--wait'];
    expect(cleanroom(args, { env: { FORCE_COLOR: '1' } }).stdout).toContain('\x1b[31mERROR\x1b[0m');
    expect(cleanroom(args, { env: { FORCE_COLOR: '1', NO_COLOR: '1' } }).stdout).not.toContain('\x1b[');
    const flag = cleanroom([...args, '--no-color'], { env: { FORCE_COLOR: '1' } });
    expect(flag.stdout).not.toContain('\x1b[');
    expect(flag.status).toBe(1);
    expect(cleanroom(['--help', '--no-color'], { env: { FORCE_COLOR: '1' } }).stdout).not.toContain('\x1b[');
  });

  afterAll(() => {
    expect(watchLog).not.toMatch(/pass failed/);
  });
});

test('bash completion offers subcommands, options and status views', () => {
  const script = cleanroom(['completion', 'bash']).stdout;
  const complete = (words: string[]): string[] => {
    const line = `${script}\nCOMP_WORDS=(${words.map((w) => `'${w}'`).join(' ')}); COMP_CWORD=${words.length - 1}; _cleanroom; printf '%s\\n' "\${COMPREPLY[@]}"`;
    const result = spawnSync('bash', ['-c', line], { encoding: 'utf8' });
    expect(result.stderr).toBe('');
    return result.stdout.split('\n').filter(Boolean);
  };
  expect(complete(['cleanroom', 'da'])).toEqual(['data']);
  expect(complete(['cleanroom', 'data', 're'])).toEqual(['register']);
  expect(complete(['cleanroom', 'status', 'r'])).toEqual(['runs']);
  expect(complete(['cleanroom', 'job', 'submit', '--com'])).toEqual(['--compute']);
  expect(complete(['cleanroom', 'code', 'register', 'x', '--file', ''])).toEqual([]); // a file name: the shell completes it
  expect(cleanroom(['completion', 'fish']).status).toBe(2);
  expect(cleanroom(['completion', 'zsh']).stdout).toMatch(/^autoload -U \+X bashcompinit && bashcompinit/);
});
