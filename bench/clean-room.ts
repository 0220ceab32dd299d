/**
 * A local clean room for the runtime benchmarks: N onboarded participants (the first is the keeper) on the
 * local object store behind a request counter, each with a small Delta dataset in `input/`, and a helper that
 * appends events (rows built by src/events/build-event.ts) to a participant's `control/events` table in batches.
 */
import { randomUUID } from 'node:crypto';
import { CONTROL_TABLES, controlTableKey } from '../cleanroom-runtime/src/control/tables';
import { DeltaTable, struct } from '../cleanroom-runtime/src/delta';
import { LocalEngine } from '../cleanroom-runtime/src/engines/local';
import { buildCodeEvent, buildDataEvent, type BuiltEvent, type EventOrigin } from '../cleanroom-runtime/src/events/build-event';
import { sha256Hex } from '../cleanroom-runtime/src/processor/code-content';
import type { ParticipantInfo } from '../cleanroom-runtime/src/processor/context';
import { withLimits } from '../cleanroom-runtime/src/limits';
import { onboardParticipant, runPass, type PassReport, type RuntimeSettings } from '../cleanroom-runtime/src/runtime';
import { LocalObjectStore } from '../cleanroom-runtime/src/storage/local-store';
import { InstrumentedStore } from '../cleanroom-runtime/test/support/instrumented-store';

export const COMPUTE_SIZES = ['2X-Small', 'X-Small', 'Small', 'Medium', 'Large', 'X-Large', '2X-Large', '3X-Large', '4X-Large'];
const DATASET_SCHEMA = struct([['user_id', 'long'], ['country', 'string']]);

export interface BenchCleanRoom {
  settings: RuntimeSettings;
  store: InstrumentedStore;
  engine: LocalEngine;
  participants: ParticipantInfo[];
  pass(): Promise<PassReport>;
}

export function participantName(i: number): string {
  return `p${String(i).padStart(3, '0')}`;
}

export async function makeCleanRoom(root: string, count: number): Promise<BenchCleanRoom> {
  const store = new InstrumentedStore(new LocalObjectStore(root));
  const participants: ParticipantInfo[] = Array.from({ length: count }, (_, i) => ({
    name: participantName(i),
    role: i === 0 ? 'keeper' : 'collaborator',
    bucket: `bench-${participantName(i)}`,
  }));
  const settings: RuntimeSettings = {
    stateBucket: 'bench-cleanroom-state',
    keeper: participants[0].name,
    computeSizes: COMPUTE_SIZES,
    runHistoryRetentionDays: 30,
    participants,
    // The throughput figure registers 900 datasets and 100 code per participant: above the default quotas.
    limits: withLimits({ datasetsPerParticipant: 10_000, codePerParticipant: 10_000 }),
  };
  for (const p of participants) {
    await onboardParticipant(store, p.bucket);
    const dataset = await DeltaTable.create(store, p.bucket, 'input/users', DATASET_SCHEMA);
    await dataset.append([{ user_id: 1n, country: 'FR' }, { user_id: 2n, country: 'DE' }]);
  }
  const engine = new LocalEngine({ localRoot: root, waitForRuns: true });
  return { settings, store, engine, participants, pass: () => runPass({ config: settings, store, engine }) };
}

/**
 * `count` events of one participant: mostly DATA INSERTs of distinct tables over its `input/users` dataset,
 * every tenth a CODE INSERT of a distinct SQL notebook (pending approval, copied to the keeper).
 */
export function participantEvents(p: ParticipantInfo, count: number, nowMs: number): BuiltEvent[] {
  const origin = (): EventOrigin => ({ uuid: randomUUID(), nowMs, user: `${p.name}@example.org`, hostname: 'bench' });
  return Array.from({ length: count }, (_, i) => {
    if (i % 10 === 9) {
      const source = `-- Databricks notebook source\nSELECT country, count(*) AS n FROM ${p.name}.t${i} GROUP BY country -- ${p.name} #${i}\n`;
      return buildCodeEvent(
        { action: 'INSERT', codeName: `${p.name}_code_${i}`, description: 'bench', pathToNotebook: `code_${i}.sql`, defaultParameters: '{}', notebookContents: source, notebookContentsHash: sha256Hex(source), notebookLanguage: 'SQL' },
        origin(),
      );
    }
    return buildDataEvent(
      { action: 'INSERT', dataMetastoreName: `${p.name}.t${i}`, description: 'bench', location: `gs://${p.bucket}/input/users`, format: 'delta' },
      origin(),
    );
  });
}

/** Appends events to the participant's events table, `perCommit` rows per Delta commit (as a busy table would have). */
export async function appendEvents(room: BenchCleanRoom, p: ParticipantInfo, events: BuiltEvent[], perCommit: number): Promise<void> {
  const table = await DeltaTable.openOrCreate(room.store, p.bucket, controlTableKey('events'), CONTROL_TABLES.events);
  for (let i = 0; i < events.length; i += perCommit) {
    await table.append(events.slice(i, i + perCommit).map((e) => e.row));
  }
}
