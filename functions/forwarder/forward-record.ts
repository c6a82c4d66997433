import { performance } from 'node:perf_hooks';
import type { Logger } from '@aws-lambda-powertools/logger';
import type { SQSRecord } from 'aws-lambda';
import type { BreakerSettings } from '../../shared/circuit-breaker.js';
import type { HeaderValue } from '../../shared/config/header-value.js';
import { type DeadLetterInfo, fromSqsRecord, type MessageEnvelope } from '../../shared/envelope.js';
import { describeError, RetryableDeliveryError, SecretUnavailableError } from '../../shared/errors.js';
import { LOG_EVENT } from '../../shared/log-events.js';
import {
  type AttemptEntry,
  fingerprintOf,
  MAX_ATTEMPTS_WITH_RESPONSE,
  type StoredMessageRecord,
} from '../../shared/message-record.js';
import {
  type AttemptUpdate,
  type Backend,
  type BreakerStore,
  type Clock,
  type DeliveryResponse,
  type DeliverySwitch,
  type MessageQueue,
  type MessageRecords,
  type ProbeSource,
  recordKeyOf,
  type SkipLedger,
} from '../../shared/ports.js';
import type { SigningKeys } from '../../shared/signing/signing-keys.js';
import { attemptHeaders } from './attempt-headers.js';
import { backoffSeconds, type RetryPolicy } from './backoff.js';
import { classifyResponse, type Verdict } from './classify-response.js';
import { resolveHeaders, type SecretReader } from './route-headers.js';

/** The route settings the forwarder acts on. */
export interface ForwarderSettings {
  readonly route: string;
  readonly targetUrl: string;
  readonly timeoutSeconds: number;
  readonly maxAttempts: number;
  readonly retry: RetryPolicy;
  readonly nonRetryableStatuses: ReadonlySet<number>;
  readonly logPayloads?: boolean;
  /** The route's static headers (e.g. Authorization): text or secret references; sent on every attempt, never logged. */
  readonly headers?: Readonly<Record<string, HeaderValue>>;
  /** The route's circuit breaker (circuit-breaker.ts); absent = off. */
  readonly breaker?: BreakerSettings;
}

/** The forwarder's ports: both queues, the backend, the status records, a logger, a clock and its settings. */
export interface ForwarderDeps {
  readonly queue: MessageQueue;
  readonly deadLetters: MessageQueue;
  readonly backend: Backend;
  /** Status records: read once per batch (idempotency), written once per attempt. */
  readonly records: MessageRecords;
  readonly logger: Logger;
  readonly clock: Clock;
  readonly settings: ForwarderSettings;
  /** The route's signing secrets; absent for an unsigned route. */
  readonly signing?: SigningKeys;
  /** Reads the secrets that header values reference; absent when none does. */
  readonly secrets?: SecretReader;
  /** On an ordered (FIFO) route: receives in which a record was skipped, not attempted. */
  readonly skips?: SkipLedger;
  /**
   * With `settings.breaker`: where the breaker's state is kept, the switch that stops and starts the
   * route's deliveries, and the queue its probe takes one message from.
   */
  readonly breaker?: {
    readonly store: BreakerStore;
    readonly deliveries: DeliverySwitch;
    readonly source: ProbeSource;
  };
}

/**
 * The attempts a record has had in this queue, this receive's included: those of the copies it
 * replaced (`queueAttempts`, when it was put back while a breaker was open) plus its receives, less
 * those in which it was skipped behind a failed record of its FIFO group (fifo-batch.ts). A first
 * receive was never skipped, so the common case costs no read.
 */
export async function receivesAsAttempts(record: SQSRecord, envelope: MessageEnvelope, deps: ForwarderDeps) {
  const carried = envelope.queueAttempts ?? 0;
  const receiveCount = Math.max(1, Number(record.attributes.ApproximateReceiveCount) || 1);
  if (receiveCount === 1 || !deps.skips || record.attributes.MessageGroupId === undefined)
    return carried + receiveCount;
  return carried + Math.max(1, receiveCount - (await deps.skips.skipsOf(envelope.route, envelope.id)));
}

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
   * breaker's failure count); awaited before the record's outcome is settled.
   */
  readonly onAttempt?: (durationMs: number, response: DeliveryResponse) => void | Promise<void>;
  /**
   * A circuit breaker's probe: a failed attempt is not counted (no backoff, no record of it, never
   * dead-lettered for it); the record is returned `not-delivered` for the probe to put back.
   */
  readonly probe?: boolean;
}

/**
 * What became of one record. `discarded`: a copy of a reused key's other body, answered 409 at
 * ingest. `not-delivered`: a probe's attempt failed; the record is the probe's to put back.
 */
export type ForwardOutcome = 'delivered' | 'duplicate' | 'dead-lettered' | 'discarded' | 'not-delivered';

/** Reads the records of a batch's messages in one BatchGetItem; a failure is reported, not thrown. */
export async function readBatchRecords(
  envelopes: readonly MessageEnvelope[],
  records: MessageRecords,
): Promise<BatchRecords> {
  try {
    const found = await records.getMany(envelopes.map((e) => ({ route: e.route, messageId: e.id })));
    return { kind: 'read', records: found };
  } catch (error) {
    return { kind: 'unavailable', error: describeError(error) };
  }
}

/** A fresh batch state for one invocation. */
export function newBatchState(
  records: BatchRecords,
  onAttempt?: BatchState['onAttempt'],
  probe = false,
): BatchState {
  return { records, inFlight: new Map(), ...(onAttempt ? { onAttempt } : {}), ...(probe ? { probe } : {}) };
}

/**
 * Forwards one SQS record. Resolves when the record may be deleted from the queue (delivered,
 * already delivered, discarded, or safely in the DLQ); throws {@link RetryableDeliveryError} after
 * hiding the message for the backoff delay, so the batch reports it as a failure and SQS offers it
 * again. A second copy of a message in the same batch waits for the first one's outcome.
 */
export async function forwardRecord(
  record: SQSRecord,
  deps: ForwarderDeps,
  batch: BatchState,
): Promise<ForwardOutcome> {
  const envelope = fromSqsRecord(record, deps.settings.route);
  const key = recordKeyOf({ route: envelope.route, messageId: envelope.id });
  const earlier = batch.inFlight.get(key);
  const run = (async () => {
    const earlierOutcome = earlier ? await earlier.catch(() => undefined) : undefined;
    return forwardEnvelope(record, envelope, deps, batch, earlierOutcome);
  })();
  batch.inFlight.set(key, run);
  return run;
}

async function forwardEnvelope(
  record: SQSRecord,
  envelope: MessageEnvelope,
  deps: ForwarderDeps,
  batch: BatchState,
  earlierOutcome: ForwardOutcome | undefined,
): Promise<ForwardOutcome> {
  const { settings, logger } = deps;
  const receiveCount = await receivesAsAttempts(record, envelope, deps);
  const attempt = envelope.priorAttempts + receiveCount;
  const context = { messageId: envelope.id, route: envelope.route, attempt };

  if (batch.records.kind === 'unavailable') {
    // Delivering without knowing whether the id was delivered could deliver it twice: wait instead.
    if (batch.probe) return 'not-delivered';
    return notAttempted(record, envelope, `status record unavailable: ${batch.records.error}`, deps);
  }
  const fingerprint = fingerprintOf(envelope);
  const stored = batch.records.records.get(recordKeyOf({ route: envelope.route, messageId: envelope.id }));
  if (stored && stored.fingerprint !== fingerprint)
    return keyReusedCopy(envelope, fingerprint, stored, attempt, deps);
  if (earlierOutcome === 'delivered' || earlierOutcome === 'duplicate') {
    logger.info('duplicate suppressed: already delivered', {
      event: LOG_EVENT.DUPLICATE_SUPPRESSED,
      ...context,
      deliveredAt: 'in this batch',
    });
    return 'duplicate';
  }
  if (stored?.deliveredAt !== undefined) {
    logger.info('duplicate suppressed: already delivered', {
      event: LOG_EVENT.DUPLICATE_SUPPRESSED,
      ...context,
      deliveredAt: stored.deliveredAt,
    });
    return 'duplicate';
  }

  const started = deps.clock.now();
  let headers: Record<string, string>;
  try {
    const staticHeaders = await resolveHeaders(settings.headers, deps.secrets);
    headers = await attemptHeaders(envelope, attempt, started, deps.signing, staticHeaders);
  } catch (error) {
    // A signed route never sends unsigned, nor a route without a header it names: wait for the
    // secret (the reason names it, not its value).
    if (error instanceof SecretUnavailableError)
      return batch.probe ? 'not-delivered' : notAttempted(record, envelope, error.message, deps);
    throw error;
  }
  const t0 = performance.now();
  const response = await deps.backend.post({
    url: settings.targetUrl,
    body: envelope.body,
    timeoutMs: settings.timeoutSeconds * 1000,
    headers,
  });
  const durationMs = Math.round(performance.now() - t0);
  await batch.onAttempt?.(durationMs, response);
  const verdict = classifyResponse(response, settings.nonRetryableStatuses);
  if (batch.probe && verdict.kind === 'retryable') return 'not-delivered';
  const update = {
    envelope,
    fingerprint,
    entry: attemptEntry(attempt, started, durationMs, response),
    ...(stored?.state === 'dead-lettered' ? { redriven: true } : {}),
  };

  if (verdict.kind === 'delivered') {
    const written = await recordBestEffort({ ...update, outcome: { kind: 'delivered' } }, deps);
    if (written === 'conflict') {
      // Another copy was delivered at the very same moment (both read "not delivered").
      logger.warn('delivered twice at the same moment: another copy was recorded first', {
        event: LOG_EVENT.DELIVERED_CONCURRENTLY,
        ...context,
      });
    }
    logger.info('delivered', {
      event: LOG_EVENT.DELIVERED,
      ...context,
      status: verdict.status,
      durationMs,
      ...(settings.logPayloads ? { body: envelope.body } : {}),
    });
    return 'delivered';
  }
  if (verdict.kind === 'non-retryable' || receiveCount >= settings.maxAttempts) {
    const reason =
      verdict.kind === 'non-retryable'
        ? verdict.reason
        : `gave up after ${settings.maxAttempts} attempts; last: ${verdict.reason}`;
    await deadLetter(envelope, { reason, attempts: attempt, lastStatus: verdict.status }, deps);
    await recordBestEffort({ ...update, outcome: { kind: 'dead-lettered', reason } }, deps);
    return 'dead-lettered';
  }
  return retryLater(record, envelope, verdict, receiveCount, deps, update);
}

/** The attempt as the status record lists it. */
function attemptEntry(
  attempt: number,
  started: Date,
  durationMs: number,
  response: DeliveryResponse,
): AttemptEntry {
  if (response.kind === 'no-answer') {
    return { attempt, at: started.toISOString(), durationMs, error: response.error };
  }
  const keepBody =
    response.body !== undefined && response.body !== '' && attempt <= MAX_ATTEMPTS_WITH_RESPONSE;
  return {
    attempt,
    at: started.toISOString(),
    durationMs,
    status: response.status,
    ...(keepBody ? { response: response.body } : {}),
  };
}

/**
 * A copy whose body differs from the one that holds its id's record. When the ingest refused it with
 * 409, it noted the fingerprint on the record: the copy (queued alongside that refused record write)
 * is dropped. Otherwise the copy was answered 202 while its own record could not be written, and the
 * key was then taken by another body: it is dead-lettered with the reason, never dropped silently.
 */
async function keyReusedCopy(
  envelope: MessageEnvelope,
  fingerprint: string,
  stored: StoredMessageRecord,
  attempt: number,
  deps: ForwarderDeps,
): Promise<ForwardOutcome> {
  const context = { messageId: envelope.id, route: envelope.route, attempt };
  if (stored.refusedFingerprints?.has(fingerprint)) {
    deps.logger.warn('discarded: Idempotency-Key reused with another body (answered 409)', {
      event: LOG_EVENT.KEY_REUSE_DISCARDED,
      ...context,
      recordAcceptedAt: stored.acceptedAt,
    });
    return 'discarded';
  }
  const reason = `Idempotency-Key reused with another body: the id's record belongs to a message accepted at ${stored.acceptedAt}, and this copy was not refused at ingest (its own record could not be written then)`;
  await deadLetter(envelope, { reason, attempts: envelope.priorAttempts }, deps);
  return 'dead-lettered';
}

/**
 * A delivery that could not even be tried (its status record or its signing secret unreadable):
 * retried like a failed attempt, dead-lettered with the reason once the attempts are used up.
 */
async function notAttempted(
  record: SQSRecord,
  envelope: MessageEnvelope,
  reason: string,
  deps: ForwarderDeps,
): Promise<ForwardOutcome> {
  const { maxAttempts } = deps.settings;
  const receiveCount = await receivesAsAttempts(record, envelope, deps).catch(() =>
    Math.max(1, Number(record.attributes.ApproximateReceiveCount) || 1),
  );
  if (receiveCount < maxAttempts) {
    return retryLater(record, envelope, { kind: 'retryable', reason }, receiveCount, deps);
  }
  const gaveUp = `gave up after ${maxAttempts} attempts; last: ${reason}`;
  await deadLetter(envelope, { reason: gaveUp, attempts: envelope.priorAttempts + receiveCount }, deps);
  return 'dead-lettered';
}

/** Hides the message for the backoff, records the failed attempt, and throws so the batch retries it. */
async function retryLater(
  record: SQSRecord,
  envelope: MessageEnvelope,
  failure: Extract<Verdict, { kind: 'retryable' }>,
  receiveCount: number,
  deps: ForwarderDeps,
  update?: Omit<AttemptUpdate, 'outcome'>,
): Promise<never> {
  const context = {
    messageId: envelope.id,
    route: envelope.route,
    attempt: envelope.priorAttempts + receiveCount,
  };
  const delay = backoffSeconds(receiveCount, deps.settings.retry, failure.retryAfterSeconds);
  if (update) {
    const nextAttemptAt = new Date(deps.clock.now().getTime() + delay * 1000).toISOString();
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
