import type { MessageEnvelope } from '../../shared/envelope.js';
import type { SigningKeys } from '../../shared/signing/signing-keys.js';
import { webhookHeaders } from '../../shared/signing/webhook-signature.js';
import { attemptTraceHeaders } from '../../shared/trace-context.js';

/**
 * The headers of one delivery attempt: the documented ones, this attempt's span of the message's
 * trace and, on a signed route, Standard Webhooks headers signed at `now` over the body as sent,
 * so a retry hours later carries a fresh timestamp. Throws `SigningSecretUnavailableError` when the
 * route's secret cannot be read: the caller retries rather than send an unsigned delivery.
 */
export async function attemptHeaders(
  envelope: MessageEnvelope,
  attempt: number,
  now: Date,
  signing: SigningKeys | undefined,
): Promise<Record<string, string>> {
  const headers: Record<string, string> = {
    'content-type': envelope.contentType,
    'idempotency-key': envelope.id,
    'x-message-id': envelope.id,
    'x-delivery-attempt': String(attempt),
    ...attemptTraceHeaders(envelope.id, envelope),
  };
  if (!signing) return headers;
  const secrets = await signing.activeSecrets(now);
  return {
    ...headers,
    ...webhookHeaders(secrets, envelope.id, Math.floor(now.getTime() / 1000), envelope.body),
  };
}
