import { Construct } from 'constructs';
import { StorageBucket } from '@cdktf/provider-google/lib/storage-bucket';
import { Problems, checkBucketName, checkLabels } from './validation';

export interface SecureBucketProps {
  /** Globally unique GCS bucket name. */
  readonly bucketName: string;
  /** GCS location (region or multi-region), e.g. `europe-west1`. */
  readonly location: string;
  /** Project that owns the bucket; defaults to the stack's google provider project. */
  readonly project?: string;
  readonly labels?: Record<string, string>;
  /** Days a replaced or deleted object version is kept before it is removed (default 30). */
  readonly noncurrentVersionRetentionDays?: number;
}

export const DEFAULT_NONCURRENT_VERSION_RETENTION_DAYS = 30;

/**
 * A private GCS bucket with the defaults every clean room bucket shares: uniform bucket-level access (no object
 * ACLs), public access prevention enforced, object versioning (a bad overwrite can be recovered) and a lifecycle
 * rule that deletes noncurrent versions after a retention period so versioning does not grow without bound.
 */
export class SecureBucket extends Construct {
  readonly bucket: StorageBucket;
  readonly bucketName: string;

  constructor(scope: Construct, id: string, props: SecureBucketProps) {
    super(scope, id);
    const problems = new Problems();
    validateSecureBucketProps(problems, props);
    problems.throwIfAny(`SecureBucket "${id}"`);

    this.bucketName = props.bucketName;
    this.bucket = new StorageBucket(this, 'bucket', {
      name: props.bucketName,
      location: props.location,
      project: props.project,
      uniformBucketLevelAccess: true,
      publicAccessPrevention: 'enforced',
      versioning: { enabled: true },
      lifecycleRule: [
        {
          action: { type: 'Delete' },
          condition: {
            withState: 'ARCHIVED',
            daysSinceNoncurrentTime: props.noncurrentVersionRetentionDays ?? DEFAULT_NONCURRENT_VERSION_RETENTION_DAYS,
          },
        },
      ],
      labels: { 'managed-by': 'cleanroom', ...props.labels },
      // Never delete a bucket that still holds data just because it left the config.
      forceDestroy: false,
    });
  }
}

export function validateSecureBucketProps(problems: Problems, props: SecureBucketProps, prefix = ''): void {
  checkBucketName(problems, `${prefix}bucketName`, props.bucketName);
  problems.check(
    typeof props.location === 'string' && /^[a-zA-Z0-9-]+$/.test(props.location),
    `${prefix}location`,
    'a GCS location such as "europe-west1" or "EU"',
    props.location,
  );
  const days = props.noncurrentVersionRetentionDays;
  if (days !== undefined) {
    problems.check(Number.isInteger(days) && days >= 1, `${prefix}noncurrentVersionRetentionDays`, 'a whole number of days ≥ 1', days);
  }
  checkLabels(problems, `${prefix}labels`, props.labels);
}
