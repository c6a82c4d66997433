import { performance } from 'node:perf_hooks';
import type { MessageEnvelope } from '../../shared/envelope.js';
import { SecretUnavailableError } from '../../shared/errors.js';
import { resolveBody } from '../../shared/payloads.js';
import type { DeliveryResponse } from '../../shared/ports.js';
import { attemptHeaders } from './attempt-headers.js';
import { classifyResponse, type Verdict } from './classify-response.js';
import type { ForwarderDeps } from './forwarder-deps.js';

import { resolveHeaders } from './route-headers.js';

/** What one try to deliver a message came to. */
export type Attempt =
  | {
      readonly kind: 'attempted';
      /** The attempt's number (`X-Delivery-Attempt`), counting across redrives. */
      readonly number: number;
      readonly started: Date;
      readonly durationMs: number;
      readonly response: DeliveryResponse;
      readonly verdict: Verdict;
    }
  /**
   * The backend was not called: a secret the request needs (signing, a header) could not be read.
   * A signed route never sends unsigned, nor a route without a header it names.
   */
  | { readonly kind: 'not-attempted'; readonly reason: string }
  /** The backend was not called: the message's large body is missing or altered (resolve-body.ts). */
  | { readonly kind: 'refused'; readonly reason: string };

/** An attempt that reached the backend (or timed out on it). */
export type Attempted = Extract<Attempt, { kind: 'attempted' }>;

/**
 * One try of a delivery: the attempt's headers (signature, route headers, trace), the POST, and the
 * verdict on its answer. Nothing is recorded, hidden or dead-lettered here: that is settling
 * (settle-delivery.ts), which a caller does or not (a breaker's probe puts a failed try back instead).
 */
export async function attemptDelivery(
  stored: MessageEnvelope,
  number: number,
  deps: Pick<ForwarderDeps, 'backend' | 'clock' | 'settings' | 'signing' | 'secrets' | 'payloads'>,
): Promise<Attempt> {
  const { settings } = deps;
  // A large body is fetched and checked first; signatures then cover the very bytes sent.
  const resolved = await resolveBody(stored, deps.payloads);
  if (resolved.kind === 'unavailable') return { kind: 'not-attempted', reason: resolved.reason };
  if (resolved.kind === 'refused') return { kind: 'refused', reason: resolved.reason };
  const envelope = resolved.body === stored.body ? stored : { ...stored, body: resolved.body };
  const started = deps.clock.now();
  let headers: Record<string, string>;
  try {
    const staticHeaders = await resolveHeaders(settings.headers, deps.secrets);
    headers = await attemptHeaders(envelope, number, started, deps.signing, staticHeaders);
  } catch (error) {
    // The reason names the secret, not its value.
    if (error instanceof SecretUnavailableError) return { kind: 'not-attempted', reason: error.message };
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
  return {
    kind: 'attempted',
    number,
    started,
    durationMs,
    response,
    verdict: classifyResponse(response, settings.nonRetryableStatuses),
  };
}
