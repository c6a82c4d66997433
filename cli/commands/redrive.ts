import { type Output, printJson } from '../output.js';
import { progressReporter } from '../progress-bar.js';
import { type RedriveOutcome, type StackTarget, selectRoutes } from '../stack/stack-target.js';

export interface RedriveCommandOptions {
  readonly json: boolean;
  readonly route?: string;
  /** Messages per second; undefined for as fast as SQS goes. */
  readonly rate?: number;
}

export interface RouteRedrive extends RedriveOutcome {
  readonly route: string;
}

/**
 * `gd redrive`: every dead letter of the route(s) back to its delivery queue, id kept, so the
 * forwarder tries it again (and does not deliver twice what was delivered). Exit 1 when some stayed.
 */
export async function redriveCommand(
  stack: StackTarget,
  options: RedriveCommandOptions,
  output: Output,
): Promise<number> {
  const results: RouteRedrive[] = [];
  for (const route of selectRoutes(stack, options.route)) {
    const progress = progressReporter(output, `moved (${route.name})`);
    try {
      const outcome = await stack.redrive(route, {
        ...(options.rate === undefined ? {} : { ratePerSecond: options.rate }),
        onProgress: (update) => progress.update(update),
      });
      results.push({ route: route.name, ...outcome });
    } finally {
      progress.end();
    }
  }
  const incomplete = results.filter((result) => result.failed > 0 || result.stoppedEarly !== undefined);
  if (options.json) {
    printJson(output, { routes: results });
  } else {
    for (const result of results) {
      output.out(
        `${result.route}: moved ${result.moved} dead letter(s) back to the delivery queue` +
          (result.moved > 0 ? ` (${result.method})` : '') +
          (result.failed > 0 ? `; ${result.failed} stayed in the DLQ` : '') +
          (result.stoppedEarly ? `; stopped early: ${result.stoppedEarly}` : ''),
      );
    }
  }
  if (incomplete.length > 0) output.err('Some dead letters stayed in the DLQ; run gd redrive again.');
  return incomplete.length > 0 ? 1 : 0;
}
