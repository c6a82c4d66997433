import {
  DeleteMessageBatchCommand,
  type Message,
  ReceiveMessageCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import type { Context, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { isFifoQueue } from '../shared/ordering.js';
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
 * A FIFO queue's batch, gathered one message per ReceiveMessage. moto 5.2.1 hands out a group's
 * messages in order and never while one of them is in flight, except in one case: when several
 * messages of a group time out in flight together (say, a receive whose answer was lost while SQS
 * was unreachable), its receive drops them from "in flight" one at a time and can hand out a later
 * one first. Received one at a time, a group never has more than one message in flight, so that
 * case cannot arise; the batch still holds up to `batchSize` messages, of different groups.
 */
async function receiveFifoBatch(
  receive: (max: number, waitSeconds: number) => Promise<Message[]>,
  batchSize: number,
  waitSeconds: number,
): Promise<Message[]> {
  const batch: Message[] = [];
  while (batch.length < batchSize) {
    const [message] = await receive(1, batch.length === 0 ? waitSeconds : 0);
    if (!message) break;
    batch.push(message);
  }
  return batch;
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
  const receive = (max: number, waitSeconds: number) =>
    sqs
      .send(
        new ReceiveMessageCommand({
          QueueUrl: target.queueUrl,
          MaxNumberOfMessages: max,
          WaitTimeSeconds: waitSeconds,
          MessageAttributeNames: ['All'],
          MessageSystemAttributeNames: ['All'],
        }),
      )
      .then((output) => output.Messages ?? []);
  const messages =
    (await gate(() =>
      isFifoQueue(target.queueUrl)
        ? receiveFifoBatch(receive, target.batchSize, target.waitTimeSeconds ?? 0)
        : receive(target.batchSize, target.waitTimeSeconds ?? 0),
    )) ?? [];
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
