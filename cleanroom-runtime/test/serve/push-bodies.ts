/** Test helper: Pub/Sub push bodies carrying Cloud Storage notifications. */

/** A push body as Pub/Sub delivers a Cloud Storage notification (payload format JSON_API_V1). */
export function pushBody(bucket: string, object: string, eventType = 'OBJECT_FINALIZE', messageId = '1234567890'): Record<string, unknown> {
  const resource = { kind: 'storage#object', bucket, name: object, generation: '1718000000000000', size: '812' };
  return {
    message: {
      attributes: { bucketId: bucket, objectId: object, eventType, payloadFormat: 'JSON_API_V1', objectGeneration: '1718000000000000', notificationConfig: `projects/_/buckets/${bucket}/notificationConfigs/1` },
      data: Buffer.from(JSON.stringify(resource)).toString('base64'),
      messageId,
      publishTime: '2024-06-10T12:00:00.000Z',
    },
    subscription: 'projects/demo-project/subscriptions/cleanroom-events',
  };
}
