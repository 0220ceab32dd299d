import { Construct } from 'constructs';
import { ClusterPolicy } from '@cdktf/provider-databricks/lib/cluster-policy';
import { Permissions } from '@cdktf/provider-databricks/lib/permissions';
import { SqlEndpoint } from '@cdktf/provider-databricks/lib/sql-endpoint';
import { DATABRICKS_PRINCIPAL, principalField } from './databricks-principal';
import { CLEANROOM_NAME, Problems, checkPattern } from './validation';
import { computePolicyName, runtimeWarehouseName } from 'cleanroom-runtime/src/deployment/resource-names';
export { computePolicyName, runtimeWarehouseName };

/** The job-cluster shape one compute size stands for. */
export interface ComputeSizeShape {
  /** Size name as participants pass it in a JOB's `compute` (the seed's `2X-Small` … `4X-Large`). */
  readonly name: string;
  /** GCP node type of workers, e.g. `n2-highmem-4`. */
  readonly nodeType: string;
  /** Driver node type; defaults to `nodeType`. */
  readonly driverNodeType?: string;
  /** Fixed number of workers (0 = single node). */
  readonly numWorkers: number;
}

/** The SQL warehouse the runtime uses to register datasets in the clean room metastore. */
export interface RuntimeWarehouseOptions {
  /** Warehouse size (default `2X-Small`). */
  readonly clusterSize?: string;
  /** Minutes idle before it stops (default 10). */
  readonly autoStopMinutes?: number;
  /** Serverless SQL, where the region offers it (default false: works everywhere). */
  readonly serverless?: boolean;
}

export interface ComputeSizesProps {
  readonly cleanroomName: string;
  /** Offered sizes; one cluster policy each. */
  readonly sizes: readonly ComputeSizeShape[];
  /** Default Databricks runtime of job clusters (default `auto:latest-lts`). */
  readonly sparkVersion?: string;
  readonly warehouse?: RuntimeWarehouseOptions;
  /**
   * The Databricks principal of the runtime's token when it is not the deployer (`databricks.runtime_principal`): it
   * gets CAN_USE on every policy and on the warehouse, without which a non-admin can neither submit a run under a
   * policy nor run a statement. Unset, the deployer runs the clean room: it created the policies (which takes a
   * workspace admin, and admins may use every policy) and owns the warehouse.
   */
  readonly runtimePrincipal?: string;
  /**
   * The principals participant code runs as (runs/submit `run_as`): a run is checked against the ACLs of the compute it
   * uses as its Run-as identity (https://docs.databricks.com/en/jobs/privileges.html), so each gets CAN_USE on every
   * policy (job clusters only: the policies fix `cluster_type` to `job`), not on the warehouse.
   */
  readonly jobPrincipals?: readonly string[];
}

/** Databricks SQL warehouse sizes (also the seed's compute size names). */
export const WAREHOUSE_SIZES = ['2X-Small', 'X-Small', 'Small', 'Medium', 'Large', 'X-Large', '2X-Large', '3X-Large', '4X-Large'] as const;

/**
 * In the clean room workspace: one cluster policy per offered compute size (job clusters only, node types and
 * worker count fixed, tagged with the clean room and size for cost attribution) and the runtime's SQL warehouse.
 */
export class ComputeSizes extends Construct {
  readonly policies: Record<string, ClusterPolicy>;
  /** Size → the policy's id (a Terraform reference), as the runtime's Databricks engine needs it. */
  readonly policyIds: Readonly<Record<string, string>>;
  readonly warehouse: SqlEndpoint;
  /** The runtime principal's CAN_USE (absent when it is the deployer). */
  readonly permissions: Permissions[];

  constructor(scope: Construct, id: string, props: ComputeSizesProps) {
    super(scope, id);
    validateComputeSizesProps(props, `ComputeSizes "${id}"`);

    const policies: Record<string, ClusterPolicy> = {};
    for (const size of props.sizes) {
      policies[size.name] = new ClusterPolicy(this, `policy-${size.name.toLowerCase()}`, {
        name: computePolicyName(props.cleanroomName, size.name),
        description: `Clean room ${props.cleanroomName}: job clusters of size ${size.name}`,
        definition: JSON.stringify(clusterPolicyDefinition(props.cleanroomName, size, props.sparkVersion ?? 'auto:latest-lts')),
      });
    }
    this.policies = policies;

    const warehouse = props.warehouse ?? {};
    this.policyIds = Object.fromEntries(Object.entries(policies).map(([size, policy]) => [size, policy.id]));
    this.warehouse = new SqlEndpoint(this, 'warehouse', {
      name: runtimeWarehouseName(props.cleanroomName),
      clusterSize: warehouse.clusterSize ?? '2X-Small',
      autoStopMins: warehouse.autoStopMinutes ?? 10,
      minNumClusters: 1,
      maxNumClusters: 1,
      warehouseType: 'PRO',
      enableServerlessCompute: warehouse.serverless ?? false,
      tags: { customTags: [{ key: 'cleanroom', value: gceLabelValue(props.cleanroomName) }] },
    });

    // Authoritative lists: nobody but the runtime principal (and workspace admins, who cannot be removed) may use them.
    // "cluster policies have ACLs that limit their use to specific users and groups ... Admin users also have access to
    // all policies": https://registry.terraform.io/providers/databricks/databricks/latest/docs/resources/cluster_policy;
    // warehouse ACLs: https://registry.terraform.io/providers/databricks/databricks/latest/docs/resources/permissions
    this.permissions = [];
    const runtimeUse = props.runtimePrincipal === undefined ? [] : [{ ...principalField(props.runtimePrincipal), permissionLevel: 'CAN_USE' }];
    const jobUse = (props.jobPrincipals ?? []).map((principal) => ({ servicePrincipalName: principal, permissionLevel: 'CAN_USE' }));
    if (runtimeUse.length + jobUse.length > 0) {
      for (const [size, policy] of Object.entries(policies)) {
        this.permissions.push(new Permissions(this, `policy-${size.toLowerCase()}-use`, { clusterPolicyId: policy.id, accessControl: [...runtimeUse, ...jobUse] }));
      }
    }
    if (runtimeUse.length > 0) this.permissions.push(new Permissions(this, 'warehouse-use', { sqlEndpointId: this.warehouse.id, accessControl: runtimeUse }));
  }
}

/**
 * Cluster custom tags become labels of the GCE instances and disks (https://docs.databricks.com/gcp/en/admin/account-settings/usage-detail-tags),
 * and label values are at most 63 lowercase letters, digits, `_` and `-`
 * (https://cloud.google.com/compute/docs/labeling-resources#requirements): `X-Small` becomes `x-small`.
 */
export function gceLabelValue(value: string): string {
  const label = value.toLowerCase();
  if (!/^[a-z0-9_-]{0,63}$/.test(label)) throw new Error(`"${value}" cannot be a GCE label value: at most 63 letters, digits, "_" and "-"`);
  return label;
}

/** Databricks cluster policy definition (policy definition language) for one size. */
export function clusterPolicyDefinition(cleanroomName: string, size: ComputeSizeShape, sparkVersion: string): Record<string, unknown> {
  return {
    cluster_type: { type: 'fixed', value: 'job' },
    spark_version: { type: 'unlimited', defaultValue: sparkVersion },
    node_type_id: { type: 'fixed', value: size.nodeType },
    driver_node_type_id: { type: 'fixed', value: size.driverNodeType ?? size.nodeType },
    num_workers: { type: 'fixed', value: size.numWorkers },
    // Runs are isolated to the submitting identity (the clean room's), never shared clusters; a Unity Catalog access
    // mode, so participants' data is reached only through the external locations granted to that identity.
    data_security_mode: { type: 'fixed', value: 'SINGLE_USER' },
    // No cluster-wide Google identity: it would reach storage around Unity Catalog's grants.
    'gcp_attributes.google_service_account': { type: 'forbidden' },
    'custom_tags.cleanroom': { type: 'fixed', value: gceLabelValue(cleanroomName) },
    'custom_tags.cleanroom_compute_size': { type: 'fixed', value: gceLabelValue(size.name) },
  };
}

function validateComputeSizesProps(props: ComputeSizesProps, construct: string): void {
  const problems = new Problems();
  checkPattern(problems, 'cleanroomName', props.cleanroomName, CLEANROOM_NAME, 'a clean room name');
  problems.check(Array.isArray(props.sizes) && props.sizes.length > 0, 'sizes', 'at least one compute size');
  const seen = new Set<string>();
  (props.sizes ?? []).forEach((size, i) => {
    const field = `sizes[${i}]`;
    checkPattern(problems, `${field}.name`, size.name, /^[A-Za-z0-9][A-Za-z0-9-]{0,31}$/, 'a size name such as "2X-Small"');
    const key = String(size.name).toLowerCase();
    problems.check(!seen.has(key), `${field}.name`, 'a size name not offered twice', size.name);
    seen.add(key);
    checkPattern(problems, `${field}.nodeType`, size.nodeType, /^[a-z0-9][a-z0-9-]*$/, 'a GCP node type such as "n2-highmem-4"');
    if (size.driverNodeType !== undefined) {
      checkPattern(problems, `${field}.driverNodeType`, size.driverNodeType, /^[a-z0-9][a-z0-9-]*$/, 'a GCP node type');
    }
    problems.check(Number.isInteger(size.numWorkers) && size.numWorkers >= 0 && size.numWorkers <= 1000, `${field}.numWorkers`, 'a whole number of workers from 0 to 1000', size.numWorkers);
  });
  if (props.runtimePrincipal !== undefined) {
    checkPattern(problems, 'runtimePrincipal', props.runtimePrincipal, DATABRICKS_PRINCIPAL, 'a service principal application id or a user email');
  }
  const warehouse = props.warehouse;
  if (warehouse?.clusterSize !== undefined) {
    problems.check((WAREHOUSE_SIZES as readonly string[]).includes(warehouse.clusterSize), 'warehouse.clusterSize', `one of ${WAREHOUSE_SIZES.join(', ')}`, warehouse.clusterSize);
  }
  if (warehouse?.autoStopMinutes !== undefined) {
    problems.check(Number.isInteger(warehouse.autoStopMinutes) && warehouse.autoStopMinutes >= 1, 'warehouse.autoStopMinutes', 'a whole number of minutes ≥ 1', warehouse.autoStopMinutes);
  }
  problems.throwIfAny(construct);
}
