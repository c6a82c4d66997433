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
  /** After a close: the batches allowed at once while deliveries ramp back up; absent once at full. */
  readonly rampConcurrency?: number;
}

/** The state of a breaker with no item yet. */
export const CLOSED_BREAKER: BreakerState = { state: 'closed', failures: 0, manualPause: false };

/** A route's breaker settings (the routes file's `breaker`). */
export interface BreakerSettings {
  /** Consecutive failed attempts that open it. */
  readonly failures: number;
  /** Seconds between probes while open. */
  readonly probeSeconds: number;
  /** The route's batches at once, where the ramp-up after a close ends. @default RAMP_START_CONCURRENCY */
  readonly concurrency?: number;
}

/** What `gd status --json` shows: the position and since when it holds. */
export function breakerSummary(state: BreakerState): { state: BreakerPosition; since: string | null } {
  const since = state.state === 'closed' ? state.closedAt : state.openedAt;
  return { state: state.state, since: since ?? null };
}

/** Whether deliveries must wait: open, or a probe under way. */
export const isTripped = (state: BreakerState): boolean => state.state !== 'closed';

/**
 * The earliest time of the next probe, counted from when this one started (a probe that waited out
 * a timeout does not push the next one back): `probeSeconds` on, less a tolerance of a quarter of
 * it, at most 10 s. The schedule ticks every `probeSeconds` locally and every minute on AWS, and a
 * tick is never exactly on time: a "not before" at the full interval would make every other tick
 * arrive a moment early and double the real interval.
 */
export function nextProbeAt(probeStarted: Date, probeSeconds: number): Date {
  const toleranceMs = Math.min(probeSeconds * 250, MAX_PROBE_TOLERANCE_MS);
  return new Date(probeStarted.getTime() + probeSeconds * 1000 - toleranceMs);
}

/** The most a probe may come before its time (see {@link nextProbeAt}). */
const MAX_PROBE_TOLERANCE_MS = 10_000;

/**
 * How long a probed message that failed waits before it can be received again: half the probe
 * interval, so the next probe can take it when the queue holds nothing else, and takes another
 * message when it does (one message the backend keeps refusing does not hide the others' health).
 */
export function probedMessageDelaySeconds(probeSeconds: number): number {
  return Math.floor(probeSeconds / 2);
}

/**
 * Batches at once right after a close: Lambda's least MaximumConcurrency for an SQS event source
 * (2). Each probe tick then doubles it until the route's own `concurrency`, so a backend that just
 * came back is not met by every poller at once.
 */
export const RAMP_START_CONCURRENCY = 2;

/** The next ramp step: double, at most the route's `concurrency` (undefined when that is reached). */
export function nextRampStep(current: number, routeConcurrency: number): number | undefined {
  const next = Math.min(routeConcurrency, current * 2);
  return next >= routeConcurrency ? undefined : next;
}

/**
 * The event a route's probe schedule sends its forwarder on AWS (an EventBridge rule's constant
 * input; locally the runner calls the probe on a timer): the same function, so the probe delivers with
 * exactly the forwarder's code, settings, secrets and permissions. Here rather than beside the probe
 * (functions/forwarder/probe-breaker.ts) because the stack writes it into the rule.
 */
export const BREAKER_PROBE_EVENT = { probe: 'circuit-breaker' } as const;
