/**
 * The one definition of the clean room configuration files: `cleanroom.yaml` and `participants/<name>.yaml`.
 * Validation, the typed config, error messages (from each field's description) and the editors' JSON Schema all
 * come from here, so the infrastructure and the runtime can never disagree about a participant.
 *
 * Descriptions read as "expected <description>" in error messages, so they are phrased as noun phrases.
 */
import { z } from 'zod';
import { LIMIT_DEFINITIONS } from '../limits';
import { approvalSchema } from './approval-schema';
import { cleanroomReleaseSchema, participantReleaseSchema, releaseDatasetKeyProblems } from './release-schema';
import { COMPUTE_SIZES } from './compute-sizes';
import {
  cleanroomCatalogSchema,
  databricksOwnerSchema,
  jobPrincipalsSchema,
  runTimeoutsSchema,
  storageServiceAgentSchema,
  terraformStateSchema,
} from './deployment-schema';
import { BUCKET_NAME_PATTERN, bucketNameProblem, cronProblem } from './value-rules';

export const CLEANROOM_NAME_PATTERN = /^[a-z][a-z0-9-]{2,40}$/;
/** Also the participant's database name, hence underscores and no dashes. */
export const PARTICIPANT_NAME_PATTERN = /^[a-z][a-z0-9_]{1,30}$/;
const GCP_PROJECT_PATTERN = /^[a-z][a-z0-9-]{4,28}[a-z0-9]$/;
const GCP_REGION_PATTERN = /^[a-z]+-[a-z]+[0-9]{1,2}$/;
const HTTPS_HOST_PATTERN = /^https:\/\/[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)+(:[0-9]{1,5})?\/?$/;
const SERVICE_ACCOUNT_PATTERN = /^[a-z][a-z0-9-]{4,28}[a-z0-9]@[a-z][a-z0-9-]{4,28}[a-z0-9]\.iam\.gserviceaccount\.com$/;
/** Any Google service account, Databricks-created ones included (they live in Databricks' projects). */
const GOOGLE_SERVICE_ACCOUNT_PATTERN = /^[a-z0-9][a-z0-9._-]{0,98}@[a-z0-9][a-z0-9.-]*\.gserviceaccount\.com$/;
/** A Databricks service principal's application id, or a user's email. */
const DATABRICKS_PRINCIPAL_PATTERN = /^([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|[A-Za-z0-9._%+-]{1,64}@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+)$/;
const CONTAINER_IMAGE_PATTERN =
  /^[a-z0-9]+([._-][a-z0-9]+)*(:[0-9]{1,5})?(\/[a-z0-9]+([._-][a-z0-9]+)*)*(:[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?(@sha256:[a-f0-9]{64})?$/;

function bucketName(what: string) {
  return z
    .string()
    .regex(BUCKET_NAME_PATTERN)
    .superRefine((value, ctx) => {
      const problem = bucketNameProblem(value);
      if (problem) ctx.addIssue({ code: 'custom', message: problem });
    })
    .describe(`${what}: a GCS bucket name of 3-63 characters, lowercase letters, digits, dashes and underscores, starting and ending with a letter or digit`);
}

function databricksHost(what: string) {
  return z
    .string()
    .regex(HTTPS_HOST_PATTERN)
    .describe(`${what}: an https URL with no path (e.g. https://1234567890123456.7.gcp.databricks.com)`);
}

function gcpProject(what: string) {
  return z
    .string()
    .regex(GCP_PROJECT_PATTERN)
    .describe(`${what}: a GCP project id of 6-30 characters, lowercase letters, digits and dashes, starting with a letter (e.g. acme-cleanroom)`);
}

export const cleanroomFileSchema = z
  .strictObject({
    name: z
      .string()
      .regex(CLEANROOM_NAME_PATTERN)
      .describe('the clean room name: 3-41 characters, a lowercase letter then lowercase letters, digits or dashes (e.g. retail-media)'),
    gcp: z
      .strictObject({
        project: gcpProject('the GCP project hosting the clean room'),
        region: z
          .string()
          .regex(GCP_REGION_PATTERN)
          .describe('the GCP region of the clean room resources (e.g. europe-west1)'),
      })
      .describe('the clean room GCP settings: project and region'),
    databricks: z
      .strictObject({
        host: databricksHost('the clean room Databricks workspace URL'),
        storage_service_account: z
          .string()
          .regex(GOOGLE_SERVICE_ACCOUNT_PATTERN)
          .optional()
          .describe(
            "the Google service account email (…@….gserviceaccount.com) of the clean room's Unity Catalog storage credential, copied from the output storage_service_account of the first `cdktf deploy cleanroom`; each participant stack grants it read access to its bucket and write access to its output/ folder",
          ),
        runtime_principal: z
          .string()
          .regex(DATABRICKS_PRINCIPAL_PATTERN)
          .optional()
          .describe(
            "the Databricks principal whose token the runtime uses, granted access to participants' external locations: a service principal application id (UUID) or a user email (default: the identity that deploys the cleanroom stack)",
          ),
        // Deployment settings (deployment-schema.ts).
        catalog: cleanroomCatalogSchema,
        owner: databricksOwnerSchema("the clean room's Unity Catalog objects (storage credential, external locations, catalog)", ', never the runtime principal'),
        job_principals: jobPrincipalsSchema,
      })
      .describe('the clean room Databricks settings: host and optional storage_service_account, runtime_principal, catalog, owner, job_principals'),
    service_account: z
      .string()
      .regex(SERVICE_ACCOUNT_PATTERN)
      .describe('the clean room service account email (e.g. cleanroom-runtime@acme-cleanroom.iam.gserviceaccount.com)'),
    state_bucket: bucketName("the bucket holding the clean room's authoritative state"),
    keeper: z
      .string()
      .regex(PARTICIPANT_NAME_PATTERN)
      .describe("the keeper's participant name (the name in its participants/<name>.yaml)"),
    compute_sizes: z
      .array(z.enum(COMPUTE_SIZES).describe(`a compute size, one of: ${COMPUTE_SIZES.join(', ')}`))
      .min(1)
      .superRefine((sizes, ctx) => {
        sizes.forEach((size, index) => {
          if (sizes.indexOf(size) !== index) {
            ctx.addIssue({ code: 'custom', path: [index], message: `expected each compute size once; "${size}" is listed twice` });
          }
        });
      })
      .default(() => [...COMPUTE_SIZES])
      .describe(`the compute sizes offered to jobs, a non-empty list of: ${COMPUTE_SIZES.join(', ')}`),
    run_history_retention_days: z
      .number()
      .int()
      .min(1)
      .max(3650)
      .default(30)
      .describe('how many days of run history to keep: a whole number from 1 to 3650 (default 30)'),
    runtime: z
      .strictObject({
        schedule: z
          .string()
          .superRefine((value, ctx) => {
            const problem = cronProblem(value);
            if (problem) ctx.addIssue({ code: 'custom', message: problem });
          })
          .default('*/5 * * * *')
          .describe('when the runtime runs: a 5-field cron schedule (default "*/5 * * * *")'),
        image: z
          .string()
          .regex(CONTAINER_IMAGE_PATTERN)
          .optional()
          .describe('the runtime container image (e.g. europe-west1-docker.pkg.dev/acme/cleanroom/runtime:0.1.0)'),
      })
      .prefault({})
      .describe('the runtime settings: schedule and image'),
    // Deployment settings (deployment-schema.ts).
    run_timeout_minutes: runTimeoutsSchema,
    terraform_state: terraformStateSchema('the operator (the cleanroom stack)'),
    limits: limitsSchema(),
    approval: approvalSchema(PARTICIPANT_NAME_PATTERN),
    release: cleanroomReleaseSchema,
  })
  .superRefine((file, ctx) => {
    for (const size of Object.keys(file.run_timeout_minutes ?? {})) {
      if (!(file.compute_sizes as readonly string[]).includes(size)) {
        ctx.addIssue({ code: 'custom', path: ['run_timeout_minutes', size], message: `expected a compute size listed in compute_sizes (${file.compute_sizes.join(', ')}); "${size}" is not offered` });
      }
    }
    const { owner, runtime_principal: runtimePrincipal } = file.databricks;
    if (owner !== undefined && runtimePrincipal !== undefined && owner.toLowerCase() === runtimePrincipal.toLowerCase()) {
      ctx.addIssue({
        code: 'custom',
        path: ['databricks', 'owner'],
        message: 'expected an owner other than the runtime principal: the owner of the external locations could grant itself any privilege on participants\' data',
      });
    }
  })
  .describe(
    'clean room settings: name, gcp, databricks, service_account, state_bucket, keeper and optional compute_sizes, run_history_retention_days, runtime, run_timeout_minutes, terraform_state, limits, approval, release',
  );

/** `limits:` — each bound of src/limits.ts by its snake_case key, all optional (absent: the default). */
function limitsSchema() {
  const fields = Object.fromEntries(
    LIMIT_DEFINITIONS.map((limit) => [
      limit.key,
      z
        .number()
        .int()
        .min(limit.minimum ?? 1)
        .max(Number.MAX_SAFE_INTEGER)
        .optional()
        .describe(`${limit.bounds}, in ${limit.unit}: a whole number >= ${limit.minimum ?? 1} (default ${limit.default})`),
    ]),
  );
  return z
    .strictObject(fields)
    .prefault({})
    .describe(`bounds on the work one participant can cause (README "Limits"): any of ${LIMIT_DEFINITIONS.map((l) => l.key).join(', ')}`);
}

export const participantFileSchema = z
  .strictObject({
    name: z
      .string()
      .regex(PARTICIPANT_NAME_PATTERN)
      .describe('the participant name, also its database name: 2-31 characters, a lowercase letter then lowercase letters, digits or underscores (e.g. advertiser)'),
    role: z.enum(['keeper', 'collaborator']).describe('the participant role: keeper or collaborator'),
    bucket: bucketName("the participant's own bucket"),
    databricks: z
      .strictObject({
        host: databricksHost("the participant's Databricks workspace URL"),
        owner: databricksOwnerSchema("the Unity Catalog objects of the participant's stack (storage credential, external locations, catalog)", ''),
      })
      .describe("the participant's Databricks settings: host and optional owner"),
    gcp: z
      .strictObject({ project: gcpProject("the participant's GCP project"), storage_service_agent: storageServiceAgentSchema })
      .describe("the participant's GCP settings: project and optional storage_service_agent"),
    terraform_state: terraformStateSchema('the participant (its participant-<name> stack)'),
    release: participantReleaseSchema,
  })
  .superRefine((file, ctx) => {
    for (const [key, message] of releaseDatasetKeyProblems(file.name, file.release)) ctx.addIssue({ code: 'custom', path: ['release', 'datasets', key], message });
  })
  .describe('participant settings: name, role, bucket, databricks, gcp and optional terraform_state, release');

/** `cleanroom.yaml` after defaults, in its YAML field names. */
export type CleanroomFile = z.output<typeof cleanroomFileSchema>;
/** `participants/<name>.yaml` as written (it has no defaults). */
export type ParticipantFile = z.output<typeof participantFileSchema>;
export type ParticipantRole = ParticipantFile['role'];
