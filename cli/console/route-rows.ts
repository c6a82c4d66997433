import type { BreakerSummary } from '../commands/breaker-text.js';
import { collectStatus, deliveriesCell, type RouteStatus } from '../commands/status.js';
import type { RecentOutcomes } from '../stack/recent-outcomes.js';
import type { AgeMethod, StackTarget } from '../stack/stack-target.js';

/** The window of the routes page's "delivered / failed" columns. */
export const RECENT_WINDOW_SECONDS = 3600;

/**
 * One row of the routes page: a route, or (once routes fan out) one of its destinations. The counts
 * are `gd status`'s, plus the last hour's outcomes.
 */
export interface DeliveryRow {
  readonly name: string;
  /** `running`, `PAUSED` (an operator's pause) or `held` (by an open circuit breaker), as in `gd status`. */
  readonly deliveries: string;
  readonly queueDepth: number;
  readonly inFlight: number;
  /** Null when the queue is empty or the age was not measured (locally, without a peek). */
  readonly oldestAgeSeconds: number | null;
  readonly dlqDepth: number;
  readonly failoverBacklog: number;
  /** Absent for a route without a circuit breaker. */
  readonly breaker?: BreakerSummary;
  /** Messages delivered and dead-lettered in the last {@link RECENT_WINDOW_SECONDS}. */
  readonly delivered: number;
  readonly deadLettered: number;
}

/**
 * A route and the rows under it. A route with several destinations (fan-out) will list one row per
 * destination here, each with its own queue, DLQ and breaker; a route with one target has none.
 */
export interface RouteRow extends DeliveryRow {
  readonly destinations: readonly DeliveryRow[];
}

/** Everything the routes page shows, read at one moment. */
export interface RoutesView {
  readonly stack: string;
  readonly rows: readonly RouteRow[];
  readonly ageMethod: AgeMethod;
  readonly outcomes: Pick<RecentOutcomes, 'method' | 'windowSeconds' | 'partial'>;
  /** Failover items of routes this stack does not have. */
  readonly unroutableFailover: number;
  readonly readAt: Date;
}

function row(status: RouteStatus, outcomes: RecentOutcomes): RouteRow {
  const counts = outcomes.byRoute.get(status.route);
  return {
    name: status.route,
    deliveries: deliveriesCell(status),
    queueDepth: status.queueDepth,
    inFlight: status.inFlight,
    oldestAgeSeconds: status.oldestAgeSeconds,
    dlqDepth: status.dlqDepth,
    failoverBacklog: status.failoverBacklog,
    ...(status.breaker ? { breaker: status.breaker } : {}),
    delivered: counts?.delivered ?? 0,
    deadLettered: counts?.deadLettered ?? 0,
    destinations: [],
  };
}

/**
 * `gd status` of every route (without a peek: the page refreshes itself, and locally a peek would
 * count as a delivery attempt each time) and the last hour's outcomes.
 */
export async function readRoutes(
  stack: StackTarget,
  now: () => Date = () => new Date(),
): Promise<RoutesView> {
  const [status, outcomes] = await Promise.all([
    collectStatus(stack, { json: true, peek: false }),
    stack.recentOutcomes(stack.routes, RECENT_WINDOW_SECONDS),
  ]);
  return {
    stack: status.stack,
    rows: status.routes.map((each) => row(each, outcomes)),
    ageMethod: status.routes[0]?.ageMethod ?? 'not-measured',
    outcomes: {
      method: outcomes.method,
      windowSeconds: outcomes.windowSeconds,
      ...(outcomes.partial ? { partial: true } : {}),
    },
    unroutableFailover: status.unroutableFailover,
    readAt: now(),
  };
}
