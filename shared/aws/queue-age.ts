import { type CloudWatchClient, GetMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import { ReceiveMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { SQS_BATCH_LIMIT } from './sqs-batch-sender.js';

/**
 * Age in seconds of a queue's oldest message, or undefined when it is empty or not known. SQS's API
 * has no such attribute: on AWS it is CloudWatch's metric, on an emulator a peek.
 */
export type QueueAge = (queueUrl: string) => Promise<number | undefined>;

/**
 * CloudWatch's `ApproximateAgeOfOldestMessage` (maximum of the latest reported minute of the last
 * 15; CloudWatch runs a minute or more behind). Reads nothing from the queue.
 */
export function cloudWatchQueueAge(cloudWatch: CloudWatchClient, now: () => number = Date.now): QueueAge {
  return async (queueUrl) => {
    const end = now();
    const output = await cloudWatch.send(
      new GetMetricDataCommand({
        StartTime: new Date(end - 15 * 60_000),
        EndTime: new Date(end),
        ScanBy: 'TimestampDescending',
        MetricDataQueries: [
          {
            Id: 'age',
            MetricStat: {
              Metric: {
                Namespace: 'AWS/SQS',
                MetricName: 'ApproximateAgeOfOldestMessage',
                Dimensions: [{ Name: 'QueueName', Value: queueUrl.split('/').pop() ?? '' }],
              },
              Period: 60,
              Stat: 'Maximum',
            },
          },
        ],
      }),
    );
    return output.MetricDataResults?.[0]?.Values?.[0];
  };
}

/**
 * Age of the oldest message among one peek of up to ten, from their SentTimestamp. One receive
 * with VisibilityTimeout 0, so nothing is hidden; but it counts as a receive (a delivery attempt
 * for the forwarder, and towards the queue's maxReceiveCount), which is why it is only for emulators.
 */
export async function peekOldestAgeSeconds(
  sqs: SQSClient,
  queueUrl: string,
  now: number = Date.now(),
): Promise<number | undefined> {
  const output = await sqs.send(
    new ReceiveMessageCommand({
      QueueUrl: queueUrl,
      MaxNumberOfMessages: SQS_BATCH_LIMIT,
      VisibilityTimeout: 0,
      WaitTimeSeconds: 0,
      MessageSystemAttributeNames: ['SentTimestamp'],
    }),
  );
  const sent = (output.Messages ?? [])
    .map((message) => Number(message.Attributes?.SentTimestamp))
    .filter(Number.isFinite);
  return sent.length === 0 ? undefined : Math.max(0, (now - Math.min(...sent)) / 1000);
}
