import { Construct } from 'constructs';
import { StorageBucketObject } from '@cdktf/provider-google/lib/storage-bucket-object';
import { SecureBucket, validateSecureBucketProps, type SecureBucketProps } from './secure-bucket';
import { Problems } from './validation';

/** The seed's onboarding layout of every participant bucket (docs/protocol.md, Control tables). */
export const PARTICIPANT_FOLDERS = ['control/', 'input/', 'output/', 'code/', 'cluster-logs/', 'audit-logs/'] as const;

/**
 * Content of the folder placeholders. GCS has no folders: like the console's "Create folder" and Databricks'
 * `dbutils.fs.mkdirs`, a folder is an object whose name ends with `/`. The google provider refuses an empty
 * `content` (it treats "" as unset), so the marker holds a single newline; readers (Hadoop GCS connector, console,
 * the runtime's object store) treat any object ending in `/` as a directory marker and never read it.
 */
export const FOLDER_PLACEHOLDER_CONTENT = '\n';

export type ParticipantBucketProps = SecureBucketProps;

/** A participant's bucket: a {@link SecureBucket} plus the seed's folder layout. */
export class ParticipantBucket extends Construct {
  readonly secureBucket: SecureBucket;
  readonly bucketName: string;
  readonly folders: StorageBucketObject[];

  constructor(scope: Construct, id: string, props: ParticipantBucketProps) {
    super(scope, id);
    const problems = new Problems();
    validateSecureBucketProps(problems, props);
    problems.throwIfAny(`ParticipantBucket "${id}"`);

    this.secureBucket = new SecureBucket(this, 'storage', props);
    this.bucketName = props.bucketName;
    this.folders = PARTICIPANT_FOLDERS.map(
      (folder) =>
        new StorageBucketObject(this, `folder-${folder.slice(0, -1)}`, {
          bucket: this.secureBucket.bucket.name,
          name: folder,
          content: FOLDER_PLACEHOLDER_CONTENT,
          contentType: 'application/x-directory',
        }),
    );
  }
}
