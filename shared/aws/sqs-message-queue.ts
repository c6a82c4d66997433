import {
  ChangeMessageVisibilityBatchCommand,
  ChangeMessageVisibilityCommand,
  GetQueueAttributesCommand,
  type Message,
  SendMessageBatchCommand,
  SendMessageCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import { type DeadLetterInfo, type MessageEnvelope, toMessageAttributes } from '../envelope.js';
import { describeError, QueueWriteError } from '../errors.js';
import type { BatchSendResult, MessageQueue } from '../ports.js';

/** SQS's limit on entries per SendMessageBatch. */
export const SQS_BATCH_LIMIT = 10;

/**
 * SQS's limit on one SendMessageBatch request: "the maximum total payload size (the sum of the
 * individual lengths of all of the batched messages)" is 1 MiB (SQS API Reference, SendMessageBatch);
 * a message's length counts its body and its attributes' names, types and values. Over it, SQS refuses
 * the whole request (BatchRequestTooLong), so ten 250 KB messages need three requests, not one.
 */
export const SQS_BATCH_MAX_BYTES = 1_048_576;

/** A message's length as SQS counts it against the batch limit: body plus every attribute's name, type and value. */
export function sqsMessageBytes(envelope: MessageEnvelope): number {
  let bytes = Buffer.byteLength(envelope.body);
  for (const [name, value] of Object.entries(toMessageAttributes(envelope))) {
    bytes += Buffer.byteLength(name) + Buffer.byteLength(value.DataType ?? '');
    bytes += Buffer.byteLength(value.StringValue ?? '');
  }
  return bytes;
}

/**
 * Splits envelopes, in order, into SendMessageBatch requests within both of SQS's limits
 * ({@link SQS_BATCH_LIMIT} entries, {@link SQS_BATCH_MAX_BYTES} in all). A message that alone is
 * over the byte limit gets a request of its own, for SQS to refuse as the single message it is.
 */
export function sqsBatches(envelopes: readonly MessageEnvelope[]): MessageEnvelope[][] {
  const batches: MessageEnvelope[][] = [];
  let current: MessageEnvelope[] = [];
  let bytes = 0;
  for (const envelope of envelopes) {
    const size = sqsMessageBytes(envelope);
    if (current.length === SQS_BATCH_LIMIT || (current.length > 0 && bytes + size > SQS_BATCH_MAX_BYTES)) {
      batches.push(current);
      current = [];
      bytes = 0;
    }
    current.push(envelope);
    bytes += size;
  }
  if (current.length > 0) batches.push(current);
  return batches;
}

/** A {@link MessageQueue} on one SQS queue. Accepts an existing client so callers own its settings. */
export class SqsMessageQueue implements MessageQueue {
  constructor(
    private readonly client: SQSClient,
    readonly queueUrl: string,
  ) {}

  async send(envelope: MessageEnvelope, deadLetter?: DeadLetterInfo): Promise<void> {
    try {
      await this.client.send(
        new SendMessageCommand({
          QueueUrl: this.queueUrl,
          MessageBody: envelope.body,
          MessageAttributes: toMessageAttributes(envelope, deadLetter),
        }),
      );
    } catch (error) {
      throw new QueueWriteError(`SendMessage to ${this.queueUrl} failed: ${describeError(error)}`, {
        cause: error,
      });
    }
  }

  /** Sends in {@link sqsBatches}, all at once; each request's outcome is reported per envelope. */
  async sendBatch(envelopes: readonly MessageEnvelope[]): Promise<BatchSendResult> {
    const results = await Promise.all(sqsBatches(envelopes).map((batch) => this.sendOneBatch(batch)));
    return {
      sent: results.flatMap((result) => result.sent),
      failed: results.flatMap((result) => result.failed),
    };
  }

  private async sendOneBatch(envelopes: readonly MessageEnvelope[]): Promise<BatchSendResult> {
    try {
      // Entry ids must be short and alphanumeric; message ids need not be, so use positions.
      const output = await this.client.send(
        new SendMessageBatchCommand({
          QueueUrl: this.queueUrl,
          Entries: envelopes.map((envelope, index) => ({
            Id: String(index),
            MessageBody: envelope.body,
            MessageAttributes: toMessageAttributes(envelope),
          })),
        }),
      );
      const idAt = (entryId: string | undefined) => envelopes[Number(entryId)]?.id;
      const sent = (output.Successful ?? []).flatMap((entry) => idAt(entry.Id) ?? []);
      const failed = (output.Failed ?? []).flatMap((entry) => {
        const id = idAt(entry.Id);
        return id === undefined ? [] : [{ id, reason: `${entry.Code}: ${entry.Message ?? ''}`.trim() }];
      });
      // An entry SQS names in neither list was not acknowledged: never report it as sent.
      const answered = new Set([...sent, ...failed.map((entry) => entry.id)]);
      for (const envelope of envelopes) {
        if (!answered.has(envelope.id)) failed.push({ id: envelope.id, reason: 'not in the SQS response' });
      }
      return { sent, failed };
    } catch (error) {
      const reason = describeError(error);
      return { sent: [], failed: envelopes.map((envelope) => ({ id: envelope.id, reason })) };
    }
  }

  async delayRedelivery(receiptHandle: string, seconds: number): Promise<void> {
    await this.client.send(
      new ChangeMessageVisibilityCommand({
        QueueUrl: this.queueUrl,
        ReceiptHandle: receiptHandle,
        VisibilityTimeout: seconds,
      }),
    );
  }
}

/** A queue's ARN (what redrive policies, move tasks and event sources name), from its URL. */
export async function queueArn(sqs: SQSClient, queueUrl: string): Promise<string> {
  const output = await sqs.send(
    new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['QueueArn'] }),
  );
  const arn = output.Attributes?.QueueArn;
  if (!arn) throw new Error(`queue ${queueUrl} has no QueueArn attribute`);
  return arn;
}

/** How many messages a queue holds, by state (SQS's approximate counts). */
export interface QueueCounts {
  /** Messages waiting to be received (ApproximateNumberOfMessages). */
  readonly visible: number;
  /** Received and not yet deleted: being delivered, or waiting out a retry backoff. */
  readonly inFlight: number;
  /** Sent with a delay that has not passed yet. */
  readonly delayed: number;
}

export async function queueCounts(sqs: SQSClient, queueUrl: string): Promise<QueueCounts> {
  const output = await sqs.send(
    new GetQueueAttributesCommand({
      QueueUrl: queueUrl,
      AttributeNames: [
        'ApproximateNumberOfMessages',
        'ApproximateNumberOfMessagesNotVisible',
        'ApproximateNumberOfMessagesDelayed',
      ],
    }),
  );
  const count = (
    name:
      | 'ApproximateNumberOfMessages'
      | 'ApproximateNumberOfMessagesNotVisible'
      | 'ApproximateNumberOfMessagesDelayed',
  ) => Number(output.Attributes?.[name] ?? 0);
  return {
    visible: count('ApproximateNumberOfMessages'),
    inFlight: count('ApproximateNumberOfMessagesNotVisible'),
    delayed: count('ApproximateNumberOfMessagesDelayed'),
  };
}

/**
 * Makes received messages visible again at once (ChangeMessageVisibility 0), in batches of ten.
 * Best effort: a message that could not be released comes back by itself when its visibility
 * timeout ends, so a failure here only delays it.
 */
export async function releaseMessages(
  sqs: SQSClient,
  queueUrl: string,
  messages: readonly Message[],
): Promise<void> {
  for (let start = 0; start < messages.length; start += SQS_BATCH_LIMIT) {
    const entries = messages.slice(start, start + SQS_BATCH_LIMIT).map((message, index) => ({
      Id: String(index),
      ReceiptHandle: message.ReceiptHandle ?? '',
      VisibilityTimeout: 0,
    }));
    await sqs
      .send(new ChangeMessageVisibilityBatchCommand({ QueueUrl: queueUrl, Entries: entries }))
      .catch(() => undefined);
  }
}
