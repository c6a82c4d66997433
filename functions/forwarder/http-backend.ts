import { describeError } from '../../shared/errors.js';
import type { Backend, DeliveryRequest, DeliveryResponse } from '../../shared/ports.js';

/** Retry-After in seconds, or as an HTTP date; anything else is ignored. */
export function parseRetryAfter(value: string | null, now: Date = new Date()): number | undefined {
  if (!value) return undefined;
  if (/^\d+$/.test(value.trim())) return Number(value.trim());
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, Math.ceil((date - now.getTime()) / 1000));
}

/**
 * The {@link Backend} over Node's built-in fetch (undici: keep-alive connection pooling, no extra
 * dependency). Redirects are not followed: a 3xx is the backend's answer, and retried like one.
 */
export class FetchBackend implements Backend {
  async post(request: DeliveryRequest): Promise<DeliveryResponse> {
    try {
      const response = await fetch(request.url, {
        method: 'POST',
        headers: request.headers,
        body: request.body,
        redirect: 'manual',
        signal: AbortSignal.timeout(request.timeoutMs),
      });
      // Only the status matters; release the connection without reading a body we would ignore.
      await response.body?.cancel().catch(() => undefined);
      const retryAfterSeconds = parseRetryAfter(response.headers.get('retry-after'));
      return {
        kind: 'answered',
        status: response.status,
        ...(retryAfterSeconds === undefined ? {} : { retryAfterSeconds }),
      };
    } catch (error) {
      return { kind: 'no-answer', error: describeError(error) };
    }
  }
}
