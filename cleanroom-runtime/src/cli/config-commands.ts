/** `cleanroom config ...`: checks the clean room configuration before it is reviewed or deployed. */
import type { Command } from 'commander';
import * as path from 'path';
import { formatProblem, validateConfigDir } from '../config';

export function registerConfigCommands(program: Command): void {
  const config = program.command('config').description('Check the clean room configuration (cleanroom.yaml + participants/).');
  config
    .command('validate')
    .description('Validate cleanroom.yaml and participants/*.yaml; print every problem as file:line:column field — expected.')
    .argument('[dir]', 'folder holding cleanroom.yaml and participants/', '.')
    .action(async (dir: string) => {
      const { config: valid, problems } = await validateConfigDir(dir);
      if (valid) {
        process.stdout.write(
          `${path.join(dir, 'cleanroom.yaml')} is valid: clean room "${valid.name}", ${valid.participants.length} participant${valid.participants.length === 1 ? '' : 's'}, keeper "${valid.keeper}"\n`,
        );
        return;
      }
      for (const problem of problems) process.stdout.write(`${formatProblem(problem)}\n`);
      process.stderr.write(`${problems.length} problem${problems.length === 1 ? '' : 's'} in the configuration at ${dir}\n`);
      process.exitCode = 1;
    });
}
