/**
 * `cleanroom sql`: Spark SQL statements rehearsed on the local engine, in an empty session or over the datasets
 * the participant sees in its published `data` table (local mode), with the JSON line shapes and exit codes the
 * command promises.
 */
import { Command } from 'commander';
import { registerSqlCommand } from '../../src/cli/sql-command';
import type { CliIo } from '../../src/cli/participant/io';
import { BUCKETS, Sandbox } from './participant-harness';

let box: Sandbox;

beforeEach(async () => {
  box = await Sandbox.create();
});

afterEach(async () => {
  await box.remove();
});

async function sql(args: string[], env: Record<string, string | undefined> = {}): Promise<{ stdout: string; stderr: string; exitCode: number; error?: Error }> {
  let stdout = '';
  let stderr = '';
  let exitCode = 0;
  const io: CliIo = {
    env: { CLEANROOM_CONFIG_DIR: box.configDir, ...env },
    stdout: { write: (t: string) => (stdout += t) },
    stderr: { write: (t: string) => (stderr += t) },
    nowMs: () => 0,
    sleep: async () => undefined,
    newUuid: () => '00000000-0000-4000-8000-000000000001',
    hostname: () => 'test-host',
    osUser: () => 'os-user',
    setExitCode: (code) => {
      exitCode = code;
    },
  };
  const program = new Command('cleanroom').exitOverride().configureOutput({ writeOut: (t) => (stdout += t), writeErr: (t) => (stderr += t) });
  registerSqlCommand(program, io);
  try {
    await program.parseAsync(['sql', ...args], { from: 'user' });
  } catch (error) {
    return { stdout, stderr, exitCode: 1, error: error as Error };
  }
  return { stdout, stderr, exitCode };
}

function lines(stdout: string): unknown[] {
  return stdout.trim().split('\n').map((l) => JSON.parse(l) as unknown);
}

describe('cleanroom sql', () => {
  it('prints one JSON line per statement: a result, a refusal or an error, and exits 0', async () => {
    const result = await sql([
      '--json',
      '-e',
      "SELECT 1 AS n, 'a' AS s, 9007199254740993L AS big, CAST(2.50 AS DECIMAL(3,2)) AS d, DATE '2024-01-02' AS day, TIMESTAMP '2024-01-02 03:04:05.5' AS ts, array(1, 2) AS xs, named_struct('k', 1) AS st, NULL AS z;" +
        "SELECT split('a1b', '[0-9]', 2); SELECT 1/0; CREATE TEMPORARY VIEW v AS SELECT 1 AS x; SELECT x FROM v",
    ]);
    expect(result.exitCode).toBe(0);
    expect(lines(result.stdout)).toEqual([
      {
        statement: 1,
        columns: [
          { name: 'n', type: 'int' },
          { name: 's', type: 'string' },
          { name: 'big', type: 'bigint' },
          { name: 'd', type: 'decimal(3,2)' },
          { name: 'day', type: 'date' },
          { name: 'ts', type: 'timestamp' },
          { name: 'xs', type: 'array<int>' },
          { name: 'st', type: 'struct<k:int>' },
          { name: 'z', type: 'void' },
        ],
        rows: [[1, 'a', '9007199254740993', 2.5, '2024-01-02', '2024-01-02T03:04:05.5Z', [1, 2], { k: 1 }, null]],
      },
      { statement: 2, refused: expect.stringMatching(/^split with a positive limit is not available in local rehearsal/) },
      { statement: 3, error: expect.stringMatching(/^\[DIVIDE_BY_ZERO\]/) },
      { statement: 4, columns: [], rows: [] },
      { statement: 5, columns: [{ name: 'x', type: 'int' }], rows: [[1]] },
    ]);
  });

  it('reads statements from --file and binds --params to :name markers', async () => {
    const file = await box.writeFile('q.sql', "-- rehearsal\nSELECT :country AS c;\nSELECT upper(:country) AS u;\n");
    const result = await sql(['--json', '--file', file, '--params', '{"country": "fr\'; DROP"}']);
    expect(lines(result.stdout)).toEqual([
      { statement: 1, columns: [{ name: 'c', type: 'string' }], rows: [["fr'; DROP"]] },
      { statement: 2, columns: [{ name: 'u', type: 'string' }], rows: [["FR'; DROP"]] },
    ]);
  });

  it('runs over the datasets the participant sees when a local root is set', async () => {
    await box.putObject('advertiser', 'input/conversions/part-0.csv', 'user_id,amount\nu1,10\nu2,5\nu1,7\n');
    await box.publish('advertiser', 'data', [
      {
        data_id: 'd1',
        participant: 'advertiser',
        data_metastore_name: 'advertiser.conversions',
        description: null,
        location: `gs://${BUCKETS.advertiser}/input/conversions`,
        format: 'csv',
        schema: null,
        created_at: null,
        updated_at: null,
        event_uuid: null,
        events_version: null,
      },
    ]);
    const result = await sql(['--json', '--as', 'advertiser', '-e', 'SELECT user_id, sum(amount) AS total FROM advertiser.conversions GROUP BY user_id ORDER BY user_id'], { CLEANROOM_LOCAL_ROOT: box.localRoot });
    expect(result.error).toBeUndefined();
    expect(lines(result.stdout)).toEqual([{ statement: 1, columns: [{ name: 'user_id', type: 'string' }, { name: 'total', type: 'bigint' }], rows: [['u1', 17], ['u2', 5]] }]);
    expect(result.stderr).toContain('advertiser.conversions');
  });

  it('runs in an empty session without a local root, where no dataset exists', async () => {
    const result = await sql(['--json', '-e', 'SELECT * FROM advertiser.conversions']);
    expect(result.exitCode).toBe(0);
    expect(lines(result.stdout)).toEqual([{ statement: 1, error: expect.stringMatching(/TABLE_OR_VIEW_NOT_FOUND/) }]);
  });

  it('fails (non-zero) only when the command itself cannot run', async () => {
    expect((await sql(['--json'])).exitCode).toBe(1);
    expect((await sql(['--file', '/nonexistent/q.sql'])).error?.message).toMatch(/cannot read/);
    expect((await sql(['-e', 'SELECT 1', '--file', 'x.sql'])).exitCode).toBe(1);
    expect((await sql(['-e', 'SELECT nope'])).exitCode).toBe(0);
  });
});
