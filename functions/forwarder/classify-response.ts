import type { DeliveryResponse } from '../../shared/ports.js';

/** What a backend answer means for the message. */
export type Verdict =
  | { readonly kind: 'delivered'; readonly status: number }
  | { readonly kind: 'non-retryable'; readonly status: number; readonly reason: string }
  | {
      readonly kind: 'retryable';
      readonly status?: number;
      readonly reason: string;
      readonly retryAfterSeconds?: number;
    };

/**
 * The backend contract (docs/http-contract.md): 2xx delivered; a configured non-retryable status goes straight to the DLQ;
 * anything else (no answer, timeout, 3xx, 408, 429, 5xx, other 4xx) is worth another try.
 */
export function classifyResponse(
  response: DeliveryResponse,
  nonRetryableStatuses: ReadonlySet<number>,
): Verdict {
  if (response.kind === 'no-answer') return { kind: 'retryable', reason: `no answer: ${response.error}` };
  const { status } = response;
  if (status >= 200 && status < 300) return { kind: 'delivered', status };
  if (nonRetryableStatuses.has(status)) {
    return {
      kind: 'non-retryable',
      status,
      reason: `backend answered ${status}, which is configured as non-retryable`,
    };
  }
  return {
    kind: 'retryable',
    status,
    reason: `backend answered ${status}`,
    ...(response.retryAfterSeconds === undefined ? {} : { retryAfterSeconds: response.retryAfterSeconds }),
  };
}
