/** A local clean room in a temp dir: real local object store, real Delta tables, real local DuckDB engine. */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { controlTableKey, type ControlTableName } from '../../src/control/tables';
import type { DeltaRow, StructType } from '../../src/delta/schema-types';
import { struct } from '../../src/delta/schema-types';
import { DeltaTable } from '../../src/delta/table';
import type { DatasetRef, ExecutionEngine, RunSpec } from '../../src/engines/engine';
import { LocalEngine } from '../../src/engines/local';
import { appendEventRow, onboardParticipant } from '../../src/runtime/control-tables';
import type { RuntimeSettings } from '../../src/runtime/settings';
import { LocalObjectStore } from '../../src/storage/local-store';
import { ADVERTISER, AGENCY, COMPUTE_SIZES, KEEPER } from '../processor/fixtures';
import { InstrumentedStore } from '../support/instrumented-store';

export const SETTINGS: RuntimeSettings = {
  stateBucket: 'cleanroom-state',
  keeper: KEEPER.name,
  computeSizes: COMPUTE_SIZES,
  runHistoryRetentionDays: 30,
  participants: [ADVERTISER, AGENCY, KEEPER],
};

/** The real local engine, with submissions recorded (a spy, not a fake). */
export class SpyEngine implements ExecutionEngine {
  readonly name = 'local' as const;
  submits: Array<{ jobId: string; runId: string; datasets: DatasetRef[] }> = [];
  constructor(private readonly inner: LocalEngine) {}
  syncDatasets(datasets: Parameters<ExecutionEngine['syncDatasets']>[0]): Promise<void> {
    return this.inner.syncDatasets(datasets);
  }
  async submit(spec: RunSpec): Promise<{ runId: string }> {
    const result = await this.inner.submit(spec);
    this.submits.push({ jobId: spec.jobId, runId: result.runId, datasets: spec.datasets });
    return result;
  }
  getRun(runId: string) {
    return this.inner.getRun(runId);
  }
}

export const USERS_SCHEMA: StructType = struct([['user_id', 'string'], ['country', 'string']]);
export const CONVERSIONS_SCHEMA: StructType = struct([['user_id', 'string'], ['amount', 'double']]);

/** Conversions and revenue by country over both datasets, leaving out the country given as `excluded`. */
export const BY_COUNTRY_SQL = [
  'SELECT u.country, count(*) AS conversions, sum(c.amount) AS revenue',
  'FROM publisher.users u JOIN advertiser.conversions c ON u.user_id = c.user_id',
  'WHERE u.country <> :excluded',
  'GROUP BY u.country ORDER BY u.country',
  '',
].join('\n');

export class LocalCleanRoom {
  readonly root = fs.mkdtempSync(path.join(os.tmpdir(), 'cleanroom-pass-'));
  readonly store = new InstrumentedStore(new LocalObjectStore(this.root));
  readonly engine = new SpyEngine(new LocalEngine({ localRoot: this.root, waitForRuns: true }));
  clock = Date.UTC(2026, 0, 15, 9, 0, 0);

  now = (): Date => new Date(this.clock);

  async onboard(): Promise<void> {
    for (const p of SETTINGS.participants) await onboardParticipant(this.store, p.bucket);
  }

  async writeDataset(bucket: string, prefix: string, schema: StructType, rows: DeltaRow[]): Promise<void> {
    const table = await DeltaTable.create(this.store, bucket, prefix, schema);
    await table.append(rows);
  }

  /** Appends rows to a participant's events table, each stamped one second after the previous. */
  async send(bucket: string, ...rows: DeltaRow[]): Promise<void> {
    for (const row of rows) await appendEventRow(this.store, bucket, row);
  }

  async read(bucket: string, table: ControlTableName): Promise<DeltaRow[]> {
    return (await DeltaTable.open(this.store, bucket, controlTableKey(table))).readRows();
  }

  cleanup(): void {
    fs.rmSync(this.root, { recursive: true, force: true });
  }
}
