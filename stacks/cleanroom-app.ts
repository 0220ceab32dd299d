import type { Construct } from 'constructs';
import type { MetastoreOptions } from '../constructs/control-catalog';
import { eventsTopicId } from '../constructs/runtime-service';
import { CLEANROOM_NAME, Problems, checkPattern } from '../constructs/validation';
import { CleanroomStack, type CleanroomStackProps } from './cleanroom-stack';
import { ParticipantStack, type ParticipantDefinition } from './participant-stack';

/** Everything the app declares, independent of how it was configured (see `definitionFromConfig`). */
export interface CleanroomDefinition extends Omit<CleanroomStackProps, 'participantStorageAgents' | 'participantBuckets'> {
  /** Name of the keeper participant. */
  readonly keeper: string;
  readonly participants: readonly ParticipantDefinition[];
  /** Metastore of participant workspaces (default Unity Catalog). */
  readonly metastore?: MetastoreOptions;
  /**
   * The Google service account of the clean room's storage credential (output of the clean room stack, copied into
   * cleanroom.yaml); participant stacks grant it access to their bucket. Absent before the first clean room deploy.
   */
  readonly databricksStorageServiceAccount?: string;
}

export interface CleanroomApp {
  readonly cleanroom: CleanroomStack;
  /** By participant name. */
  readonly participants: ReadonlyMap<string, ParticipantStack>;
}

/** Declares the clean room stack and one stack per participant in `scope` (usually the cdktf App). */
export function buildCleanroomApp(scope: Construct, definition: CleanroomDefinition): CleanroomApp {
  validateDefinition(definition);
  const cleanroom = new CleanroomStack(scope, {
    name: definition.name,
    gcpProject: definition.gcpProject,
    region: definition.region,
    databricksHost: definition.databricksHost,
    serviceAccountEmail: definition.serviceAccountEmail,
    stateBucket: definition.stateBucket,
    computeSizes: definition.computeSizes,
    warehouse: definition.warehouse,
    runtime: definition.runtime,
    participantStorageAgents: definition.participants.flatMap((p) => (p.storageServiceAgent === undefined ? [] : [p.storageServiceAgent])),
    participantBuckets: definition.participants.map((p) => ({ participant: p.name, bucket: p.bucket })),
    databricksRuntimePrincipal: definition.databricksRuntimePrincipal,
    databricksCatalog: definition.databricksCatalog,
    databricksOwner: definition.databricksOwner,
    ...(definition.databricksAccountId === undefined ? {} : { databricksAccountId: definition.databricksAccountId }),
    ...(definition.databricksJobPrincipals === undefined ? {} : { databricksJobPrincipals: definition.databricksJobPrincipals }),
    terraformState: definition.terraformState,
    configFiles: definition.configFiles,
  });
  const topicId = eventsTopicId(definition.gcpProject, definition.name);
  const participants = new Map<string, ParticipantStack>();
  for (const participant of [...definition.participants].sort((a, b) => a.name.localeCompare(b.name))) {
    participants.set(
      participant.name,
      new ParticipantStack(scope, {
        cleanroomName: definition.name,
        participant,
        location: definition.region,
        cleanroomServiceAccountEmail: definition.serviceAccountEmail,
        cleanroomStorageServiceAccountEmail: definition.databricksStorageServiceAccount,
        eventsTopicId: topicId,
        metastore: definition.metastore,
      }),
    );
  }
  return { cleanroom, participants };
}

/** The rules that span participants (docs/protocol.md, Events: names and places): exactly one keeper, unique names and buckets. */
export function validateDefinition(definition: CleanroomDefinition): void {
  const problems = new Problems();
  checkPattern(problems, 'name', definition.name, CLEANROOM_NAME, 'a clean room name');
  const keepers = definition.participants.filter((p) => p.role === 'keeper');
  problems.check(keepers.length === 1, 'participants', 'exactly one participant with role "keeper"', keepers.map((k) => k.name));
  problems.check(
    keepers.length !== 1 || keepers[0].name === definition.keeper,
    'keeper',
    `the name of the participant with role "keeper"${keepers.length === 1 ? ` ("${keepers[0].name}")` : ''}`,
    definition.keeper,
  );
  const names = new Set<string>();
  const buckets = new Set<string>([definition.stateBucket]);
  definition.participants.forEach((participant, i) => {
    problems.check(!names.has(participant.name), `participants[${i}].name`, 'a participant name used once', participant.name);
    names.add(participant.name);
    problems.check(
      !buckets.has(participant.bucket),
      `participants[${i}].bucket`,
      participant.bucket === definition.stateBucket ? 'a bucket other than the clean room state bucket' : 'a bucket no other participant uses',
      participant.bucket,
    );
    buckets.add(participant.bucket);
  });
  problems.throwIfAny(`Clean room "${definition.name}"`);
}
