import type { SQSRecord } from 'aws-lambda';
import { fromSqsRecord, type MessageEnvelope } from '../../shared/envelope.js';
import { recordKeyOf, type SkipLedger } from '../../shared/ports.js';

/**
 * One SQS record as the forwarder works on it, decoded once where it enters (the batch adapter, the
 * breaker's probe): the record for what SQS knows of this receive (receipt handle, receive count,
 * FIFO group), the envelope for the message, and the key of its status record.
 */
export interface ReceivedMessage {
  readonly record: SQSRecord;
  readonly envelope: MessageEnvelope;
  /** The status record's key ({@link recordKeyOf}): route and message id. */
  readonly key: string;
  /**
   * The earliest this receive can have been made (epoch ms), from which SQS counts the message's
   * 12-hour visibility limit ({@link receivedNoEarlierThan}).
   */
  readonly receivedAt: number;
}

/**
 * Lambda's longest batching window (MaximumBatchingWindowInSeconds, 0 to 300: "CreateEventSourceMapping",
 * https://docs.aws.amazon.com/lambda/latest/api/API_CreateEventSourceMapping.html): a record of a
 * batch can have been received that long before the function was invoked with it.
 */
const MAX_BATCHING_WINDOW_MS = 300_000;

/**
 * When SQS's clock for this receive started, as far as the record tells: on a first receive,
 * ApproximateFirstReceiveTimestamp is this receive. A later receive's own time is in no attribute;
 * it was made after the first one and at most a batching window before the invocation
 * (`decodedAt`), so the later of the two is the earliest it can have been.
 */
export function receivedNoEarlierThan(record: SQSRecord, decodedAt: number): number {
  const firstReceive = Number(record.attributes.ApproximateFirstReceiveTimestamp);
  const invokedFrom = decodedAt - MAX_BATCHING_WINDOW_MS;
  if (!Number.isFinite(firstReceive) || firstReceive <= 0) return invokedFrom;
  if (Number(record.attributes.ApproximateReceiveCount) <= 1) return firstReceive;
  return Math.max(firstReceive, invokedFrom);
}

/**
 * Decodes a received SQS record; `route` is the forwarder's own, for a record without the attribute,
 * `decodedAt` the time it reached the function (epoch ms).
 */
export function receivedMessage(record: SQSRecord, route: string, decodedAt = Date.now()): ReceivedMessage {
  const envelope = fromSqsRecord(record, route);
  return {
    record,
    envelope,
    key: recordKeyOf({ route: envelope.route, messageId: envelope.id }),
    receivedAt: receivedNoEarlierThan(record, decodedAt),
  };
}

/** What {@link receivesAsAttempts} reads: the route's skip ledger, on an ordered route. */
export interface ReceiveCounting {
  readonly skips?: SkipLedger;
}

/**
 * The attempts a message has had in this queue, this receive's included: those of the copies it
 * replaced (`queueAttempts`, when it was put back while a breaker was open) plus its receives, less
 * those in which it was skipped behind a failed record of its FIFO group (fifo-batch.ts). A first
 * receive was never skipped, so the common case costs no read.
 */
export async function receivesAsAttempts(message: ReceivedMessage, deps: ReceiveCounting): Promise<number> {
  const { record, envelope } = message;
  const carried = envelope.queueAttempts ?? 0;
  const receiveCount = Math.max(1, Number(record.attributes.ApproximateReceiveCount) || 1);
  if (receiveCount === 1 || !deps.skips || record.attributes.MessageGroupId === undefined)
    return carried + receiveCount;
  return carried + Math.max(1, receiveCount - (await deps.skips.skipsOf(envelope.route, envelope.id)));
}
