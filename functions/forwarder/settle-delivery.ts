import type { DeadLetterInfo, MessageEnvelope } from '../../shared/envelope.js';
import { describeError, RetryableDeliveryError } from '../../shared/errors.js';
import { LOG_EVENT } from '../../shared/log-events.js';
import {
  type AttemptEntry,
  MAX_ATTEMPTS_WITH_RESPONSE,
  type StoredMessageRecord,
} from '../../shared/message-record.js';
import type { AttemptUpdate } from '../../shared/ports.js';
import type { Attempted } from './attempt-delivery.js';
import { backoffSeconds, visibilityLeftSeconds } from './backoff.js';
import type { Verdict } from './classify-response.js';
import type { ForwarderDeps, ForwardOutcome } from './forwarder-deps.js';
import type { ReceivedMessage } from './received-message.js';

/**
 * Settling a delivery: what follows an attempt's verdict. Delivered: the status record says so.
 * Non-retryable, or the last attempt: dead-lettered with the reason. Otherwise hidden for the backoff
 * and reported failed, so SQS offers it again.
 */

/** What settling knows of the message besides the attempt. */
export interface Settling {
  readonly message: ReceivedMessage;
  /** The body's fingerprint (message-record.ts), computed once. */
  readonly fingerprint: string;
  /** Attempts on this queue so far, this receive's included (received-message.ts). */
  readonly receiveCount: number;
  /** The status record as the delivery lease returned it, before the attempt. */
  readonly stored?: StoredMessageRecord;
  /** The lease's holder (delivery-lease.ts): the result write ends the lease. */
  readonly holder?: string;
}

/**
 * Settles an attempt. Resolves when the record may be deleted from the queue (delivered, or safely in
 * the DLQ); throws {@link RetryableDeliveryError} after hiding the message for the backoff delay.
 */
export async function settleDelivery(
  settling: Settling,
  attempt: Attempted,
  deps: ForwarderDeps,
): Promise<ForwardOutcome> {
  const { settings, logger } = deps;
  const { message, receiveCount, stored } = settling;
  const { envelope } = message;
  const { verdict } = attempt;
  const context = { messageId: envelope.id, route: envelope.route, attempt: attempt.number };
  const update = {
    envelope,
    fingerprint: settling.fingerprint,
    entry: attemptEntry(attempt),
    // The record said dead-lettered: this copy is the redrive, and its dead letter the one redriven.
    ...(stored?.state === 'dead-lettered'
      ? { redriven: true, ...(envelope.deadLetteredAt ? { redriveOf: envelope.deadLetteredAt } : {}) }
      : {}),
    ...(settling.holder === undefined ? {} : { holder: settling.holder }),
  };

  if (verdict.kind === 'delivered') {
    const written = await recordBestEffort({ ...update, outcome: { kind: 'delivered' } }, deps);
    if (written === 'conflict') {
      // Another copy was recorded delivered first: only when this attempt outlived its lease (a
      // stalled run) or another copy's holder died between its POST and its result write.
      logger.warn('delivered twice at the same moment: another copy was recorded first', {
        event: LOG_EVENT.DELIVERED_CONCURRENTLY,
        ...context,
      });
    }
    logger.info('delivered', {
      event: LOG_EVENT.DELIVERED,
      ...context,
      status: verdict.status,
      durationMs: attempt.durationMs,
      ...(settings.logPayloads ? { body: envelope.body } : {}),
    });
    return 'delivered';
  }
  if (verdict.kind === 'non-retryable' || receiveCount >= settings.maxAttempts) {
    const reason =
      verdict.kind === 'non-retryable'
        ? verdict.reason
        : `gave up after ${settings.maxAttempts} attempts; last: ${verdict.reason}`;
    await deadLetter(envelope, { reason, attempts: attempt.number, lastStatus: verdict.status }, deps);
    await recordBestEffort({ ...update, outcome: { kind: 'dead-lettered', reason } }, deps);
    return 'dead-lettered';
  }
  return retryLater(message, verdict, receiveCount, deps, update);
}

/** The attempt as the status record lists it. */
function attemptEntry(attempt: Attempted): AttemptEntry {
  const { number, started, durationMs, response } = attempt;
  if (response.kind === 'no-answer') {
    return { attempt: number, at: started.toISOString(), durationMs, error: response.error };
  }
  const keepBody =
    response.body !== undefined && response.body !== '' && number <= MAX_ATTEMPTS_WITH_RESPONSE;
  return {
    attempt: number,
    at: started.toISOString(),
    durationMs,
    status: response.status,
    ...(keepBody ? { response: response.body } : {}),
  };
}

/**
 * A delivery that could not even be tried (its status record or a secret unreadable): retried like
 * a failed attempt, dead-lettered with the reason once the attempts are used up.
 */
export async function notAttempted(
  message: ReceivedMessage,
  reason: string,
  receiveCount: number,
  deps: ForwarderDeps,
): Promise<ForwardOutcome> {
  const { maxAttempts } = deps.settings;
  if (receiveCount < maxAttempts) {
    return retryLater(message, { kind: 'retryable', reason }, receiveCount, deps);
  }
  const { envelope } = message;
  const gaveUp = `gave up after ${maxAttempts} attempts; last: ${reason}`;
  await deadLetter(envelope, { reason: gaveUp, attempts: envelope.priorAttempts + receiveCount }, deps);
  return 'dead-lettered';
}

/** Hides the message for the backoff, records the failed attempt, and throws so the batch retries it. */
async function retryLater(
  message: ReceivedMessage,
  failure: Extract<Verdict, { kind: 'retryable' }>,
  receiveCount: number,
  deps: ForwarderDeps,
  update?: Omit<AttemptUpdate, 'outcome'>,
): Promise<never> {
  const { envelope, record } = message;
  const context = {
    messageId: envelope.id,
    route: envelope.route,
    attempt: envelope.priorAttempts + receiveCount,
  };
  // SQS counts 12 hours of visibility from the receive: a delay past what is left would be refused.
  const now = deps.clock.now();
  const delay = Math.min(
    backoffSeconds(receiveCount, deps.settings.retry, failure.retryAfterSeconds),
    visibilityLeftSeconds(message.receivedAt, now),
  );
  if (update) {
    const nextAttemptAt = new Date(now.getTime() + delay * 1000).toISOString();
    await recordBestEffort({ ...update, outcome: { kind: 'retrying', nextAttemptAt } }, deps);
  }
  try {
    await deps.queue.delayRedelivery(record.receiptHandle, delay);
  } catch (error) {
    // Not fatal: the queue's own visibility timeout still brings the message back, only later.
    deps.logger.warn('could not set the retry delay; the queue visibility timeout applies', {
      event: LOG_EVENT.RETRY_DELAY_NOT_SET,
      ...context,
      error: describeError(error),
    });
  }
  deps.logger.warn('attempt failed, will retry', {
    event: LOG_EVENT.ATTEMPT_FAILED,
    ...context,
    reason: failure.reason,
    retryInSeconds: delay,
  });
  throw new RetryableDeliveryError(failure.reason, delay);
}

/** Writes the attempt to the status record; a failed write is logged, never fatal to the message. */
async function recordBestEffort(
  update: AttemptUpdate,
  deps: ForwarderDeps,
): Promise<'recorded' | 'conflict' | undefined> {
  try {
    return await deps.records.recordAttempt(update);
  } catch (error) {
    deps.logger.warn('status record not updated; the message goes on without it', {
      event: LOG_EVENT.RECORD_NOT_WRITTEN,
      messageId: update.envelope.id,
      route: update.envelope.route,
      attempt: update.entry.attempt,
      outcome: update.outcome.kind,
      error: describeError(error),
    });
    return undefined;
  }
}

/** Dead-letters with the reason as attributes; throws (so the record is retried) if the DLQ write fails. */
export async function deadLetter(
  envelope: MessageEnvelope,
  info: DeadLetterInfo,
  deps: ForwarderDeps,
): Promise<void> {
  await deps.deadLetters.send(envelope, info);
  deps.logger.error('dead-lettered', {
    event: LOG_EVENT.DEAD_LETTERED,
    messageId: envelope.id,
    route: envelope.route,
    attempt: info.attempts,
    reason: info.reason,
  });
}
