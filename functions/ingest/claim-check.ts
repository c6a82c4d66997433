import type { MessageEnvelope } from '../../shared/envelope.js';
import { describeError } from '../../shared/errors.js';
import { LOG_EVENT } from '../../shared/log-events.js';
import {
  CLAIM_CHECK_THRESHOLD_BYTES,
  type PayloadReference,
  payloadKey,
  referenceBody,
  sha256Hex,
} from '../../shared/payloads.js';
import type { IngestDeps } from './accept-message.js';

/** The answer's words for a message whose body the payload bucket did not take. */
export const PAYLOAD_NOT_STORED_ERROR =
  'message not accepted: its body could not be written to the payload bucket; retry with the same Idempotency-Key';

/**
 * The claim check (shared/payloads.ts): a body over the threshold is written to the payload bucket,
 * exactly as received, before anything else is stored, and the envelope to store carries its
 * reference instead. Resolves to the envelope to store (the same one for a smaller body), or
 * undefined when S3 did not acknowledge the write: the caller answers 503 and stores nothing, so no
 * message is ever stored without its body.
 *
 * An object whose message is then not stored (its key reused with another body, 409; neither store
 * available, 503) refers to nothing: the client's retry of the same body writes the same key again,
 * and the bucket's lifecycle rule deletes it otherwise.
 */
export async function checkLargeBody(
  envelope: MessageEnvelope,
  deps: Pick<IngestDeps, 'payloads' | 'logger'>,
): Promise<MessageEnvelope | undefined> {
  const size = Buffer.byteLength(envelope.body);
  // Without a bucket the route's limit is the threshold (ingest-config.ts): nothing larger gets here.
  if (size <= CLAIM_CHECK_THRESHOLD_BYTES || !deps.payloads) return envelope;
  const sha256 = sha256Hex(envelope.body);
  const reference: PayloadReference = { key: payloadKey(envelope.route, envelope.id, sha256), size, sha256 };
  try {
    await deps.payloads.put(reference, envelope.body, envelope.contentType);
  } catch (error) {
    deps.logger.error('body not written to the payload bucket; answering 503', {
      event: LOG_EVENT.PAYLOAD_NOT_WRITTEN,
      messageId: envelope.id,
      route: envelope.route,
      bytes: size,
      error: describeError(error),
    });
    return undefined;
  }
  return { ...envelope, body: referenceBody(reference) };
}
