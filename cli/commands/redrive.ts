import { type DeadLetterFilter, isNarrowing, matchesDeadLetter } from '../../shared/dead-letter-filter.js';
import { formatTable, type Output, printJson } from '../output.js';
import { type Progress, progressReporter } from '../progress-bar.js';
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
 * Redrives the route(s) one after the other, all dead letters or those the filter matches, and
 * returns what each did. What `gd redrive` runs, and the console's redrive.
 */
export async function redriveRoutes(
  stack: StackTarget,
  options: Pick<RedriveCommandOptions, 'route' | 'rate' | 'filter'> & {
    /**
     * Called before each route's redrive with what its progress counts (dead letters looked at, for
     * a filtered one); returns where that route's progress goes.
     */
    onRouteStart?: (
      route: string,
      counting: 'looked at' | 'moved',
    ) => ((progress: Progress) => void) | undefined;
  },
): Promise<RouteRedrive[]> {
  const filter = isNarrowing(options.filter) ? options.filter : undefined;
  const results: RouteRedrive[] = [];
  for (const route of selectRoutes(stack, options.route)) {
    const onProgress = options.onRouteStart?.(route.name, filter ? 'looked at' : 'moved');
    const outcome = await stack.redrive(route, {
      ...(options.rate === undefined ? {} : { ratePerSecond: options.rate }),
      ...(filter === undefined ? {} : { filter }),
      ...(onProgress ? { onProgress } : {}),
    });
    results.push({ route: route.name, ...outcome });
  }
  return results;
}

/** Whether some dead letters that should have moved stayed in the DLQ. */
export const redriveIncomplete = (result: RouteRedrive) =>
  result.failed > 0 || result.refused > 0 || result.stoppedEarly !== undefined;

/** One route's redrive in a line: how many moved, and what stayed and why. */
export function describeRedrive(result: RouteRedrive): string {
  return (
    `${result.route}: moved ${result.moved} dead letter(s) back to the delivery queue` +
    (result.moved > 0 ? ` (${result.method})` : '') +
    (result.skipped > 0 ? `; ${result.skipped} did not match and stayed in the DLQ` : '') +
    (result.failed > 0 ? `; ${result.failed} stayed in the DLQ (SQS unavailable)` : '') +
    (result.refused > 0
      ? `; ${result.refused} refused by SQS for themselves, left in the DLQ` +
        (result.refusedReason ? ` (${result.refusedReason})` : '')
      : '') +
    (result.stoppedEarly ? `; stopped early: ${result.stoppedEarly}` : '')
  );
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
  let bar: ReturnType<typeof progressReporter> | undefined;
  let results: RouteRedrive[];
  try {
    results = await redriveRoutes(stack, {
      ...options,
      onRouteStart: (route, counting) => {
        bar?.end();
        const progress = progressReporter(output, `${counting} (${route})`);
        bar = progress;
        return (update) => progress.update(update);
      },
    });
  } finally {
    bar?.end();
  }
  const incomplete = results.filter(redriveIncomplete);
  if (options.json) {
    printJson(output, { routes: results });
  } else {
    for (const result of results) output.out(describeRedrive(result));
  }
  if (incomplete.length > 0) output.err('Some dead letters stayed in the DLQ; run gd redrive again.');
  return incomplete.length > 0 ? 1 : 0;
}

/** The dead letters of one route that a filter matches, from a peek of its DLQ. */
export interface MatchingDeadLetters {
  readonly route: string;
  /** Dead letters looked at (up to the scan limit). */
  readonly looked: number;
  readonly matching: DeadLetter[];
}

/**
 * The dead letters the filter matches, per route, from a peek (nothing is moved or deleted; each
 * one looked at is received once). What `gd redrive --dry-run` lists.
 */
export async function findDeadLetters(
  stack: StackTarget,
  options: { route?: string; filter?: DeadLetterFilter; scanLimit?: number },
): Promise<MatchingDeadLetters[]> {
  const filter = options.filter ?? {};
  const routes: MatchingDeadLetters[] = [];
  for (const route of selectRoutes(stack, options.route)) {
    const messages = await peekMessages(stack.sqs, route.dlqUrl, {
      limit: options.scanLimit ?? DRY_RUN_SCAN_LIMIT,
    });
    const matching = messages
      .filter((message) => matchesDeadLetter(message, filter))
      .map((message) => toDeadLetter(route.name, message));
    routes.push({ route: route.name, looked: messages.length, matching });
  }
  return routes;
}

/** `--dry-run`: the dead letters that would move, from a peek (nothing is moved or deleted). */
async function dryRun(stack: StackTarget, options: RedriveCommandOptions, output: Output): Promise<number> {
  const routes = await findDeadLetters(stack, options);
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
