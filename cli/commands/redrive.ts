import { type DeadLetterFilter, isNarrowing, matchesDeadLetter } from '../../shared/dead-letter-filter.js';
import { formatTable, type Output, printJson } from '../output.js';
import { progressReporter } from '../progress-bar.js';
import { type DeadLetter, peekMessages, toDeadLetter } from '../stack/queue-inspection.js';
import { type RedriveOutcome, type StackTarget, selectRoutes } from '../stack/stack-target.js';
import { DEAD_LETTER_COLUMNS } from './dlq.js';

/** Dead letters a dry run looks through per route. */
export const DRY_RUN_SCAN_LIMIT = 10_000;

/** `gd redrive`'s options. */
export interface RedriveCommandOptions {
  readonly json: boolean;
  readonly route?: string;
  /** Messages per second; undefined for as fast as SQS goes. */
  readonly rate?: number;
  /** Move only the dead letters this matches; the rest stay in the DLQ untouched. */
  readonly filter?: DeadLetterFilter;
  /** List what would move instead of moving it. */
  readonly dryRun?: boolean;
}

/** One route's redrive, as `gd redrive --json` prints it. */
export interface RouteRedrive extends RedriveOutcome {
  readonly route: string;
}

/**
 * `gd redrive`: the dead letters of the route(s) (all of them, or those the filter matches) back to
 * the delivery queue, id kept, so the forwarder tries them again (and does not deliver twice what
 * was delivered). Exit 1 when some that should have moved stayed.
 */
export async function redriveCommand(
  stack: StackTarget,
  options: RedriveCommandOptions,
  output: Output,
): Promise<number> {
  if (options.dryRun) return dryRun(stack, options, output);
  const filter = isNarrowing(options.filter) ? options.filter : undefined;
  const results: RouteRedrive[] = [];
  for (const route of selectRoutes(stack, options.route)) {
    const progress = progressReporter(output, `${filter ? 'looked at' : 'moved'} (${route.name})`);
    try {
      const outcome = await stack.redrive(route, {
        ...(options.rate === undefined ? {} : { ratePerSecond: options.rate }),
        ...(filter === undefined ? {} : { filter }),
        onProgress: (update) => progress.update(update),
      });
      results.push({ route: route.name, ...outcome });
    } finally {
      progress.end();
    }
  }
  const incomplete = results.filter(
    (result) => result.failed > 0 || result.refused > 0 || result.stoppedEarly !== undefined,
  );
  if (options.json) {
    printJson(output, { routes: results });
  } else {
    for (const result of results) {
      output.out(
        `${result.route}: moved ${result.moved} dead letter(s) back to the delivery queue` +
          (result.moved > 0 ? ` (${result.method})` : '') +
          (result.skipped > 0 ? `; ${result.skipped} did not match and stayed in the DLQ` : '') +
          (result.failed > 0 ? `; ${result.failed} stayed in the DLQ (SQS unavailable)` : '') +
          (result.refused > 0
            ? `; ${result.refused} refused by SQS for themselves, left in the DLQ` +
              (result.refusedReason ? ` (${result.refusedReason})` : '')
            : '') +
          (result.stoppedEarly ? `; stopped early: ${result.stoppedEarly}` : ''),
      );
    }
  }
  if (incomplete.length > 0) output.err('Some dead letters stayed in the DLQ; run gd redrive again.');
  return incomplete.length > 0 ? 1 : 0;
}

/** `--dry-run`: the dead letters that would move, from a peek (nothing is moved or deleted). */
async function dryRun(stack: StackTarget, options: RedriveCommandOptions, output: Output): Promise<number> {
  const filter = options.filter ?? {};
  const routes: { route: string; looked: number; matching: DeadLetter[] }[] = [];
  for (const route of selectRoutes(stack, options.route)) {
    const messages = await peekMessages(stack.sqs, route.dlqUrl, { limit: DRY_RUN_SCAN_LIMIT });
    const matching = messages
      .filter((message) => matchesDeadLetter(message, filter))
      .map((message) => toDeadLetter(route.name, message));
    routes.push({ route: route.name, looked: messages.length, matching });
  }
  if (options.json) {
    printJson(output, {
      dryRun: true,
      routes: routes.map(({ route, looked, matching }) => ({
        route,
        looked,
        wouldMove: matching.map(({ body: _body, ...letter }) => letter),
      })),
    });
    return 0;
  }
  for (const { route, looked, matching } of routes) {
    output.out(
      `${route}: would move ${matching.length} of ${looked} dead letter(s) (dry run, nothing moved)`,
    );
    if (matching.length > 0) output.out(formatTable(DEAD_LETTER_COLUMNS, matching));
  }
  return 0;
}
