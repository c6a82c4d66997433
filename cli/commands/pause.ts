import { breakerSummary } from '../../shared/circuit-breaker.js';
import { UsageError } from '../errors.js';
import { type Output, printJson } from '../output.js';
import { findRoute, type StackTarget } from '../stack/stack-target.js';
import { breakerPosition, describeBreaker } from './breaker-text.js';

/** `gd pause` / `gd resume`'s options. */
export interface PauseOptions {
  readonly json: boolean;
  readonly route?: string;
  /** true for `gd pause`, false for `gd resume`. */
  readonly paused: boolean;
}

/**
 * `gd pause` / `gd resume`: stops or restarts deliveries of one route. Ingest goes on, so messages
 * wait in the queue (14 days, archived to S3 before that) instead of failing against a backend that
 * is known to be down. A pause wins over the route's circuit breaker (it outlasts the breaker
 * closing); a resume while the breaker is open leaves the restart to the breaker's next good probe.
 */
export async function pauseCommand(
  stack: StackTarget,
  options: PauseOptions,
  output: Output,
): Promise<number> {
  const verb = options.paused ? 'pause' : 'resume';
  if (options.route === undefined) {
    throw new UsageError(
      `${verb} needs --route NAME (one of: ${stack.routes.map((route) => route.name).join(', ')})`,
    );
  }
  const route = findRoute(stack, options.route);
  await stack.setPaused(route, options.paused);
  const { paused, heldByBreaker, breaker: state } = await stack.deliveryState(route);
  const breaker = state ? breakerSummary(state) : undefined;
  const switchName = stack.kind === 'deployed' ? 'event-source-mapping' : 'queue-tag';
  if (options.json) {
    printJson(output, {
      route: route.name,
      paused,
      switch: switchName,
      // Only for a route with a breaker, as in `gd status --json`.
      ...(breaker ? { breaker, heldByBreaker } : {}),
    });
  } else if (options.paused) {
    output.out(
      `${route.name}: deliveries paused (${switchName}); messages wait in the queue. ` +
        `Restart with: gd resume --route ${route.name}`,
    );
    if (breaker && heldByBreaker) output.out(describeBreaker(route.name, breaker, paused));
  } else if (heldByBreaker) {
    output.out(
      `${route.name}: no longer paused (${switchName}), but the circuit breaker holds deliveries` +
        `${breaker ? ` (${breakerPosition(breaker)})` : ''}: deliveries resume when the breaker's next probe succeeds`,
    );
  } else {
    output.out(`${route.name}: deliveries resumed (${switchName})`);
  }
  return 0;
}
