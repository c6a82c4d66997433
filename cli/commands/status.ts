import { queueCounts } from '../../shared/aws/sqs-message-queue.js';
import { breakerSummary } from '../../shared/circuit-breaker.js';
import { type Column, formatDuration, formatTable, type Output, printJson } from '../output.js';
import { failoverBacklog } from '../stack/queue-inspection.js';
import { type AgeMethod, type StackTarget, selectRoutes } from '../stack/stack-target.js';
import { type BreakerSummary, describeBreaker } from './breaker-text.js';

/** `gd status`'s options. */
export interface StatusOptions {
  readonly json: boolean;
  readonly route?: string;
  /** Locally, measure the oldest message's age by a peek (counts as a receive). */
  readonly peek: boolean;
}

/** One route's health, as `gd status --json` prints it. */
export interface RouteStatus {
  readonly route: string;
  /** Deliveries stopped by an operator (`gd pause`); they stay stopped when a breaker closes. */
  readonly paused: boolean;
  /**
   * The route's circuit breaker: `open` / `half-open` hold deliveries until a probe gets a message
   * through, and `since` is when it opened (when it last closed, for `closed`; null if it never has).
   * Absent for a route without a breaker.
   */
  readonly breaker?: BreakerSummary;
  /**
   * Deliveries wait for the breaker: its item says open (or probing), or locally its queue tag is
   * still set. Present with {@link breaker}.
   */
  readonly heldByBreaker?: boolean;
  /** Messages waiting on the delivery queue (visible plus delayed). */
  readonly queueDepth: number;
  /** Messages being delivered or waiting out a retry backoff. */
  readonly inFlight: number;
  /** Age of the oldest waiting message in seconds; null when empty or not measured. */
  readonly oldestAgeSeconds: number | null;
  readonly ageMethod: AgeMethod;
  /** Dead letters (visible plus any being peeked or redriven). */
  readonly dlqDepth: number;
  /** Items in the failover table for this route, waiting for the drainer. */
  readonly failoverBacklog: number;
}

/** What `gd status --json` prints: the stack and each route's counts. */
export interface StackStatus {
  readonly stack: string;
  readonly routes: readonly RouteStatus[];
  /** Failover items of routes this stack does not have: the drainer cannot move them. */
  readonly unroutableFailover: number;
}

/** Reads every selected route's counts; the failover table is read once for all of them. */
export async function collectStatus(stack: StackTarget, options: StatusOptions): Promise<StackStatus> {
  const routes = selectRoutes(stack, options.route);
  const backlog = await failoverBacklog(stack.dynamoDb, stack.failoverTableName);
  const statuses = await Promise.all(
    routes.map(async (route): Promise<RouteStatus> => {
      const [queue, dlq, deliveries, age] = await Promise.all([
        queueCounts(stack.sqs, route.queueUrl),
        queueCounts(stack.sqs, route.dlqUrl),
        stack.deliveryState(route),
        stack.oldestMessageAge(route, { peek: options.peek }),
      ]);
      return {
        route: route.name,
        paused: deliveries.paused,
        ...(deliveries.breaker
          ? { breaker: breakerSummary(deliveries.breaker), heldByBreaker: deliveries.heldByBreaker }
          : {}),
        queueDepth: queue.visible + queue.delayed,
        inFlight: queue.inFlight,
        oldestAgeSeconds: age.seconds === undefined ? null : Math.round(age.seconds),
        ageMethod: age.method,
        dlqDepth: dlq.visible + dlq.inFlight,
        failoverBacklog: backlog.get(route.name) ?? 0,
      };
    }),
  );
  const known = new Set(stack.routes.map((route) => route.name));
  const unroutableFailover = [...backlog].reduce(
    (sum, [name, count]) => sum + (known.has(name) ? 0 : count),
    0,
  );
  return { stack: stack.description, routes: statuses, unroutableFailover };
}

/** PAUSED (an operator's, it wins), held (by an open breaker, until a probe succeeds), or running. */
export function deliveriesCell(row: RouteStatus): string {
  if (row.paused) return 'PAUSED';
  return row.heldByBreaker ? 'held' : 'running';
}

const COLUMNS: readonly Column<RouteStatus>[] = [
  { header: 'ROUTE', value: (row) => row.route },
  { header: 'DELIVERIES', value: deliveriesCell },
  { header: 'QUEUE', value: (row) => row.queueDepth, align: 'right' },
  { header: 'IN FLIGHT', value: (row) => row.inFlight, align: 'right' },
  { header: 'OLDEST', value: (row) => formatDuration(row.oldestAgeSeconds ?? undefined), align: 'right' },
  { header: 'DLQ', value: (row) => row.dlqDepth, align: 'right' },
  { header: 'FAILOVER', value: (row) => row.failoverBacklog, align: 'right' },
];

/** More routes than fit one screen: without `--route`, `gd status` shows only those needing a look. */
export const ONE_SCREEN_ROUTES = 20;

/** Whether a route has anything to look at: waiting, in flight, dead letters, failover, paused or held. */
export function needsALook(row: RouteStatus): boolean {
  return (
    row.paused ||
    row.heldByBreaker === true ||
    row.queueDepth + row.inFlight + row.dlqDepth + row.failoverBacklog > 0 ||
    (row.breaker !== undefined && row.breaker.state !== 'closed')
  );
}

/**
 * `gd status`: per route, queue depth, in flight, oldest age, DLQ depth, failover backlog, paused, and
 * a line per route with a circuit breaker. Past {@link ONE_SCREEN_ROUTES} routes and without
 * `--route`, the routes with nothing to look at are counted in one line instead of listed.
 */
export async function statusCommand(
  stack: StackTarget,
  options: StatusOptions,
  output: Output,
): Promise<number> {
  const status = await collectStatus(stack, options);
  if (options.json) {
    printJson(output, status);
    return 0;
  }
  output.out(status.stack);
  const shown =
    options.route === undefined && status.routes.length > ONE_SCREEN_ROUTES
      ? status.routes.filter(needsALook)
      : status.routes;
  if (shown.length > 0) output.out(formatTable(COLUMNS, shown));
  if (shown.length < status.routes.length) {
    output.out(
      `${status.routes.length - shown.length} of ${status.routes.length} routes idle (nothing waiting, in flight or dead-lettered; running): ` +
        "gd status --route '<glob>' lists them, e.g. --route 'orders-*'",
    );
  }
  if (status.routes.some((row) => row.ageMethod === 'not-measured')) {
    output.out('OLDEST: not measured locally; --peek measures it (counts as a receive of up to 10 messages)');
  }
  if (status.routes.some((row) => row.ageMethod === 'cloudwatch')) {
    output.out("OLDEST: CloudWatch's ApproximateAgeOfOldestMessage, latest minute reported");
  }
  for (const row of shown) {
    if (row.breaker) output.out(describeBreaker(row.route, row.breaker, row.paused));
  }
  if (status.unroutableFailover > 0) {
    output.out(
      `${status.unroutableFailover} failover item(s) belong to routes this stack does not have; ` +
        'the drainer leaves them in the table.',
    );
  }
  return 0;
}
