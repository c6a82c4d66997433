import type { breakerSummary } from '../../shared/circuit-breaker.js';

/**
 * How `gd status`, `gd pause` and `gd resume` put a route's circuit breaker into words: where it
 * stands since when, and for one that holds deliveries, that they come back by themselves.
 */

/** A breaker as `--json` shows it: its position and since when it holds. */
export type BreakerSummary = ReturnType<typeof breakerSummary>;

/** `breaker open since <ISO>`; `breaker closed` (with `since` once it has closed after opening). */
export function breakerPosition(breaker: BreakerSummary): string {
  return breaker.since === null
    ? `breaker ${breaker.state}`
    : `breaker ${breaker.state} since ${breaker.since}`;
}

/** `<route>: breaker ...`, and for an open (or probing) one what brings deliveries back. */
export function describeBreaker(route: string, breaker: BreakerSummary, paused: boolean): string {
  const position = `${route}: ${breakerPosition(breaker)}`;
  if (breaker.state === 'closed') return position;
  // `gd pause` wins over the breaker: a successful probe closes it but leaves deliveries stopped.
  if (paused)
    return `${position}; paused too: deliveries stay stopped after it closes, until gd resume --route ${route}`;
  return breaker.state === 'open'
    ? `${position}; deliveries resume by themselves after a successful probe`
    : `${position}; a probe is trying one message, and deliveries resume by themselves if it gets through`;
}
