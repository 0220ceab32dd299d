import { Construct } from 'constructs';
import { StorageNotification } from '@cdktf/provider-google/lib/storage-notification';
import type { ITerraformDependable } from 'cdktf';
import { EVENTS_LOG_PREFIX } from './runtime-service';
import { Problems, checkBucketName, checkPattern } from './validation';

export interface EventsNotificationProps {
  /** The participant bucket whose events commits are announced. */
  readonly bucketName: string;
  /** The clean room's events topic, `projects/<project>/topics/<name>` (see `eventsTopicId`). */
  readonly topicId: string;
  readonly dependsOn?: ITerraformDependable[];
}

/**
 * A Cloud Storage notification on a participant bucket: every new commit of the participant's events table
 * (`control/events/_delta_log/`) is published to the clean room's topic, whose push subscription triggers a pass.
 * It is declared by the participant's own stack because it is a bucket setting (it needs `storage.buckets.update`,
 * which the clean room never holds); the clean room stack grants the project's storage agent publish on the topic.
 */
export class EventsNotification extends Construct {
  readonly notification: StorageNotification;

  constructor(scope: Construct, id: string, props: EventsNotificationProps) {
    super(scope, id);
    const problems = new Problems();
    checkBucketName(problems, 'bucketName', props.bucketName);
    checkPattern(problems, 'topicId', props.topicId, /^projects\/[a-z][a-z0-9-]{4,28}[a-z0-9]\/topics\/[A-Za-z][A-Za-z0-9._~%+-]{2,254}$/, 'a topic id "projects/<project>/topics/<name>"');
    problems.throwIfAny(`EventsNotification "${id}"`);

    this.notification = new StorageNotification(this, 'notification', {
      bucket: props.bucketName,
      topic: props.topicId,
      payloadFormat: 'JSON_API_V1',
      eventTypes: ['OBJECT_FINALIZE'],
      objectNamePrefix: EVENTS_LOG_PREFIX,
      dependsOn: props.dependsOn,
    });
  }
}
