import { UsageError } from '../errors.js';
import { type Output, printJson } from '../output.js';
import { findRoute, type StackTarget } from '../stack/stack-target.js';

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
 * is known to be down.
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
  const paused = await stack.isPaused(route);
  const switchName = stack.kind === 'deployed' ? 'event-source-mapping' : 'queue-tag';
  if (options.json) {
    printJson(output, { route: route.name, paused, switch: switchName });
  } else if (options.paused) {
    output.out(
      `${route.name}: deliveries paused (${switchName}); messages wait in the queue. ` +
        `Restart with: gd resume --route ${route.name}`,
    );
  } else {
    output.out(`${route.name}: deliveries resumed (${switchName})`);
  }
  return 0;
}
