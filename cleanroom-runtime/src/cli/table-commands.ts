/**
 * `cleanroom table show|history <uri>`: look into any Delta table (control tables, fixtures, Spark tables) at a
 * gs:// URI (GCS, or `--local-root` / CLEANROOM_LOCAL_ROOT in local mode) or a plain folder path. The Delta
 * reader is loaded when a command runs (table-actions.ts).
 */
import type { Command } from 'commander';
import { examples } from './help';
import { processIo, type CliIo } from './participant/io';

export interface LocationOptions {
  localRoot?: string;
}

export interface ShowOptions extends LocationOptions {
  version?: string;
  json?: boolean;
}

export interface HistoryOptions extends LocationOptions {
  json?: boolean;
}

type Actions = typeof import('./table-actions');
const actions = (): Actions => require('./table-actions') as Actions;

export function registerTableCommands(program: Command, io: CliIo = processIo()): void {
  const table = program.command('table').description('Inspect Delta tables: rows at any version, and commit history.');
  const localRootHelp = 'local mode: gs://bucket/... lives in <dir>/gs/bucket/... (default: $CLEANROOM_LOCAL_ROOT, else Google Cloud Storage)';

  const show = table
    .command('show <uri>')
    .description('Print the rows of the Delta table at <uri> (gs://bucket/path or a folder), in the order its files hold them (a job\'s ORDER BY is kept within a file).')
    .option('--version <n>', 'time travel: show this table version instead of the latest')
    .option('--json', 'one JSON object per row (longs and timestamps as strings, binary as hex)')
    .option('--local-root <dir>', localRootHelp);
  examples(show, ['cleanroom table show gs://advertiser-cleanroom-data/output/overlap', 'cleanroom table show gs://advertiser-cleanroom-data/control/runs --json --version 3']);
  show.action(async (uri: string, options: ShowOptions) => actions().showAction(uri, options, io));

  const history = table
    .command('history <uri>')
    .description('Print the commits of the Delta table at <uri>, newest first.')
    .option('--json', 'one JSON object per commit, with its full commitInfo')
    .option('--local-root <dir>', localRootHelp);
  examples(history, ['cleanroom table history gs://advertiser-cleanroom-data/control/events']);
  history.action(async (uri: string, options: HistoryOptions) => actions().historyAction(uri, options, io));
}
