/** The validated clean room configuration as the runtime and the infrastructure use it (camelCase, defaults applied). */
import { LIMIT_DEFINITIONS, withLimits, type Limits } from '../limits';
import { toApprovalPolicy, type ApprovalPolicy } from './approval-schema';
import type { ComputeSize } from './compute-sizes';
import { toParticipantReleasePolicy, toReleaseFields, type ParticipantReleasePolicy, type ReleasePolicyFields } from './release-schema';
import { DEFAULT_RUN_TIMEOUT_MINUTES, defaultCleanroomCatalog, runTimeoutsFor } from './deployment-schema';
import type { CleanroomFile, ParticipantFile } from './schema';

/** A participant, as in its `participants/<name>.yaml` (its fields need no renaming). */
export type ParticipantConfig = ParticipantFile;

/** Where a stack owner keeps its Terraform state (a GCS backend). */
export interface TerraformStateConfig {
  readonly bucket: string;
  readonly prefix?: string;
}

export interface CleanroomConfig {
  readonly name: string;
  readonly gcp: { readonly project: string; readonly region: string };
  /**
   * `host` without a trailing slash. `storageServiceAccount`: the Google service account of the clean room's Unity
   * Catalog storage credential (known after the first deploy of the clean room stack). `runtimePrincipal`: the
   * Databricks principal the runtime's token belongs to. `catalog`: the clean room's Unity Catalog catalog (default
   * derived from the name). `owner`: who owns the clean room's Unity Catalog objects (default: the deployer).
   * `jobPrincipals`: how many service principals participant code runs as, one run each at a time.
   */
  readonly databricks: {
    readonly host: string;
    readonly storageServiceAccount?: string;
    readonly runtimePrincipal?: string;
    readonly catalog: string;
    readonly owner?: string;
    readonly jobPrincipals: number;
  };
  readonly serviceAccount: string;
  readonly stateBucket: string;
  /** Name of the keeper participant; `participants` holds exactly one participant of that name with role keeper. */
  readonly keeper: string;
  readonly computeSizes: readonly ComputeSize[];
  readonly runHistoryRetentionDays: number;
  readonly runtime: { readonly schedule: string; readonly image?: string };
  /** Minutes a run of each offered compute size may take (see `runTimeoutMinutes`). */
  readonly runTimeoutMinutes: Readonly<Partial<Record<ComputeSize, number>>>;
  /** The operator's Terraform state backend; absent: a local state file. */
  readonly terraformState?: TerraformStateConfig;
  /** Bounds on the work one participant can cause: the defaults of src/limits.ts with the file's `limits:` applied. */
  readonly limits: Limits;
  /** Who approves code (`approval:`; default: the keeper). */
  readonly approval: ApprovalPolicy;
  /** What may leave the clean room (`release:`): clean-room-wide defaults and each participant's own policy, by participant name. */
  readonly release: ReleaseConfig;
  /** Sorted by name. */
  readonly participants: readonly ParticipantConfig[];
}

export interface ReleaseConfig {
  readonly defaults: ReleasePolicyFields;
  readonly participants: Readonly<Record<string, ParticipantReleasePolicy>>;
}

/** The run timeout of a compute size, in minutes (the default for a size the config does not list). */
export function runTimeoutMinutes(config: Pick<CleanroomConfig, 'runTimeoutMinutes'>, size: ComputeSize): number {
  return config.runTimeoutMinutes[size] ?? DEFAULT_RUN_TIMEOUT_MINUTES;
}

export function toCleanroomConfig(file: CleanroomFile, participants: readonly ParticipantFile[]): CleanroomConfig {
  return {
    name: file.name,
    gcp: { project: file.gcp.project, region: file.gcp.region },
    databricks: {
      host: withoutTrailingSlash(file.databricks.host),
      ...(file.databricks.storage_service_account === undefined ? {} : { storageServiceAccount: file.databricks.storage_service_account }),
      ...(file.databricks.runtime_principal === undefined ? {} : { runtimePrincipal: file.databricks.runtime_principal }),
      catalog: file.databricks.catalog ?? defaultCleanroomCatalog(file.name),
      ...(file.databricks.owner === undefined ? {} : { owner: file.databricks.owner }),
      jobPrincipals: file.databricks.job_principals,
    },
    serviceAccount: file.service_account,
    stateBucket: file.state_bucket,
    keeper: file.keeper,
    computeSizes: file.compute_sizes,
    runHistoryRetentionDays: file.run_history_retention_days,
    runtime: file.runtime.image === undefined ? { schedule: file.runtime.schedule } : { ...file.runtime },
    runTimeoutMinutes: runTimeoutsFor(file.compute_sizes, file.run_timeout_minutes),
    ...(file.terraform_state === undefined ? {} : { terraformState: { ...file.terraform_state } }),
    limits: limitsOf(file.limits),
    approval: toApprovalPolicy(file.approval),
    release: {
      defaults: toReleaseFields(file.release),
      participants: Object.fromEntries(participants.map((p) => [p.name, toParticipantReleasePolicy(p.name, p.release)])),
    },
    participants: [...participants]
      .map((participant) => ({ ...participant, databricks: { ...participant.databricks, host: withoutTrailingSlash(participant.databricks.host) } }))
      .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)),
  };
}

function limitsOf(section: Readonly<Record<string, number | undefined>>): Limits {
  const overrides: Partial<Record<keyof Limits, number>> = {};
  for (const limit of LIMIT_DEFINITIONS) {
    const value = section[limit.key];
    if (value !== undefined) overrides[limit.name] = value;
  }
  return withLimits(overrides);
}

function withoutTrailingSlash(url: string): string {
  return url.endsWith('/') ? url.slice(0, -1) : url;
}
