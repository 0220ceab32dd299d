/**
 * `cleanroom config ...`: checks the clean room configuration before it is reviewed or deployed (`validate`), and
 * starts a new one outside this repository (`init`). Loaded with the program; the schema code is loaded when run.
 */
import type { Command } from 'commander';
import { examples } from './help';

interface ValidateOptions {
  config?: string;
  json?: boolean;
}

interface InitOptions {
  name?: string;
  keeper?: string;
  force?: boolean;
}

type Actions = typeof import('./config-actions');
const actions = (): Actions => require('./config-actions') as Actions;

export function registerConfigCommands(program: Command): void {
  const config = program.command('config').description('Check the clean room configuration (cleanroom.yaml + participants/), or start one.');
  examples(
    config
      .command('validate')
      .description('Validate cleanroom.yaml and participants/*.yaml; print every problem as file:line:column field — expected (exit 3 when invalid).')
      .argument('[dir]', 'folder holding cleanroom.yaml and participants/ (default: --config, else $CLEANROOM_CONFIG_DIR, else .)')
      .option('--config <dir>', 'the folder to validate, as for every other command')
      .option('--json', 'print {"valid", "summary" | "problems": [{file, line, column, field, message}]} on stdout'),
    ['cleanroom config validate examples', 'CLEANROOM_CONFIG_DIR=config cleanroom config validate --json'],
  ).action(async (dir: string | undefined, options: ValidateOptions) => actions().validateAction(dir, options));

  examples(
    config
      .command('init')
      .description('Write a starter configuration in <dir> (cleanroom.yaml, participants/<keeper>.yaml) and the JSON Schemas its editor modelines point at.')
      .argument('<dir>', 'the folder to write (created if missing); existing YAML files are kept unless --force')
      .option('--name <name>', 'the clean room name', 'my-cleanroom')
      .option('--keeper <participant>', 'the keeper participant, who approves code', 'keeper')
      .option('--force', 'overwrite cleanroom.yaml and the keeper file if they exist'),
    ['cleanroom config init ./cleanroom-config --name retail-media --keeper publisher', 'cleanroom config validate ./cleanroom-config'],
  ).action(async (dir: string, options: InitOptions) => actions().initAction(dir, options));
}
