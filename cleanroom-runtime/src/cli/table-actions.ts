/** What `cleanroom table show|history <uri>` do (definitions in table-commands.ts). */
import { DeltaTable, type DeltaRow, type StructType } from '../delta';
import { openLocation } from '../storage/location';
import { EXIT } from './exit-codes';
import { findGoogleCredentials } from './google-credentials';
import { CliError } from './participant/errors';
import { terminalWidth, type CliIo } from './participant/io';
import { jsonLines, textTable } from './participant/render';
import { CLI_GCS_RETRY } from './participant/session';
import type { HistoryOptions, LocationOptions, ShowOptions } from './table-commands';

export async function showAction(uri: string, options: ShowOptions, io: CliIo): Promise<void> {
  const version = parseVersion(options.version);
  const delta = await openTable(uri, options, io);
  const snapshot = await delta.snapshot(version);
  const rows = await delta.readRows({ fromSnapshot: snapshot });
  if (options.json) {
    io.stdout.write(jsonLines(rows, snapshot.schema));
    return;
  }
  io.stderr.write(`${delta.location} version ${snapshot.version}: ${rows.length} row(s); ${describeColumns(snapshot.schema, snapshot.partitionColumns)}\n`);
  io.stdout.write(rows.length === 0 ? '(no rows)\n' : textTable(rows, snapshot.schema, snapshot.schema.fields.map((f) => f.name), { width: terminalWidth(io) }));
}

export async function historyAction(uri: string, options: HistoryOptions, io: CliIo): Promise<void> {
  const delta = await openTable(uri, options, io);
  const history = (await delta.history()).reverse();
  if (options.json) {
    for (const entry of history) io.stdout.write(`${JSON.stringify(entry)}\n`);
    return;
  }
  const rows: DeltaRow[] = history.map((h) => ({
    version: BigInt(h.version),
    timestamp: h.timestamp === undefined ? null : BigInt(h.timestamp) * 1000n,
    operation: h.operation ?? null,
    parameters: h.commitInfo.operationParameters ? JSON.stringify(h.commitInfo.operationParameters) : null,
    engine: typeof h.commitInfo.engineInfo === 'string' ? h.commitInfo.engineInfo : null,
  }));
  const schema: StructType = {
    type: 'struct',
    fields: ['version:long', 'timestamp:timestamp', 'operation:string', 'parameters:string', 'engine:string'].map((spec) => {
      const [name, type] = spec.split(':');
      return { name, type: type as 'string', nullable: true, metadata: {} };
    }),
  };
  io.stdout.write(textTable(rows, schema, schema.fields.map((f) => f.name), { width: terminalWidth(io) }));
}

async function openTable(uri: string, options: LocationOptions, io: CliIo): Promise<DeltaTable> {
  const localRoot = options.localRoot ?? io.env.CLEANROOM_LOCAL_ROOT;
  const onGcs = uri.startsWith('gs://') && !localRoot;
  if (onGcs) {
    const credentials = findGoogleCredentials(io.env);
    if (!credentials.ok) throw new CliError(`cannot read ${uri}: ${credentials.problem}`, EXIT.unavailable);
  }
  const { store, bucket, prefix } = openLocation(uri, localRoot && uri.startsWith('gs://') ? { localRoot } : onGcs ? { gcs: { retry: CLI_GCS_RETRY } } : {});
  return DeltaTable.open(store, bucket, prefix);
}

function parseVersion(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  if (!/^\d+$/.test(text.trim())) throw new CliError(`--version must be a table version (a whole number >= 0), got ${JSON.stringify(text)}`);
  return Number(text);
}

function describeColumns(schema: StructType, partitionColumns: string[]): string {
  const columns = schema.fields.map((f) => `${f.name} ${typeof f.type === 'string' ? f.type : f.type.type}${partitionColumns.includes(f.name) ? ' (partition)' : ''}`);
  return `columns: ${columns.join(', ')}`;
}
