import { describeError, RetryableDeliveryError } from '../../shared/errors.js';
import { LOG_EVENT } from '../../shared/log-events.js';
import type { StoredMessageRecord } from '../../shared/message-record.js';
import { FORWARDER_MARGIN_SECONDS } from '../../shared/queues.js';
import { putBack } from './circuit-breaker.js';
import type { ForwarderDeps, ForwardOutcome } from './forwarder-deps.js';
import type { ReceivedMessage } from './received-message.js';

/**
 * The delivery lease: before it sends, the forwarder takes the message's status record with one
 * conditional write (shared/aws/dynamodb-message-records.ts), which also returns the record, so
 * it is the idempotency read as well. Two copies of one id received at the same moment cannot both
 * hold it: the second is put back until the lease ends, and by then the record says delivered
 * (the copy is dropped) or the first copy is waiting out its backoff (the second one may try).
 */

/**
 * How long a lease lasts: one attempt's timeout plus the margin the forwarder's function timeout
 * leaves for the calls around it (shared/queues.ts). The lease is taken just before its attempt, so
 * it outlives the attempt, and a holder that stalls longer than that is past its function's timeout
 * on an unordered route; the queue's visibility timeout (six function timeouts) brings a killed
 * holder's message back after the lease has ended.
 */
export function leaseSeconds(settings: { readonly timeoutSeconds: number }): number {
  return settings.timeoutSeconds + FORWARDER_MARGIN_SECONDS;
}

/** What the lease found: whether to attempt the message, and if not, why. */
export type Admission =
  /** Attempt it under the lease; `stored` is the record as the lease left it. */
  | { readonly kind: 'attempt'; readonly stored: StoredMessageRecord; readonly holder: string }
  /** The id was delivered before (`deliveredAt`): this copy is a duplicate. */
  | { readonly kind: 'delivered-before'; readonly deliveredAt: string }
  /**
   * The id has its dead letter (`deadLetteredAt`), and this copy is not its redrive: a second copy
   * of a dead-lettered id, or a redriven copy of an older dead letter of it. A duplicate.
   */
  | { readonly kind: 'dead-lettered-before'; readonly deadLetteredAt: string }
  /** The id's record belongs to another body. */
  | { readonly kind: 'key-reused'; readonly stored: StoredMessageRecord }
  /** Another copy holds the lease until `until` (ISO 8601): it is being attempted now. */
  | { readonly kind: 'leased'; readonly until: string }
  /** The record could not be leased nor read: delivering blind could deliver the id twice. */
  | { readonly kind: 'unknown'; readonly reason: string };

/**
 * Takes the delivery lease of a received copy (`earlier`: how a copy of the same id earlier in this
 * batch ended, when there was one: no write is needed to know it was delivered).
 */
export async function takeLease(
  message: ReceivedMessage,
  fingerprint: string,
  deps: Pick<ForwarderDeps, 'records' | 'clock' | 'settings' | 'logger'>,
  earlier?: ForwardOutcome | 'failed',
): Promise<Admission> {
  const now = deps.clock.now();
  const until = new Date(now.getTime() + leaseSeconds(deps.settings) * 1000);
  if (earlier === 'delivered' || earlier === 'duplicate') {
    return { kind: 'delivered-before', deliveredAt: 'in this batch' };
  }
  // The earlier copy was just attempted and failed: this one waits too instead of trying at once.
  if (earlier === 'failed' || earlier === 'put-back') return { kind: 'leased', until: until.toISOString() };
  const holder = message.record.messageId;
  let result: Awaited<ReturnType<ForwarderDeps['records']['lease']>>;
  try {
    result = await deps.records.lease({ envelope: message.envelope, fingerprint, holder, now, until });
  } catch (error) {
    return { kind: 'unknown', reason: `status record unavailable: ${describeError(error)}` };
  }
  const { record } = result;
  if (result.kind === 'leased') {
    if (!isOlderRedrive(message, record)) return { kind: 'attempt', stored: record, holder };
    // Not to be attempted after all: the lease goes at once, so other copies need not wait for it
    // (if it cannot, it ends by itself).
    try {
      await deps.records.endLease(message.envelope, holder);
    } catch (error) {
      deps.logger.warn('delivery lease not ended; it ends by itself', {
        messageId: message.envelope.id,
        route: message.envelope.route,
        error: describeError(error),
      });
    }
    return { kind: 'dead-lettered-before', deadLetteredAt: message.envelope.deadLetteredAt ?? '' };
  }
  if (record.fingerprint !== undefined && record.fingerprint !== fingerprint) {
    return { kind: 'key-reused', stored: record };
  }
  if (record.deliveredAt !== undefined) return { kind: 'delivered-before', deliveredAt: record.deliveredAt };
  if (
    record.leaseUntil !== undefined &&
    record.leaseHolder !== holder &&
    record.leaseUntil > now.toISOString()
  ) {
    return { kind: 'leased', until: record.leaseUntil };
  }
  if (record.state === 'dead-lettered' && message.envelope.deadLetteredAt === undefined) {
    return { kind: 'dead-lettered-before', deadLetteredAt: record.deadLetteredAt ?? 'before' };
  }
  // Refused for a reason gone by the time the record was returned (a lease that ended in between).
  return { kind: 'unknown', reason: 'the delivery lease was refused by a record that has since changed' };
}

/**
 * A redriven copy whose dead letter is not the id's latest: another redriven copy of the id (from
 * the dead letter the record names in `redriveOf`) was attempted after this copy was dead-lettered.
 * Its own attempts come after its mark too, but its mark is then the record's `redriveOf`. Records
 * written before `redriveOf` existed name none, and their redrives are attempted as they were.
 */
function isOlderRedrive(message: ReceivedMessage, record: StoredMessageRecord): boolean {
  const mark = message.envelope.deadLetteredAt;
  if (mark === undefined || record.redriveOf === undefined || record.redriveOf === mark) return false;
  return (record.attempts ?? []).some((attempt) => attempt.at > mark);
}

/**
 * A copy that found another copy attempting its id: put back, untried, until the lease ends (a
 * fresh copy carrying its attempts, see putBack, and the received one deleted), then it is dropped
 * if the other copy delivered. On an ordered route a copy cannot be sent to the back of its
 * group: it is hidden for that long and reported failed, so the rest of its group waits behind it
 * (fifo-batch.ts), and the receive is noted as skipped so it is not counted as an attempt.
 */
export async function waitForLease(
  message: ReceivedMessage,
  until: string,
  deps: ForwarderDeps,
): Promise<ForwardOutcome> {
  const { envelope, record } = message;
  const seconds = Math.max(1, Math.ceil((Date.parse(until) - deps.clock.now().getTime()) / 1000));
  deps.logger.info('another copy holds the delivery lease: put back untried', {
    event: LOG_EVENT.COPY_PUT_BACK,
    messageId: envelope.id,
    route: envelope.route,
    leaseUntil: until,
    retryInSeconds: seconds,
  });
  const reason = `another copy of ${envelope.id} is being delivered (lease until ${until})`;
  if (record.attributes.MessageGroupId === undefined) {
    try {
      await putBack(message, deps, seconds);
      return 'put-back';
    } catch (error) {
      // It stays as received: hidden as long instead, this receive counted.
      deps.logger.warn('could not put the copy back; it is hidden until the lease ends', {
        event: LOG_EVENT.RETRY_DELAY_NOT_SET,
        messageId: envelope.id,
        route: envelope.route,
        error: describeError(error),
      });
    }
  } else {
    await deps.skips?.recordSkips(envelope.route, [envelope.id]);
  }
  await deps.queue.delayRedelivery(record.receiptHandle, seconds);
  throw new RetryableDeliveryError(reason, seconds);
}
