import { TerraformOutput, TerraformStack } from 'cdktf';
import type { Construct } from 'constructs';
import { DatabricksProvider } from '@cdktf/provider-databricks/lib/provider';
import { GoogleProvider } from '@cdktf/provider-google/lib/provider';
import { ServiceAccount } from '@cdktf/provider-google/lib/service-account';
import { CleanroomCatalog } from '../constructs/cleanroom-catalog';
import { CleanroomJobPrincipals } from '../constructs/cleanroom-job-principals';
import { CleanroomWorkspaceFolder } from '../constructs/cleanroom-workspace-folder';
import { CleanroomWorkspaceAccess } from '../constructs/workspace-access';
import { StagingLocation } from '../constructs/staging-location';
import { StagingSchema } from '../constructs/staging-schema';
import { ComputeSizes, type ComputeSizeShape, type RuntimeWarehouseOptions } from '../constructs/compute-sizes';
import { ParticipantDataLocations, type ParticipantDataBucket } from '../constructs/participant-data-locations';
import { ProjectServices } from '../constructs/project-services';
import { RuntimeService } from '../constructs/runtime-service';
import { SecureBucket } from '../constructs/secure-bucket';
import { declareStateBackend, type StateBackendOptions } from '../constructs/state-backend';
import { CLEANROOM_STACK_ID } from 'cleanroom-runtime/src/deployment/resource-names';
import { DEFAULT_WORKSPACE_ROOT } from 'cleanroom-runtime/src/engines/databricks/workspace-notebooks';
import { DATABRICKS_HOST, GCP_PROJECT_ID, GCP_REGION, Problems, SERVICE_ACCOUNT_EMAIL, checkPattern } from '../constructs/validation';

export interface CleanroomStackProps {
  readonly name: string;
  readonly gcpProject: string;
  readonly region: string;
  /** The clean room's own Databricks workspace (policies, warehouse, runs). */
  readonly databricksHost: string;
  /**
   * The clean room service account: the runtime's identity and the principal participants grant access to.
   * Created here when it belongs to `gcpProject`; an account of another project must already exist.
   */
  readonly serviceAccountEmail: string;
  readonly stateBucket: string;
  readonly computeSizes: readonly ComputeSizeShape[];
  readonly warehouse?: RuntimeWarehouseOptions;
  readonly runtime: { readonly image?: string; readonly schedule: string; readonly timeZone?: string };
  /**
   * The Cloud Storage service agents participants published in their config (`gcp.storage_service_agent`): each may
   * publish its bucket's events notifications. Never read from the participants' projects.
   */
  readonly participantStorageAgents: readonly string[];
  /** Participant buckets the clean room's Databricks compute reaches through Unity Catalog external locations. */
  readonly participantBuckets: readonly ParticipantDataBucket[];
  /** The Databricks principal of the runtime's token (default: the identity deploying this stack). */
  readonly databricksRuntimePrincipal?: string;
  /** The clean room's Unity Catalog catalog (`databricks.catalog`). */
  readonly databricksCatalog: string;
  /** Owner of the clean room's Unity Catalog objects (default: the identity deploying this stack). */
  readonly databricksOwner?: string;
  /** The Databricks account id: lets the stack give the runtime principal the role to run jobs as each job principal. */
  readonly databricksAccountId?: string;
  /** How many job principals participant code runs as (`databricks.job_principals`; default DEFAULT_JOB_PRINCIPALS). */
  readonly databricksJobPrincipals?: number;
  /** The operator's Terraform state bucket (default: a local state file). */
  readonly terraformState?: StateBackendOptions;
  /** The reviewed config files, uploaded for the runtime to read. */
  readonly configFiles?: Readonly<Record<string, string>>;
}

export { CLEANROOM_STACK_ID };
/** Output holding the storage credential's Google service account, for `databricks.storage_service_account`. */
export const STORAGE_SERVICE_ACCOUNT_OUTPUT = 'storage_service_account';

/**
 * The operator's stack: the APIs it needs, state bucket, clean room service account, compute sizes, the Unity Catalog
 * storage credential, external locations over participants' dataset and output folders, the clean room's catalog,
 * the staging location and schema, the pool of job principals participant code runs as, the workspace's token and
 * entitlement settings, and the runtime service.
 */
export class CleanroomStack extends TerraformStack {
  readonly stateBucket: SecureBucket;
  readonly serviceAccount?: ServiceAccount;
  readonly compute: ComputeSizes;
  readonly participantData: ParticipantDataLocations;
  readonly catalog: CleanroomCatalog;
  readonly jobPrincipals: CleanroomJobPrincipals;
  readonly workspaceFolder: CleanroomWorkspaceFolder;
  readonly workspaceAccess: CleanroomWorkspaceAccess;
  readonly staging: StagingLocation;
  readonly stagingSchema: StagingSchema;
  readonly runtime: RuntimeService;
  readonly apis: ProjectServices;

  constructor(scope: Construct, props: CleanroomStackProps) {
    super(scope, CLEANROOM_STACK_ID);
    const problems = new Problems();
    checkPattern(problems, 'gcpProject', props.gcpProject, GCP_PROJECT_ID, 'a GCP project id');
    checkPattern(problems, 'region', props.region, GCP_REGION, 'a GCP region such as "europe-west1"');
    checkPattern(problems, 'databricksHost', props.databricksHost, DATABRICKS_HOST, 'an https:// workspace URL');
    checkPattern(problems, 'serviceAccountEmail', props.serviceAccountEmail, SERVICE_ACCOUNT_EMAIL, 'a user-managed service account email');
    problems.throwIfAny(`CleanroomStack "${props.name}"`);

    declareStateBackend(this, CLEANROOM_STACK_ID, props.name, props.terraformState);
    new GoogleProvider(this, 'google', { project: props.gcpProject, region: props.region });
    new DatabricksProvider(this, 'databricks', { host: props.databricksHost });

    this.stateBucket = new SecureBucket(this, 'state', {
      bucketName: props.stateBucket,
      location: props.region,
      project: props.gcpProject,
      labels: { cleanroom: props.name, 'cleanroom-role': 'state' },
    });

    const [accountId, domain] = props.serviceAccountEmail.split('@');
    if (domain === `${props.gcpProject}.iam.gserviceaccount.com`) {
      this.serviceAccount = new ServiceAccount(this, 'service-account', {
        project: props.gcpProject,
        accountId,
        displayName: `Clean room ${props.name}: runtime identity`,
        description: 'Reads participant events, keeps the clean room state, publishes control tables, submits runs.',
      });
    }

    // Participant code runs as one of these principals, one run each at a time: statically they may only enter the
    // catalog, the staging schema, the policies and the workspace folder; the runtime grants each run's reads and its
    // staging volume to its principal for the run.
    this.jobPrincipals = new CleanroomJobPrincipals(this, 'job-principals', {
      cleanroomName: props.name,
      runtimePrincipal: props.databricksRuntimePrincipal,
      ...(props.databricksJobPrincipals === undefined ? {} : { count: props.databricksJobPrincipals }),
      ...(props.databricksAccountId === undefined ? {} : { accountId: props.databricksAccountId }),
    });
    const jobPrincipals = this.jobPrincipals.applicationIds;
    // Nobody but the runtime (and admins) may use personal access tokens, and `users` grants no SQL access: a job
    // principal has no credential of its own to keep acting after its run.
    this.workspaceAccess = new CleanroomWorkspaceAccess(this, 'workspace-access', {
      cleanroomName: props.name,
      ...(props.databricksRuntimePrincipal === undefined ? {} : { runtimePrincipal: props.databricksRuntimePrincipal }),
    });
    this.compute = new ComputeSizes(this, 'compute', {
      cleanroomName: props.name,
      sizes: props.computeSizes,
      warehouse: props.warehouse,
      runtimePrincipal: props.databricksRuntimePrincipal,
      jobPrincipals,
    });
    // The runtime imports the notebooks runs execute here; the job principals may read them (their runs), nothing more.
    this.workspaceFolder = new CleanroomWorkspaceFolder(this, 'workspace-folder', {
      path: DEFAULT_WORKSPACE_ROOT,
      jobPrincipals,
      ...(props.databricksRuntimePrincipal === undefined ? {} : { runtimePrincipal: props.databricksRuntimePrincipal }),
    });
    this.participantData = new ParticipantDataLocations(this, 'participant-data', {
      cleanroomName: props.name,
      buckets: props.participantBuckets,
      runtimePrincipal: props.databricksRuntimePrincipal,
      owner: props.databricksOwner,
    });
    new TerraformOutput(this, STORAGE_SERVICE_ACCOUNT_OUTPUT, {
      value: this.participantData.serviceAccountEmail,
      description:
        "Google service account of the clean room's Unity Catalog storage credential: set it as databricks.storage_service_account in cleanroom.yaml, then deploy the participant stacks (each grants it access to its own bucket)",
    });
    this.catalog = new CleanroomCatalog(this, 'catalog', {
      cleanroomName: props.name,
      catalogName: props.databricksCatalog,
      stateBucketName: props.stateBucket,
      credentialName: this.participantData.credential.name,
      credentialServiceAccountEmail: this.participantData.serviceAccountEmail,
      runtimePrincipal: props.databricksRuntimePrincipal,
      owner: props.databricksOwner,
      jobPrincipals,
      dependsOn: [this.stateBucket.bucket],
    });
    this.staging = new StagingLocation(this, 'staging', {
      cleanroomName: props.name,
      stateBucketName: props.stateBucket,
      credentialName: this.participantData.credential.name,
      credentialServiceAccountEmail: this.participantData.serviceAccountEmail,
      runtimePrincipal: props.databricksRuntimePrincipal,
      owner: props.databricksOwner,
      dependsOn: [this.stateBucket.bucket],
    });
    this.stagingSchema = new StagingSchema(this, 'staging-schema', {
      cleanroomName: props.name,
      catalogName: this.catalog.catalog.name,
      jobPrincipals,
      runtimePrincipal: props.databricksRuntimePrincipal,
      owner: props.databricksOwner,
    });

    this.runtime = new RuntimeService(this, 'runtime', {
      cleanroomName: props.name,
      project: props.gcpProject,
      region: props.region,
      image: props.runtime.image,
      schedule: props.runtime.schedule,
      timeZone: props.runtime.timeZone,
      serviceAccountEmail: props.serviceAccountEmail,
      stateBucketName: props.stateBucket,
      databricksHost: props.databricksHost,
      databricksWarehouseId: this.compute.warehouse.id,
      databricksPolicyIds: this.compute.policyIds,
      databricksCatalog: props.databricksCatalog,
      databricksJobPrincipals: jobPrincipals,
      participantStorageAgents: props.participantStorageAgents,
      configFiles: props.configFiles,
      dependsOn: [this.stateBucket.bucket, ...(this.serviceAccount ? [this.serviceAccount] : [])],
    });

    // Last, so it sees every Google resource declared above.
    this.apis = new ProjectServices(this, 'apis', { project: props.gcpProject });
  }
}
