/**
 * The compute sizes a clean room can offer (the seed's list, smallest first) and the cluster shape each one maps to.
 * The infrastructure turns each offered size into a Databricks cluster policy pinned to this shape.
 */

export const COMPUTE_SIZES = [
  '2X-Small',
  'X-Small',
  'Small',
  'Medium',
  'Large',
  'X-Large',
  '2X-Large',
  '3X-Large',
  '4X-Large',
] as const;

export type ComputeSize = (typeof COMPUTE_SIZES)[number];

/** Field names follow the Databricks cluster API so a policy can use them as they are. */
export interface ClusterShape {
  /** Worker count (the driver comes on top). */
  readonly num_workers: number;
  /** GCP machine type for driver and workers, as Databricks on Google Cloud names it. */
  readonly node_type_id: string;
}

/** Workers double at each step; machines grow every other step, so both cores and memory per task rise with size. */
export const DEFAULT_CLUSTER_SHAPES: Readonly<Record<ComputeSize, ClusterShape>> = {
  '2X-Small': { num_workers: 1, node_type_id: 'n2-standard-4' },
  'X-Small': { num_workers: 2, node_type_id: 'n2-standard-4' },
  Small: { num_workers: 4, node_type_id: 'n2-standard-4' },
  Medium: { num_workers: 8, node_type_id: 'n2-standard-8' },
  Large: { num_workers: 16, node_type_id: 'n2-standard-8' },
  'X-Large': { num_workers: 32, node_type_id: 'n2-standard-16' },
  '2X-Large': { num_workers: 64, node_type_id: 'n2-standard-16' },
  '3X-Large': { num_workers: 128, node_type_id: 'n2-standard-32' },
  '4X-Large': { num_workers: 256, node_type_id: 'n2-standard-32' },
};

export function isComputeSize(value: string): value is ComputeSize {
  return (COMPUTE_SIZES as readonly string[]).includes(value);
}
