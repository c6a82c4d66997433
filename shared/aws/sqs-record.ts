import type { Message } from '@aws-sdk/client-sqs';
import type { SQSRecord } from 'aws-lambda';

/**
 * One SQS record as Lambda's event source mapping delivers it, from a ReceiveMessage result: the
 * local runner's emulated mapping and the forwarder's breaker probe (which receives one message
 * itself) both hand the forwarder's code this shape.
 */
export function sqsRecord(
  message: Message,
  queueArn: string,
  region = process.env.AWS_REGION ?? 'us-east-1',
): SQSRecord {
  const attributes = message.Attributes ?? {};
  return {
    messageId: message.MessageId ?? '',
    receiptHandle: message.ReceiptHandle ?? '',
    body: message.Body ?? '',
    attributes: {
      ApproximateReceiveCount: attributes.ApproximateReceiveCount ?? '1',
      SentTimestamp: attributes.SentTimestamp ?? String(Date.now()),
      SenderId: attributes.SenderId ?? 'local',
      ApproximateFirstReceiveTimestamp: attributes.ApproximateFirstReceiveTimestamp ?? String(Date.now()),
      // FIFO queues: Lambda passes the group, deduplication id and sequence number on.
      ...(attributes.MessageGroupId === undefined
        ? {}
        : {
            MessageGroupId: attributes.MessageGroupId,
            ...(attributes.MessageDeduplicationId === undefined
              ? {}
              : { MessageDeduplicationId: attributes.MessageDeduplicationId }),
            ...(attributes.SequenceNumber === undefined ? {} : { SequenceNumber: attributes.SequenceNumber }),
          }),
    },
    messageAttributes: Object.fromEntries(
      Object.entries(message.MessageAttributes ?? {}).map(([name, value]) => [
        name,
        {
          dataType: value.DataType ?? 'String',
          ...(value.StringValue === undefined ? {} : { stringValue: value.StringValue }),
        },
      ]),
    ),
    md5OfBody: message.MD5OfBody ?? '',
    eventSource: 'aws:sqs',
    eventSourceARN: queueArn,
    awsRegion: region,
  };
}
