import type { MessageEnvelope } from '../../shared/envelope.js';
import type { SigningKeys } from '../../shared/signing/signing-keys.js';
import { webhookHeaders } from '../../shared/signing/webhook-signature.js';
import { attemptTraceHeaders } from '../../shared/trace-context.js';

/**
 * The headers of one delivery attempt: the documented ones, this attempt's span of the message's
 * trace and, on a signed route, Standard Webhooks headers signed at `now` over the body as sent,
 * so a retry hours later carries a fresh timestamp. Throws `SigningSecretUnavailableError` when the
 * route's secret cannot be read: the caller retries rather than send an unsigned delivery.
 * The route's static headers (`staticHeaders`) come first and never replace, or in another case
 * join, these: header names are case-insensitive, and fetch would send both values.
 */
export async function attemptHeaders(
  envelope: MessageEnvelope,
  attempt: number,
  now: Date,
  signing: SigningKeys | undefined,
  staticHeaders?: Readonly<Record<string, string>>,
): Promise<Record<string, string>> {
  const headers: Record<string, string> = {
    'content-type': envelope.contentType,
    'idempotency-key': envelope.id,
    'x-message-id': envelope.id,
    'x-delivery-attempt': String(attempt),
    ...attemptTraceHeaders(envelope.id, envelope),
  };
  const signed = signing
    ? {
        ...headers,
        ...webhookHeaders(
          await signing.activeSecrets(now),
          envelope.id,
          Math.floor(now.getTime() / 1000),
          envelope.body,
        ),
      }
    : headers;
  return { ...withoutNames(staticHeaders, signed), ...signed };
}

/** `headers` without those whose name, in any case, is one of `taken`'s (which are lower-case). */
function withoutNames(
  headers: Readonly<Record<string, string>> | undefined,
  taken: Readonly<Record<string, string>>,
): Record<string, string> {
  return Object.fromEntries(
    Object.entries(headers ?? {}).filter(([name]) => !Object.hasOwn(taken, name.toLowerCase())),
  );
}
