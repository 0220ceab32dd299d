/**
 * What a deploy needs on each side, as `cleanroom doctor` checks it. The infrastructure's tests hold the stacks to
 * these lists (the APIs each stack enables are exactly these).
 */

/**
 * On before the first deploy: the google provider enables the other APIs through Service Usage and reads the project
 * through Resource Manager (https://cloud.google.com/service-usage/docs/enable-disable).
 */
export const PREREQUISITE_APIS = ['serviceusage.googleapis.com', 'cloudresourcemanager.googleapis.com'] as const;

/** Enabled by the cleanroom stack in the clean room project. */
export const CLEANROOM_APIS = [
  'artifactregistry.googleapis.com',
  'cloudscheduler.googleapis.com',
  'iam.googleapis.com',
  'pubsub.googleapis.com',
  'run.googleapis.com',
  'secretmanager.googleapis.com',
  'storage.googleapis.com',
] as const;

/** Enabled by a participant stack in the participant's project. */
export const PARTICIPANT_APIS = ['storage.googleapis.com'] as const;

/** A permission the deploying identity needs on the project, and a predefined role that grants it. */
export interface RequiredPermission {
  readonly permission: string;
  readonly role: string;
}

/**
 * What `cdktf deploy cleanroom` does in the clean room project (testIamPermissions answers which the caller holds:
 * https://cloud.google.com/resource-manager/reference/rest/v1/projects/testIamPermissions).
 */
export const CLEANROOM_DEPLOY_PERMISSIONS: readonly RequiredPermission[] = [
  { permission: 'serviceusage.services.enable', role: 'roles/serviceusage.serviceUsageAdmin' },
  { permission: 'storage.buckets.create', role: 'roles/storage.admin' },
  { permission: 'storage.buckets.setIamPolicy', role: 'roles/storage.admin' },
  { permission: 'storage.objects.create', role: 'roles/storage.admin' },
  { permission: 'iam.serviceAccounts.create', role: 'roles/iam.serviceAccountAdmin' },
  // Deploying a service or a scheduler job that runs as, or signs tokens for, a service account.
  { permission: 'iam.serviceAccounts.actAs', role: 'roles/iam.serviceAccountUser' },
  { permission: 'run.services.create', role: 'roles/run.admin' },
  { permission: 'run.services.setIamPolicy', role: 'roles/run.admin' },
  { permission: 'cloudscheduler.jobs.create', role: 'roles/cloudscheduler.admin' },
  { permission: 'pubsub.topics.create', role: 'roles/pubsub.admin' },
  { permission: 'pubsub.topics.setIamPolicy', role: 'roles/pubsub.admin' },
  { permission: 'pubsub.subscriptions.create', role: 'roles/pubsub.admin' },
  { permission: 'secretmanager.secrets.create', role: 'roles/secretmanager.admin' },
  { permission: 'secretmanager.secrets.setIamPolicy', role: 'roles/secretmanager.admin' },
];

/** What `cdktf deploy participant-<name>` does in the participant's project. */
export const PARTICIPANT_DEPLOY_PERMISSIONS: readonly RequiredPermission[] = [
  { permission: 'serviceusage.services.enable', role: 'roles/serviceusage.serviceUsageAdmin' },
  { permission: 'storage.buckets.create', role: 'roles/storage.admin' },
  { permission: 'storage.buckets.update', role: 'roles/storage.admin' },
  { permission: 'storage.buckets.setIamPolicy', role: 'roles/storage.admin' },
  { permission: 'storage.objects.create', role: 'roles/storage.admin' },
];
