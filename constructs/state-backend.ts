import { GcsBackend, LocalBackend, type TerraformStack } from 'cdktf';
import { Problems, checkBucketName, checkPattern } from './validation';

/** Where a stack owner keeps its Terraform state (`terraform_state` of its config file). */
export interface StateBackendOptions {
  readonly bucket: string;
  /** Default `cleanroom/<clean room name>`; the stack's state is at `<prefix>/<stack id>/default.tfstate`. */
  readonly prefix?: string;
}

/** The prefix of a stack's state in its owner's bucket. */
export function statePrefix(cleanroomName: string, stackId: string, prefix?: string): string {
  return `${prefix ?? `cleanroom/${cleanroomName}`}/${stackId}`;
}

/**
 * Declares the stack's backend. With `state`, a GCS backend in the owner's own bucket
 * (https://developer.hashicorp.com/terraform/language/backend/gcs), so reviewers' CI and every operator read the same
 * state and each participant keeps its own. Without, a local file named by a relative path: cdktf's default would
 * write the synthesizing machine's absolute path into the synthesized JSON. Terraform runs in
 * `cdktf.out/stacks/<stack>`, so the file lands next to cdktf.json, as cdktf's default does (and is git-ignored).
 */
export function declareStateBackend(stack: TerraformStack, stackId: string, cleanroomName: string, state?: StateBackendOptions): GcsBackend | LocalBackend {
  if (state === undefined) return new LocalBackend(stack, { path: `../../../terraform.${stackId}.tfstate` });
  const problems = new Problems();
  checkBucketName(problems, 'terraformState.bucket', state.bucket);
  if (state.prefix !== undefined) checkPattern(problems, 'terraformState.prefix', state.prefix, /^[A-Za-z0-9_-][A-Za-z0-9._-]*(\/[A-Za-z0-9_-][A-Za-z0-9._-]*)*$/, 'object name path segments');
  problems.throwIfAny(`Terraform state of stack "${stackId}"`);
  return new GcsBackend(stack, { bucket: state.bucket, prefix: statePrefix(cleanroomName, stackId, state.prefix) });
}
