import { Construct } from 'constructs';
import { CloudRunV2Service } from '@cdktf/provider-google/lib/cloud-run-v2-service';
import { CloudRunV2ServiceIamMember } from '@cdktf/provider-google/lib/cloud-run-v2-service-iam-member';
import { CloudSchedulerJob } from '@cdktf/provider-google/lib/cloud-scheduler-job';
import { PubsubSubscription } from '@cdktf/provider-google/lib/pubsub-subscription';
import { PubsubTopic } from '@cdktf/provider-google/lib/pubsub-topic';
import { PubsubTopicIamMember } from '@cdktf/provider-google/lib/pubsub-topic-iam-member';
import { SecretManagerSecret } from '@cdktf/provider-google/lib/secret-manager-secret';
import { SecretManagerSecretIamMember } from '@cdktf/provider-google/lib/secret-manager-secret-iam-member';
import { ServiceAccount } from '@cdktf/provider-google/lib/service-account';
import { StorageBucketIamMember } from '@cdktf/provider-google/lib/storage-bucket-iam-member';
import { StorageBucketObject } from '@cdktf/provider-google/lib/storage-bucket-object';
import { createHash } from 'node:crypto';
import { Fn, Token, type ITerraformDependable } from 'cdktf';
import runtimePackage from 'cleanroom-runtime/package.json';
import { CATALOG_NAME_PATTERN, STORAGE_SERVICE_AGENT_PATTERN } from 'cleanroom-runtime/src/config';
import {
  CLEANROOM_NAME,
  DATABRICKS_HOST,
  GCP_PROJECT_ID,
  GCP_REGION,
  Problems,
  SERVICE_ACCOUNT_EMAIL,
  checkBucketName,
  checkPattern,
} from './validation';
import {
  databricksTokenSecretId,
  eventsTopicName,
  invokerAccountId,
  runtimeServiceName,
  runtimeTickJobName,
} from 'cleanroom-runtime/src/deployment/resource-names';
export { databricksTokenSecretId, eventsTopicId, eventsTopicName, invokerAccountId, runtimeServiceName } from 'cleanroom-runtime/src/deployment/resource-names';

export interface RuntimeServiceProps {
  readonly cleanroomName: string;
  /** The clean room's GCP project and region (service, scheduler job, topic, secret). */
  readonly project: string;
  readonly region: string;
  /** Container image; default {@link DEFAULT_RUNTIME_IMAGE}. */
  readonly image?: string;
  /** Cron schedule of the safety-net pass (Cloud Scheduler syntax), e.g. `*\/5 * * * *`. */
  readonly schedule: string;
  /** Time zone of `schedule` (default `Etc/UTC`). */
  readonly timeZone?: string;
  /**
   * The identity the runtime runs as: the clean room service account, the one every participant's
   * CleanroomAccess grants object admin on its bucket.
   */
  readonly serviceAccountEmail: string;
  /** The clean room's state bucket (authoritative state, and the reviewed config under `config/`). */
  readonly stateBucketName: string;
  /** The clean room Databricks workspace. */
  readonly databricksHost: string;
  /** Id of the runtime SQL warehouse (datasets as `<participant>.<table>`), e.g. `ComputeSizes.warehouse.id`. */
  readonly databricksWarehouseId: string;
  /** Compute size → cluster policy id, e.g. `ComputeSizes.policyIds`; passed to the runtime as JSON. */
  readonly databricksPolicyIds: Readonly<Record<string, string>>;
  /** The clean room's Unity Catalog catalog (datasets are `<catalog>.<participant>.<table>`). */
  readonly databricksCatalog: string;
  /**
   * The application ids of the job principals (CleanroomJobPrincipals) participant code runs as, one run each at a
   * time; passed to the runtime joined by commas.
   */
  readonly databricksJobPrincipals?: readonly string[];
  /**
   * The Cloud Storage service agents of participants' projects, as each participant published it in its reviewed
   * config (`gcp.storage_service_agent`): each may publish its bucket's `control/events/_delta_log/` notifications to
   * the events topic. Taken from config, never read from the participants' projects (another organisation's).
   */
  readonly participantStorageAgents: readonly string[];
  /** The reviewed config files (`cleanroom.yaml`, `participants/<name>.yaml` → text) the runtime reads. */
  readonly configFiles?: Readonly<Record<string, string>>;
  /** Upper bound of instances (default 1: passes are serialized by the state's compare-and-swap anyway). */
  readonly maxInstances?: number;
  /** Resources that must exist first (the state bucket and the service account, when declared alongside). */
  readonly dependsOn?: ITerraformDependable[];
}

/**
 * Placeholder image (tagged with the runtime package's version) until an operator publishes one from the repo's
 * Dockerfile; set `runtime.image` in cleanroom.yaml to the image you built.
 */
export const DEFAULT_RUNTIME_IMAGE = `ghcr.io/cleanroom/runtime:${runtimePackage.version}`;
/** Prefix of events-table commits, the only objects whose creation should trigger a pass. */
export { EVENTS_LOG_PREFIX } from 'cleanroom-runtime/src/control/bucket-layout';
/** Where the state bucket is mounted in the container, and where the config is inside it. */
export const STATE_MOUNT_PATH = '/mnt/state';
export const CONFIG_PREFIX = 'config/';
/**
 * The Databricks token is a file of a secret volume, not an environment variable: Cloud Run resolves a secret
 * environment variable when an instance starts and refuses to start one whose secret has no version yet, while a
 * mounted secret is read from Secret Manager on each read of the file, at its latest version
 * (https://cloud.google.com/run/docs/configuring/services/secrets). So the first deploy starts before anyone has added
 * the token, and a rotated token is used without a new revision.
 */
export const TOKEN_MOUNT_PATH = '/run/secrets/databricks';
export const TOKEN_FILE_NAME = 'token';
/** Roles of the runtime's identity, each on one resource (asserted by the tests). */
export const RUNTIME_STATE_BUCKET_ROLE = 'roles/storage.objectAdmin';
export const RUNTIME_SECRET_ROLE = 'roles/secretmanager.secretAccessor';

/** Environment variable listing the job principals' application ids, joined by commas (runs/submit `run_as`). */
export const JOB_PRINCIPALS_ENV = 'CLEANROOM_DATABRICKS_JOB_PRINCIPALS';

/** Environment variable holding {@link configFilesHash} of the deployed config files. */
export const CONFIG_HASH_ENV = 'CLEANROOM_CONFIG_HASH';

/** sha256 (hex) over the config files' paths and contents, independent of the order they are given in. */
export function configFilesHash(files: Readonly<Record<string, string>>): string {
  const entries = Object.keys(files).sort().map((path) => [path, files[path]]);
  return createHash('sha256').update(JSON.stringify(entries)).digest('hex');
}

/**
 * The runtime on Cloud Run, and what invokes it:
 * - Cloud Scheduler calls `POST /tick` on `schedule` (a safety net and the run poller);
 * - Cloud Storage notifications of participants' events commits go to a Pub/Sub topic whose push subscription calls
 *   `POST /pubsub`, so events are processed in seconds.
 * Both authenticate with OIDC tokens of a dedicated invoker service account, the only principal with
 * `roles/run.invoker` on the service. The runtime's identity gets object admin on the state bucket and access to the
 * one Databricks token secret, nothing else here (participant buckets come from each participant's CleanroomAccess);
 * the token's value is set out of band (`gcloud secrets versions add`) and never appears in Terraform.
 */
export class RuntimeService extends Construct {
  readonly service: CloudRunV2Service;
  readonly invoker: ServiceAccount;
  readonly topic: PubsubTopic;
  readonly subscription: PubsubSubscription;
  readonly schedulerJob: CloudSchedulerJob;
  readonly databricksToken: SecretManagerSecret;
  /** The audience of the OIDC tokens (a custom audience of the service, so it is known before the service URL). */
  readonly audience: string;

  constructor(scope: Construct, id: string, props: RuntimeServiceProps) {
    super(scope, id);
    validateRuntimeServiceProps(props, `RuntimeService "${id}"`);
    const name = props.cleanroomName;
    const runtimeMember = `serviceAccount:${props.serviceAccountEmail}`;
    const serviceName = runtimeServiceName(name);
    this.audience = `https://${serviceName}.${props.region}.${props.project}.cleanroom.internal`;

    const stateAccess = new StorageBucketIamMember(this, 'state-object-admin', {
      bucket: props.stateBucketName,
      role: RUNTIME_STATE_BUCKET_ROLE,
      member: runtimeMember,
      dependsOn: props.dependsOn,
    });

    this.databricksToken = new SecretManagerSecret(this, 'databricks-token', {
      project: props.project,
      secretId: databricksTokenSecretId(name),
      replication: { auto: {} },
      labels: { 'managed-by': 'cleanroom' },
    });
    const secretAccess = new SecretManagerSecretIamMember(this, 'databricks-token-accessor', {
      project: props.project,
      secretId: this.databricksToken.secretId,
      role: RUNTIME_SECRET_ROLE,
      member: runtimeMember,
      dependsOn: props.dependsOn,
    });

    const configObjects = this.declareConfigObjects(props);

    this.invoker = new ServiceAccount(this, 'invoker', {
      project: props.project,
      accountId: invokerAccountId(name),
      displayName: `Clean room ${name}: invokes the runtime (Cloud Scheduler, Pub/Sub push)`,
    });

    this.service = new CloudRunV2Service(this, 'service', {
      project: props.project,
      location: props.region,
      name: serviceName,
      description: `Clean room ${name} runtime`,
      // Scheduler and Pub/Sub push reach internal-only services of the same project; nothing else should.
      ingress: 'INGRESS_TRAFFIC_INTERNAL_ONLY',
      customAudiences: [this.audience],
      labels: { 'managed-by': 'cleanroom' },
      template: {
        serviceAccount: props.serviceAccountEmail,
        executionEnvironment: 'EXECUTION_ENVIRONMENT_GEN2',
        timeout: '900s',
        // The runtime coalesces concurrent triggers into at most one running and one queued pass.
        maxInstanceRequestConcurrency: 8,
        scaling: { minInstanceCount: 0, maxInstanceCount: props.maxInstances ?? 1 },
        volumes: [
          { name: 'state', gcs: { bucket: props.stateBucketName, readOnly: true } },
          { name: 'databricks-token', secret: { secret: this.databricksToken.secretId, items: [{ version: 'latest', path: TOKEN_FILE_NAME }] } },
        ],
        containers: [
          {
            image: props.image ?? DEFAULT_RUNTIME_IMAGE,
            ports: { containerPort: 8080 },
            resources: { limits: { cpu: '1', memory: '1Gi' } },
            volumeMounts: [
              { name: 'state', mountPath: STATE_MOUNT_PATH },
              { name: 'databricks-token', mountPath: TOKEN_MOUNT_PATH },
            ],
            env: [
              { name: 'CLEANROOM_CONFIG_DIR', value: `${STATE_MOUNT_PATH}/${CONFIG_PREFIX.slice(0, -1)}` },
              // Part of the revision template, so a reviewed config change rolls out a new revision (fresh instances),
              // on top of the runtime re-reading the folder at every pass.
              ...(Object.keys(props.configFiles ?? {}).length === 0 ? [] : [{ name: CONFIG_HASH_ENV, value: configFilesHash(props.configFiles ?? {}) }]),
              { name: 'CLEANROOM_AUDIENCE', value: this.audience },
              { name: 'CLEANROOM_INVOKERS', value: this.invoker.email },
              // Only the invoker holds run.invoker, so Cloud Run's IAM check authenticates every caller first.
              { name: 'CLEANROOM_IAM_CHECKED', value: 'true' },
              { name: 'GOOGLE_CLOUD_PROJECT', value: props.project },
              { name: 'DATABRICKS_HOST', value: props.databricksHost },
              { name: 'CLEANROOM_DATABRICKS_WAREHOUSE_ID', value: props.databricksWarehouseId },
              // Resolved by Terraform once the policies exist: {"<size>":"<policy id>",...}.
              { name: 'CLEANROOM_DATABRICKS_POLICY_IDS', value: Fn.jsonencode(sortedByKey(props.databricksPolicyIds)) },
              { name: 'CLEANROOM_DATABRICKS_CATALOG', value: props.databricksCatalog },
              ...((props.databricksJobPrincipals ?? []).length === 0 ? [] : [{ name: JOB_PRINCIPALS_ENV, value: Fn.join(',', [...(props.databricksJobPrincipals ?? [])]) }]),
              { name: 'DATABRICKS_TOKEN_FILE', value: `${TOKEN_MOUNT_PATH}/${TOKEN_FILE_NAME}` },
            ],
          },
        ],
      },
      dependsOn: [stateAccess, secretAccess, ...configObjects],
    });

    new CloudRunV2ServiceIamMember(this, 'invoker-binding', {
      project: props.project,
      location: props.region,
      name: this.service.name,
      role: 'roles/run.invoker',
      member: `serviceAccount:${this.invoker.email}`,
    });

    this.schedulerJob = new CloudSchedulerJob(this, 'schedule', {
      project: props.project,
      region: props.region,
      name: runtimeTickJobName(name),
      description: `Clean room ${name}: periodic runtime pass`,
      schedule: props.schedule,
      timeZone: props.timeZone ?? 'Etc/UTC',
      attemptDeadline: '900s',
      retryConfig: { retryCount: 0 },
      httpTarget: {
        httpMethod: 'POST',
        uri: `${this.service.uri}/tick`,
        oidcToken: { serviceAccountEmail: this.invoker.email, audience: this.audience },
      },
    });

    this.topic = new PubsubTopic(this, 'events-topic', {
      project: props.project,
      name: eventsTopicName(name),
      labels: { 'managed-by': 'cleanroom' },
      messageRetentionDuration: '86400s',
    });
    this.subscription = new PubsubSubscription(this, 'events-push', {
      project: props.project,
      name: `${name}-events-push`,
      topic: this.topic.id,
      ackDeadlineSeconds: 600,
      messageRetentionDuration: '86400s',
      // A push subscription never expires for lack of pull activity.
      expirationPolicy: { ttl: '' },
      retryPolicy: { minimumBackoff: '10s', maximumBackoff: '600s' },
      pushConfig: {
        pushEndpoint: `${this.service.uri}/pubsub`,
        oidcToken: { serviceAccountEmail: this.invoker.email, audience: this.audience },
      },
    });

    // Each participant project's Cloud Storage service agent publishes that project's bucket notifications; the
    // notification can only be created once the agent may publish (https://cloud.google.com/storage/docs/reporting-changes).
    for (const agent of [...new Set(props.participantStorageAgents)].sort()) {
      new PubsubTopicIamMember(this, `gcs-agent-publisher-${agent.split('@')[0]}`, {
        project: props.project,
        topic: this.topic.name,
        role: 'roles/pubsub.publisher',
        member: `serviceAccount:${agent}`,
      });
    }
  }

  private declareConfigObjects(props: RuntimeServiceProps): StorageBucketObject[] {
    const files = props.configFiles ?? {};
    const paths = Object.keys(files).sort();
    if (paths.length === 0) return [];
    // Directory markers: the Cloud Storage volume lists only folders that have one.
    const folders = [...new Set(paths.flatMap((p) => folderMarkers(p)))].sort();
    const objects = [CONFIG_PREFIX, ...folders.map((f) => `${CONFIG_PREFIX}${f}`)].map(
      (key) => new StorageBucketObject(this, `config-${key}`, { bucket: props.stateBucketName, name: key, content: '\n', contentType: 'application/x-directory', dependsOn: props.dependsOn }),
    );
    for (const path of paths) {
      objects.push(
        new StorageBucketObject(this, `config-${CONFIG_PREFIX}${path}`, {
          bucket: props.stateBucketName,
          name: `${CONFIG_PREFIX}${path}`,
          content: files[path],
          contentType: 'application/yaml',
          dependsOn: props.dependsOn,
        }),
      );
    }
    return objects;
  }
}

/** A stable key order, so the service's env does not change when sizes are listed in another order. */
function sortedByKey(record: Readonly<Record<string, string>>): Record<string, string> {
  return Object.fromEntries(Object.keys(record).sort().map((key) => [key, record[key]]));
}

function folderMarkers(path: string): string[] {
  const parts = path.split('/').slice(0, -1);
  return parts.map((_, i) => `${parts.slice(0, i + 1).join('/')}/`);
}

/** Five cron fields of digits, `*`, `/`, `,` and `-` (names such as MON are accepted too). */
const CRON = /^(\S+\s+){4}\S+$/;
const CRON_FIELD = /^[0-9A-Za-z*/,-]+$/;

function validateRuntimeServiceProps(props: RuntimeServiceProps, construct: string): void {
  const problems = new Problems();
  checkPattern(problems, 'cleanroomName', props.cleanroomName, CLEANROOM_NAME, 'a clean room name');
  checkPattern(problems, 'project', props.project, GCP_PROJECT_ID, 'a GCP project id');
  checkPattern(problems, 'region', props.region, GCP_REGION, 'a GCP region such as "europe-west1"');
  if (props.image !== undefined) {
    checkPattern(problems, 'image', props.image, /^[a-z0-9.-]+(:[0-9]+)?\/[a-z0-9._/-]+(:[A-Za-z0-9._-]+|@sha256:[a-f0-9]{64})$/, 'a container image reference with a tag or digest');
  }
  problems.check(
    typeof props.schedule === 'string' && CRON.test(props.schedule.trim()) && props.schedule.trim().split(/\s+/).every((f) => CRON_FIELD.test(f)),
    'schedule',
    'a cron schedule of five fields, e.g. "*/5 * * * *"',
    props.schedule,
  );
  if (props.timeZone !== undefined) {
    checkPattern(problems, 'timeZone', props.timeZone, /^[A-Za-z_]+(\/[A-Za-z0-9_+-]+)*$/, 'a tz database time zone such as "Europe/Paris"');
  }
  checkPattern(problems, 'serviceAccountEmail', props.serviceAccountEmail, SERVICE_ACCOUNT_EMAIL, 'a user-managed service account email');
  checkBucketName(problems, 'stateBucketName', props.stateBucketName);
  checkPattern(problems, 'databricksHost', props.databricksHost, DATABRICKS_HOST, 'an https:// workspace URL');
  // Usually references to resources declared alongside (checked by Terraform); literal ids are checked here.
  if (!Token.isUnresolved(props.databricksWarehouseId)) {
    checkPattern(problems, 'databricksWarehouseId', props.databricksWarehouseId, /^[A-Za-z0-9-]{1,64}$/, 'a SQL warehouse id');
  }
  const policySizes = Object.keys(props.databricksPolicyIds ?? {});
  problems.check(policySizes.length > 0, 'databricksPolicyIds', 'a cluster policy id for at least one compute size', props.databricksPolicyIds);
  for (const size of policySizes) {
    const id = props.databricksPolicyIds[size];
    if (!Token.isUnresolved(id)) checkPattern(problems, `databricksPolicyIds["${size}"]`, id, /^[A-Za-z0-9-]{1,64}$/, 'a cluster policy id');
  }
  checkPattern(problems, 'databricksCatalog', props.databricksCatalog, CATALOG_NAME_PATTERN, 'a Unity Catalog catalog name');
  (props.participantStorageAgents ?? []).forEach((agent, i) =>
    checkPattern(problems, `participantStorageAgents[${i}]`, agent, STORAGE_SERVICE_AGENT_PATTERN, "a project's Cloud Storage service agent"),
  );
  for (const path of Object.keys(props.configFiles ?? {})) {
    checkPattern(problems, `configFiles["${path}"]`, path, /^([a-z0-9_-]+\/)*[A-Za-z0-9_.-]+\.ya?ml$/, 'a relative path of a YAML file');
  }
  if (props.maxInstances !== undefined) {
    problems.check(Number.isInteger(props.maxInstances) && props.maxInstances >= 1 && props.maxInstances <= 100, 'maxInstances', 'a whole number from 1 to 100', props.maxInstances);
  }
  problems.throwIfAny(construct);
}
