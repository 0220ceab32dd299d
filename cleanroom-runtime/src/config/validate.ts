/** Validates the configuration files' contents (no I/O): per-file schema first, then the rules across files. */
import type { z } from 'zod';
import { toCleanroomConfig, type CleanroomConfig } from './config-types';
import { crossFileProblems, type Checked } from './cross-file-rules';
import { deploymentProblems } from './deployment-rules';
import { issuesToProblems } from './issue-problems';
import { sortProblems, type ConfigProblem } from './problems';
import { cleanroomFileSchema, participantFileSchema, type ParticipantFile } from './schema';
import { parseYamlFile, type SourceFile } from './yaml-source';

export interface ConfigSources {
  /** Absent when the loader found no cleanroom.yaml (it reports that itself). */
  readonly cleanroom?: SourceFile;
  readonly participants: readonly SourceFile[];
}

export interface ValidationResult {
  /** Present only when there are no problems. */
  readonly config?: CleanroomConfig;
  readonly problems: ConfigProblem[];
}

export function validateSources(sources: ConfigSources): ValidationResult {
  const problems: ConfigProblem[] = [];
  const cleanroom = sources.cleanroom && checkFile(sources.cleanroom, cleanroomFileSchema, problems);
  const participants: Checked<ParticipantFile>[] = [];
  for (const source of sources.participants) {
    const checked = checkFile(source, participantFileSchema, problems);
    if (checked) participants.push(checked);
  }
  problems.push(...crossFileProblems(cleanroom, participants, sources.participants.map((source) => source.path)));
  problems.push(...deploymentProblems(cleanroom, participants));
  if (problems.length > 0 || !cleanroom || participants.length !== sources.participants.length) {
    return { problems: sortProblems(problems) };
  }
  return { config: toCleanroomConfig(cleanroom.value, participants.map((p) => p.value)), problems: [] };
}

function checkFile<T>(source: SourceFile, schema: z.ZodType<T>, problems: ConfigProblem[]): Checked<T> | undefined {
  const result = parseYamlFile(source);
  if (!result.ok) {
    problems.push(...result.problems);
    return undefined;
  }
  const parsed = schema.safeParse(result.parsed.data);
  if (!parsed.success) {
    problems.push(...issuesToProblems(schema, result.parsed, parsed.error.issues));
    return undefined;
  }
  return { parsed: result.parsed, value: parsed.data };
}
