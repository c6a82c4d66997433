import { describeError } from '../../shared/errors.js';
import { RESPONSE_SNIPPET_BYTES } from '../../shared/message-record.js';
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
 * The first `limit` bytes of an answer's body, as text (a multi-byte character cut at the limit is
 * dropped). The rest is not read: the connection is released at once, whatever the backend sends.
 */
export async function readSnippet(
  body: ReadableStream<Uint8Array> | null,
  limit: number,
): Promise<string | undefined> {
  if (!body) return undefined;
  const reader = body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    while (size < limit) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value);
      size += value.length;
    }
  } catch {
    // A body cut off mid-way still leaves the status, which is what decides delivery.
  } finally {
    await reader.cancel().catch(() => undefined);
  }
  const bytes = Buffer.concat(chunks).subarray(0, limit);
  return new TextDecoder('utf-8', { fatal: false }).decode(bytes).replace(/\uFFFD$/, '');
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
      const body = await readSnippet(response.body, RESPONSE_SNIPPET_BYTES);
      const retryAfterSeconds = parseRetryAfter(response.headers.get('retry-after'));
      return {
        kind: 'answered',
        status: response.status,
        ...(retryAfterSeconds === undefined ? {} : { retryAfterSeconds }),
        ...(body ? { body } : {}),
      };
    } catch (error) {
      return { kind: 'no-answer', error: describeError(error) };
    }
  }
}
