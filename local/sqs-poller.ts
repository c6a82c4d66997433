import { DeleteMessageBatchCommand, ReceiveMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { Context, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { lambdaContext, sqsEvent } from './aws-events.js';

/** A function as Lambda's SQS event source mapping calls it. */
export type SqsBatchHandler = (event: SQSEvent, context: Context) => Promise<SQSBatchResponse | undefined>;

/** One queue a poll loop receives from, with the function settings that shape the receive. */
export interface PollTarget {
  readonly queueUrl: string;
  readonly queueArn: string;
  readonly functionName: string;
  readonly batchSize: number;
  /** The function's timeout: the Lambda context's remaining time starts from it. */
  readonly timeoutMs: number;
  /** Long-poll wait; 0 returns at once when the queue is empty. */
  readonly waitTimeSeconds?: number;
}

/**
 * Runs a receive when its turn comes, or declines it (undefined) when, by then, there should be none
 * (the route was paused, the mapping is stopping). Lets poll loops on one queue take turns.
 */
export type ReceiveGate = <T>(receive: () => Promise<T>) => Promise<T | undefined>;

/** What one receive-invoke-delete round did. */
export interface PollResult {
  readonly received: number;
  readonly deleted: number;
  readonly failed: number;
}

/**
 * One turn of Lambda's SQS event source mapping with ReportBatchItemFailures: receive up to a batch,
 * invoke the function with the SQS event, delete the records it did not report as failed. A failed
 * record (or a thrown invocation) is left alone, so it comes back when its visibility timeout ends.
 */
export async function pollOnce(
  sqs: SQSClient,
  target: PollTarget,
  handler: SqsBatchHandler,
  gate: ReceiveGate = (receive) => receive(),
): Promise<PollResult> {
  const output = await gate(() =>
    sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: target.queueUrl,
        MaxNumberOfMessages: target.batchSize,
        WaitTimeSeconds: target.waitTimeSeconds ?? 0,
        MessageAttributeNames: ['All'],
        MessageSystemAttributeNames: ['All'],
      }),
    ),
  );
  const messages = output?.Messages ?? [];
  if (messages.length === 0) return { received: 0, deleted: 0, failed: 0 };
  let response: SQSBatchResponse | undefined;
  try {
    response = await handler(
      sqsEvent(messages, target.queueArn),
      lambdaContext(target.functionName, target.timeoutMs),
    );
  } catch {
    // A failed invocation: Lambda deletes nothing and every record returns after its visibility timeout.
    return { received: messages.length, deleted: 0, failed: messages.length };
  }
  const failedIds = new Set((response?.batchItemFailures ?? []).map((failure) => failure.itemIdentifier));
  const done = messages.filter((message) => !failedIds.has(message.MessageId ?? ''));
  if (done.length > 0) {
    await sqs.send(
      new DeleteMessageBatchCommand({
        QueueUrl: target.queueUrl,
        Entries: done.map((message, index) => ({
          Id: String(index),
          ReceiptHandle: message.ReceiptHandle ?? '',
        })),
      }),
    );
  }
  return { received: messages.length, deleted: done.length, failed: messages.length - done.length };
}
