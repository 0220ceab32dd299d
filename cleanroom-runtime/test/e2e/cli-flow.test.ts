/**
 * The participant → runtime → status flow through the real `cleanroom` binary (one process per command, as a
 * user types them), against a temporary local root: the advertiser registers data and code, the operator ticks,
 * the publisher reviews and approves the exact hash, the advertiser submits a job, and the run and its output
 * are readable with `status runs --json` and `table show`.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { DeltaTable, struct, type DeltaRow } from '../../src/delta';
import { LocalObjectStore } from '../../src/storage';

const run = promisify(execFile);
const REPO = path.resolve(__dirname, '../../..');
const BIN = path.join(REPO, 'cleanroom-runtime', 'bin', 'cleanroom.js');
const ADVERTISER_BUCKET = 'advertiser-cleanroom-data';

const SQL = [
  '-- Orders and revenue per product category, orders under :min_value left out.',
  'SELECT product_category, count(*) AS orders, round(sum(order_value), 2) AS revenue',
  'FROM advertiser.conversions',
  'WHERE order_value >= :min_value',
  'GROUP BY product_category',
  'ORDER BY product_category',
  '',
].join('\n');

const CONVERSIONS: DeltaRow[] = [
  { conversion_id: 'cv-1', product_category: 'shoes', order_value: 80.5 },
  { conversion_id: 'cv-2', product_category: 'shoes', order_value: 19.5 },
  { conversion_id: 'cv-3', product_category: 'outdoor', order_value: 120.25 },
  { conversion_id: 'cv-4', product_category: 'shoes', order_value: 45 },
  { conversion_id: 'cv-5', product_category: 'beauty', order_value: 12 },
];

let dir: string;
let env: NodeJS.ProcessEnv;

async function cleanroom(...args: string[]): Promise<{ stdout: string; stderr: string }> {
  try {
    return await run(process.execPath, [BIN, ...args], { env, cwd: dir });
  } catch (error) {
    const failed = error as Error & { stdout?: string; stderr?: string };
    throw new Error(`cleanroom ${args.join(' ')} failed: ${failed.message}\n${failed.stdout ?? ''}${failed.stderr ?? ''}`);
  }
}

/** `runtime tick --json`: the statuses of the events the pass processed. */
async function tick(): Promise<string[]> {
  const { stdout } = await cleanroom('runtime', 'tick', '--json');
  const report = JSON.parse(stdout) as { events: Array<{ eventType: string; status: string; message: string }>; errors: string[] };
  expect(report.errors).toEqual([]);
  return report.events.map((e) => `${e.eventType}:${e.status}:${e.status === 'SUCCESS' ? '' : e.message}`);
}

beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'cleanroom-cli-flow-'));
  const root = path.join(dir, 'root');
  env = { ...process.env, CLEANROOM_CONFIG_DIR: path.join(REPO, 'examples'), CLEANROOM_LOCAL_ROOT: root, CLEANROOM_USER: 'ana@advertiser.example', NO_COLOR: '1' };
  const table = await DeltaTable.create(new LocalObjectStore(root), ADVERTISER_BUCKET, 'input/conversions', struct([['conversion_id', 'string'], ['product_category', 'string'], ['order_value', 'double']]));
  await table.append(CONVERSIONS);
  await fs.writeFile(path.join(dir, 'by_category.sql'), SQL);
});
afterAll(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

test('register, tick, review and approve the hash, tick, submit, tick: the run succeeds and its output is readable', async () => {
  const hash = createHash('sha256').update(SQL).digest('hex');
  await cleanroom('data', 'register', 'advertiser.conversions', '--location', `gs://${ADVERTISER_BUCKET}/input/conversions`, '--format', 'delta', '--as', 'advertiser');
  const registered = await cleanroom('code', 'register', 'by_category', '--file', 'by_category.sql', '--default-params', '{"min_value": "15"}', '--as', 'advertiser');
  expect(registered.stderr).toContain(`sha256 ${hash}`);
  expect(await tick()).toEqual(['DATA:SUCCESS:', 'CODE:SUCCESS:']);

  const pending = await cleanroom('code', 'pending', '--json', '--as', 'publisher');
  const awaiting = pending.stdout.trim().split('\n').map((line) => JSON.parse(line) as Record<string, string>);
  expect(awaiting.map((p) => [p.code_name, p.participant, p.notebook_contents_hash, p.default_parameters])).toEqual([['by_category', 'advertiser', hash, '{"min_value":"15"}']]);
  await cleanroom('code', 'approve', 'by_category', '--hash', awaiting[0].version_hash, '--reason', 'aggregates only', '--as', 'publisher');
  expect(await tick()).toEqual(['CODE_REQUEST_APPROVED:SUCCESS:']);

  const output = `gs://${ADVERTISER_BUCKET}/output/by_category_1`;
  const submitted = await cleanroom('job', 'submit', 'by_category_1', '--code', 'by_category', '--params', JSON.stringify({ output }), '--compute', 'Small', '--as', 'advertiser');
  const jobId = submitted.stdout.trim();
  expect(await tick()).toEqual(['JOB:SUCCESS:']);

  // The run goes on in its own process after the tick that submitted it; later ticks poll it.
  const readRuns = async () => (await cleanroom('status', 'runs', '--json', '--as', 'advertiser')).stdout.trim().split('\n').map((line) => JSON.parse(line) as Record<string, string>);
  let runs = await readRuns();
  for (let ticks = 0; runs[0]?.state !== 'TERMINATED' && ticks < 60; ticks++) {
    await new Promise((resolve) => setTimeout(resolve, 250));
    expect(await tick()).toEqual([]);
    runs = await readRuns();
  }
  expect(runs).toEqual([expect.objectContaining({ job_id: jobId, job_name: 'by_category_1', state: 'TERMINATED', result_state: 'SUCCESS', output_location: output })]);

  // Expected aggregate, recomputed from the rows written above with the code's default min_value.
  const expected = new Map<string, { orders: number; revenue: number }>();
  for (const row of CONVERSIONS.filter((r) => Number(r.order_value) >= 15)) {
    const agg = expected.get(String(row.product_category)) ?? { orders: 0, revenue: 0 };
    expected.set(String(row.product_category), { orders: agg.orders + 1, revenue: agg.revenue + Number(row.order_value) });
  }
  const shown = await cleanroom('table', 'show', output, '--json');
  const rows = shown.stdout.trim().split('\n').map((line) => JSON.parse(line) as { product_category: string; orders: string; revenue: number });
  expect(rows.map((r) => [r.product_category, Number(r.orders), r.revenue]).sort()).toEqual(
    [...expected].map(([category, a]) => [category, a.orders, Math.round(a.revenue * 100) / 100]).sort(),
  );
  // Seven CLI processes, four passes and a run in its own process: most of a minute on a busy 2-core machine.
}, 180_000);
