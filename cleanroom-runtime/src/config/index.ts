/** The clean room configuration: one schema, a loader and readable problems. */
export { COMPUTE_SIZES, DEFAULT_CLUSTER_SHAPES, isComputeSize, type ClusterShape, type ComputeSize } from './compute-sizes';
export { runTimeoutMinutes, type CleanroomConfig, type ParticipantConfig, type ReleaseConfig, type TerraformStateConfig } from './config-types';
export type { ParticipantReleasePolicy, ReleasePolicyFields } from './release-schema';
export {
  CATALOG_NAME_PATTERN,
  DEFAULT_RUN_TIMEOUT_MINUTES,
  STORAGE_SERVICE_AGENT_PATTERN,
  defaultCleanroomCatalog,
  participantCatalogName,
} from './deployment-schema';
export { CLEANROOM_FILE, PARTICIPANTS_DIR, loadConfig, validateConfigDir } from './loader';
export { ConfigError, formatProblem, formatProblems, type ConfigProblem } from './problems';
export {
  CLEANROOM_NAME_PATTERN,
  PARTICIPANT_NAME_PATTERN,
  cleanroomFileSchema,
  participantFileSchema,
  type CleanroomFile,
  type ParticipantFile,
  type ParticipantRole,
} from './schema';
export { jsonSchemaFiles, type JsonSchemaFile } from './json-schema';
export type { ValidationResult } from './validate';
