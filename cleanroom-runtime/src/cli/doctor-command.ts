/** `cleanroom doctor`: checks, with your own credentials, what a deploy and a running clean room need. */
import type { Command } from 'commander';
import { EXIT } from './exit-codes';
import { examples } from './help';

export function registerDoctorCommand(program: Command): void {
  examples(program.command('doctor'), ['cleanroom doctor --config cleanroom-config', 'cleanroom doctor --participant advertiser --json'])
    .description(
      'Check what a deploy and a running clean room need (APIs, your permissions, the metastore and its storage root, the runtime ' +
        "principal's CAN_USE, the token secret, bucket notifications, the last scheduled pass) and print each problem with its fix. " +
        'Run it as the operator, or with --participant <name> as that participant for its own side.',
    )
    .option('--config <dir>', 'folder with cleanroom.yaml and participants/ (default: $CLEANROOM_CONFIG_DIR, else .)')
    .option('--participant <name>', "check this participant's side (its project, bucket and workspace) instead of the clean room's")
    .option('--json', 'print the findings as JSON')
    .addHelpText(
      'after',
      '\nCredentials: Google from GOOGLE_OAUTH_ACCESS_TOKEN or application default credentials (gcloud auth application-default login);\n' +
        'Databricks from DATABRICKS_TOKEN or DATABRICKS_TOKEN_FILE for the workspace checked (DATABRICKS_HOST overrides the config).\n' +
        'Exits 1 when a problem is found, 3 when the configuration is invalid, 4 when it cannot run its checks;\n' +
        '"pending" lines are steps not done yet (e.g. before the first deploy).',
    )
    .action(async (options: { config?: string; participant?: string; json?: boolean }) => {
      const { formatFindings, runDoctor } = require('../doctor') as typeof import('../doctor');
      const { Redactor } = require('../logging/redact') as typeof import('../logging/redact');
      const redactor = new Redactor({ env: process.env });
      try {
        const report = await runDoctor({ configDir: options.config ?? process.env.CLEANROOM_CONFIG_DIR ?? '.', participant: options.participant, env: process.env });
        const text = options.json ? `${JSON.stringify({ title: report.title, findings: report.findings }, null, 2)}\n` : formatFindings(report.title, report.findings);
        process.stdout.write(redactor.redactText(text));
        if (report.findings.some((f) => f.status === 'problem')) process.exitCode = EXIT.failed;
      } catch (error) {
        const message = (error as Error).message;
        process.stderr.write(`${redactor.redactText(`cleanroom doctor: ${message}`)}\n`);
        process.exitCode = (error as Error).name === 'ConfigError' ? EXIT.config : EXIT.unavailable;
      }
    });
}
