import { Duration } from 'aws-cdk-lib';
import type { Schedule } from 'aws-cdk-lib/aws-events';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { ITopic } from 'aws-cdk-lib/aws-sns';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { MAX_REDRIVE_ROUNDS, MAX_REDRIVE_WAIT_SECONDS } from '../../shared/config/operations.js';
import { routeOutputPrefix } from '../../shared/config/route-output-prefix.js';
import { ConfigurationError } from '../../shared/errors.js';

/**
 * What continuing delivery (continuing-delivery.ts) is built from: its props with their defaults,
 * and the plan of its waits, checked against what a Step Functions execution may run.
 */

/** A Standard workflow runs at most a year; the worst case of all waits must fit with room to spare. */
const MAX_EXECUTION_SECONDS = 365 * 24 * 3600;
/** Room for the SQS calls and the move tasks themselves on top of the waits. */
export const EXECUTION_MARGIN = Duration.hours(1);

/** Defaults of the optional {@link ContinuingDeliveryProps}, merged in the constructor. */
export const CONTINUING_DELIVERY_DEFAULTS = {
  initialWait: Duration.minutes(5),
  maxWait: Duration.hours(6),
  maxRounds: 10,
  logRetention: RetentionDays.ONE_MONTH,
} as const;

/** What continuing delivery needs of a route. A `DeliveryRoute` (infra/constructs/delivery-route.ts) fits as is. */
export interface RedriveRoute {
  /** The route's configuration; only its name is used. */
  readonly route: { readonly name: string };
  /** The delivery queue: the destination of the redrive. */
  readonly queue: IQueue;
  /** The route's dead-letter queue: the source of the redrive. Its redrive allow policy must allow {@link queue}. */
  readonly deadLetterQueue: IQueue;
}

/** Properties of {@link ContinuingDelivery}. */
export interface ContinuingDeliveryProps {
  /** One state machine is created per route, so a failing backend never holds up another route's redrives. */
  readonly routes: readonly RedriveRoute[];
  /**
   * Wait after the first redrive before the DLQ is looked at again. Make it at least as long as the
   * forwarder needs to use up a message's attempts, or a redriven message still being retried is
   * counted as delivered. Each later wait doubles, up to {@link maxWait}.
   * @default Duration.minutes(5)
   */
  readonly initialWait?: Duration;
  /**
   * Cap of the doubling wait.
   * @default Duration.hours(6)
   */
  readonly maxWait?: Duration;
  /**
   * Redrives per execution. After the last one's wait, dead letters still there make the execution
   * notify {@link notificationTopic} and fail.
   * @default 10
   */
  readonly maxRounds?: number;
  /**
   * Starts every route's state machine on this schedule (EventBridge). A start finding the DLQ empty
   * succeeds at once; one finding a move task running waits for it instead of starting another.
   * @default - no schedule: started by `gd` (the CLI) or the Step Functions console
   */
  readonly schedule?: Schedule;
  /**
   * Topic told when an execution gives up (typically the alarm topic of `DeliveryMonitoring`).
   * @default - no notification; the failed execution and the DLQ alarm remain
   */
  readonly notificationTopic?: ITopic;
  /**
   * Messages per second each move task moves (StartMessageMoveTask's MaxNumberOfMessagesPerSecond, 1-500),
   * to spare a backend that has just come back.
   * @default - SQS's own optimized rate
   */
  readonly maxMessagesPerSecond?: number;
  /**
   * Retention of the state machines' log group.
   * @default RetentionDays.ONE_MONTH
   */
  readonly logRetention?: RetentionDays;
  /**
   * The stack's resource prefix. With it, every route's state machine is named from it
   * (`<prefix>_cd_<route>`), is created beside its route (in the route's nested stack, when the route
   * is a construct there) and runs as one role shared by all of them, granted on the routes' queues by
   * their name patterns: one resource a route (two with a schedule) instead of four, and an operator
   * policy that names them all by one pattern.
   * @default - a role of each state machine's own, granted on its route's queues, in this construct
   */
  readonly namePrefix?: string;
  /**
   * Whether the state machines record X-Ray traces (billed per trace).
   * @default true
   */
  readonly tracing?: boolean;
}

/** The waits of every round, in seconds, as validated. */
export interface WaitPlan {
  readonly initialWaitSeconds: number;
  readonly maxWaitSeconds: number;
  readonly maxRounds: number;
  /** Sum of all waits: how long an execution that gives up runs (plus the calls). */
  readonly worstCaseSeconds: number;
}

export function planWaits(
  props: ContinuingDeliveryProps,
  initialWait: Duration,
  maxWait: Duration,
  maxRounds: number,
): WaitPlan {
  if (props.routes.length === 0) {
    throw new ConfigurationError('ContinuingDelivery: routes must name at least one route, got []');
  }
  const ids = props.routes.map((r) => routeOutputPrefix(r.route.name));
  const clash = ids.find((value, index) => ids.indexOf(value) !== index);
  if (clash !== undefined) {
    throw new ConfigurationError(
      `ContinuingDelivery: route names ${JSON.stringify(props.routes.map((r) => r.route.name))} give the same id '${clash}'`,
    );
  }
  const initialWaitSeconds = initialWait.toSeconds();
  const maxWaitSeconds = maxWait.toSeconds();
  if (!Number.isInteger(initialWaitSeconds) || initialWaitSeconds < 1) {
    throw new ConfigurationError(
      `ContinuingDelivery: initialWait must be at least 1 whole second, got ${initialWaitSeconds} s`,
    );
  }
  if (
    !Number.isInteger(maxWaitSeconds) ||
    maxWaitSeconds < initialWaitSeconds ||
    maxWaitSeconds > MAX_REDRIVE_WAIT_SECONDS
  ) {
    throw new ConfigurationError(
      `ContinuingDelivery: maxWait must be whole seconds from initialWait (${initialWaitSeconds} s) to ${MAX_REDRIVE_WAIT_SECONDS} s, got ${maxWaitSeconds} s`,
    );
  }
  if (!Number.isInteger(maxRounds) || maxRounds < 1 || maxRounds > MAX_REDRIVE_ROUNDS) {
    throw new ConfigurationError(
      `ContinuingDelivery: maxRounds must be a whole number from 1 to ${MAX_REDRIVE_ROUNDS}, got ${maxRounds}`,
    );
  }
  const rate = props.maxMessagesPerSecond;
  if (rate !== undefined && (!Number.isInteger(rate) || rate < 1 || rate > 500)) {
    throw new ConfigurationError(
      `ContinuingDelivery: maxMessagesPerSecond must be a whole number from 1 to 500, got ${rate}`,
    );
  }
  let worstCaseSeconds = 0;
  let wait = initialWaitSeconds;
  for (let round = 0; round < maxRounds; round++) {
    worstCaseSeconds += wait;
    wait = Math.min(wait * 2, maxWaitSeconds);
  }
  if (worstCaseSeconds + EXECUTION_MARGIN.toSeconds() > MAX_EXECUTION_SECONDS) {
    throw new ConfigurationError(
      `ContinuingDelivery: ${maxRounds} rounds waiting up to ${maxWaitSeconds} s take ${worstCaseSeconds} s, more than a Step Functions execution may run (one year); lower maxRounds or maxWait`,
    );
  }
  return { initialWaitSeconds, maxWaitSeconds, maxRounds, worstCaseSeconds };
}
