import type { Message, MessageAttributeValue } from '@aws-sdk/client-sqs';
import { ATTR, deadLetterInfoFrom, fromSdkMessage } from './envelope.js';

/** Which queue an archived message was taken from. */
export type ArchiveSource = 'delivery-queue' | 'dead-letter-queue';

/**
 * A message moved to the archive before SQS's retention would have deleted it: everything needed
 * to put it back on its delivery queue as the same message (id, body, attributes) and to tell an
 * operator what happened to it (attempts, reason).
 */
export interface ArchivedMessage {
  /** The stable message id (Idempotency-Key). */
  readonly id: string;
  readonly route: string;
  readonly source: ArchiveSource;
  readonly body: string;
  readonly contentType: string;
  /** When the ingest accepted it. */
  readonly receivedAt: string;
  /** Delivery attempts made before it was archived. */
  readonly attempts: number;
  readonly reason?: string;
  readonly lastStatus?: number;
  readonly deadLetteredAt?: string;
  /** When SQS got this copy: its retention counts from here. */
  readonly sentAt: string;
  readonly archivedAt: string;
  /** Every message attribute as SQS held it (string and number attributes). */
  readonly attributes: Readonly<Record<string, { readonly DataType: string; readonly StringValue: string }>>;
}

/**
 * The archive record of a message received from `source` (ReceiveMessage with all attributes). A
 * message on the delivery queue was received once by the archiver itself: that receive is not a
 * delivery attempt, so it is not counted.
 */
export function toArchivedMessage(
  message: Message,
  route: string,
  source: ArchiveSource,
  archivedAt: Date,
): ArchivedMessage {
  const envelope = fromSdkMessage(message, route);
  const info = deadLetterInfoFrom(message.MessageAttributes);
  const receives = Number(message.Attributes?.ApproximateReceiveCount ?? 1);
  const attempts =
    source === 'dead-letter-queue'
      ? (info.attempts ?? envelope.priorAttempts)
      : envelope.priorAttempts + (envelope.queueAttempts ?? 0) + Math.max(0, receives - 1);
  const sentMs = Number(message.Attributes?.SentTimestamp);
  return {
    id: envelope.id,
    route: envelope.route,
    source,
    body: envelope.body,
    contentType: envelope.contentType,
    receivedAt: envelope.receivedAt,
    attempts,
    ...(info.reason === undefined ? {} : { reason: info.reason }),
    ...(info.lastStatus === undefined ? {} : { lastStatus: info.lastStatus }),
    ...(info.deadLetteredAt === undefined ? {} : { deadLetteredAt: info.deadLetteredAt }),
    sentAt: new Date(Number.isFinite(sentMs) ? sentMs : archivedAt.getTime()).toISOString(),
    archivedAt: archivedAt.toISOString(),
    attributes: Object.fromEntries(
      Object.entries(message.MessageAttributes ?? {}).flatMap(([name, value]) =>
        value.StringValue === undefined
          ? []
          : [[name, { DataType: value.DataType ?? 'String', StringValue: value.StringValue }]],
      ),
    ),
  };
}

/**
 * The attributes to send an archived message back to its delivery queue with: those it had, its id
 * among them, with the attempts made so far, so the `X-Delivery-Attempt` numbering goes on.
 */
export function attributesForRedrive(archived: ArchivedMessage): Record<string, MessageAttributeValue> {
  // A redriven message starts a new stay on the queue: its age towards retention counts afresh.
  // Its attempt budget too, as after a DLQ redrive: `attempts` below carries every attempt made.
  const { [ATTR.QUEUED_AT]: _queuedAt, [ATTR.QUEUE_ATTEMPTS]: _queueAttempts, ...kept } = archived.attributes;
  return {
    ...kept,
    [ATTR.MESSAGE_ID]: { DataType: 'String', StringValue: archived.id },
    [ATTR.ATTEMPTS]: { DataType: 'Number', StringValue: String(archived.attempts) },
  };
}
