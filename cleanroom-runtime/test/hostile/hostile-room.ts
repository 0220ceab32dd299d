/**
 * The hostile-input corpus' harness: a real local clean room (local object store, Delta control tables, the local
 * DuckDB engine, real `runPass`) where bad rows are appended to participants' events tables as they are (raw rows,
 * so what the CLI would refuse can be crafted), a pass is run, and each event's published `event_status` is looked
 * up by its uuid.
 */
import { randomUUID } from 'node:crypto';
import { CONTROL_TABLES, controlTableKey } from '../../src/control/tables';
import type { DeltaRow, DeltaValue } from '../../src/delta/schema-types';
import { DeltaTable } from '../../src/delta/table';
import { runPass, type PassReport } from '../../src/runtime/run-pass';
import { LocalCleanRoom, SETTINGS, USERS_SCHEMA, CONVERSIONS_SCHEMA } from '../runtime/pass-fixtures';

import { cli, seed, sha256, versionHash } from '../processor/fixtures';

export { cli, seed, pythonJsonDumps, COMPUTE_SIZES } from '../processor/fixtures';
export { SETTINGS };

export const KEEPER_BUCKET = 'publisher-bucket';
export const ADVERTISER_BUCKET = 'advertiser-bucket';
export const AGENCY_BUCKET = 'agency-bucket';

export { sha256, versionHash };

/** The keeper's code every collaborator may run (approved on registration). */
export const KEEPER_SQL = '-- Databricks notebook source\nSELECT count(*) AS n FROM publisher.users\n';

/** One hostile (or control) event and what its event_status must say. */
export interface Case {
  title: string;
  row: DeltaRow;
  /** Exact message expected in event_status. */
  message: string;
  status?: 'ERROR' | 'SUCCESS';
  /** The event_status uuid when it is not the row's (rows without a usable uuid get a synthetic one). */
  statusUuid?: string;
}

/** An events row with any column value, as a hostile notebook could write it. */
export function rawRow(columns: Partial<Record<keyof typeof ROW_DEFAULTS, DeltaValue>>, atMs: number): DeltaRow {
  return { ...ROW_DEFAULTS, uuid: randomUUID(), timestamp: BigInt(atMs) * 1000n, ...columns };
}

const ROW_DEFAULTS = {
  event_type: 'DATA' as DeltaValue,
  uuid: '' as DeltaValue,
  payload: '{}' as DeltaValue,
  timestamp: 0n as DeltaValue,
  user: 'mallory@example.com' as DeltaValue,
  notebook: 'hostile' as DeltaValue,
  hostname: 'laptop' as DeltaValue,
  api_version: '2' as DeltaValue,
};

export class HostileRoom extends LocalCleanRoom {
  lastReport?: PassReport;

  /** Onboards everyone and writes the two datasets the jobs read. */
  async setUp(): Promise<void> {
    await this.onboard();
    await this.writeDataset(KEEPER_BUCKET, 'input/users', USERS_SCHEMA, [
      { user_id: 'u1', country: 'FR' }, { user_id: 'u2', country: 'DE' }, { user_id: 'u3', country: 'FR' }, { user_id: 'u4', country: 'IT' },
    ]);
    await this.writeDataset(ADVERTISER_BUCKET, 'input/conversions', CONVERSIONS_SCHEMA, [
      { user_id: 'u1', amount: 10 }, { user_id: 'u3', amount: 5.5 },
    ]);
  }

  /**
   * Setup pass: the keeper registers publisher.users and its code `kp_count`; then the clock moves a minute on.
   * Returns a timestamp for the next events (30 s before the next pass).
   */
  async registerKeeperBasics(): Promise<number> {
    const t = this.clock - 60_000;
    await this.sendBatch(KEEPER_BUCKET, [
      seed.data('publisher.users', 'INSERT', 'gs://publisher-bucket/input/users', 'delta', t),
      cli.code('kp_count', 'INSERT', KEEPER_SQL, { atMs: t }),
    ]);
    const report = await this.pass();
    if (report.events.some((e) => e.status !== 'SUCCESS')) throw new Error(`setup failed: ${JSON.stringify(report.events)}`);
    this.clock += 60_000;
    return this.clock - 30_000;
  }

  /** Appends rows to a participant's events table in one commit (as a notebook writing a batch would). */
  async sendBatch(bucket: string, rows: DeltaRow[]): Promise<number> {
    const table = await DeltaTable.openOrCreate(this.store, bucket, controlTableKey('events'), CONTROL_TABLES.events);
    return table.append(rows);
  }

  /** Runs one real pass; a pass must never throw on participant input. */
  async pass(): Promise<PassReport> {
    this.lastReport = await runPass({ config: SETTINGS, store: this.store, engine: this.engine, now: this.now });
    return this.lastReport;
  }

  /** The published event_status rows of a participant, grouped by event uuid. */
  async statuses(bucket: string): Promise<Map<string, DeltaRow[]>> {
    const byUuid = new Map<string, DeltaRow[]>();
    for (const row of await this.read(bucket, 'event_status')) {
      const uuid = row.event_uuid as string;
      byUuid.set(uuid, [...(byUuid.get(uuid) ?? []), row]);
    }
    return byUuid;
  }

  async outputRows(bucket: string, prefix: string): Promise<DeltaRow[]> {
    return (await DeltaTable.open(this.store, bucket, prefix)).readRows();
  }
}

/**
 * The event_status rows of a case (count, and the first one's status and message). Matched on uuid and event type:
 * an api_version "1" approval's uuid is the code id, shared with the code's own registration.
 */
export function outcomeOf(statuses: Map<string, DeltaRow[]>, c: Case): { count: number; status: unknown; message: unknown } {
  const rows = (statuses.get(c.statusUuid ?? (c.row.uuid as string)) ?? []).filter((r) => r.event_type === c.row.event_type);
  return { count: rows.length, status: rows[0]?.status, message: rows[0]?.message };
}

export function expected(c: Case): { count: number; status: string; message: string } {
  return { count: 1, status: c.status ?? 'ERROR', message: c.message };
}
