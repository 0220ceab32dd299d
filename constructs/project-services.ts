import { Construct } from 'constructs';
import { TerraformDataSource, TerraformResource } from 'cdktf';
// The form cdktf itself gives `dependsOn` entries (a reference without braces); not re-exported by the index.
import { dependable } from 'cdktf/lib/tfExpression';
import { ProjectService } from '@cdktf/provider-google/lib/project-service';
import { GCP_PROJECT_ID, Problems, checkPattern } from './validation';

/**
 * The Google APIs each kind of resource is served by (a key ending with `_` covers every type it starts). APIs such as Cloud Run, Cloud Scheduler, Pub/Sub and Secret
 * Manager are off in a new project, and a resource created before its API is enabled fails
 * (https://cloud.google.com/service-usage/docs/enable-disable). Cloud Storage is on by default but declared too, so
 * a project where someone turned it off is fixed by the deploy rather than failing it.
 */
export const RESOURCE_APIS: ReadonlyArray<readonly [prefix: string, api: string]> = [
  ['google_cloud_run_v2_', 'run.googleapis.com'],
  // The service pulls its image; the operator's images live in the project's Artifact Registry.
  ['google_cloud_run_v2_service', 'artifactregistry.googleapis.com'],
  ['google_cloud_scheduler_', 'cloudscheduler.googleapis.com'],
  ['google_pubsub_', 'pubsub.googleapis.com'],
  ['google_secret_manager_', 'secretmanager.googleapis.com'],
  ['google_service_account', 'iam.googleapis.com'],
  ['google_service_account_', 'iam.googleapis.com'],
  ['google_storage_', 'storage.googleapis.com'],
];

/**
 * On before the first deploy (`gcloud services enable`), which `cleanroom doctor` checks: enabling the other APIs goes
 * through Service Usage, and the google provider reads the project through Resource Manager.
 */
export { PREREQUISITE_APIS } from 'cleanroom-runtime/src/doctor/requirements';

/** The APIs a Terraform resource type needs (none for types outside Google Cloud). */
export function apisForResourceType(type: string): string[] {
  // An entry ending with `_` covers a family of types; any other names one type.
  return RESOURCE_APIS.filter(([key]) => (key.endsWith('_') ? type.startsWith(key) : type === key)).map(([, api]) => api);
}

export interface ProjectServicesProps {
  readonly project: string;
  /** APIs to enable besides those the scope's resources need (e.g. Artifact Registry, where the image lives). */
  readonly extraApis?: readonly string[];
}

/**
 * Enables, in one project, the API of every Google resource declared in `scope` (see {@link RESOURCE_APIS}) and makes
 * each resource and data source depend on its API, so the first `cdktf deploy` on a fresh project creates them in
 * order. Declare it after everything else in the stack. APIs stay enabled when the stack is destroyed: other workloads
 * of the project may use them.
 */
export class ProjectServices extends Construct {
  /** By API name, e.g. `run.googleapis.com`. */
  readonly services: ReadonlyMap<string, ProjectService>;

  constructor(scope: Construct, id: string, props: ProjectServicesProps) {
    super(scope, id);
    const problems = new Problems();
    checkPattern(problems, 'project', props.project, GCP_PROJECT_ID, 'a GCP project id');
    (props.extraApis ?? []).forEach((api, i) => checkPattern(problems, `extraApis[${i}]`, api, /^[a-z][a-z0-9-]*\.googleapis\.com$/, 'an API name such as "artifactregistry.googleapis.com"'));
    problems.throwIfAny(`ProjectServices "${id}"`);

    const dependants = scope.node
      .findAll()
      .filter((c): c is TerraformResource | TerraformDataSource => c instanceof TerraformResource || c instanceof TerraformDataSource)
      .flatMap((element) => apisForResourceType(element.terraformResourceType).map((api) => ({ element, api })));
    const apis = [...new Set([...dependants.map((d) => d.api), ...(props.extraApis ?? [])])].sort();
    const services = new Map<string, ProjectService>();
    for (const api of apis) {
      services.set(
        api,
        new ProjectService(this, api.replace(/\.googleapis\.com$/, ''), {
          project: props.project,
          service: api,
          disableOnDestroy: false,
          disableDependentServices: false,
        }),
      );
    }
    for (const { element, api } of dependants) {
      const service = services.get(api) as ProjectService;
      element.dependsOn = [...(element.dependsOn ?? []), dependable(service)];
    }
    this.services = services;
  }
}
