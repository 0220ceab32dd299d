/**
 * Delta log actions (protocol "Actions" section) as they appear in JSON commits and checkpoints, plus the
 * naming of log files. Pure: parsing and serialisation only.
 */

export interface ProtocolAction {
  minReaderVersion: number;
  minWriterVersion: number;
  readerFeatures?: string[];
  writerFeatures?: string[];
}

export interface MetadataAction {
  id: string;
  name?: string | null;
  description?: string | null;
  format: { provider: string; options: Record<string, string> };
  schemaString: string;
  partitionColumns: string[];
  configuration: Record<string, string>;
  createdTime?: number | null;
}

export interface DeletionVectorDescriptor {
  storageType: string;
  pathOrInlineDv: string;
  offset?: number | null;
  sizeInBytes: number;
  cardinality: number;
}

export interface AddAction {
  /** URI-encoded path relative to the table root (or absolute URI), exactly as logged. */
  path: string;
  partitionValues: Record<string, string | null>;
  size: number;
  modificationTime: number;
  dataChange: boolean;
  stats?: string | null;
  tags?: Record<string, string | null> | null;
  deletionVector?: DeletionVectorDescriptor | null;
}

export interface RemoveAction {
  path: string;
  deletionTimestamp?: number | null;
  dataChange: boolean;
  extendedFileMetadata?: boolean | null;
  partitionValues?: Record<string, string | null> | null;
  size?: number | null;
  deletionVector?: DeletionVectorDescriptor | null;
}

export interface TxnAction {
  appId: string;
  version: number;
  lastUpdated?: number | null;
}

export type Action =
  | { protocol: ProtocolAction }
  | { metaData: MetadataAction }
  | { add: AddAction }
  | { remove: RemoveAction }
  | { txn: TxnAction }
  | { commitInfo: Record<string, unknown> }
  /** Anything else (cdc, domainMetadata, checkpointMetadata, ...); kept so feature checks can see it. */
  | { other: string; value: unknown };

const COMMIT_RE = /^(\d{20})\.json$/;
const CHECKPOINT_RE = /^(\d{20})\.checkpoint(?:\.(\d{10})\.(\d{10}))?\.parquet$/;

/** `_delta_log/` key prefix of the table at `tablePrefix` ('' = bucket root). */
export function logPrefix(tablePrefix: string): string {
  return `${joinKey(tablePrefix, '_delta_log')}/`;
}

export function joinKey(prefix: string, name: string): string {
  const p = prefix.replace(/\/+$/, '');
  return p ? `${p}/${name}` : name;
}

export function versionName(version: number): string {
  return String(version).padStart(20, '0');
}

export function commitFileName(version: number): string {
  return `${versionName(version)}.json`;
}

export function checkpointFileName(version: number): string {
  return `${versionName(version)}.checkpoint.parquet`;
}

export type LogFile =
  | { kind: 'commit'; version: number; key: string }
  | { kind: 'checkpoint'; version: number; key: string; part: number; parts: number }
  | { kind: 'lastCheckpoint'; key: string };

/** Classifies a key under `_delta_log/`; hidden files, `.crc` files and unknown names give undefined. */
export function classifyLogKey(key: string): LogFile | undefined {
  const name = key.slice(key.lastIndexOf('/') + 1);
  if (name === '_last_checkpoint') return { kind: 'lastCheckpoint', key };
  const commit = COMMIT_RE.exec(name);
  if (commit) return { kind: 'commit', version: Number(commit[1]), key };
  const cp = CHECKPOINT_RE.exec(name);
  if (cp) {
    return { kind: 'checkpoint', version: Number(cp[1]), key, part: cp[2] ? Number(cp[2]) : 1, parts: cp[3] ? Number(cp[3]) : 1 };
  }
  return undefined;
}

const KNOWN_ACTIONS = new Set(['protocol', 'metaData', 'add', 'remove', 'txn', 'commitInfo']);

/** Parses one newline-delimited JSON commit. Throws with the line number on malformed input. */
export function parseCommit(text: string): Action[] {
  const actions: Action[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i].trim();
    if (!line) continue;
    let parsed: unknown;
    try {
      parsed = JSON.parse(line);
    } catch (err) {
      throw new Error(`line ${i + 1} is not JSON (${(err as Error).message})`);
    }
    if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) throw new Error(`line ${i + 1} is not a JSON object`);
    for (const [kind, value] of Object.entries(parsed as Record<string, unknown>)) {
      actions.push(toAction(kind, value));
    }
  }
  return actions;
}

/** Builds a typed action from its name and (JSON or checkpoint-row) value, normalising numbers and nulls. */
export function toAction(kind: string, value: unknown): Action {
  if (!KNOWN_ACTIONS.has(kind)) return { other: kind, value };
  const v = (value ?? {}) as Record<string, unknown>;
  switch (kind) {
    case 'protocol':
      return {
        protocol: {
          minReaderVersion: num(v.minReaderVersion),
          minWriterVersion: num(v.minWriterVersion),
          ...(Array.isArray(v.readerFeatures) ? { readerFeatures: v.readerFeatures.map(String) } : {}),
          ...(Array.isArray(v.writerFeatures) ? { writerFeatures: v.writerFeatures.map(String) } : {}),
        },
      };
    case 'metaData': {
      const format = (v.format ?? {}) as Record<string, unknown>;
      return {
        metaData: {
          id: String(v.id ?? ''),
          name: (v.name as string | null | undefined) ?? null,
          description: (v.description as string | null | undefined) ?? null,
          format: { provider: String(format.provider ?? 'parquet'), options: stringMap(format.options) as Record<string, string> },
          schemaString: String(v.schemaString ?? ''),
          partitionColumns: Array.isArray(v.partitionColumns) ? v.partitionColumns.map(String) : [],
          configuration: stringMap(v.configuration) as Record<string, string>,
          createdTime: v.createdTime === null || v.createdTime === undefined ? null : num(v.createdTime),
        },
      };
    }
    case 'add':
      return {
        add: {
          path: String(v.path),
          partitionValues: stringMap(v.partitionValues),
          size: num(v.size),
          modificationTime: num(v.modificationTime),
          dataChange: v.dataChange !== false,
          stats: (v.stats as string | null | undefined) ?? null,
          tags: v.tags ? stringMap(v.tags) : null,
          deletionVector: dv(v.deletionVector),
        },
      };
    case 'remove':
      return {
        remove: {
          path: String(v.path),
          deletionTimestamp: v.deletionTimestamp === null || v.deletionTimestamp === undefined ? null : num(v.deletionTimestamp),
          dataChange: v.dataChange !== false,
          extendedFileMetadata: (v.extendedFileMetadata as boolean | null | undefined) ?? null,
          partitionValues: v.partitionValues ? stringMap(v.partitionValues) : null,
          size: v.size === null || v.size === undefined ? null : num(v.size),
          deletionVector: dv(v.deletionVector),
        },
      };
    case 'txn':
      return { txn: { appId: String(v.appId), version: num(v.version), lastUpdated: v.lastUpdated == null ? null : num(v.lastUpdated) } };
    default:
      return { commitInfo: v };
  }
}

function num(value: unknown): number {
  if (typeof value === 'number') return value;
  if (typeof value === 'bigint') return Number(value);
  if (typeof value === 'string' && value.trim() !== '' && Number.isFinite(Number(value))) return Number(value);
  throw new Error(`expected a number, got ${JSON.stringify(String(value))}`);
}

function stringMap(value: unknown): Record<string, string | null> {
  const out: Record<string, string | null> = {};
  if (!value) return out;
  const entries = value instanceof Map ? [...value.entries()] : Object.entries(value as Record<string, unknown>);
  for (const [k, v] of entries) out[String(k)] = v === null || v === undefined ? null : String(v);
  return out;
}

function dv(value: unknown): DeletionVectorDescriptor | null {
  if (!value || typeof value !== 'object') return null;
  const v = value as Record<string, unknown>;
  if (v.storageType === null || v.storageType === undefined) return null;
  return {
    storageType: String(v.storageType),
    pathOrInlineDv: String(v.pathOrInlineDv),
    offset: v.offset == null ? null : num(v.offset),
    sizeInBytes: num(v.sizeInBytes),
    cardinality: num(v.cardinality),
  };
}

/** Serialises actions as a newline-delimited JSON commit (one action per line). */
export function serializeCommit(actions: Action[]): string {
  return actions
    .map((a) => {
      if ('other' in a) return JSON.stringify({ [a.other]: a.value });
      return JSON.stringify(a);
    })
    .join('\n') + '\n';
}

/** Identity of a logical file for add/remove reconciliation: decoded path plus deletion-vector id. */
export function fileIdentity(path: string, deletionVector?: DeletionVectorDescriptor | null): string {
  const decoded = decodeLogPath(path);
  if (!deletionVector) return decoded;
  return `${decoded}\u0000${deletionVector.storageType}${deletionVector.pathOrInlineDv}@${deletionVector.offset ?? ''}`;
}

/** `add.path` is a URI reference: decode it exactly once. */
export function decodeLogPath(path: string): string {
  try {
    return decodeURIComponent(path);
  } catch {
    throw new Error(`file path ${JSON.stringify(path)} is not a valid URI-encoded path`);
  }
}

/** Encodes a relative file path for `add.path` (Spark style: `/` and `=` kept, space → %20, % → %25). */
export function encodeLogPath(relativePath: string): string {
  return encodeURI(relativePath).replace(/[?#]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}
