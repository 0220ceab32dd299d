/** A temporary local root with real data files written by DuckDB, and RunSpecs over them. */
import { DuckDBInstance } from '@duckdb/node-api';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { CodeLanguage, DatasetRef, RunSpec } from '../../../src/engines/engine';

export interface LocalRoot {
  root: string;
  /** Absolute path of gs://<bucket>/<key> in the root. */
  pathOf(bucket: string, key: string): string;
  /** Runs DuckDB SQL (COPY ... TO) with `{{bucket/key}}` replaced by that object's local path. */
  writeWithDuckDb(sql: string): Promise<void>;
  cleanup(): Promise<void>;
}

export async function makeLocalRoot(): Promise<LocalRoot> {
  const root = await fs.mkdtemp(path.join(os.tmpdir(), 'cleanroom-local-engine-'));
  const pathOf = (bucket: string, key: string) => path.join(root, 'gs', bucket, ...key.split('/'));
  return {
    root,
    pathOf,
    async writeWithDuckDb(sql: string) {
      const instance = await DuckDBInstance.create(':memory:');
      const connection = await instance.connect();
      const resolved = sql.replace(/\{\{([^/}]+)\/([^}]+)\}\}/g, (_m, bucket: string, key: string) => pathOf(bucket, key));
      for (const match of sql.matchAll(/\{\{([^/}]+)\/([^}]+)\}\}/g)) {
        await fs.mkdir(path.dirname(pathOf(match[1], match[2])), { recursive: true });
      }
      try {
        await connection.run(resolved);
      } finally {
        connection.closeSync();
        instance.closeSync();
      }
    },
    cleanup: () => fs.rm(root, { recursive: true, force: true }),
  };
}

/** Two participants: a publisher's users (parquet) and an advertiser's conversions (csv) and campaigns (json). */
export async function writeSampleData(local: LocalRoot): Promise<DatasetRef[]> {
  await local.writeWithDuckDb(`
    COPY (SELECT * FROM (VALUES (1, 'a@x.org', 'FR'), (2, 'b@x.org', 'DE'), (3, 'c@x.org', 'FR'), (4, 'd@x.org', 'IT'))
          AS t(user_id, email, country)) TO '{{publisher-bucket/data/users/part-0.parquet}}' (FORMAT parquet);
    COPY (SELECT * FROM (VALUES (1, 'c1', 10.5), (1, 'c2', 4.5), (3, 'c1', 7.0), (4, 'c2', 1.0), (9, 'c1', 100.0))
          AS t(user_id, campaign_id, amount)) TO '{{advertiser-bucket/data/conversions.csv}}' (FORMAT csv, HEADER);
    COPY (SELECT * FROM (VALUES ('c1', 'Spring sale'), ('c2', 'Summer sale')) AS t(campaign_id, title))
          TO '{{advertiser-bucket/data/campaigns/campaigns.json}}' (FORMAT json);
  `);
  return [
    { participant: 'publisher', table: 'users', location: 'gs://publisher-bucket/data/users', format: 'parquet' },
    { participant: 'advertiser', table: 'conversions', location: 'gs://advertiser-bucket/data/conversions.csv', format: 'csv' },
    { participant: 'advertiser', table: 'campaigns', location: 'gs://advertiser-bucket/data/campaigns/', format: 'json' },
  ];
}

let jobCounter = 0;

export function runSpec(datasets: DatasetRef[], content: string, overrides: Partial<RunSpec> & { language?: CodeLanguage } = {}): RunSpec {
  jobCounter += 1;
  const { language = 'SQL', ...rest } = overrides;
  return {
    jobId: `job-${process.pid}-${jobCounter}`,
    jobName: 'conversions_by_country',
    participant: 'advertiser',
    code: { participant: 'advertiser', name: 'conversions_by_country', hash: 'a'.repeat(64), language, content },
    parameters: { output: 'gs://advertiser-bucket/output/result' },
    compute: '2X-Small',
    datasets,
    outputLocation: 'gs://advertiser-bucket/output/result',
    ...rest,
  };
}

/** Reads a Delta table independently of src/delta: replays the JSON log, reads the live files with DuckDB. */
export async function readDeltaWithDuckDb(tableDir: string): Promise<Array<Record<string, unknown>>> {
  const logDir = path.join(tableDir, '_delta_log');
  const commits = (await fs.readdir(logDir)).filter((f) => /^\d{20}\.json$/.test(f)).sort();
  const live = new Set<string>();
  for (const commit of commits) {
    for (const line of (await fs.readFile(path.join(logDir, commit), 'utf8')).split('\n').filter(Boolean)) {
      const action = JSON.parse(line) as { add?: { path: string }; remove?: { path: string } };
      if (action.add) live.add(decodeURIComponent(action.add.path));
      if (action.remove) live.delete(decodeURIComponent(action.remove.path));
    }
  }
  if (live.size === 0) return [];
  const instance = await DuckDBInstance.create(':memory:');
  const connection = await instance.connect();
  try {
    const files = [...live].map((p) => `'${path.join(tableDir, p)}'`).join(', ');
    return (await connection.runAndReadAll(`SELECT * FROM read_parquet([${files}]) ORDER BY ALL`)).getRowObjectsJson() as Array<Record<string, unknown>>;
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
}
