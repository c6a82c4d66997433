import { type Output, printJson } from '../output.js';
import type { KeepTryingOutcome } from '../stack/continuing-delivery-rounds.js';
import { findRoute, type StackTarget } from '../stack/stack-target.js';

export interface KeepTryingCommandOptions {
  readonly json: boolean;
  readonly route?: string;
  /** Return once the execution started (AWS) instead of following it to its end. */
  readonly detach: boolean;
  readonly initialWaitSeconds?: number;
  readonly maxWaitSeconds?: number;
  readonly maxRounds?: number;
}

/**
 * `gd keep-trying`: the reference scenario's "keep trying until delivered". Redrives the route's DLQ
 * with growing waits until it stays empty, or gives up after the configured rounds (exit 1).
 */
export async function keepTryingCommand(
  stack: StackTarget,
  options: KeepTryingCommandOptions,
  output: Output,
): Promise<number> {
  const route = options.route === undefined ? stack.routes[0] : findRoute(stack, options.route);
  if (!route) {
    output.err('this stack has no routes');
    return 1;
  }
  const outcome: KeepTryingOutcome = await stack.keepTrying(route, {
    follow: !options.detach,
    ...(options.initialWaitSeconds === undefined ? {} : { initialWaitSeconds: options.initialWaitSeconds }),
    ...(options.maxWaitSeconds === undefined ? {} : { maxWaitSeconds: options.maxWaitSeconds }),
    ...(options.maxRounds === undefined ? {} : { maxRounds: options.maxRounds }),
    onUpdate: (line) => (options.json ? output.err(line) : output.out(line)),
  });
  if (options.json) {
    printJson(output, { route: route.name, ...outcome });
  } else {
    const rounds = outcome.rounds === undefined ? '' : ` after ${outcome.rounds} redrive(s)`;
    const where = outcome.executionArn ? ` (${outcome.executionArn})` : '';
    output.out(
      `${route.name}: ${outcome.status.toLowerCase()}${rounds}${where}${outcome.cause ? `: ${outcome.cause}` : ''}`,
    );
  }
  return outcome.status === 'SUCCEEDED' || outcome.status === 'RUNNING' ? 0 : 1;
}
