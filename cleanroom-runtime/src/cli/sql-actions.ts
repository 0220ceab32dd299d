/**
 * What `cleanroom sql` does (definition in sql-command.ts). `cleanroom sql [--file F | -e SQL] [--json] [--as P]`: rehearse Spark SQL on the local engine before
 * registering it. Statements (split at `;` outside strings and comments) run in order in one sandboxed session,
 * over the participant's visible datasets when a local root is set, else in an empty session. Each statement
 * gets a result, a refusal (a construct local rehearsal does not reproduce) or the error Databricks would raise;
 * the exit code is 0 unless the command itself cannot run.
 */
import { promises as fs } from 'node:fs';
import type { DatasetRef, DatasetFormat } from '../engines/engine';
import { loadDatasets } from '../engines/local/dataset-loader';
import { ObjectStoreDeltaBridge } from '../engines/local/object-store-delta-bridge';
import { Sandbox } from '../engines/local/sandbox';
import { SparkSqlSession, sessionSetup, splitStatements, typeName } from '../engines/local/spark-sql';
import { registerSandboxTables, runSparkStatement, type StatementOutcome } from '../engines/local/spark-sql-runner';
import { jsonValue } from '../engines/local/spark-values';
import { parseParameters } from '../processor';
import { tryReadPublished } from './participant/control-tables';
import { CliError } from './participant/errors';
import type { CliIo } from './participant/io';
import { openSession } from './participant/session';
import { isStdin, readStdinText } from './participant/stdin';
import type { SqlOptions } from './sql-command';

const FORMATS: readonly DatasetFormat[] = ['delta', 'parquet', 'json', 'avro', 'csv'];

export async function runSqlCommand(options: SqlOptions, io: CliIo): Promise<void> {
  const script = await readScript(options, io);
  const parameters = readParameters(isStdin(options.params) ? await readStdinText(io, '--params') : options.params);
  const statements = splitStatements(script);
  if (statements.length === 0) throw new CliError('no SQL statement given: use --file <path> or -e "<sql>"');
  const localRoot = options.localRoot ?? io.env.CLEANROOM_LOCAL_ROOT;
  const datasets = localRoot ? await visibleDatasets(options, localRoot, io) : [];

  const session = new SparkSqlSession({ timeZone: 'UTC' });
  const sandbox = await Sandbox.open(undefined, sessionSetup('UTC'));
  try {
    if (localRoot && datasets.length > 0) {
      const report = await loadDatasets(sandbox.connection, datasets, { localRoot, delta: new ObjectStoreDeltaBridge(localRoot) });
      for (const reason of report.failures.values()) io.stderr.write(`not loaded: ${reason}\n`);
      if (report.loaded.length > 0) io.stderr.write(`datasets: ${report.loaded.join(', ')}\n`);
    }
    await sandbox.lock();
    for (const skipped of await registerSandboxTables(sandbox.connection, session)) io.stderr.write(`not usable in local rehearsal: ${skipped}\n`);
    for (const [i, statement] of statements.entries()) {
      const outcome = await runSparkStatement(sandbox.connection, session, statement.text, { parameters });
      io.stdout.write(options.json ? `${JSON.stringify(jsonOutcome(i + 1, outcome))}\n` : textOutcome(i + 1, outcome, statements.length));
    }
  } finally {
    sandbox.close();
  }
}

async function readScript(options: SqlOptions, io: CliIo): Promise<string> {
  if (options.file !== undefined && options.e !== undefined) throw new CliError('give either --file or -e, not both');
  if (options.e !== undefined) return options.e;
  if (options.file === undefined) throw new CliError('no SQL given: use --file <path> or -e "<sql>"');
  if (isStdin(options.file)) return readStdinText(io, '--file');
  try {
    return await fs.readFile(options.file, 'utf8');
  } catch (error) {
    throw new CliError(`cannot read ${options.file}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
  }
}

function readParameters(text: string | undefined): Record<string, string> {
  if (text === undefined) return {};
  const checked = parseParameters(text, '--params');
  if (!checked.ok) throw new CliError(checked.message);
  return Object.fromEntries(Object.entries(JSON.parse(text) as Record<string, unknown>).map(([k, v]) => [k, String(v)]));
}

/** The datasets the participant sees, from its published `data` control table. */
async function visibleDatasets(options: SqlOptions, localRoot: string, io: CliIo): Promise<DatasetRef[]> {
  const session = await openSession({ ...options, localRoot }, io);
  const rows = await tryReadPublished(session, 'data');
  if (!rows) {
    io.stderr.write(`control.data is not published for ${session.participant.name} yet: running without datasets\n`);
    return [];
  }
  const refs: DatasetRef[] = [];
  for (const row of rows) {
    const [participant, table] = String(row.data_metastore_name ?? '').split('.');
    const format = String(row.format ?? '').toLowerCase() as DatasetFormat;
    if (!participant || !table || !FORMATS.includes(format)) continue;
    refs.push({ participant, table, location: String(row.location), format });
  }
  return refs;
}

function jsonOutcome(n: number, outcome: StatementOutcome): Record<string, unknown> {
  if (outcome.k === 'refused') return { statement: n, refused: outcome.message };
  if (outcome.k === 'error') return { statement: n, error: outcome.message };
  return {
    statement: n,
    columns: outcome.columns.map((c) => ({ name: c.name, type: typeName(c.type) })),
    rows: outcome.rows.map((row) => row.map(jsonValue)),
  };
}

function textOutcome(n: number, outcome: StatementOutcome, count: number): string {
  const label = count > 1 ? `statement ${n}: ` : '';
  if (outcome.k === 'refused') return `${label}refused: ${outcome.message}\n`;
  if (outcome.k === 'error') return `${label}error: ${outcome.message}\n`;
  if (outcome.columns.length === 0) return `${label}ok\n`;
  const cell = (v: unknown) => (v === null ? 'NULL' : typeof v === 'object' ? JSON.stringify(v) : String(v));
  const lines = [outcome.columns.map((c) => c.name).join('\t'), ...outcome.rows.map((row) => row.map((v) => cell(jsonValue(v))).join('\t'))];
  return `${count > 1 ? `-- statement ${n}\n` : ''}${lines.join('\n')}\n(${outcome.rows.length} row${outcome.rows.length === 1 ? '' : 's'})\n`;
}
