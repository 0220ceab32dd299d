/** `cleanroom table show|history` on a fixture folder and on a gs:// URI served from a local root. */
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { Command } from 'commander';
import { registerTableCommands } from '../../src/cli/table-commands';
import type { CliIo } from '../../src/cli/participant/io';
import { DeltaTable, struct } from '../../src/delta';
import { LocalObjectStore } from '../../src/storage/local-store';
import { copyFixture, replaceProtocol } from './log-edits';
import { FIXTURES } from './support';

async function run(args: string[], env: Record<string, string> = {}): Promise<{ stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const io = {
    env,
    stdout: { write: (s: string) => (stdout += s) },
    stderr: { write: (s: string) => (stderr += s) },
  } as unknown as CliIo;
  const program = new Command('cleanroom').exitOverride();
  registerTableCommands(program, io);
  await program.parseAsync(['node', 'cleanroom', ...args]);
  return { stdout, stderr };
}

let root: string;
beforeAll(async () => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'delta-cli-'));
  const table = await DeltaTable.create(new LocalObjectStore(root), 'acme-data', 'control/runs', struct([['run_id', 'string'], ['n', 'long'], ['at', 'timestamp']]));
  await table.append([{ run_id: 'r1', n: 9007199254740993n, at: 253402214400000000n }]);
  await table.append([{ run_id: 'r2', n: null, at: -1n }]);
});
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

describe('cleanroom table', () => {
  it('shows a fixture folder as a readable table', async () => {
    const { stdout, stderr } = await run(['table', 'show', path.join(FIXTURES, 'kernel-timestamp-INT96')]);
    const lines = stdout.trim().split('\n');
    expect(lines[0].split(/\s+/)).toEqual(['id', 'part', 'time']);
    expect(lines).toHaveLength(6);
    // Rows come in file order: compare them as a set.
    expect(lines.slice(1).map((line) => line.split(/\s+/)[0]).sort()).toEqual(['0', '1', '2', '3', '4']);
    expect(lines.find((line) => line.startsWith('3 '))).toMatch(/^3\s+1969-01-01T00:00:00\.000000Z\s+1969-01-01T00:00:00\.000000Z$/);
    expect(stderr).toMatch(/version 0: 5 row\(s\); columns: id integer, part timestamp \(partition\), time timestamp/);
  });

  it('keeps the order the rows were written in (a job\'s ORDER BY), in text as in --json', async () => {
    const ordered = await DeltaTable.create(new LocalObjectStore(root), 'acme-data', 'output/ranked', struct([['name', 'string'], ['score', 'long']]));
    await ordered.append([{ name: 'zoe', score: 9n }, { name: 'adam', score: 7n }, { name: 'mia', score: 3n }]);
    const text = await run(['table', 'show', 'gs://acme-data/output/ranked', '--local-root', root]);
    const json = await run(['table', 'show', 'gs://acme-data/output/ranked', '--local-root', root, '--json']);
    const fromText = text.stdout.trim().split('\n').slice(1).map((line) => line.split(/\s+/)[0]);
    const fromJson = json.stdout.trim().split('\n').map((line) => (JSON.parse(line) as { name: string }).name);
    expect(fromText).toEqual(['zoe', 'adam', 'mia']);
    expect(fromJson).toEqual(fromText);
  });

  it('time-travels with --version and prints JSON lines with --json', async () => {
    const { stdout } = await run(['table', 'show', path.join(FIXTURES, 'snapshot-data2-deleted'), '--version', '2', '--json']);
    const rows = stdout.trim().split('\n').map((l) => JSON.parse(l));
    expect(rows).toHaveLength(10);
    expect(rows.every((r) => /^data-2-\d$/.test(r.col2))).toBe(true);
    await expect(run(['table', 'show', path.join(FIXTURES, 'snapshot-data1'), '--version', 'two'])).rejects.toThrow(/--version must be/);
  });

  it('reads gs:// URIs from --local-root or CLEANROOM_LOCAL_ROOT, longs and timestamps as exact strings', async () => {
    const viaFlag = await run(['table', 'show', 'gs://acme-data/control/runs', '--local-root', root, '--json']);
    const viaEnv = await run(['table', 'show', 'gs://acme-data/control/runs', '--json'], { CLEANROOM_LOCAL_ROOT: root });
    expect(viaEnv.stdout).toBe(viaFlag.stdout);
    const rows = viaFlag.stdout.trim().split('\n').map((l) => JSON.parse(l));
    expect(rows).toContainEqual({ run_id: 'r1', n: '9007199254740993', at: '9999-12-31T00:00:00.000000Z' });
    expect(rows).toContainEqual({ run_id: 'r2', n: null, at: '1969-12-31T23:59:59.999999Z' });
  });

  it('prints history newest first', async () => {
    const { stdout } = await run(['table', 'history', 'gs://acme-data/control/runs', '--local-root', root]);
    const lines = stdout.trim().split('\n');
    expect(lines[0].split(/\s+/)).toEqual(['version', 'timestamp', 'operation', 'parameters', 'engine']);
    expect(lines.slice(1).map((l) => l.split(/\s+/)[0])).toEqual(['2', '1', '0']);
    expect(lines[3]).toMatch(/CREATE TABLE.*cleanroom\//);
    const json = await run(['table', 'history', path.join(FIXTURES, 'snapshot-data2-deleted'), '--json']);
    expect(json.stdout.trim().split('\n').map((l) => JSON.parse(l).operation)[0]).toBe('DELETE');
  });

  it('names the problem when the location holds no table or an unsupported one', async () => {
    await expect(run(['table', 'show', 'gs://acme-data/control/missing', '--local-root', root])).rejects.toThrow(/no Delta table at gs:\/\/acme-data\/control\/missing/);
    const unsupported = copyFixture('table-with-dv-small', root);
    replaceProtocol(unsupported, 0, { minReaderVersion: 3, minWriterVersion: 7, readerFeatures: ['deletionVectors', 'v2Checkpoint'], writerFeatures: ['deletionVectors', 'v2Checkpoint'] });
    await expect(run(['table', 'show', unsupported])).rejects.toThrow(/"v2Checkpoint".*DROP FEATURE v2Checkpoint/);
  });

  it('shows tables Databricks writes: deleted rows left out, nested values as JSON, timestamp_ntz without zone', async () => {
    const dv = await run(['table', 'show', path.join(FIXTURES, 'table-with-dv-small')]);
    expect(dv.stdout.trim().split('\n').slice(1).sort()).toEqual(['1', '2', '3', '4', '5', '6', '7', '8']);
    const mapped = await run(['table', 'show', path.join(FIXTURES, 'table-with-columnmapping-mode-name'), '--json']);
    const row = mapped.stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>).find((r) => r.IntegerType === 1)!;
    expect(row.nested_struct).toEqual({ aa: '1', ac: { aca: 1 } });
    expect(row.map_of_prims).toEqual([{ key: 1, value: '2' }, { key: 3, value: '4' }]);
    expect(row.LongType).toBe('1');
    const ntz = await run(['table', 'show', path.join(FIXTURES, 'data-reader-timestamp_ntz')]);
    expect(ntz.stdout).toMatch(/^0\s+2021-11-18T02:30:00\.123456\s+2021-11-18T02:30:00\.123456$/m);
  });

  it('is wired into the real CLI binary', async () => {
    const bin = path.resolve(__dirname, '../../bin/cleanroom.js');
    const { stdout } = await promisify(execFile)(process.execPath, [bin, 'table', 'show', 'gs://acme-data/control/runs', '--json'], {
      env: { ...process.env, CLEANROOM_LOCAL_ROOT: root },
    });
    expect(stdout.trim().split('\n')).toHaveLength(2);
  });
});
