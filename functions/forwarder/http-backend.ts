import { describeError } from '../../shared/errors.js';
import type { Backend, DeliveryRequest, DeliveryResponse } from '../../shared/ports.js';

/** RFC 9110's preferred HTTP-date (IMF-fixdate), e.g. `Sun, 06 Nov 1994 08:49:37 GMT`. */
const IMF_FIXDATE = /^[A-Z][a-z]{2}, \d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} GMT$/;

/**
 * Retry-After as delay-seconds or an IMF-fixdate; anything else is ignored rather than guessed at
 * (V8's Date.parse would read "Foo 2099" as a date and hide the message for the 12-hour maximum).
 */
export function parseRetryAfter(value: string | null, now: Date = new Date()): number | undefined {
  const text = value?.trim();
  if (!text) return undefined;
  if (/^\d+$/.test(text)) return Number(text);
  if (!IMF_FIXDATE.test(text)) return undefined;
  const date = Date.parse(text);
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
