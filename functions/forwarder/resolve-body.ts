import { describeError } from '../../shared/errors.js';
import { LOG_EVENT } from '../../shared/log-events.js';
import type { ForwarderDeps, ForwardOutcome } from './forwarder-deps.js';
import { deadLetter, type Settling } from './settle-delivery.js';

/**
 * A message whose body cannot be sent (`refused`): dead-lettered with the reason, and the reason in
 * its status record as the attempt's error. Throws, like any dead-lettering, if the DLQ write fails.
 */
export async function deadLetterUnsendable(
  settling: Settling,
  number: number,
  reason: string,
  deps: ForwarderDeps,
): Promise<ForwardOutcome> {
  const { envelope } = settling.message;
  deps.logger.error('large body refused; not sent', {
    event: LOG_EVENT.PAYLOAD_REFUSED,
    messageId: envelope.id,
    route: envelope.route,
    attempt: number,
    reason,
  });
  await deadLetter(envelope, { reason, attempts: number }, deps);
  try {
    await deps.records.recordAttempt({
      envelope,
      fingerprint: settling.fingerprint,
      entry: { attempt: number, at: deps.clock.now().toISOString(), durationMs: 0, error: reason },
      outcome: { kind: 'dead-lettered', reason },
      ...(settling.stored?.state === 'dead-lettered' ? { redriven: true } : {}),
      // The result write ends the delivery lease (delivery-lease.ts).
      ...(settling.holder === undefined ? {} : { holder: settling.holder }),
    });
  } catch (error) {
    // The dead letter carries the reason too; a record not written is not fatal to the message.
    deps.logger.warn('status record not updated; the message goes on without it', {
      event: LOG_EVENT.RECORD_NOT_WRITTEN,
      messageId: envelope.id,
      route: envelope.route,
      error: describeError(error),
    });
  }
  return 'dead-lettered';
}
