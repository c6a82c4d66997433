import { randomUUID } from 'node:crypto';
import {
  IdempotencyAlreadyInProgressError,
  IdempotencyPersistenceLayerError,
} from '@aws-lambda-powertools/idempotency';
import type { Logger } from '@aws-lambda-powertools/logger';
import type { SQSRecord } from 'aws-lambda';
import { type DeadLetterInfo, fromSqsRecord, type MessageEnvelope } from '../../shared/envelope.js';
import { describeError, GuaranteedDeliveryError, RetryableDeliveryError } from '../../shared/errors.js';
import { LOG_EVENT } from '../../shared/log-events.js';
import type { Backend, MessageQueue } from '../../shared/ports.js';
import { backoffSeconds, type RetryPolicy } from './backoff.js';
import { classifyResponse, type Verdict } from './classify-response.js';

/** The route settings the forwarder acts on. */
export interface ForwarderSettings {
  readonly route: string;
  readonly targetUrl: string;
  readonly timeoutSeconds: number;
  readonly maxAttempts: number;
  readonly retry: RetryPolicy;
  readonly nonRetryableStatuses: ReadonlySet<number>;
  readonly logPayloads?: boolean;
}

/** One delivery, as handed to the idempotent wrapper; `messageId` is its idempotency key. */
export interface DeliveryInput {
  readonly messageId: string;
  readonly envelope: MessageEnvelope;
  readonly attempt: number;
  /** Fresh per call: a result carrying another call's token was replayed from the idempotency store. */
  readonly token: string;
}

/** What a successful delivery records in the idempotency store. */
export interface DeliveryRecord {
  readonly status: number;
  readonly attempt: number;
  readonly deliveredAt: string;
  readonly token: string;
}

/** Delivers at most once per message id (Powertools idempotency in production, see forwarder-config). */
export type DeliverOnce = (input: DeliveryInput) => Promise<DeliveryRecord>;

export interface ForwarderDeps {
  readonly queue: MessageQueue;
  readonly deadLetters: MessageQueue;
  readonly deliverOnce: DeliverOnce;
  readonly logger: Logger;
  readonly settings: ForwarderSettings;
}

/** A backend answer that was not a 2xx, thrown out of the idempotent function so no record is kept. */
export class DeliveryAttemptFailedError extends GuaranteedDeliveryError {
  constructor(readonly verdict: Exclude<Verdict, { kind: 'delivered' }>) {
    super(verdict.reason);
    this.name = 'DeliveryAttemptFailedError';
  }
}

/** The backend call itself: one POST with DESIGN.md's headers. Wrapped by the idempotency layer. */
export function createDeliveryAttempt(backend: Backend, settings: ForwarderSettings) {
  return async (input: DeliveryInput): Promise<DeliveryRecord> => {
    const { envelope, attempt } = input;
    const response = await backend.post({
      url: settings.targetUrl,
      body: envelope.body,
      timeoutMs: settings.timeoutSeconds * 1000,
      headers: {
        'content-type': envelope.contentType,
        'idempotency-key': envelope.id,
        'x-message-id': envelope.id,
        'x-delivery-attempt': String(attempt),
      },
    });
    const verdict = classifyResponse(response, settings.nonRetryableStatuses);
    if (verdict.kind !== 'delivered') throw new DeliveryAttemptFailedError(verdict);
    return { status: verdict.status, attempt, deliveredAt: new Date().toISOString(), token: input.token };
  };
}

/** What became of one record. */
export type ForwardOutcome = 'delivered' | 'duplicate' | 'dead-lettered';

/**
 * Forwards one SQS record. Resolves when the record may be deleted from the queue (delivered,
 * already delivered, or safely in the DLQ); throws {@link RetryableDeliveryError} after hiding the
 * message for the backoff delay, so the batch reports it as a failure and SQS offers it again.
 */
export async function forwardRecord(record: SQSRecord, deps: ForwarderDeps): Promise<ForwardOutcome> {
  const { settings, logger } = deps;
  const envelope = fromSqsRecord(record, settings.route);
  const receiveCount = Math.max(1, Number(record.attributes.ApproximateReceiveCount) || 1);
  const attempt = envelope.priorAttempts + receiveCount;
  const context = { messageId: envelope.id, route: envelope.route, attempt };

  let failure: Exclude<Verdict, { kind: 'delivered' }>;
  try {
    const token = randomUUID();
    const result = await deps.deliverOnce({ messageId: envelope.id, envelope, attempt, token });
    if (result.token !== token) {
      logger.info('duplicate suppressed: already delivered', {
        event: LOG_EVENT.DUPLICATE_SUPPRESSED,
        ...context,
        deliveredAt: result.deliveredAt,
      });
      return 'duplicate';
    }
    logger.info('delivered', {
      event: LOG_EVENT.DELIVERED,
      ...context,
      status: result.status,
      ...(settings.logPayloads ? { body: envelope.body } : {}),
    });
    return 'delivered';
  } catch (error) {
    failure = toVerdict(error);
  }

  if (failure.kind === 'non-retryable') {
    await deadLetter(
      envelope,
      { reason: failure.reason, attempts: attempt, lastStatus: failure.status },
      deps,
    );
    return 'dead-lettered';
  }
  if (receiveCount >= settings.maxAttempts) {
    const reason = `gave up after ${settings.maxAttempts} attempts; last: ${failure.reason}`;
    await deadLetter(envelope, { reason, attempts: attempt, lastStatus: failure.status }, deps);
    return 'dead-lettered';
  }
  const delay = backoffSeconds(receiveCount, settings.retry, failure.retryAfterSeconds);
  try {
    await deps.queue.delayRedelivery(record.receiptHandle, delay);
  } catch (error) {
    // Not fatal: the queue's own visibility timeout still brings the message back, only later.
    logger.warn('could not set the retry delay; the queue visibility timeout applies', {
      event: LOG_EVENT.RETRY_DELAY_NOT_SET,
      ...context,
      error: describeError(error),
    });
  }
  logger.warn('attempt failed, will retry', {
    event: LOG_EVENT.ATTEMPT_FAILED,
    ...context,
    reason: failure.reason,
    retryInSeconds: delay,
  });
  throw new RetryableDeliveryError(failure.reason, delay);
}

/** Dead-letters with the reason as attributes; throws (so the record is retried) if the DLQ write fails. */
async function deadLetter(
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

/** Maps whatever the idempotent delivery threw onto the verdict rules. */
function toVerdict(error: unknown): Exclude<Verdict, { kind: 'delivered' }> {
  if (error instanceof DeliveryAttemptFailedError) return error.verdict;
  if (error instanceof IdempotencyAlreadyInProgressError) {
    // Another copy of this message (SQS is at-least-once) is being delivered right now.
    return { kind: 'retryable', reason: 'another copy of this message is being delivered right now' };
  }
  if (error instanceof IdempotencyPersistenceLayerError) {
    // Delivering without the record could deliver twice; wait for the store instead.
    return { kind: 'retryable', reason: `idempotency store unavailable: ${describeError(error)}` };
  }
  return { kind: 'retryable', reason: `unexpected error: ${describeError(error)}` };
}
