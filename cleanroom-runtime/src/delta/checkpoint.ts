/**
 * Classic Parquet checkpoints (Delta protocol "Checkpoints"): reading single- and multi-part checkpoints,
 * writing single-file checkpoints and `_last_checkpoint`.
 */
import { Action, toAction } from './actions';
import type { ParquetLimits } from './parquet-bounds';
import type { SchemaElement } from './parquet-lib';
import { readParquet } from './parquet-read';
import { writeParquet } from './parquet-write';

const CHECKPOINT_ACTIONS = ['protocol', 'metaData', 'txn', 'add', 'remove'];

export interface LastCheckpoint {
  version: number;
  size?: number;
  parts?: number;
  sizeInBytes?: number;
  numOfAddFiles?: number;
}

export function parseLastCheckpoint(text: string): LastCheckpoint | undefined {
  try {
    const parsed = JSON.parse(text) as Record<string, unknown>;
    if (typeof parsed.version !== 'number' || !Number.isInteger(parsed.version) || parsed.version < 0) return undefined;
    return {
      version: parsed.version,
      ...(typeof parsed.size === 'number' ? { size: parsed.size } : {}),
      ...(typeof parsed.parts === 'number' ? { parts: parsed.parts } : {}),
    };
  } catch {
    return undefined; // a damaged hint: fall back to listing
  }
}

/** Actions of one checkpoint part, in file order; `limits` bound its decoding (untrusted tables). */
export async function checkpointPartActions(bytes: Uint8Array, limits?: ParquetLimits): Promise<Action[]> {
  const { rows } = await readParquet(bytes, CHECKPOINT_ACTIONS, { limits });
  const actions: Action[] = [];
  for (const row of rows) {
    for (const kind of CHECKPOINT_ACTIONS) {
      const value = row[kind];
      if (value !== null && value !== undefined) actions.push(toAction(kind, value));
    }
  }
  return actions;
}

const str = (name: string, required = false): SchemaElement => ({
  name,
  type: 'BYTE_ARRAY',
  converted_type: 'UTF8',
  logical_type: { type: 'STRING' },
  repetition_type: required ? 'REQUIRED' : 'OPTIONAL',
});
const int64 = (name: string): SchemaElement => ({ name, type: 'INT64', repetition_type: 'OPTIONAL' });
const int32 = (name: string): SchemaElement => ({ name, type: 'INT32', repetition_type: 'OPTIONAL' });
const bool = (name: string): SchemaElement => ({ name, type: 'BOOLEAN', repetition_type: 'OPTIONAL' });
const group = (name: string, children: SchemaElement[][]): SchemaElement[] => [
  { name, repetition_type: 'OPTIONAL', num_children: children.length },
  ...children.flat(),
];
const stringMap = (name: string): SchemaElement[] => [
  { name, repetition_type: 'OPTIONAL', num_children: 1, converted_type: 'MAP', logical_type: { type: 'MAP' } },
  { name: 'key_value', repetition_type: 'REPEATED', num_children: 2, converted_type: 'MAP_KEY_VALUE' },
  str('key', true),
  str('value'),
];
const stringList = (name: string): SchemaElement[] => [
  { name, repetition_type: 'OPTIONAL', num_children: 1, converted_type: 'LIST', logical_type: { type: 'LIST' } },
  { name: 'list', repetition_type: 'REPEATED', num_children: 1 },
  str('element'),
];

/** The checkpoint schema Spark writes (the fields this implementation produces). */
const CHECKPOINT_SCHEMA: SchemaElement[] = [
  { name: 'spark_schema', num_children: 5 },
  ...group('txn', [[str('appId')], [int64('version')], [int64('lastUpdated')]]),
  ...group('add', [[str('path')], stringMap('partitionValues'), [int64('size')], [int64('modificationTime')], [bool('dataChange')], stringMap('tags'), [str('stats')]]),
  ...group('remove', [[str('path')], [int64('deletionTimestamp')], [bool('dataChange')], [bool('extendedFileMetadata')], stringMap('partitionValues'), [int64('size')]]),
  ...group('metaData', [
    [str('id')],
    [str('name')],
    [str('description')],
    group('format', [[str('provider')], stringMap('options')]),
    [str('schemaString')],
    stringList('partitionColumns'),
    stringMap('configuration'),
    [int64('createdTime')],
  ]),
  ...group('protocol', [[int32('minReaderVersion')], [int32('minWriterVersion')]]),
];

const big = (n: number | null | undefined): bigint | null => (n === null || n === undefined ? null : BigInt(n));

/** One checkpoint row per action, in the physical form of CHECKPOINT_SCHEMA. */
function checkpointRow(action: Action): Record<string, unknown> {
  if ('protocol' in action) return { protocol: { minReaderVersion: action.protocol.minReaderVersion, minWriterVersion: action.protocol.minWriterVersion } };
  if ('metaData' in action) {
    const m = action.metaData;
    return { metaData: { ...m, createdTime: big(m.createdTime) } };
  }
  if ('txn' in action) return { txn: { appId: action.txn.appId, version: BigInt(action.txn.version), lastUpdated: big(action.txn.lastUpdated) } };
  if ('add' in action) {
    const a = action.add;
    return { add: { path: a.path, partitionValues: a.partitionValues, size: BigInt(a.size), modificationTime: BigInt(a.modificationTime), dataChange: a.dataChange, tags: a.tags ?? null, stats: a.stats ?? null } };
  }
  if ('remove' in action) {
    const r = action.remove;
    return {
      remove: { path: r.path, deletionTimestamp: big(r.deletionTimestamp), dataChange: r.dataChange, extendedFileMetadata: r.extendedFileMetadata ?? null, partitionValues: r.partitionValues ?? null, size: big(r.size) },
    };
  }
  throw new Error('only protocol, metaData, txn, add and remove actions belong in a checkpoint');
}

export function encodeCheckpoint(actions: Action[], createdBy: string): Uint8Array {
  return writeParquet(CHECKPOINT_SCHEMA, actions.map(checkpointRow), { createdBy });
}
