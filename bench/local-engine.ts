/**
 * Local engine benchmark: two participants' datasets as Parquet (1,000,000 conversions of an advertiser,
 * 100,000 users of a publisher), generated with DuckDB in a temporary local root; one RunSpec whose approved SQL
 * joins them and groups by country and campaign. The figure is the wall time of `LocalEngine.submit` (the run
 * happens inside it: load both datasets into the sandbox, run the SQL, write the result as a Delta table),
 * median of RUNS runs (each a new job, so none is answered from the engine's run records).
 */
import { DuckDBInstance } from '@duckdb/node-api';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import type { DatasetRef, RunSpec } from '../cleanroom-runtime/src/engines/engine';
import { LocalEngine } from '../cleanroom-runtime/src/engines/local';
import { DeltaTable } from '../cleanroom-runtime/src/delta';
import { LocalObjectStore, localPathFor } from '../cleanroom-runtime/src/storage/local-store';
import { progress, type Emit } from './figures';
import { percentile, timed, withTempDir } from './timing';

const NAME = 'engine';
const CONVERSIONS = 1_000_000;
const USERS = 100_000;
const CAMPAIGNS = 50;

const RUNS = 3;

const SQL = `
  SELECT u.country, c.campaign_id, count(*) AS conversions, count(DISTINCT c.user_id) AS buyers, sum(c.amount) AS revenue
  FROM advertiser.conversions c JOIN publisher.users u ON u.user_id = c.user_id
  WHERE c.amount >= :min_amount
  GROUP BY u.country, c.campaign_id
  ORDER BY u.country, c.campaign_id`;

const DATASETS: DatasetRef[] = [
  { participant: 'publisher', table: 'users', location: 'gs://bench-publisher/input/users', format: 'parquet' },
  { participant: 'advertiser', table: 'conversions', location: 'gs://bench-advertiser/input/conversions', format: 'parquet' },
];

export async function runLocalEngine(emit: Emit): Promise<void> {
  await withTempDir(NAME, async (root) => {
    progress(NAME, `writing ${CONVERSIONS.toLocaleString('en')} conversions and ${USERS.toLocaleString('en')} users as Parquet`);
    const { ms: generateMs } = await timed(() => writeDatasets(root));
    progress(NAME, `data written in ${(generateMs / 1000).toFixed(1)} s; running the join + group-by`);

    const engine = new LocalEngine({ localRoot: root, waitForRuns: true });
    await engine.syncDatasets(DATASETS);
    const store = new LocalObjectStore(root);
    const wallMs: number[] = [];
    let outputRows = 0;
    for (let r = 1; r <= RUNS; r++) {
      const output = `gs://bench-advertiser/output/by_country_${r}`;
      const { result, ms } = await timed(() => engine.submit(specFor(`bench-join-group-by-${r}`, output)));
      const status = await engine.getRun(result.runId);
      if (status.resultState !== 'SUCCESS') throw new Error(`the benchmark run failed: ${status.error ?? status.stateMessage ?? status.lifeCycleState}`);
      wallMs.push(ms);
      // Check the run really joined the data: every conversion of a known user must be counted once.
      const rows = await (await DeltaTable.open(store, 'bench-advertiser', `output/by_country_${r}`)).readRows();
      const counted = rows.reduce((n, row) => n + Number(row.conversions), 0);
      if (counted < CONVERSIONS / 4 || counted > CONVERSIONS) throw new Error(`the join counted ${counted} conversions: the data or the query is wrong`);
      outputRows = rows.length;
    }

    const inputRows = CONVERSIONS + USERS;
    const median = percentile(wallMs, 50);
    const context = { conversions: CONVERSIONS, users: USERS, inputRows, outputRows, runs: RUNS, format: 'parquet', output: 'delta' };
    emit('join_group_by_wall_time', median, 'ms', context);
    emit('join_group_by_rate', inputRows / (median / 1000), 'rows/s', context);
  });
}

function specFor(jobId: string, output: string): RunSpec {
  return {
    jobId,
    jobName: 'conversions_by_country_and_campaign',
    participant: 'advertiser',
    code: { participant: 'advertiser', name: 'conversions_by_country_and_campaign', hash: 'b'.repeat(64), language: 'SQL', content: SQL },
    parameters: { min_amount: '0', output },
    compute: '2X-Small',
    datasets: DATASETS,
    outputLocation: output,
  };
}

/** Deterministic data (hash-based), so every run reads the same rows. */
async function writeDatasets(root: string): Promise<void> {
  const users = localPathFor(root, 'bench-publisher', 'input/users/part-0.parquet');
  const conversions = localPathFor(root, 'bench-advertiser', 'input/conversions/part-0.parquet');
  await fs.mkdir(path.dirname(users), { recursive: true });
  await fs.mkdir(path.dirname(conversions), { recursive: true });
  const instance = await DuckDBInstance.create(':memory:');
  const connection = await instance.connect();
  try {
    await connection.run(`
      COPY (SELECT i AS user_id, 'user' || i || '@example.org' AS email,
                   (['FR', 'DE', 'IT', 'ES', 'NL', 'BE', 'PL', 'SE'])[(1 + hash(i) % 8)::BIGINT] AS country
            FROM range(${USERS}) t(i))
      TO '${users}' (FORMAT parquet)`);
    await connection.run(`
      COPY (SELECT i AS conversion_id, (hash(i) % ${USERS * 2})::BIGINT AS user_id, 'c' || (hash(i + 1) % ${CAMPAIGNS})::BIGINT AS campaign_id,
                   round(((hash(i + 2) % 10000)::BIGINT) / 100.0, 2) AS amount
            FROM range(${CONVERSIONS}) t(i))
      TO '${conversions}' (FORMAT parquet)`);
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
}
