/**
 * The config fields that say how the clean room is deployed (kept apart from the clean room's own rules so each
 * block stays small): where each stack owner keeps its Terraform state, the clean room's Unity Catalog catalog and
 * the owner of its Unity Catalog objects, how many job principals participant code runs as, the run timeout of each
 * compute size, and the Cloud Storage service agent a participant publishes for the operator.
 *
 * Descriptions read as "expected <description>" in error messages, so they are phrased as noun phrases.
 */
import { z } from 'zod';
import { DEFAULT_JOB_PRINCIPALS, MAX_JOB_PRINCIPALS } from '../engines/databricks/run-access-names';
import { COMPUTE_SIZES, type ComputeSize } from './compute-sizes';
import { BUCKET_NAME_PATTERN, bucketNameProblem } from './value-rules';

/** A Unity Catalog catalog name the stacks can create (lowercase, so Databricks keeps it as written). */
export const CATALOG_NAME_PATTERN = /^[a-z][a-z0-9_]{2,62}$/;
/** Catalogs Databricks creates itself or reserves; the clean room must have one of its own. */
export const RESERVED_CATALOG_NAMES: readonly string[] = ['hive_metastore', 'main', 'samples', 'system', 'workspace', 'information_schema'];

/** The clean room's catalog when cleanroom.yaml names none: `cleanroom_<name>` with dashes as underscores. */
export function defaultCleanroomCatalog(cleanroomName: string): string {
  return `cleanroom_${cleanroomName.replace(/-/g, '_')}`;
}

/** The catalog a participant's own stack creates in its workspace (see the infrastructure's ControlCatalog). */
export function participantCatalogName(participantName: string): string {
  return `cleanroom_${participantName}`;
}

/** A Databricks group name, user email or service principal application id. */
const DATABRICKS_OWNER_PATTERN =
  /^([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|[A-Za-z0-9._%+-]{1,64}@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+|[A-Za-z0-9][A-Za-z0-9 ._-]{0,127})$/;
/** A project's Cloud Storage service agent: service-<project number>@gs-project-accounts.iam.gserviceaccount.com. */
export const STORAGE_SERVICE_AGENT_PATTERN = /^service-[0-9]{1,20}@gs-project-accounts\.iam\.gserviceaccount\.com$/;
/** A prefix of object names in the state bucket: path segments of letters, digits, `.`, `_` and `-`. */
const STATE_PREFIX_PATTERN = /^[A-Za-z0-9_-][A-Za-z0-9._-]{0,62}(\/[A-Za-z0-9_-][A-Za-z0-9._-]{0,62}){0,7}$/;

/** Default and bounds of a run's timeout; Databricks runs/submit takes `timeout_seconds`. */
export const DEFAULT_RUN_TIMEOUT_MINUTES = 120;
export const MAX_RUN_TIMEOUT_MINUTES = 7 * 24 * 60;

export function terraformStateSchema(owner: string) {
  return z
    .strictObject({
      bucket: z
        .string()
        .regex(BUCKET_NAME_PATTERN)
        .superRefine((value, ctx) => {
          const problem = bucketNameProblem(value);
          if (problem) ctx.addIssue({ code: 'custom', message: problem });
        })
        .describe(`the existing GCS bucket holding ${owner}'s Terraform state (versioned, uniform access; create it before the first deploy)`),
      prefix: z
        .string()
        .regex(STATE_PREFIX_PATTERN)
        .optional()
        .describe('the object name prefix of the state in that bucket: path segments of letters, digits, ".", "_" and "-" (default "cleanroom/<clean room name>")'),
    })
    .optional()
    .describe(`where ${owner} keeps its Terraform state: bucket and optional prefix (a GCS backend; absent, state stays in a local file next to cdktf.json)`);
}

export const cleanroomCatalogSchema = z
  .string()
  .regex(CATALOG_NAME_PATTERN)
  .refine((name) => !RESERVED_CATALOG_NAMES.includes(name), {
    message: `expected a catalog of the clean room's own, not one Databricks creates or reserves (${RESERVED_CATALOG_NAMES.join(', ')})`,
  })
  .optional()
  .describe(
    "the clean room's Unity Catalog catalog, holding participants' datasets as <catalog>.<participant>.<table>: 3-63 lowercase letters, digits and underscores, starting with a letter (default cleanroom_<clean room name>)",
  );

/** Who owns the Unity Catalog objects a stack declares (`objects` names them, for the message). */
export function databricksOwnerSchema(objects: string, runtimeNote: string) {
  return z
    .string()
    .regex(DATABRICKS_OWNER_PATTERN)
    .optional()
    .describe(
      `who owns ${objects}: a Databricks group name (recommended, e.g. cleanroom-admins), a user email or a service principal application id${runtimeNote} (default: the identity deploying the stack, which must belong to that owner)`,
    );
}

/** The size of the pool of Databricks service principals participant code runs as (one run holds one at a time). */
export const jobPrincipalsSchema = z
  .number()
  .int()
  .min(1)
  .max(MAX_JOB_PRINCIPALS)
  .default(DEFAULT_JOB_PRINCIPALS)
  .describe(
    `how many Databricks service principals participant code runs as, each held by one run at a time (runs beyond that wait for a free one): a whole number from 1 to ${MAX_JOB_PRINCIPALS} (default ${DEFAULT_JOB_PRINCIPALS})`,
  );

export const storageServiceAgentSchema = z
  .string()
  .regex(STORAGE_SERVICE_AGENT_PATTERN)
  .optional()
  .describe(
    "the Cloud Storage service agent of the participant's project (service-<project number>@gs-project-accounts.iam.gserviceaccount.com, from `gcloud storage service-agent --project <project>` or the participant stack's output storage_service_agent); the clean room lets it publish the bucket's events notifications",
  );

const timeoutMinutes = z
  .number()
  .int()
  .min(1)
  .max(MAX_RUN_TIMEOUT_MINUTES)
  .optional()
  .describe(`a run timeout in minutes: a whole number from 1 to ${MAX_RUN_TIMEOUT_MINUTES}`);

export const runTimeoutsSchema = z
  .strictObject(Object.fromEntries(COMPUTE_SIZES.map((size) => [size, timeoutMinutes])) as Record<ComputeSize, typeof timeoutMinutes>)
  .optional()
  .describe(
    `how long a run of each compute size may take before Databricks cancels it, in minutes, by size (e.g. Large: 240); a size not listed gets ${DEFAULT_RUN_TIMEOUT_MINUTES}`,
  );

/** The timeout of every offered size, with the default for sizes the file does not list. */
export function runTimeoutsFor(sizes: readonly ComputeSize[], listed: Partial<Record<ComputeSize, number>> | undefined): Readonly<Partial<Record<ComputeSize, number>>> {
  const timeouts: Partial<Record<ComputeSize, number>> = {};
  for (const size of sizes) timeouts[size] = listed?.[size] ?? DEFAULT_RUN_TIMEOUT_MINUTES;
  return timeouts;
}
