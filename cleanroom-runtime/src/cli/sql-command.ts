/**
 * `cleanroom sql [--file F | -e SQL] [--json] [--as P]`: rehearse Spark SQL on the local engine before
 * registering it. Statements (split at `;` outside strings and comments) run in order in one sandboxed session,
 * over the participant's visible datasets when a local root is set, else in an empty session. Each statement
 * gets a result, a refusal (a construct local rehearsal does not reproduce) or the error Databricks would raise;
 * the exit code is 0 unless the command itself cannot run.
 */
import type { Command } from 'commander';
import { examples } from './help';
import { processIo, type CliIo } from './participant/io';
import type { SessionOptions } from './participant/session';

export interface SqlOptions extends SessionOptions {
  file?: string;
  e?: string;
  json?: boolean;
  params?: string;
}

type Actions = typeof import('./sql-actions');
const actions = (): Actions => require('./sql-actions') as Actions;

export function registerSqlCommand(program: Command, io: CliIo = processIo()): void {
  examples(program.command('sql'), [
    'cleanroom sql -e "SELECT segment, count(*) AS n FROM publisher.users GROUP BY segment" --as advertiser',
    'cleanroom sql --file my_query.sql --json --params \'{"min_users": "10"}\' --as measurement',
    'cat my_query.sql | cleanroom sql --file -',
  ])
    .description('Rehearse Spark SQL on the local engine: Databricks\' results (ANSI mode, UTC), or a clear refusal.')
    .option('--file <path>', 'a file of SQL statements separated by ; (- reads standard input)')
    .option('-e <sql>', 'SQL statements given on the command line')
    .option('--json', 'one JSON object per statement: {"statement", "columns", "rows"} | {"statement", "refused"} | {"statement", "error"}')
    .option('--params <json>', 'values of :name parameter markers as a JSON object of strings, e.g. {"country": "FR"}; - reads standard input')
    .option('--as <participant>', 'with --local-root: read the datasets this participant sees (default: $CLEANROOM_PARTICIPANT)')
    .option('--config <dir>', 'folder holding cleanroom.yaml and participants/ (default: $CLEANROOM_CONFIG_DIR, else .)')
    .option('--local-root <dir>', 'local mode root: load the registered datasets from <dir>/gs/<bucket>/... (default: $CLEANROOM_LOCAL_ROOT, else an empty session)')
    .action(async (options: SqlOptions) => actions().runSqlCommand(options, io));
}

