import {
  DeleteMessageBatchCommand,
  type Message,
  type MessageAttributeValue,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  type SendMessageBatchRequestEntry,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import { describeError } from '../errors.js';
import { releaseMessages, SQS_BATCH_LIMIT } from './sqs-message-queue.js';

/**
 * Moves dead letters back to their delivery queue by hand: receive, send a copy, delete the
 * original. For SQS APIs without StartMessageMoveTask (moto); on AWS the move task is better (it
 * runs server-side). Each copy keeps the body and every message attribute, so the message id (and
 * with it the forwarder's idempotency and the backend's Idempotency-Key) survives the redrive.
 */

export interface RedriveProgress {
  /** Dead letters received so far. */
  readonly received: number;
  /** Copies SQS confirmed whose original was then deleted from the DLQ. */
  readonly moved: number;
  /** Dead letters not moved (left in the DLQ, visible again after the receive's visibility timeout). */
  readonly failed: number;
  /** Dead letters looked at that `select` left alone (made visible again at the end). */
  readonly skipped: number;
}

export interface RedriveResult extends RedriveProgress {
  /** Why the redrive stopped before the DLQ was empty, if it did. */
  readonly stoppedEarly?: string;
}

export interface RedriveDeadLettersOptions {
  readonly dlqUrl: string;
  /** Where the copies go: the route's delivery queue. */
  readonly queueUrl: string;
  /** Move at most this many. @default every message in the DLQ */
  readonly maxMessages?: number;
  /** Move at most this many per second (to spare a backend that just came back). @default no limit */
  readonly ratePerSecond?: number;
  /** Called after each batch. */
  readonly onProgress?: (progress: RedriveProgress) => void;
  /**
   * How long a received dead letter stays hidden while it is being moved: one that could not be
   * moved reappears after this, and is not received again by this same run. @default 30
   */
  readonly visibilityTimeoutSeconds?: number;
  /**
   * Which dead letters to move; the others stay in the DLQ as they were (hidden while the DLQ is
   * walked, so each is looked at once, and made visible again at the end). @default every one
   */
  readonly select?: (message: Message) => boolean;
}

/** The attribute as it must be sent back: SQS rejects the reserved list fields some SDKs echo. */
function copyAttribute(value: MessageAttributeValue): MessageAttributeValue {
  return {
    DataType: value.DataType,
    ...(value.StringValue === undefined ? {} : { StringValue: value.StringValue }),
    ...(value.BinaryValue === undefined ? {} : { BinaryValue: value.BinaryValue }),
  };
}

function copyEntry(message: Message, index: number): SendMessageBatchRequestEntry {
  const attributes = message.MessageAttributes ?? {};
  const groupId = message.Attributes?.MessageGroupId;
  return {
    Id: String(index),
    MessageBody: message.Body ?? '',
    ...(Object.keys(attributes).length === 0
      ? {}
      : {
          MessageAttributes: Object.fromEntries(
            Object.entries(attributes).map(([name, value]) => [name, copyAttribute(value)]),
          ),
        }),
    // FIFO queues: keep the ordering group; dedupe on the original message, not on the body.
    ...(groupId === undefined
      ? {}
      : {
          MessageGroupId: groupId,
          MessageDeduplicationId: message.Attributes?.MessageDeduplicationId ?? message.MessageId,
        }),
  };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Moves dead letters from `dlqUrl` to `queueUrl` in batches of ten: ReceiveMessage (all attributes)
 * → SendMessageBatch with the same body and attributes → DeleteMessageBatch of only the entries
 * the send confirmed. A crash between send and delete leaves a copy in both queues: the message is
 * then delivered at most once anyway, because the forwarder's idempotency is keyed on its id.
 * Stops when the DLQ answers empty, after `maxMessages`, or at the first call that fails.
 * Dead letters `select` leaves alone are made visible again once the walk is over, whatever way it ended.
 */
export async function redriveDeadLetters(
  sqs: SQSClient,
  options: RedriveDeadLettersOptions,
): Promise<RedriveResult> {
  const skipped: Message[] = [];
  try {
    return await moveDeadLetters(sqs, options, skipped);
  } finally {
    await releaseMessages(sqs, options.dlqUrl, skipped);
  }
}

async function moveDeadLetters(
  sqs: SQSClient,
  options: RedriveDeadLettersOptions,
  skipped: Message[],
): Promise<RedriveResult> {
  const max = options.maxMessages ?? Number.POSITIVE_INFINITY;
  const startedAt = Date.now();
  const seen = new Set<string>();
  let received = 0;
  let moved = 0;
  let failed = 0;
  const progress = () => options.onProgress?.({ received, moved, failed, skipped: skipped.length });
  const result = (stoppedEarly?: string): RedriveResult => ({
    received,
    moved,
    failed,
    skipped: skipped.length,
    ...(stoppedEarly ? { stoppedEarly } : {}),
  });

  while (received < max) {
    let messages: Message[];
    try {
      const output = await sqs.send(
        new ReceiveMessageCommand({
          QueueUrl: options.dlqUrl,
          MaxNumberOfMessages: Math.min(SQS_BATCH_LIMIT, max - received),
          VisibilityTimeout: options.visibilityTimeoutSeconds ?? 30,
          // Long polling asks every SQS server, so an empty answer means the DLQ really is empty.
          WaitTimeSeconds: 1,
          MessageAttributeNames: ['All'],
          MessageSystemAttributeNames: ['All'],
        }),
      );
      messages = (output.Messages ?? []).filter((m) => !seen.has(m.MessageId ?? ''));
    } catch (error) {
      return result(`ReceiveMessage on the DLQ failed: ${describeError(error)}`);
    }
    if (messages.length === 0) break;
    for (const message of messages) seen.add(message.MessageId ?? '');
    if (options.select) {
      const select = options.select;
      skipped.push(...messages.filter((message) => !select(message)));
      messages = messages.filter(select);
      if (messages.length === 0) {
        progress();
        continue;
      }
    }
    received += messages.length;

    let confirmed: Message[];
    try {
      const output = await sqs.send(
        new SendMessageBatchCommand({ QueueUrl: options.queueUrl, Entries: messages.map(copyEntry) }),
      );
      confirmed = (output.Successful ?? []).flatMap((entry) => messages[Number(entry.Id)] ?? []);
    } catch (error) {
      failed += messages.length;
      progress();
      return result(`SendMessageBatch to the queue failed: ${describeError(error)}`);
    }
    failed += messages.length - confirmed.length;

    if (confirmed.length > 0) {
      try {
        const output = await sqs.send(
          new DeleteMessageBatchCommand({
            QueueUrl: options.dlqUrl,
            Entries: confirmed.map((message, index) => ({
              Id: String(index),
              ReceiptHandle: message.ReceiptHandle ?? '',
            })),
          }),
        );
        // Copies whose original could not be deleted are moved all the same (idempotency covers
        // the duplicate left behind), so they count as moved; the failures are reported below.
        moved += confirmed.length;
        const notDeleted = output.Failed?.length ?? 0;
        if (notDeleted > 0) {
          progress();
          return result(`${notDeleted} moved message(s) could not be deleted from the DLQ`);
        }
      } catch (error) {
        moved += confirmed.length;
        progress();
        return result(`DeleteMessageBatch on the DLQ failed: ${describeError(error)}`);
      }
    }
    progress();

    if (options.ratePerSecond !== undefined && options.ratePerSecond > 0) {
      const due = startedAt + (received / options.ratePerSecond) * 1000;
      if (due > Date.now()) await sleep(due - Date.now());
    }
  }
  return result();
}
