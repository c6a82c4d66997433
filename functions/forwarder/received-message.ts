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
}

/** Decodes a received SQS record; `route` is the forwarder's own, for a record without the attribute. */
export function receivedMessage(record: SQSRecord, route: string): ReceivedMessage {
  const envelope = fromSqsRecord(record, route);
  return { record, envelope, key: recordKeyOf({ route: envelope.route, messageId: envelope.id }) };
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
