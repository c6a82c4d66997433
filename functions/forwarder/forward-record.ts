import type { MessageEnvelope } from '../../shared/envelope.js';
import { describeError } from '../../shared/errors.js';
import { LOG_EVENT } from '../../shared/log-events.js';
import { fingerprintOf, type StoredMessageRecord } from '../../shared/message-record.js';
import type { DeliveryResponse, MessageRecords } from '../../shared/ports.js';
import { attemptDelivery } from './attempt-delivery.js';
import type { ForwarderDeps, ForwardOutcome } from './forwarder-deps.js';
import { type ReceivedMessage, receivesAsAttempts } from './received-message.js';
import { deadLetter, notAttempted, type Settling, settleDelivery } from './settle-delivery.js';

/** What the forwarder knows of a batch's status records, read in one round trip before delivering. */
export type BatchRecords =
  | { readonly kind: 'read'; readonly records: ReadonlyMap<string, StoredMessageRecord> }
  | { readonly kind: 'unavailable'; readonly error: string };

/** Per-invocation state shared by the records of one batch. */
export interface BatchState {
  readonly records: BatchRecords;
  /** Outcome of a copy of the same message earlier in this batch (a batch can hold two copies). */
  readonly inFlight: Map<string, Promise<ForwardOutcome>>;
  /**
   * Called with each backend attempt's duration and answer (the attempt-latency metric, the circuit
   * breaker's failure count); awaited before the attempt is settled.
   */
  readonly onAttempt?: (durationMs: number, response: DeliveryResponse) => void | Promise<void>;
}

/** Reads the records of a batch's messages in one BatchGetItem; a failure is reported, not thrown. */
export async function readBatchRecords(
  messages: readonly ReceivedMessage[],
  records: MessageRecords,
): Promise<BatchRecords> {
  try {
    const found = await records.getMany(
      messages.map(({ envelope }) => ({ route: envelope.route, messageId: envelope.id })),
    );
    return { kind: 'read', records: found };
  } catch (error) {
    return { kind: 'unavailable', error: describeError(error) };
  }
}

/** A fresh batch state for one invocation. */
export function newBatchState(records: BatchRecords, onAttempt?: BatchState['onAttempt']): BatchState {
  return { records, inFlight: new Map(), ...(onAttempt ? { onAttempt } : {}) };
}

/** What the status record says of a message before it is attempted. */
export type Admission =
  /** Attempt it. */
  | { readonly kind: 'attempt'; readonly stored?: StoredMessageRecord }
  /** The id was delivered before (`deliveredAt`): this copy is a duplicate. */
  | { readonly kind: 'delivered-before'; readonly deliveredAt: string }
  /** The id's record belongs to another body. */
  | { readonly kind: 'key-reused'; readonly stored: StoredMessageRecord }
  /** The record could not be read: delivering blind could deliver the id twice. */
  | { readonly kind: 'unknown'; readonly reason: string };

/** Decides from the batch's records whether to attempt a message (`earlier`: a copy's outcome in this batch). */
export function admit(
  message: ReceivedMessage,
  fingerprint: string,
  records: BatchRecords,
  earlier?: ForwardOutcome,
): Admission {
  if (records.kind === 'unavailable') {
    return { kind: 'unknown', reason: `status record unavailable: ${records.error}` };
  }
  const stored = records.records.get(message.key);
  if (stored && stored.fingerprint !== fingerprint) return { kind: 'key-reused', stored };
  if (earlier === 'delivered' || earlier === 'duplicate') {
    return { kind: 'delivered-before', deliveredAt: 'in this batch' };
  }
  if (stored?.deliveredAt !== undefined) return { kind: 'delivered-before', deliveredAt: stored.deliveredAt };
  return { kind: 'attempt', ...(stored ? { stored } : {}) };
}

/** Settles a message its record says not to attempt: a duplicate is dropped, a reused key's copy handled. */
export async function settleRefusal(
  message: ReceivedMessage,
  admission: Extract<Admission, { kind: 'delivered-before' | 'key-reused' }>,
  attempt: number,
  deps: ForwarderDeps,
): Promise<ForwardOutcome> {
  const { envelope } = message;
  const context = { messageId: envelope.id, route: envelope.route, attempt };
  if (admission.kind === 'key-reused') return keyReusedCopy(envelope, admission.stored, deps);
  deps.logger.info('duplicate suppressed: already delivered', {
    event: LOG_EVENT.DUPLICATE_SUPPRESSED,
    ...context,
    deliveredAt: admission.deliveredAt,
  });
  return 'duplicate';
}

/**
 * Forwards one received message: its record decides whether to attempt it, the attempt is made
 * (attempt-delivery.ts) and reported to `batch.onAttempt`, then settled (settle-delivery.ts).
 * Resolves when the record may be deleted from the queue (delivered, already delivered, or safely
 * in the DLQ); throws {@link RetryableDeliveryError} after hiding the message for the
 * backoff delay, so the batch reports it as a failure and SQS offers it again. A second copy of a
 * message in the same batch waits for the first one's outcome.
 */
export async function forwardMessage(
  message: ReceivedMessage,
  deps: ForwarderDeps,
  batch: BatchState,
): Promise<ForwardOutcome> {
  const earlier = batch.inFlight.get(message.key);
  const run = (async () => {
    const earlierOutcome = earlier ? await earlier.catch(() => undefined) : undefined;
    return forwardOnce(message, deps, batch, earlierOutcome);
  })();
  batch.inFlight.set(message.key, run);
  return run;
}

async function forwardOnce(
  message: ReceivedMessage,
  deps: ForwarderDeps,
  batch: BatchState,
  earlierOutcome: ForwardOutcome | undefined,
): Promise<ForwardOutcome> {
  const { envelope } = message;
  const receiveCount = await receivesAsAttempts(message, deps);
  const number = envelope.priorAttempts + receiveCount;
  const fingerprint = fingerprintOf(envelope);
  const admission = admit(message, fingerprint, batch.records, earlierOutcome);
  if (admission.kind === 'unknown') return notAttempted(message, admission.reason, receiveCount, deps);
  if (admission.kind !== 'attempt') return settleRefusal(message, admission, number, deps);

  const attempt = await attemptDelivery(envelope, number, deps);
  // A secret the request needs is unreadable: wait for it (the reason names it).
  if (attempt.kind === 'not-attempted') return notAttempted(message, attempt.reason, receiveCount, deps);
  await batch.onAttempt?.(attempt.durationMs, attempt.response);
  const settling: Settling = {
    message,
    fingerprint,
    receiveCount,
    ...(admission.stored ? { stored: admission.stored } : {}),
  };
  return settleDelivery(settling, attempt, deps);
}

/**
 * A copy whose body differs from the one that holds its id's record (a body refused with 409 is never
 * stored): it was answered 202 while its own record could not be written, and the key was then taken
 * by another body. It is dead-lettered with the reason, never dropped silently.
 */
async function keyReusedCopy(
  envelope: MessageEnvelope,
  stored: StoredMessageRecord,
  deps: ForwarderDeps,
): Promise<ForwardOutcome> {
  const reason = `Idempotency-Key reused with another body: the id's record belongs to a message accepted at ${stored.acceptedAt}, and this copy was not refused at ingest (its own record could not be written then)`;
  await deadLetter(envelope, { reason, attempts: envelope.priorAttempts }, deps);
  return 'dead-lettered';
}
