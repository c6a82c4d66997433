/** Exponential backoff settings of a route (RETRY_BASE_SECONDS, RETRY_MAX_SECONDS). */
export interface RetryPolicy {
  readonly baseSeconds: number;
  readonly maxSeconds: number;
}

/** SQS's ceiling on a message's visibility timeout (12 hours). */
export const MAX_VISIBILITY_SECONDS = 43_200;

/**
 * Seconds to hide a message before attempt `failedAttempt + 1`: base * 2^(failedAttempt-1), capped,
 * with "equal jitter" (half fixed, half random) so a burst of failures spreads out over time but a
 * retry never collapses to an immediate one. A backend's own Retry-After wins when it asks for longer.
 */
export function backoffSeconds(
  failedAttempt: number,
  policy: RetryPolicy,
  retryAfterSeconds?: number,
  random: () => number = Math.random,
): number {
  const exponent = Math.max(0, failedAttempt - 1);
  const ceiling = Math.min(policy.maxSeconds, policy.baseSeconds * 2 ** exponent);
  const jittered = Math.max(1, Math.round(ceiling / 2 + random() * (ceiling / 2)));
  const wanted = retryAfterSeconds === undefined ? jittered : Math.max(jittered, retryAfterSeconds);
  return Math.min(wanted, MAX_VISIBILITY_SECONDS);
}
