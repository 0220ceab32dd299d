/**
 * Rules that span files: each participant file is named after its participant, names and buckets are unique, no
 * participant uses the state bucket, and exactly one participant is the keeper — the one cleanroom.yaml names.
 */
import * as path from 'path';
import { fieldName } from './issue-problems';
import type { ConfigProblem } from './problems';
import type { CleanroomFile, ParticipantFile } from './schema';
import type { ParsedYaml } from './yaml-source';

export interface Checked<T> {
  readonly parsed: ParsedYaml;
  readonly value: T;
}

/** `participantFiles` lists every participant file found, including those that failed their own checks. */
export function crossFileProblems(
  cleanroom: Checked<CleanroomFile> | undefined,
  participants: readonly Checked<ParticipantFile>[],
  participantFiles: readonly string[],
): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  const at = (source: Checked<unknown>, field: string, message: string): void => {
    problems.push({ file: source.parsed.file.path, ...source.parsed.positionOf([field]), field, message });
  };
  const shown = (source: Checked<unknown>): string => `participants/${path.basename(source.parsed.file.path)}`;

  const firstByName = new Map<string, Checked<ParticipantFile>>();
  const firstByBucket = new Map<string, Checked<ParticipantFile>>();
  for (const participant of participants) {
    const { name, bucket } = participant.value;
    const stem = fileStem(participant.parsed.file.path);
    if (name !== stem) {
      at(participant, 'name', `expected "${stem}" to match the file name ${shown(participant)}; got "${name}" (rename the file or fix the name)`);
    }
    const sameName = firstByName.get(name);
    if (sameName) at(participant, 'name', `expected a unique participant name; "${name}" is already used by ${shown(sameName)}`);
    else firstByName.set(name, participant);

    const sameBucket = firstByBucket.get(bucket);
    if (sameBucket) at(participant, 'bucket', `expected a bucket of its own; "${bucket}" is already the bucket of ${shown(sameBucket)}`);
    else firstByBucket.set(bucket, participant);
    if (cleanroom && bucket === cleanroom.value.state_bucket) {
      at(participant, 'bucket', `expected a bucket of its own; "${bucket}" is the clean room state bucket (state_bucket in cleanroom.yaml)`);
    }
  }

  // With no participant files at all, the loader has already said so; a keeper problem would only repeat it.
  if (cleanroom && participantFiles.length > 0) {
    const keeper = cleanroom.value.keeper;
    const stems = participantFiles.map(fileStem);
    // Every role follows from cleanroom.yaml: the named participant is the keeper, every other one a collaborator.
    if (!firstByName.has(keeper) && !stems.includes(keeper)) {
      const choices = `one of: ${[...new Set(stems)].join(', ')}`;
      at(cleanroom, 'keeper', `expected the name of the keeper participant, ${choices}; there is no participants/${keeper}.yaml`);
    }
    for (const participant of participants) {
      const { name, role } = participant.value;
      if (name === keeper && role !== 'keeper') {
        at(participant, 'role', `expected keeper, as cleanroom.yaml names "${keeper}" the keeper; got ${role}`);
      } else if (name !== keeper && role === 'keeper') {
        at(participant, 'role', `expected collaborator, as there is exactly one keeper and cleanroom.yaml names "${keeper}"; got keeper`);
      }
    }
  }
  if (cleanroom && participantFiles.length > 0) {
    const known = new Set([...firstByName.keys(), ...participantFiles.map(fileStem)]);
    (cleanroom.value.approval.approvers ?? []).forEach((name, index) => {
      if (known.has(name)) return;
      const fieldPath = ['approval', 'approvers', index];
      problems.push({
        file: cleanroom.parsed.file.path,
        ...cleanroom.parsed.positionOf(fieldPath),
        field: fieldName(fieldPath),
        message: `expected a participant of this clean room (${[...known].sort().join(', ')}); there is no participants/${name}.yaml`,
      });
    });
  }
  return problems;
}

function fileStem(file: string): string {
  return path.basename(file).replace(/\.ya?ml$/, '');
}
