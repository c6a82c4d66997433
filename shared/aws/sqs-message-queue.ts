import {
  ChangeMessageVisibilityBatchCommand,
  ChangeMessageVisibilityCommand,
  DeleteMessageCommand,
  GetQueueAttributesCommand,
  type Message,
  ReceiveMessageCommand,
  type SendMessageBatchRequestEntry,
  SendMessageCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import type { SQSRecord } from 'aws-lambda';
import { type DeadLetterInfo, type MessageEnvelope, toMessageAttributes } from '../envelope.js';
import { describeError, QueueWriteError } from '../errors.js';
import { deduplicationId, isFifoQueue } from '../ordering.js';
import type { BatchSendResult, MessageQueue, ProbeSource } from '../ports.js';
import { entryBytes, SQS_BATCH_LIMIT, sendEntries } from './sqs-batch-sender.js';
import { sqsRecord } from './sqs-record.js';

/** SQS's longest DelaySeconds on a message. */
export const MAX_DELAY_SECONDS = 900;

/** An envelope as a SendMessageBatch entry (its Id is set per request by {@link sendEntries}). */
function batchEntry(envelope: MessageEnvelope): SendMessageBatchRequestEntry {
  return { Id: '0', MessageBody: envelope.body, MessageAttributes: toMessageAttributes(envelope) };
}

/** A message's length as SQS counts it against the batch limit: body plus every attribute's name, type and value. */
export function sqsMessageBytes(envelope: MessageEnvelope): number {
  return entryBytes(batchEntry(envelope));
}

/** A {@link MessageQueue} on one SQS queue. Accepts an existing client so callers own its settings. */
export class SqsMessageQueue implements MessageQueue, ProbeSource {
  /** A FIFO queue (an ordered route's delivery queue or DLQ) needs a group and a deduplication id. */
  readonly fifo: boolean;

  constructor(
    private readonly client: SQSClient,
    readonly queueUrl: string,
  ) {
    this.fifo = isFifoQueue(queueUrl);
  }

  /**
   * FIFO fields of one message: the ordering key is the message group, and the message id the
   * deduplication id, so a client retry (same Idempotency-Key) or a drainer re-send within SQS's
   * five-minute window is one message. A dead letter gets its own deduplication id: written again
   * into the DLQ, or moved back and dead-lettered again within the window, it must not be dropped.
   */
  private fifoFields(envelope: MessageEnvelope, deadLetter?: DeadLetterInfo) {
    if (!this.fifo) return {};
    return {
      // A message without a key (sent before the route became ordered) is a group of its own.
      MessageGroupId: envelope.orderingKey ?? deduplicationId(envelope.id),
      MessageDeduplicationId: deduplicationId(
        deadLetter ? `${envelope.id}/dead-letter/${deadLetter.attempts}/${Date.now()}` : envelope.id,
      ),
    };
  }

  async send(envelope: MessageEnvelope, deadLetter?: DeadLetterInfo): Promise<void> {
    await this.sendOne(envelope, deadLetter);
  }

  /** One SendMessage; a failure is a {@link QueueWriteError} naming the queue. */
  private async sendOne(envelope: MessageEnvelope, deadLetter?: DeadLetterInfo, delaySeconds?: number) {
    try {
      await this.client.send(
        new SendMessageCommand({
          QueueUrl: this.queueUrl,
          MessageBody: envelope.body,
          MessageAttributes: toMessageAttributes(envelope, deadLetter),
          ...(delaySeconds === undefined ? {} : { DelaySeconds: delaySeconds }),
          ...this.fifoFields(envelope, deadLetter),
        }),
      );
    } catch (error) {
      throw new QueueWriteError(`SendMessage to ${this.queueUrl} failed: ${describeError(error)}`, {
        cause: error,
      });
    }
  }

  /**
   * Sends in as many SendMessageBatch requests as SQS's limits need, all at once (a client may be
   * waiting); each envelope's outcome is reported: sent, or failed as `unavailable` or `refused`.
   */
  async sendBatch(envelopes: readonly MessageEnvelope[]): Promise<BatchSendResult> {
    const entries = envelopes.map((envelope) => ({ ...batchEntry(envelope), ...this.fifoFields(envelope) }));
    const result = await sendEntries(this.client, this.queueUrl, entries, {
      // A FIFO queue keeps a group's order only across requests sent one after another.
      concurrent: !this.fifo,
    });
    const idAt = (index: number) => envelopes[index]?.id ?? '';
    return {
      sent: result.sent.map(idAt),
      failed: result.failed.map(({ index, reason, fault }) => ({ id: idAt(index), reason, fault })),
    };
  }

  async requeue(envelope: MessageEnvelope, delaySeconds: number): Promise<void> {
    await this.sendOne(
      envelope,
      undefined,
      Math.min(Math.max(0, Math.round(delaySeconds)), MAX_DELAY_SECONDS),
    );
  }

  async receiveOne(visibilitySeconds: number): Promise<SQSRecord | undefined> {
    const output = await this.client.send(
      new ReceiveMessageCommand({
        QueueUrl: this.queueUrl,
        MaxNumberOfMessages: 1,
        VisibilityTimeout: visibilitySeconds,
        WaitTimeSeconds: 1,
        MessageAttributeNames: ['All'],
        MessageSystemAttributeNames: ['All'],
      }),
    );
    const message = output.Messages?.[0];
    // The record names its queue by URL: nothing downstream of the probe reads the ARN.
    return message ? sqsRecord(message, this.queueUrl) : undefined;
  }

  async delete(receiptHandle: string): Promise<void> {
    await this.client.send(
      new DeleteMessageCommand({ QueueUrl: this.queueUrl, ReceiptHandle: receiptHandle }),
    );
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

/** A queue's approximate counts (one GetQueueAttributes call), as `gd status` and the tests read them. */
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
