/**
 * IAM condition expressions that confine a bucket-level grant to folders (object name prefixes). Cloud Storage
 * evaluates `resource.name` against `projects/_/buckets/<bucket>/objects/<name>` for object requests; a list request
 * is made on the bucket, so listing is allowed through the `storage.googleapis.com/objectListPrefix` API attribute
 * (the `prefix` of the request), never for the whole bucket.
 * https://cloud.google.com/storage/docs/access-control/iam#conditions
 * https://cloud.google.com/iam/docs/conditions-attribute-reference
 */

/** `projects/_/buckets/<bucket>/objects/<prefix>`, the resource name of objects below a prefix. */
export function objectsResourceName(bucketName: string, prefix: string): string {
  return `projects/_/buckets/${bucketName}/objects/${prefix}`;
}

export interface PrefixConditionOptions {
  /** Also allow listing with a `prefix` inside one of the folders (for roles that include storage.objects.list). */
  readonly list?: boolean;
  /** Folders inside the allowed ones that stay out (e.g. `control/events/`). */
  readonly except?: readonly string[];
}

/** An expression true only for objects below one of `prefixes` (each ending with `/`). */
export function prefixCondition(bucketName: string, prefixes: readonly string[], options: PrefixConditionOptions = {}): string {
  for (const prefix of [...prefixes, ...(options.except ?? [])]) {
    if (!/^([a-z0-9_-]+\/)+$/.test(prefix)) throw new Error(`folder "${prefix}" must be path segments ending with "/"`);
  }
  const objects = prefixes.map((prefix) => `resource.name.startsWith("${objectsResourceName(bucketName, prefix)}")`);
  const excluded = (options.except ?? []).map((prefix) => `!resource.name.startsWith("${objectsResourceName(bucketName, prefix)}")`);
  const objectRule = excluded.length === 0 ? objects.join(' || ') : `(${objects.join(' || ')}) && ${excluded.join(' && ')}`;
  if (!options.list) return objectRule;
  const listing = prefixes.map((prefix) => `api.getAttribute("storage.googleapis.com/objectListPrefix", "").startsWith("${prefix}")`);
  return `(${objectRule}) || ${listing.join(' || ')}`;
}
