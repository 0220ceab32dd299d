/**
 * `cleanroom table show|history <uri>`: look into any Delta table (control tables, fixtures, Spark tables) at a
 * gs:// URI (GCS, or `--local-root` / CLEANROOM_LOCAL_ROOT in local mode) or a plain folder path.
 */
import type { Command } from 'commander';
import { DeltaTable, type DeltaRow, type StructType } from '../delta';
import { openLocation } from '../storage/location';
import { processIo, type CliIo } from './participant/io';
import { jsonLines, textTable } from './participant/render';

interface LocationOptions {
  localRoot?: string;
}

interface ShowOptions extends LocationOptions {
  version?: string;
  json?: boolean;
}

interface HistoryOptions extends LocationOptions {
  json?: boolean;
}

export function registerTableCommands(program: Command, io: CliIo = processIo()): void {
  const table = program.command('table').description('Inspect Delta tables: rows at any version, and commit history.');
  const localRootHelp = 'local mode: gs://bucket/... lives in <dir>/gs/bucket/... (default: $CLEANROOM_LOCAL_ROOT, else Google Cloud Storage)';

  table
    .command('show <uri>')
    .description('Print the rows of the Delta table at <uri> (gs://bucket/path or a folder), in the order its files hold them (a job\'s ORDER BY is kept within a file).')
    .option('--version <n>', 'time travel: show this table version instead of the latest')
    .option('--json', 'one JSON object per row (longs and timestamps as strings, binary as hex)')
    .option('--local-root <dir>', localRootHelp)
    .action(async (uri: string, options: ShowOptions) => {
      const version = parseVersion(options.version);
      const delta = await openTable(uri, options, io);
      const snapshot = await delta.snapshot(version);
      const rows = await delta.readRows({ fromSnapshot: snapshot });
      if (options.json) {
        io.stdout.write(jsonLines(rows, snapshot.schema));
        return;
      }
      io.stderr.write(`${delta.location} version ${snapshot.version}: ${rows.length} row(s); ${describeColumns(snapshot.schema, snapshot.partitionColumns)}\n`);
      io.stdout.write(textTable(rows, snapshot.schema, snapshot.schema.fields.map((f) => f.name)));
    });

  table
    .command('history <uri>')
    .description('Print the commits of the Delta table at <uri>, newest first.')
    .option('--json', 'one JSON object per commit, with its full commitInfo')
    .option('--local-root <dir>', localRootHelp)
    .action(async (uri: string, options: HistoryOptions) => {
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
      io.stdout.write(textTable(rows, schema, schema.fields.map((f) => f.name)));
    });
}

async function openTable(uri: string, options: LocationOptions, io: CliIo): Promise<DeltaTable> {
  const localRoot = options.localRoot ?? io.env.CLEANROOM_LOCAL_ROOT;
  const { store, bucket, prefix } = openLocation(uri, localRoot && uri.startsWith('gs://') ? { localRoot } : {});
  return DeltaTable.open(store, bucket, prefix);
}

function parseVersion(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  if (!/^\d+$/.test(text.trim())) throw new Error(`--version must be a table version (a whole number >= 0), got ${JSON.stringify(text)}`);
  return Number(text);
}

function describeColumns(schema: StructType, partitionColumns: string[]): string {
  const columns = schema.fields.map((f) => `${f.name} ${typeof f.type === 'string' ? f.type : f.type.type}${partitionColumns.includes(f.name) ? ' (partition)' : ''}`);
  return `columns: ${columns.join(', ')}`;
}
