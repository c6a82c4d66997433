import type { Message, MessageAttributeValue } from '@aws-sdk/client-sqs';
import type { SQSRecord } from 'aws-lambda';
import type { MessageTrace } from './trace-context.js';

/**
 * A message as it travels from ingest to backend. The id is fixed at ingest and kept through
 * failover, drain and redrive: it is the backend's `Idempotency-Key` and the forwarder's
 * idempotency key, unlike SQS's MessageId, which changes every time a message is re-sent.
 */
export interface MessageEnvelope {
  /** Stable message id (the client's `Idempotency-Key`, or a UUID). */
  readonly id: string;
  /** Route the message came in on; decides its queue and backend. */
  readonly route: string;
  /** The request body exactly as received. */
  readonly body: string;
  /** The request's content type, passed on to the backend. */
  readonly contentType: string;
  /** When the ingest accepted it (ISO 8601). */
  readonly receivedAt: string;
  /** Attempts made before this copy was (re)queued, e.g. before a DLQ redrive. */
  readonly priorAttempts: number;
  /**
   * Delivery attempts already made on the current queue by the copies this one replaced (a copy put
   * back while a circuit breaker was open, or re-sent by the archiver): its attempt budget goes on
   * from there instead of starting afresh. Absent = 0.
   */
  readonly queueAttempts?: number;
  /** When the message first arrived on its current queue, when a re-sent copy keeps it (ISO 8601). */
  readonly queuedAt?: string;
  /**
   * On a copy redriven from the DLQ: when the dead letter it was moved from was dead-lettered (ISO
   * 8601), kept by every move and put-back. A copy without it was never dead-lettered itself.
   */
  readonly deadLetteredAt?: string;
  /** W3C `traceparent` fixed at ingest (the client's, or a new trace); absent on hand-sent messages. */
  readonly traceparent?: string;
  /** W3C `tracestate` the client sent with its `traceparent`. */
  readonly tracestate?: string;
  /**
   * On an ordered route: the message's key. In SQS it travels as the FIFO MessageGroupId (kept on
   * DLQ moves and redrives), not as a message attribute: SQS allows only ten of those.
   */
  readonly orderingKey?: string;
}

/** Why a message was dead-lettered, recorded on the DLQ message as attributes. */
export interface DeadLetterInfo {
  readonly reason: string;
  readonly attempts: number;
  /** Backend status of the last attempt, when it answered at all. */
  readonly lastStatus?: number;
}

/** SQS message attribute names. SQS keeps attributes on redrive, so the id survives DLQ round trips. */
export const ATTR = {
  MESSAGE_ID: 'message-id',
  ROUTE: 'route',
  CONTENT_TYPE: 'content-type',
  RECEIVED_AT: 'received-at',
  ATTEMPTS: 'attempts',
  DEAD_LETTER_REASON: 'dead-letter-reason',
  LAST_STATUS: 'last-status',
  DEAD_LETTERED_AT: 'dead-lettered-at',
  /**
   * `<traceparent>` or `<traceparent> <tracestate>` (a traceparent has no space, so the first one
   * splits them). One attribute, not two: SQS allows 10 per message and a dead letter already uses 8.
   */
  TRACE_CONTEXT: 'trace-context',
  /**
   * When the message first arrived on its current queue, kept when the archiver re-sends it (which
   * gives the copy a new SentTimestamp): its age towards retention counts from here.
   */
  QUEUED_AT: 'queued-at',
  /** Attempts the copies this one replaced made on its queue (see MessageEnvelope.queueAttempts). */
  QUEUE_ATTEMPTS: 'queue-attempts',
} as const;

const DEFAULT_CONTENT_TYPE = 'application/json';

function stringAttr(value: string): MessageAttributeValue {
  return { DataType: 'String', StringValue: value };
}

function numberAttr(value: number): MessageAttributeValue {
  return { DataType: 'Number', StringValue: String(value) };
}

/** The attributes that carry an envelope (and, for a dead letter, why it is one) through SQS. */
export function toMessageAttributes(
  envelope: MessageEnvelope,
  deadLetter?: DeadLetterInfo,
  deadLetteredAt?: Date,
): Record<string, MessageAttributeValue> {
  const attributes: Record<string, MessageAttributeValue> = {
    [ATTR.MESSAGE_ID]: stringAttr(envelope.id),
    [ATTR.ROUTE]: stringAttr(envelope.route),
    [ATTR.CONTENT_TYPE]: stringAttr(envelope.contentType),
    [ATTR.RECEIVED_AT]: stringAttr(envelope.receivedAt),
    [ATTR.ATTEMPTS]: numberAttr(deadLetter?.attempts ?? envelope.priorAttempts),
  };
  if (envelope.traceparent) attributes[ATTR.TRACE_CONTEXT] = stringAttr(encodeTrace(envelope));
  // A dead letter starts afresh on whatever queue it is redriven to: these belong to the queue it left.
  if (!deadLetter && envelope.queueAttempts)
    attributes[ATTR.QUEUE_ATTEMPTS] = numberAttr(envelope.queueAttempts);
  if (!deadLetter && envelope.queuedAt) attributes[ATTR.QUEUED_AT] = stringAttr(envelope.queuedAt);
  // A redriven copy put back keeps the mark of the dead letter it came from.
  if (!deadLetter && envelope.deadLetteredAt)
    attributes[ATTR.DEAD_LETTERED_AT] = stringAttr(envelope.deadLetteredAt);
  if (deadLetter) {
    // SQS string attributes must not be empty and count towards the 256 KiB limit: keep reasons short.
    attributes[ATTR.DEAD_LETTER_REASON] = stringAttr(deadLetter.reason.slice(0, 512) || 'unknown');
    attributes[ATTR.DEAD_LETTERED_AT] = stringAttr((deadLetteredAt ?? new Date()).toISOString());
    if (deadLetter.lastStatus !== undefined) attributes[ATTR.LAST_STATUS] = numberAttr(deadLetter.lastStatus);
  }
  return attributes;
}

function encodeTrace(trace: Partial<MessageTrace>): string {
  return trace.tracestate ? `${trace.traceparent} ${trace.tracestate}` : `${trace.traceparent}`;
}

/** Splits the trace attribute back into its two headers. */
function decodeTrace(value: string | undefined): Partial<MessageTrace> {
  if (!value) return {};
  const space = value.indexOf(' ');
  if (space < 0) return { traceparent: value };
  return { traceparent: value.slice(0, space), tracestate: value.slice(space + 1) };
}

type AttributeReader = (name: string) => string | undefined;

function envelopeFrom(
  read: AttributeReader,
  fallbackId: string,
  body: string,
  fallbackRoute: string,
  sentAt: string | undefined,
  orderingKey?: string,
): MessageEnvelope {
  const attempts = Number(read(ATTR.ATTEMPTS) ?? 0);
  const queueAttempts = Number(read(ATTR.QUEUE_ATTEMPTS) ?? 0);
  const queuedAt = read(ATTR.QUEUED_AT);
  const deadLetteredAt = read(ATTR.DEAD_LETTERED_AT);
  return {
    // A message without our attributes (sent by hand from the console, say) still gets a stable id:
    // SQS's own id, which stays the same for every receive of that message.
    id: read(ATTR.MESSAGE_ID) ?? fallbackId,
    route: read(ATTR.ROUTE) ?? fallbackRoute,
    body,
    contentType: read(ATTR.CONTENT_TYPE) ?? DEFAULT_CONTENT_TYPE,
    receivedAt: read(ATTR.RECEIVED_AT) ?? sentAt ?? new Date(0).toISOString(),
    priorAttempts: Number.isInteger(attempts) && attempts >= 0 ? attempts : 0,
    ...(Number.isInteger(queueAttempts) && queueAttempts > 0 ? { queueAttempts } : {}),
    ...(queuedAt ? { queuedAt } : {}),
    ...(deadLetteredAt ? { deadLetteredAt } : {}),
    ...decodeTrace(read(ATTR.TRACE_CONTEXT)),
    ...(orderingKey === undefined ? {} : { orderingKey }),
  };
}

/** Rebuilds the envelope from a Lambda SQS event record. */
export function fromSqsRecord(record: SQSRecord, fallbackRoute: string): MessageEnvelope {
  const sentMs = Number(record.attributes.SentTimestamp);
  return envelopeFrom(
    (name) => record.messageAttributes[name]?.stringValue,
    record.messageId,
    record.body,
    fallbackRoute,
    Number.isFinite(sentMs) ? new Date(sentMs).toISOString() : undefined,
    record.attributes.MessageGroupId,
  );
}

/** Rebuilds the envelope from attributes in the SDK's shape (ReceiveMessage). */
export function fromSdkAttributes(
  attributes: Record<string, MessageAttributeValue> | undefined,
  fallbackId: string,
  body: string,
  fallbackRoute: string,
): MessageEnvelope {
  return envelopeFrom((name) => attributes?.[name]?.StringValue, fallbackId, body, fallbackRoute, undefined);
}

/** Rebuilds the envelope of a message as ReceiveMessage returned it (its MessageId only a fallback id). */
export function fromSdkMessage(message: Message, fallbackRoute: string): MessageEnvelope {
  return fromSdkAttributes(
    message.MessageAttributes,
    message.MessageId ?? '',
    message.Body ?? '',
    fallbackRoute,
  );
}

/** Reads a dead letter's recorded reason, if any. */
export function deadLetterInfoFrom(
  attributes: Record<string, MessageAttributeValue> | undefined,
): Partial<DeadLetterInfo> & { deadLetteredAt?: string } {
  const status = attributes?.[ATTR.LAST_STATUS]?.StringValue;
  const attempts = attributes?.[ATTR.ATTEMPTS]?.StringValue;
  return {
    reason: attributes?.[ATTR.DEAD_LETTER_REASON]?.StringValue,
    attempts: attempts === undefined ? undefined : Number(attempts),
    lastStatus: status === undefined ? undefined : Number(status),
    deadLetteredAt: attributes?.[ATTR.DEAD_LETTERED_AT]?.StringValue,
  };
}
