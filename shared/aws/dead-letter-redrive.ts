import { setTimeout as sleep } from 'node:timers/promises';
import {
  DeleteMessageBatchCommand,
  type Message,
  type MessageAttributeValue,
  ReceiveMessageCommand,
  type SendMessageBatchRequestEntry,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import { ATTR } from '../envelope.js';
import { describeError } from '../errors.js';
import { deduplicationId } from '../ordering.js';
import { SQS_BATCH_LIMIT, sendEntries } from './sqs-batch-sender.js';
import { queueCounts, releaseMessages } from './sqs-message-queue.js';

/**
 * Moves dead letters back to their delivery queue by hand: receive, send a copy, delete the
 * original. For SQS APIs without StartMessageMoveTask (moto); on AWS the move task is better (it
 * runs server-side). Each copy keeps the body and every message attribute, so the message id (and
 * with it the forwarder's idempotency and the backend's Idempotency-Key) survives the redrive.
 */

export interface RedriveProgress {
  /** Dead letters taken up so far (each counted once, however often it is received). */
  readonly received: number;
  /** Copies SQS confirmed whose original was then deleted from the DLQ. */
  readonly moved: number;
  /** Dead letters not moved because SQS failed (left in the DLQ, visible again after the receive's visibility timeout). */
  readonly failed: number;
  /** Dead letters SQS refused for themselves (SenderFault: too large, characters it does not allow); left in the DLQ. */
  readonly refused: number;
  /** Dead letters looked at that `select` left alone (made visible again at the end). */
  readonly skipped: number;
}

/** What a batched redrive moved, and why it stopped early if it did. */
export interface RedriveResult extends RedriveProgress {
  /** Why the redrive stopped before the DLQ was empty, if it did (`SQS unavailable: ...`). */
  readonly stoppedEarly?: string;
  /** SQS's reason for the first refused dead letter, when some were refused. */
  readonly refusedReason?: string;
}

/** Which DLQ to redrive into which queue, how many and how fast. */
export interface RedriveDeadLettersOptions {
  readonly dlqUrl: string;
  /** Where the copies go: the route's delivery queue. */
  readonly queueUrl: string;
  /** Move at most this many. @default as many as the DLQ held when the redrive started */
  readonly maxMessages?: number;
  /** Move at most this many per second (to spare a backend that just came back). @default no limit */
  readonly ratePerSecond?: number;
  /** Called after each batch. */
  readonly onProgress?: (progress: RedriveProgress) => void;
  /**
   * How long a received dead letter stays hidden while it is being moved: one that could not be
   * moved, or that failed again and came back during this run, reappears after this. @default 30
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

/**
 * A SendMessageBatch entry that re-sends `message` as it was: body, every attribute, FIFO group.
 * On a FIFO queue the copy gets a deduplication id of its own, made from the received copy's SQS
 * MessageId: SQS accepts a send whose deduplication id it saw in the last five minutes but never
 * delivers it, and that window outlives the original's deletion ("Using the message deduplication
 * ID in Amazon SQS", SQS Developer Guide:
 * https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/using-messagededuplicationid-property.html),
 * so a copy re-sent under the original's id (a young message the archiver puts back, a dead letter
 * moved back soon after it arrived) would be lost. A send of the same received copy retried is still
 * one message, and every copy keeps the message-id attribute the forwarder's idempotency goes by.
 */
export function copyEntry(message: Message): SendMessageBatchRequestEntry {
  const attributes = message.MessageAttributes ?? {};
  const groupId = message.Attributes?.MessageGroupId;
  return {
    Id: '0', // sendEntries numbers the entries of each batch
    MessageBody: message.Body ?? '',
    ...(Object.keys(attributes).length === 0
      ? {}
      : {
          MessageAttributes: Object.fromEntries(
            Object.entries(attributes).map(([name, value]) => [name, copyAttribute(value)]),
          ),
        }),
    // FIFO queues: keep the ordering group; dedupe on this copy, not on the original or the body.
    ...(groupId === undefined
      ? {}
      : {
          MessageGroupId: groupId,
          MessageDeduplicationId: deduplicationId(`${stableId(message)}/copy/${message.MessageId ?? ''}`),
        }),
  };
}

/**
 * What identifies a dead letter across moves: our message id attribute, which every copy keeps.
 * SQS's MessageId is new for every copy, so a dead letter that was moved, failed again and came
 * back would look new by it (a redrive that never ends while the backend still fails).
 */
function stableId(message: Message): string {
  return message.MessageAttributes?.[ATTR.MESSAGE_ID]?.StringValue ?? `sqs:${message.MessageId ?? ''}`;
}

/**
 * Moves dead letters from `dlqUrl` to `queueUrl`: ReceiveMessage (all attributes, ten at a time) →
 * SendMessageBatch with the same body and attributes (split by SQS's count and byte limits) →
 * DeleteMessageBatch of only the entries the send confirmed. A crash between send and delete leaves
 * a copy in both queues: the message is then delivered at most once anyway, because the forwarder's
 * idempotency is keyed on its id.
 *
 * Moves what the DLQ held when it started, each message once: at most as many as it counted then,
 * and never a message id it already moved in this run (one that failed again and came straight
 * back stays in the DLQ for the next redrive). A dead letter SQS refuses for itself stays in the DLQ
 * and the rest go on. Stops when the DLQ answers empty, at the count, or as soon as SQS is unavailable.
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
  const startedAt = Date.now();
  const handled = new Set<string>();
  let received = 0;
  let moved = 0;
  let failed = 0;
  let refused = 0;
  let refusedReason: string | undefined;
  const progress = () => options.onProgress?.({ received, moved, failed, refused, skipped: skipped.length });
  const result = (stoppedEarly?: string): RedriveResult => ({
    received,
    moved,
    failed,
    refused,
    skipped: skipped.length,
    ...(stoppedEarly ? { stoppedEarly } : {}),
    ...(refusedReason ? { refusedReason } : {}),
  });

  let max: number;
  try {
    const counts = await queueCounts(sqs, options.dlqUrl);
    max = options.maxMessages ?? counts.visible + counts.inFlight + counts.delayed;
  } catch (error) {
    return result(`SQS unavailable: GetQueueAttributes on the DLQ failed: ${describeError(error)}`);
  }
  // Every non-empty receive either takes up a new dead letter or hides one this run already moved
  // (for the visibility timeout); this cap ends the run even if the queue keeps handing them back.
  let receivesLeft = 2 * max + 2;

  while (received + skipped.length < max && receivesLeft-- > 0) {
    let messages: Message[];
    try {
      const output = await sqs.send(
        new ReceiveMessageCommand({
          QueueUrl: options.dlqUrl,
          MaxNumberOfMessages: Math.min(SQS_BATCH_LIMIT, max - received - skipped.length),
          VisibilityTimeout: options.visibilityTimeoutSeconds ?? 30,
          // Long polling asks every SQS server, so an empty answer means the DLQ really is empty.
          WaitTimeSeconds: 1,
          MessageAttributeNames: ['All'],
          MessageSystemAttributeNames: ['All'],
        }),
      );
      messages = output.Messages ?? [];
    } catch (error) {
      return result(`SQS unavailable: ReceiveMessage on the DLQ failed: ${describeError(error)}`);
    }
    if (messages.length === 0) break;
    let fresh = messages.filter((message) => !handled.has(stableId(message)));
    for (const message of fresh) handled.add(stableId(message));
    if (options.select) {
      const select = options.select;
      skipped.push(...fresh.filter((message) => !select(message)));
      fresh = fresh.filter(select);
      if (fresh.length === 0) progress();
    }
    received += fresh.length;
    if (fresh.length === 0) continue;

    const sendResult = await sendEntries(sqs, options.queueUrl, fresh.map(copyEntry));
    const confirmed = sendResult.sent.flatMap((index) => fresh[index] ?? []);
    const unavailable = sendResult.failed.filter((failure) => failure.fault === 'unavailable');
    const refusals = sendResult.failed.filter((failure) => failure.fault === 'refused');
    failed += unavailable.length;
    refused += refusals.length;
    refusedReason ??= refusals[0]?.reason;

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
        return result(`SQS unavailable: DeleteMessageBatch on the DLQ failed: ${describeError(error)}`);
      }
    }
    progress();
    if (unavailable.length > 0) {
      return result(`SQS unavailable: SendMessageBatch to the queue failed: ${unavailable[0]?.reason}`);
    }

    if (options.ratePerSecond !== undefined && options.ratePerSecond > 0) {
      const due = startedAt + (received / options.ratePerSecond) * 1000;
      if (due > Date.now()) await sleep(due - Date.now());
    }
  }
  return result();
}
