import { breakerSummary } from '../../shared/circuit-breaker.js';
import { UsageError } from '../errors.js';
import { type Output, printJson } from '../output.js';
import { findRoute, type StackTarget } from '../stack/stack-target.js';
import { type BreakerSummary, breakerPosition, describeBreaker } from './breaker-text.js';

/** `gd pause` / `gd resume`'s options. */
export interface PauseOptions {
  readonly json: boolean;
  readonly route?: string;
  /** true for `gd pause`, false for `gd resume`. */
  readonly paused: boolean;
}

/** What a pause or resume left: as `gd pause --json` prints it. */
export interface PauseResult {
  readonly route: string;
  /** Stopped by an operator (it outlasts the breaker closing). */
  readonly paused: boolean;
  /** What was switched: the event source mapping on AWS, a queue tag locally. */
  readonly switch: 'event-source-mapping' | 'queue-tag';
  /** Only for a route with a breaker, as in `gd status --json`. */
  readonly breaker?: BreakerSummary;
  readonly heldByBreaker?: boolean;
}

/**
 * Stops (`paused`) or restarts deliveries of one route and reads back where they stand. Ingest goes
 * on, so messages wait in the queue (7 days by default, archived to S3 before that) instead of failing against
 * a backend that is known to be down. A pause wins over the route's circuit breaker (it outlasts the
 * breaker closing); a resume while the breaker is open leaves the restart to the breaker's next
 * good probe.
 */
export async function switchDeliveries(
  stack: StackTarget,
  routeName: string | undefined,
  pause: boolean,
): Promise<PauseResult> {
  if (routeName === undefined) {
    throw new UsageError(
      `${pause ? 'pause' : 'resume'} needs --route NAME (one of: ${stack.routes.map((route) => route.name).join(', ')})`,
    );
  }
  const route = findRoute(stack, routeName);
  await stack.setPaused(route, pause);
  const { paused, heldByBreaker, breaker: state } = await stack.deliveryState(route);
  const breaker = state ? breakerSummary(state) : undefined;
  return {
    route: route.name,
    paused,
    switch: stack.kind === 'deployed' ? 'event-source-mapping' : 'queue-tag',
    ...(breaker ? { breaker, heldByBreaker } : {}),
  };
}

/** What a pause (`pause` true) or resume did, in words: one line, two with an open breaker. */
export function describePause(result: PauseResult, pause: boolean): string[] {
  const { route, breaker, heldByBreaker, paused } = result;
  if (pause) {
    return [
      `${route}: deliveries paused (${result.switch}); messages wait in the queue. ` +
        `Restart with: gd resume --route ${route}`,
      ...(breaker && heldByBreaker ? [describeBreaker(route, breaker, paused)] : []),
    ];
  }
  if (heldByBreaker) {
    return [
      `${route}: no longer paused (${result.switch}), but the circuit breaker holds deliveries` +
        `${breaker ? ` (${breakerPosition(breaker)})` : ''}: deliveries resume when the breaker's next probe succeeds`,
    ];
  }
  return [`${route}: deliveries resumed (${result.switch})`];
}

/** `gd pause` / `gd resume`: {@link switchDeliveries}, then what it did. */
export async function pauseCommand(
  stack: StackTarget,
  options: PauseOptions,
  output: Output,
): Promise<number> {
  const result = await switchDeliveries(stack, options.route, options.paused);
  if (options.json) printJson(output, result);
  else for (const line of describePause(result, options.paused)) output.out(line);
  return 0;
}
