/**
 * A route's circuit breaker, as the forwarder, its probe and `gd` see it. One item per route in the
 * message table holds it (shared/aws/dynamodb-breaker-store.ts); every change of position is a
 * conditional write, so however many forwarders run at once, exactly one of them opens it and
 * exactly one probe tries a message at a time.
 *
 *   closed --(`failures` consecutive failed attempts)--> open
 *   open --(probe time reached; one probe wins)--> half-open
 *   half-open --(the probed message was delivered, or the backend answered at all)--> closed
 *   half-open --(the probe failed, or found nothing to try)--> open
 */

/** Where a breaker stands. */
export type BreakerPosition = 'closed' | 'open' | 'half-open';

/** A route's breaker item. A route whose breaker never moved reads as {@link CLOSED_BREAKER}. */
export interface BreakerState {
  readonly state: BreakerPosition;
  /** Consecutive failed attempts counted while closed. */
  readonly failures: number;
  /** When it last opened from closed (ISO 8601); kept through its probes. */
  readonly openedAt?: string;
  /** When it last closed (ISO 8601). */
  readonly closedAt?: string;
  /** Open: when the next probe may start. Half-open: when a probe that never finished may be taken over. */
  readonly probeAt?: string;
  /** `gd pause` on AWS: deliveries stay stopped whatever the breaker does. */
  readonly manualPause: boolean;
}

/** The state of a breaker with no item yet. */
export const CLOSED_BREAKER: BreakerState = { state: 'closed', failures: 0, manualPause: false };

/** A route's breaker settings (the routes file's `breaker`). */
export interface BreakerSettings {
  /** Consecutive failed attempts that open it. */
  readonly failures: number;
  /** Seconds between probes while open. */
  readonly probeSeconds: number;
}

/** What `gd status --json` shows: the position and since when it holds. */
export function breakerSummary(state: BreakerState): { state: BreakerPosition; since: string | null } {
  const since = state.state === 'closed' ? state.closedAt : state.openedAt;
  return { state: state.state, since: since ?? null };
}

/** Whether deliveries must wait: open, or a probe under way. */
export const isTripped = (state: BreakerState): boolean => state.state !== 'closed';
