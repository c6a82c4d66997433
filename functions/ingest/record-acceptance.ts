import type { Logger } from '@aws-lambda-powertools/logger';
import type { MessageEnvelope } from '../../shared/envelope.js';
import { describeError } from '../../shared/errors.js';
import type { MessageRecords } from '../../shared/ports.js';

/**
 * What the status record said about a message being accepted: `created` (a new message),
 * `same-message` (the id is taken by the same body: a client retry), `key-reused` (taken by another
 * body: answer 409), or `unrecorded` (the write failed; the message is still accepted, see below).
 */
export type AcceptanceRecord = 'created' | 'same-message' | 'key-reused' | 'unrecorded';

/**
 * Claims the status record of a message being accepted: one conditional PutItem, before the message
 * is stored, so a body refused for a reused key is never stored. Never throws: a failed record write
 * must not lose or block a message, so it only costs the lookup (until the forwarder's first attempt
 * writes the record) and the key-reuse check for this message.
 */
export async function recordAcceptance(
  envelope: MessageEnvelope,
  fingerprint: string,
  records: MessageRecords,
  logger: Logger,
): Promise<AcceptanceRecord> {
  try {
    const claim = await records.claim(envelope, fingerprint);
    return claim.kind;
  } catch (error) {
    logger.warn('status record not written; the message is accepted without it', {
      messageId: envelope.id,
      route: envelope.route,
      error: describeError(error),
    });
    return 'unrecorded';
  }
}
