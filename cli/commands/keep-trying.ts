import { type Output, printJson } from '../output.js';
import type { KeepTryingOutcome } from '../stack/continuing-delivery-rounds.js';
import { findRoute, type StackTarget } from '../stack/stack-target.js';

/** `gd keep-trying`'s options. */
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
 * `gd keep-trying`: the reference scenario's "keep trying until delivered". Redrives a route's DLQ
 * with growing waits until it stays empty, or gives up after the configured rounds (exit 1). Without
 * `--route`, every route at once, each on its own (`--json`: an array, or the one object when the
 * stack has a single route, as before routes files).
 */
export async function keepTryingCommand(
  stack: StackTarget,
  options: KeepTryingCommandOptions,
  output: Output,
): Promise<number> {
  const routes = options.route === undefined ? stack.routes : [findRoute(stack, options.route)];
  if (routes.length === 0) {
    output.err('this stack has no routes');
    return 1;
  }
  const several = routes.length > 1;
  const outcomes = await Promise.all(
    routes.map(async (route) => {
      const outcome: KeepTryingOutcome = await stack.keepTrying(route, {
        follow: !options.detach,
        ...(options.initialWaitSeconds === undefined
          ? {}
          : { initialWaitSeconds: options.initialWaitSeconds }),
        ...(options.maxWaitSeconds === undefined ? {} : { maxWaitSeconds: options.maxWaitSeconds }),
        ...(options.maxRounds === undefined ? {} : { maxRounds: options.maxRounds }),
        onUpdate: (line) => {
          const text = several ? `${route.name}: ${line}` : line;
          if (options.json) output.err(text);
          else output.out(text);
        },
      });
      return { route: route.name, ...outcome };
    }),
  );
  if (options.json) {
    printJson(output, several ? outcomes : outcomes[0]);
  } else {
    for (const outcome of outcomes) {
      const rounds = outcome.rounds === undefined ? '' : ` after ${outcome.rounds} redrive(s)`;
      const where = outcome.executionArn ? ` (${outcome.executionArn})` : '';
      output.out(
        `${outcome.route}: ${outcome.status.toLowerCase()}${rounds}${where}${outcome.cause ? `: ${outcome.cause}` : ''}`,
      );
    }
  }
  return outcomes.every((outcome) => outcome.status === 'SUCCEEDED' || outcome.status === 'RUNNING') ? 0 : 1;
}
