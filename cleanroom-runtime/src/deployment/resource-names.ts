/**
 * Names of the deployed clean room's resources, derived from the config. The infrastructure declares them with these
 * names and `cleanroom doctor` looks them up by the same ones, so the two cannot drift apart.
 */
import { createHash } from 'node:crypto';

export const CLEANROOM_STACK_ID = 'cleanroom';

export function participantStackId(participant: string): string {
  return `participant-${participant}`;
}

export function eventsTopicName(cleanroomName: string): string {
  return `${cleanroomName}-events`;
}

/** Full topic id; participant stacks point their bucket notifications at it without a cross-stack reference. */
export function eventsTopicId(project: string, cleanroomName: string): string {
  return `projects/${project}/topics/${eventsTopicName(cleanroomName)}`;
}

/** Service account ids are at most 30 characters: long clean room names are shortened with a stable hash. */
export function invokerAccountId(cleanroomName: string): string {
  const plain = `${cleanroomName}-invoker`;
  if (plain.length <= 30) return plain;
  const hash = createHash('sha256').update(cleanroomName).digest('hex').slice(0, 4);
  return `${cleanroomName.slice(0, 16).replace(/-+$/, '')}-${hash}-invoker`;
}

export function runtimeServiceName(cleanroomName: string): string {
  return `${cleanroomName}-runtime`;
}

/** The Cloud Scheduler job that triggers the periodic pass. */
export function runtimeTickJobName(cleanroomName: string): string {
  return `${cleanroomName}-runtime-tick`;
}

export function databricksTokenSecretId(cleanroomName: string): string {
  return `${cleanroomName}-databricks-token`;
}

/** Cluster policy name of a size; the runtime's Databricks engine looks policies up by this name. */
export function computePolicyName(cleanroomName: string, size: string): string {
  return `${cleanroomName} ${size}`;
}

export function runtimeWarehouseName(cleanroomName: string): string {
  return `${cleanroomName}-runtime`;
}
