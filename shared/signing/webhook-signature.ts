import { createHmac, randomBytes } from 'node:crypto';
import { ConfigurationError } from '../errors.js';

/**
 * Standard Webhooks (v1.0.0) symmetric signatures: HMAC-SHA256 over `{id}.{timestamp}.{body}`,
 * sent as `webhook-signature: v1,<base64>`; several space-separated while a secret is rotated.
 */

/** The request headers a signed delivery carries (the spec's exact lower-case names). */
export const WEBHOOK_HEADER = {
  ID: 'webhook-id',
  TIMESTAMP: 'webhook-timestamp',
  SIGNATURE: 'webhook-signature',
} as const;

/** Prefix of a serialized symmetric secret, so a secret is recognisable wherever it is pasted. */
export const SECRET_PREFIX = 'whsec_';
/** Signature version identifier of HMAC-SHA256 signatures. */
export const SIGNATURE_VERSION = 'v1';
/** The spec asks for at least 24 random bytes (and at most 64); 32 matches SHA-256's block of entropy. */
export const GENERATED_SECRET_BYTES = 32;
const MIN_SECRET_BYTES = 24;
const MAX_SECRET_BYTES = 64;

const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

/**
 * Decodes a `whsec_<base64>` secret into its key bytes. The message never contains the secret
 * itself (only its length), because configuration errors are logged.
 */
export function decodeSecret(secret: string): Buffer {
  if (!secret.startsWith(SECRET_PREFIX)) {
    throw new ConfigurationError(
      `a signing secret must start with '${SECRET_PREFIX}' followed by base64 (got ${secret.length} characters without that prefix); generate one with 'gd signing rotate'`,
    );
  }
  const encoded = secret.slice(SECRET_PREFIX.length);
  const key = Buffer.from(encoded, 'base64');
  if (!BASE64.test(encoded) || key.length < MIN_SECRET_BYTES || key.length > MAX_SECRET_BYTES) {
    throw new ConfigurationError(
      `a signing secret must be '${SECRET_PREFIX}' + base64 of ${MIN_SECRET_BYTES}-${MAX_SECRET_BYTES} random bytes (got ${key.length} bytes${BASE64.test(encoded) ? '' : ', not valid base64'})`,
    );
  }
  return key;
}

/** A new random secret in the spec's serialization. */
export function generateSecret(): string {
  return `${SECRET_PREFIX}${randomBytes(GENERATED_SECRET_BYTES).toString('base64')}`;
}

/** One `v1,<base64>` signature of `{id}.{timestamp}.{body}`; `body` is hashed as the UTF-8 bytes sent. */
export function signPayload(secret: string | Buffer, id: string, timestamp: number, body: string): string {
  const key = typeof secret === 'string' ? decodeSecret(secret) : secret;
  const digest = createHmac('sha256', key)
    .update(`${id}.${timestamp}.`)
    .update(body, 'utf8')
    .digest('base64');
  return `${SIGNATURE_VERSION},${digest}`;
}

/**
 * The three Standard Webhooks headers for one attempt: one signature per active secret, the
 * current one first. `timestamp` is this attempt's time, so a retry hours later is still fresh.
 */
export function webhookHeaders(
  secrets: readonly (string | Buffer)[],
  id: string,
  timestamp: number,
  body: string,
): Record<string, string> {
  if (secrets.length === 0) throw new ConfigurationError('signing needs at least one secret');
  return {
    [WEBHOOK_HEADER.ID]: id,
    [WEBHOOK_HEADER.TIMESTAMP]: String(timestamp),
    [WEBHOOK_HEADER.SIGNATURE]: secrets.map((secret) => signPayload(secret, id, timestamp, body)).join(' '),
  };
}
