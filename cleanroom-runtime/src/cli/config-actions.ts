/** What `cleanroom config validate|init` do (definitions in config-commands.ts). */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { CLEANROOM_FILE, CLEANROOM_NAME_PATTERN, jsonSchemaFiles, PARTICIPANT_NAME_PATTERN, PARTICIPANTS_DIR, validateConfigDir } from '../config';
import { formatProblem, shownPath } from '../config/problems';
import { EXIT } from './exit-codes';
import { CliError } from './participant/errors';

/** Where `config init` puts the JSON Schemas, relative to the config folder; the modelines point here. */
export const SCHEMA_FOLDER = 'schema';

/** The folder to validate: the argument, else --config, else CLEANROOM_CONFIG_DIR, else the current folder. */
export function configFolder(dir: string | undefined, option: string | undefined, env: Readonly<Record<string, string | undefined>>): string {
  if (dir !== undefined && option !== undefined && path.resolve(dir) !== path.resolve(option)) {
    throw new CliError(`give the folder once: as an argument (${dir}) or as --config (${option}), not both`);
  }
  return dir ?? option ?? env.CLEANROOM_CONFIG_DIR ?? '.';
}

/** Valid: one summary line on stdout, exit 0. Invalid: every problem then a count on stderr, exit 3. --json: one document on stdout. */
export async function validateAction(dir: string | undefined, options: { config?: string; json?: boolean }): Promise<void> {
  const folder = configFolder(dir, options.config, process.env);
  const { config: valid, problems } = await validateConfigDir(folder);
  const shown = shownPath(path.resolve(folder));
  if (options.json) {
    const document = valid
      ? { valid: true, folder: shown, name: valid.name, participants: valid.participants.map((p) => p.name), keeper: valid.keeper }
      : { valid: false, folder: shown, problems: problems.map((p) => ({ ...p, file: shownPath(p.file) })) };
    process.stdout.write(`${JSON.stringify(document)}\n`);
  } else if (valid) {
    process.stdout.write(
      `${path.join(shown, CLEANROOM_FILE)} is valid: clean room "${valid.name}", ${valid.participants.length} participant${valid.participants.length === 1 ? '' : 's'}, keeper "${valid.keeper}"\n`,
    );
  } else {
    for (const problem of problems) process.stderr.write(`${formatProblem(problem)}\n`);
    process.stderr.write(`${problems.length} problem${problems.length === 1 ? '' : 's'} in the configuration at ${shown}\n`);
  }
  if (!valid) process.exitCode = EXIT.config;
}

/** A starter cleanroom.yaml: every required field, with values to replace, that validates as written. */
export function starterCleanroomYaml(name: string, keeper: string): string {
  const bucket = `${keeper.replace(/_/g, '-')}-${name}`.slice(0, 50);
  return `# yaml-language-server: $schema=./${SCHEMA_FOLDER}/cleanroom.schema.json
# The clean room: one per deployment, owned by the operator. Replace every value marked "yours", then:
#   cleanroom config validate <this folder>
name: ${name}
gcp:
  project: ${name}-project   # yours: the clean room's Google Cloud project
  region: europe-west1
databricks:
  host: https://1234567890123456.7.gcp.databricks.com   # yours: the clean room's own workspace
  owner: cleanroom-admins   # yours: the group that owns the clean room's Unity Catalog objects
service_account: cleanroom-runtime@${name}-project.iam.gserviceaccount.com   # yours
state_bucket: ${bucket}-state   # yours: a bucket the stack creates for the runtime's state
keeper: ${keeper}
compute_sizes:
  - Small
  - Medium
run_history_retention_days: 30
runtime:
  schedule: "*/5 * * * *"
  image: europe-west1-docker.pkg.dev/${name}-project/cleanroom/runtime:0.1.0   # yours: the image you push
`;
}

export function starterParticipantYaml(keeper: string, name: string): string {
  const bucket = `${keeper.replace(/_/g, '-')}-${name}`.slice(0, 50);
  return `# yaml-language-server: $schema=../${SCHEMA_FOLDER}/participant.schema.json
# The keeper: approves or rejects the code collaborators register. Add one file like this per collaborator
# (role: collaborator). Replace every value marked "yours".
name: ${keeper}
role: keeper
bucket: ${bucket}-data   # yours: the participant's own bucket, created by its stack
databricks:
  host: https://2345678901234567.8.gcp.databricks.com   # yours: the participant's workspace
gcp:
  project: ${keeper.replace(/_/g, '-')}-project   # yours: the participant's Google Cloud project
`;
}

async function writeKept(file: string, content: string, force: boolean, wrote: string[], kept: string[]): Promise<void> {
  try {
    await fs.writeFile(file, content, { flag: force ? 'w' : 'wx' });
    wrote.push(file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    kept.push(file);
  }
}

/**
 * Writes a starter configuration in `dir`, and the JSON Schemas (always rewritten: they belong to this CLI version,
 * so running init again in an existing folder refreshes them and keeps the YAML files).
 */
export async function initAction(dir: string, options: { name?: string; keeper?: string; force?: boolean }): Promise<void> {
  const name = options.name ?? 'my-cleanroom';
  const keeper = options.keeper ?? 'keeper';
  if (!CLEANROOM_NAME_PATTERN.test(name)) throw new CliError(`--name ${JSON.stringify(name)}: a clean room name is 3-41 lowercase letters, digits and -, starting with a letter`);
  if (!PARTICIPANT_NAME_PATTERN.test(keeper)) throw new CliError(`--keeper ${JSON.stringify(keeper)}: a participant name is 2-31 lowercase letters, digits and _, starting with a letter`);
  const root = path.resolve(dir);
  try {
    await fs.mkdir(path.join(root, PARTICIPANTS_DIR), { recursive: true });
    await fs.mkdir(path.join(root, SCHEMA_FOLDER), { recursive: true });
  } catch (error) {
    throw new CliError(`cannot create ${shownPath(root)}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
  }
  const wrote: string[] = [];
  const kept: string[] = [];
  for (const schema of jsonSchemaFiles()) {
    const file = path.join(root, SCHEMA_FOLDER, schema.fileName);
    await fs.writeFile(file, schema.content);
    wrote.push(file);
  }
  await writeKept(path.join(root, CLEANROOM_FILE), starterCleanroomYaml(name, keeper), options.force === true, wrote, kept);
  await writeKept(path.join(root, PARTICIPANTS_DIR, `${keeper}.yaml`), starterParticipantYaml(keeper, name), options.force === true, wrote, kept);
  for (const file of wrote) process.stdout.write(`wrote ${shownPath(file)}\n`);
  for (const file of kept) process.stdout.write(`kept ${shownPath(file)} (exists; --force overwrites it)\n`);
  process.stderr.write(`next: replace the values marked "yours", add participants/<name>.yaml per collaborator, then \`cleanroom config validate ${shownPath(root)}\`\n`);
}
