import type { MessageEnvelope } from '../../shared/envelope.js';
import { LOG_EVENT } from '../../shared/log-events.js';
import { fingerprintOf, type StoredMessageRecord } from '../../shared/message-record.js';
import type { DeliveryResponse } from '../../shared/ports.js';
import { attemptDelivery } from './attempt-delivery.js';
import { type Admission, takeLease, waitForLease } from './delivery-lease.js';
import type { ForwarderDeps, ForwardOutcome } from './forwarder-deps.js';
import { type ReceivedMessage, receivesAsAttempts } from './received-message.js';
import { deadLetterUnsendable } from './resolve-body.js';
import { deadLetter, notAttempted, type Settling, settleDelivery } from './settle-delivery.js';

/** Per-invocation state shared by the records of one batch. */
export interface BatchState {
  /** Outcome of a copy of the same message earlier in this batch (a batch can hold two copies). */
  readonly inFlight: Map<string, Promise<ForwardOutcome>>;
  /**
   * Called with each backend attempt's duration and answer (the attempt-latency metric, the circuit
   * breaker's failure count); awaited before the attempt is settled.
   */
  readonly onAttempt?: (durationMs: number, response: DeliveryResponse) => void | Promise<void>;
}

/** A fresh batch state for one invocation. */
export function newBatchState(onAttempt?: BatchState['onAttempt']): BatchState {
  return { inFlight: new Map(), ...(onAttempt ? { onAttempt } : {}) };
}

/** Settles a message its record says not to attempt: a duplicate is dropped, a reused key's copy handled. */
export async function settleRefusal(
  message: ReceivedMessage,
  admission: Extract<Admission, { kind: 'delivered-before' | 'dead-lettered-before' | 'key-reused' }>,
  attempt: number,
  deps: ForwarderDeps,
): Promise<ForwardOutcome> {
  const { envelope } = message;
  const context = { messageId: envelope.id, route: envelope.route, attempt };
  if (admission.kind === 'key-reused') return keyReusedCopy(envelope, admission.stored, deps);
  if (admission.kind === 'dead-lettered-before') {
    // The id's dead letter waits in the DLQ (or was redriven): one dead letter per id and route.
    deps.logger.info('duplicate suppressed: already dead-lettered', {
      event: LOG_EVENT.DUPLICATE_SUPPRESSED,
      ...context,
      deadLetteredAt: admission.deadLetteredAt,
    });
    return 'duplicate';
  }
  deps.logger.info('duplicate suppressed: already delivered', {
    event: LOG_EVENT.DUPLICATE_SUPPRESSED,
    ...context,
    deliveredAt: admission.deliveredAt,
  });
  return 'duplicate';
}

/**
 * Forwards one received message: the delivery lease on its record (delivery-lease.ts) decides
 * whether to attempt it, the attempt is made (attempt-delivery.ts) and reported to
 * `batch.onAttempt`, then settled (settle-delivery.ts), which ends the lease.
 * Resolves when the record may be deleted from the queue (delivered, already delivered, or safely
 * in the DLQ, or put back behind another copy's lease); throws {@link RetryableDeliveryError}
 * after hiding the message for the backoff delay, so the batch reports it as a failure and SQS
 * offers it again. A second copy of a message in the same batch waits for the first one's outcome.
 */
export async function forwardMessage(
  message: ReceivedMessage,
  deps: ForwarderDeps,
  batch: BatchState,
): Promise<ForwardOutcome> {
  const earlier = batch.inFlight.get(message.key);
  const run = (async () => {
    const earlierOutcome = earlier ? await earlier.catch(() => 'failed' as const) : undefined;
    return forwardOnce(message, deps, batch, earlierOutcome);
  })();
  batch.inFlight.set(message.key, run);
  return run;
}

async function forwardOnce(
  message: ReceivedMessage,
  deps: ForwarderDeps,
  batch: BatchState,
  earlierOutcome: ForwardOutcome | 'failed' | undefined,
): Promise<ForwardOutcome> {
  const { envelope } = message;
  const receiveCount = await receivesAsAttempts(message, deps);
  const number = envelope.priorAttempts + receiveCount;
  const fingerprint = fingerprintOf(envelope);
  const admission = await takeLease(message, fingerprint, deps, earlierOutcome);
  if (admission.kind === 'unknown') return notAttempted(message, admission.reason, receiveCount, deps);
  if (admission.kind === 'leased') return waitForLease(message, admission.until, deps);
  if (admission.kind !== 'attempt') return settleRefusal(message, admission, number, deps);

  const attempt = await attemptDelivery(envelope, number, deps);
  // A secret the request needs, or a large body, is unreadable: wait for it (the reason names it).
  if (attempt.kind === 'not-attempted') return notAttempted(message, attempt.reason, receiveCount, deps);
  const settling: Settling = {
    message,
    fingerprint,
    receiveCount,
    stored: admission.stored,
    holder: admission.holder,
  };
  if (attempt.kind === 'refused') return deadLetterUnsendable(settling, number, attempt.reason, deps);
  await batch.onAttempt?.(attempt.durationMs, attempt.response);
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
