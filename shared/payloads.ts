import { createHash } from 'node:crypto';
import { DYNAMODB_ITEM_BYTES, LAMBDA_SYNC_PAYLOAD_BYTES, SQS_MESSAGE_BYTES } from './aws-limits.js';
import type { MessageEnvelope } from './envelope.js';
import type { PayloadSource } from './ports.js';

/**
 * Large bodies by claim check (the pattern of AWS's SQS Extended Client): a body over
 * {@link CLAIM_CHECK_THRESHOLD_BYTES} is written to the stack's payload bucket, exactly as received,
 * before the message is stored anywhere, and the message carries a reference to it in place of its
 * body. The reference travels as the envelope's body, so every path that carries a body (queue,
 * failover table and drain, DLQ and redrive, archive and restore, a breaker's put-back) carries the
 * reference unchanged; only the forwarder, just before it sends, swaps it for the object's bytes.
 */

/**
 * Bodies up to this many bytes travel inline, as they always did; larger ones go by S3. Chosen so
 * that every store takes an inline body with room to spare: SQS's message (256 KiB in moto 5.2.1,
 * with the envelope's attributes and a dead letter's reason), and a failover item (DynamoDB's 400 KB,
 * with the item's other attributes). It is the largest body the routes took before claim checks.
 */
export const CLAIM_CHECK_THRESHOLD_BYTES = 250_000;

/** The threshold leaves each store this much for everything but the body. */
export const STORE_HEADROOM_BYTES =
  Math.min(SQS_MESSAGE_BYTES, DYNAMODB_ITEM_BYTES) - CLAIM_CHECK_THRESHOLD_BYTES;

/**
 * What a request's event holds besides its body: API Gateway's headers (REST APIs take at most
 * 10,240 bytes of request line and headers), the request context, the path and its parameters.
 */
export const EVENT_RESERVE_BYTES = 65_536;

/**
 * The largest `maxBodyBytes` a route may set: Lambda's synchronous invocation payload less the rest of
 * the event. Both front doors take 10 MB, so Lambda binds first; no larger body can ever reach the ingest.
 */
export const MAX_BODY_BYTES_LIMIT = LAMBDA_SYNC_PAYLOAD_BYTES - EVENT_RESERVE_BYTES;

/**
 * The default `maxBodyBytes`, 5 MB. It leaves about 1.2 MB of Lambda's payload for the event's JSON
 * escaping of the body (each `"` and `\` of the body doubles in the event): a body that escapes to
 * more than that is refused by Lambda, and API Gateway answers it (docs/http-contract.md).
 */
export const DEFAULT_MAX_BODY_BYTES = 5_000_000;

/** Where a large body is: its object's key in the payload bucket, its size and its SHA-256 (hex). */
export interface PayloadReference {
  readonly key: string;
  readonly size: number;
  readonly sha256: string;
}

/**
 * The start of a reference travelling as a body. No client body can begin with it: the ingest
 * accepts only JSON documents, and no JSON text starts with a letter other than t, f or n.
 */
export const PAYLOAD_REFERENCE_MARKER = 'gd-payload:';

/** The body that stands for a large one: the marker and the reference as JSON. */
export function referenceBody(reference: PayloadReference): string {
  const { key, size, sha256 } = reference;
  return `${PAYLOAD_REFERENCE_MARKER}${JSON.stringify({ key, size, sha256 })}`;
}

/** The reference a body stands for, or undefined for a body that is itself the message. */
export function payloadReferenceOf(body: string): PayloadReference | undefined {
  if (!body.startsWith(PAYLOAD_REFERENCE_MARKER)) return undefined;
  try {
    const value = JSON.parse(body.slice(PAYLOAD_REFERENCE_MARKER.length)) as Partial<PayloadReference>;
    if (typeof value.key !== 'string' || typeof value.size !== 'number' || typeof value.sha256 !== 'string')
      return undefined;
    return { key: value.key, size: value.size, sha256: value.sha256 };
  } catch {
    return undefined;
  }
}

/** The key prefix of a route's objects: the ingest may put and the forwarder get under it alone. */
export function payloadPrefix(route: string): string {
  return `${route}/`;
}

/**
 * A body's object key: `<route>/<id>/<sha256>` (the id URI-encoded, as an Idempotency-Key may hold any
 * printable character). A client's retry of the same body writes the same object again; another body
 * under the same key writes another object, so a body later refused with 409 never replaces the one
 * the first message refers to.
 */
export function payloadKey(route: string, messageId: string, sha256: string): string {
  return `${payloadPrefix(route)}${encodeURIComponent(messageId)}/${sha256}`;
}

/** SHA-256 of the body's bytes, hex. */
export function sha256Hex(bytes: Uint8Array | string): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** The size of a message's body as received, whether inline or by reference. */
export function bodyBytesOf(envelope: Pick<MessageEnvelope, 'body'>): number {
  return payloadReferenceOf(envelope.body)?.size ?? Buffer.byteLength(envelope.body);
}

/**
 * The body a delivery (or `gd dlq show`) sends: the envelope's own, or, for a message that came by claim check
 * (shared/payloads.ts), the object's bytes once their size and SHA-256 are the reference's.
 * `unavailable`: S3 failed, the message is tried again later like a failed attempt; `refused`: the
 * object is missing or altered, which waiting cannot mend, so the message is dead-lettered with the
 * reason and nothing is sent: never a wrong body.
 */
export type ResolvedBody =
  | { readonly kind: 'body'; readonly body: string }
  | { readonly kind: 'unavailable'; readonly reason: string }
  | { readonly kind: 'refused'; readonly reason: string };

/** Resolves the body to send (see {@link ResolvedBody}). Never throws. */
export async function resolveBody(
  envelope: MessageEnvelope,
  payloads: PayloadSource | undefined,
): Promise<ResolvedBody> {
  const reference = payloadReferenceOf(envelope.body);
  if (!reference) return { kind: 'body', body: envelope.body };
  if (!payloads) {
    return {
      kind: 'unavailable',
      reason: `the body is in the payload bucket (${reference.key}) and this forwarder has no bucket configured`,
    };
  }
  const fetched = await payloads.fetch(reference);
  if (fetched.kind === 'unavailable')
    return { kind: 'unavailable', reason: `payload unavailable: ${fetched.reason}` };
  if (fetched.kind === 'missing') {
    return {
      kind: 'refused',
      reason: `body not sent: its object is missing (${fetched.reason}); it was deleted or expired after the message was accepted`,
    };
  }
  const sha256 = sha256Hex(fetched.bytes);
  if (sha256 !== reference.sha256 || fetched.bytes.length !== reference.size) {
    return {
      kind: 'refused',
      reason: `body not sent: object ${reference.key} has ${fetched.bytes.length} bytes with SHA-256 ${sha256}, the message was accepted with ${reference.size} bytes and ${reference.sha256}; it was altered after acceptance`,
    };
  }
  // The ingest takes UTF-8 text only, so decoding is exact: the backend gets the very same bytes.
  return { kind: 'body', body: Buffer.from(fetched.bytes).toString('utf8') };
}
