/**
 * Reads a configuration folder (`cleanroom.yaml` + `participants/*.yaml`) and validates it.
 * Missing or unreadable files become problems like any other, so `config validate` reports everything at once.
 */
import { promises as fs } from 'fs';
import * as path from 'path';
import { ConfigError, sortProblems, type ConfigProblem } from './problems';
import type { CleanroomConfig } from './config-types';
import { validateSources, type ValidationResult } from './validate';
import type { SourceFile } from './yaml-source';

export const CLEANROOM_FILE = 'cleanroom.yaml';
export const PARTICIPANTS_DIR = 'participants';
/** Config files are small; anything bigger is a mistake or an attack on the parser. */
const MAX_FILE_BYTES = 256 * 1024;
const PARTICIPANT_FILE = /\.ya?ml$/;

export async function validateConfigDir(dir: string): Promise<ValidationResult> {
  const root = path.resolve(dir);
  const problems: ConfigProblem[] = [];
  const whole = (file: string, message: string): void => {
    problems.push({ file, line: 1, column: 1, field: '', message });
  };

  const rootStat = await fs.stat(root).catch(() => undefined);
  if (!rootStat?.isDirectory()) {
    whole(root, `expected a configuration folder holding ${CLEANROOM_FILE} and ${PARTICIPANTS_DIR}/; this folder does not exist`);
    return { problems };
  }

  const cleanroomPath = path.join(root, CLEANROOM_FILE);
  const cleanroom = await readSource(cleanroomPath, whole);
  if (cleanroom === null) {
    whole(cleanroomPath, `missing file; create ${CLEANROOM_FILE} with the clean room settings (\`cleanroom config init <dir>\` writes a starter)`);
  }

  const participantsDir = path.join(root, PARTICIPANTS_DIR);
  const participantPaths = await listParticipantFiles(participantsDir);
  if (participantPaths === null) {
    whole(participantsDir, `missing folder; create ${PARTICIPANTS_DIR}/ with one <name>.yaml per participant (\`cleanroom config init <dir>\` writes the keeper file)`);
  } else if (participantPaths.length === 0) {
    whole(participantsDir, `no participant files; add one <name>.yaml per participant, the keeper included (\`cleanroom config init <dir>\` writes the keeper file)`);
  }

  const participants: SourceFile[] = [];
  for (const file of participantPaths ?? []) {
    const source = await readSource(file, whole);
    if (source) participants.push(source);
  }
  // Whatever could be read is still checked, so one run shows every problem.
  const result = validateSources({ cleanroom: cleanroom ?? undefined, participants });
  if (problems.length === 0) return result;
  return { problems: sortProblems([...problems, ...result.problems]) };
}

export async function loadConfig(dir: string): Promise<CleanroomConfig> {
  const { config, problems } = await validateConfigDir(dir);
  if (!config) throw new ConfigError(problems);
  return config;
}

/** The file's text; null when it does not exist; undefined (problem recorded) when it cannot be used. */
async function readSource(
  file: string,
  whole: (file: string, message: string) => void,
): Promise<SourceFile | null | undefined> {
  const stat = await fs.stat(file).catch(() => undefined);
  if (!stat) return null;
  if (!stat.isFile()) {
    whole(file, 'expected a YAML file; this is not a regular file');
    return undefined;
  }
  if (stat.size > MAX_FILE_BYTES) {
    whole(file, `expected a configuration file under ${MAX_FILE_BYTES / 1024} KiB; this one is ${stat.size} bytes`);
    return undefined;
  }
  try {
    return { path: file, text: await fs.readFile(file, 'utf8') };
  } catch (error) {
    whole(file, `expected a readable file; ${error instanceof Error ? error.message : String(error)}`);
    return undefined;
  }
}

/** YAML files directly in participants/ (sorted); null when the folder does not exist. Other files are ignored. */
async function listParticipantFiles(dir: string): Promise<string[] | null> {
  const entries = await fs.readdir(dir, { withFileTypes: true }).catch(() => null);
  if (entries === null) return null;
  return entries
    .filter((entry) => PARTICIPANT_FILE.test(entry.name) && !entry.name.startsWith('.'))
    .map((entry) => path.join(dir, entry.name))
    .sort();
}
