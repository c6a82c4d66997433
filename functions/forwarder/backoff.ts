/** Exponential backoff settings of a route (RETRY_BASE_SECONDS, RETRY_MAX_SECONDS). */
export interface ExponentialRetryPolicy {
  readonly baseSeconds: number;
  readonly maxSeconds: number;
}

/** An explicit list of delays (RETRY_SCHEDULE_SECONDS): `schedule[n-1]` before attempt n+1. */
export interface ScheduledRetryPolicy {
  readonly schedule: readonly number[];
}

/** How long a route waits between attempts. */
export type RetryPolicy = ExponentialRetryPolicy | ScheduledRetryPolicy;

/**
 * SQS's ceiling on a message's visibility timeout: 12 hours in all, counted from the receive, so a
 * ChangeMessageVisibility that would end later is refused ("ChangeMessageVisibility", Amazon SQS API
 * Reference: https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_ChangeMessageVisibility.html).
 */
export const MAX_VISIBILITY_SECONDS = 43_200;

/** Kept short of the 12-hour limit for the difference between SQS's clock and the function's. */
const CLOCK_MARGIN_SECONDS = 60;

/**
 * The longest visibility a ChangeMessageVisibility can still set on a message received at
 * `receivedAt` (epoch ms, the earliest that receive can have been): 12 hours less the time used since,
 * less {@link CLOCK_MARGIN_SECONDS}; never below 0.
 */
export function visibilityLeftSeconds(receivedAt: number, now: Date): number {
  const usedSeconds = Math.ceil(Math.max(0, now.getTime() - receivedAt) / 1000);
  return Math.max(0, MAX_VISIBILITY_SECONDS - usedSeconds - CLOCK_MARGIN_SECONDS);
}

/**
 * Seconds to hide a message before attempt `failedAttempt + 1`. Exponential: base * 2^(failedAttempt-1),
 * capped, with "equal jitter" (half fixed, half random) so a burst of failures spreads out over time
 * but a retry never collapses to an immediate one. Scheduled: the listed delay, as the user wrote it
 * (the last one again should attempts outlast the list). A backend's own Retry-After wins when it
 * asks for longer.
 */
export function backoffSeconds(
  failedAttempt: number,
  policy: RetryPolicy,
  retryAfterSeconds?: number,
  random: () => number = Math.random,
): number {
  const planned =
    'schedule' in policy
      ? (policy.schedule[Math.min(Math.max(0, failedAttempt - 1), policy.schedule.length - 1)] ?? 1)
      : exponentialSeconds(failedAttempt, policy, random);
  const wanted = retryAfterSeconds === undefined ? planned : Math.max(planned, retryAfterSeconds);
  return Math.min(wanted, MAX_VISIBILITY_SECONDS);
}

function exponentialSeconds(
  failedAttempt: number,
  policy: ExponentialRetryPolicy,
  random: () => number,
): number {
  const exponent = Math.max(0, failedAttempt - 1);
  const ceiling = Math.min(policy.maxSeconds, policy.baseSeconds * 2 ** exponent);
  return Math.max(1, Math.round(ceiling / 2 + random() * (ceiling / 2)));
}
