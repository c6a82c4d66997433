import { Duration } from 'aws-cdk-lib';
import type { IStage, Method } from 'aws-cdk-lib/aws-apigateway';
import { Alarm, ComparisonOperator, type IMetric, TreatMissingData } from 'aws-cdk-lib/aws-cloudwatch';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import type { BreakerSettings } from '../../shared/circuit-breaker.js';
import { routeOutputPrefix } from '../../shared/config/route-output-prefix.js';
import { LOG_EVENT } from '../../shared/log-events.js';
import { METRIC } from '../../shared/metrics.js';
import { deliveryMetric } from './delivery-metric.js';

/**
 * The alarms of the delivery flow as a table: per route, what each watches, from which threshold,
 * and what its description tells on-call (which `gd` command shows the problem and which fixes it).
 * Every alarm has the same shape ({@link thresholdAlarm}), so a new one is a new row.
 */

/**
 * What monitoring needs of a route. A `DeliveryRoute` (infra/constructs/delivery-route.ts) fits as is.
 */
export interface MonitoredRoute {
  /**
   * The route's configuration: its name (metric dimension, alarm names, commands) and, when it has a
   * circuit breaker, the breaker's settings (it then gets the breaker alarm too).
   */
  readonly route: { readonly name: string; readonly breaker?: BreakerSettings };
  /** The delivery queue. */
  readonly queue: IQueue;
  /** The fail-messages dead-letter queue. */
  readonly deadLetterQueue: IQueue;
  /** The forwarder that consumes the delivery queue. */
  readonly forwarderFunction: IFunction;
  /**
   * The route's `POST <path>` method: with an API stage the ingest alarm watches API Gateway's
   * 5XXError of this method, which also catches crashes and integration errors.
   * @default - the ingest alarm watches the custom StoresUnavailable metric (the ingest's own 503s)
   */
  readonly method?: Method;
}

/** The alarms of one route. */
export interface RouteAlarms {
  /** Dead letters are waiting in the route's DLQ. */
  readonly deadLetters: Alarm;
  /** The oldest message in the delivery queue is older than the threshold. */
  readonly oldestMessage: Alarm;
  /** The forwarder failed as a function (crash, timeout), not just a delivery attempt. */
  readonly forwarderErrors: Alarm;
  /** The ingest answered 5xx: clients were turned away. */
  readonly ingestServerErrors: Alarm;
  /** The ingest had to put messages in the failover table because SQS refused them. */
  readonly acceptedToFailover: Alarm;
}

/** What a row of {@link ROUTE_ALARMS} is computed from. */
export interface RouteAlarmContext {
  readonly route: MonitoredRoute;
  /** The route's name, as `gd --route` takes it. */
  readonly name: string;
  readonly apiStage?: IStage;
  readonly period: Duration;
  readonly oldestMessageAge: Duration;
}

/** One alarm: the value it watches, the threshold above which it fires, and its description. */
interface AlarmRow<Context> {
  readonly metric: (context: Context) => IMetric;
  /** @default 0 (any occurrence) */
  readonly threshold?: (context: Context) => number;
  readonly description: (context: Context) => string;
}

/** Every route's alarms; the key is the {@link RouteAlarms} field and, capitalised, the construct id. */
export const ROUTE_ALARMS: { readonly [K in keyof RouteAlarms]: AlarmRow<RouteAlarmContext> } = {
  deadLetters: {
    metric: ({ route, period }) =>
      route.deadLetterQueue.metricApproximateNumberOfMessagesVisible({ period, statistic: 'Maximum' }),
    description: ({ name }) =>
      `Dead letters waiting in the ${name} DLQ: messages that could not be delivered (non-retryable answer or attempts used up). ` +
      `Inspect: npx gd dlq list --route ${name} (npx gd dlq show <id> for one). ` +
      `After fixing the backend or its data: npx gd redrive --route ${name}`,
  },
  oldestMessage: {
    metric: ({ route, period }) =>
      route.queue.metricApproximateAgeOfOldestMessage({ period, statistic: 'Maximum' }),
    threshold: ({ oldestMessageAge }) => oldestMessageAge.toSeconds(),
    description: ({ name, oldestMessageAge }) =>
      `The oldest message waiting in the ${name} delivery queue is older than ${oldestMessageAge.toHumanString()}: the backend is down or slow, or delivery is paused. ` +
      `Check: npx gd status (paused? in flight?). If paused: npx gd resume --route ${name}. Otherwise fix the backend; messages are retried until their attempts are used up.`,
  },
  forwarderErrors: {
    metric: ({ route, period }) => route.forwarderFunction.metricErrors({ period, statistic: 'Sum' }),
    description: ({ name }) =>
      `The ${name} forwarder failed as a function (crash, timeout, permissions), not a delivery attempt: its batch comes back after the visibility timeout. ` +
      `Check its logs (the function name is in the stack outputs) and npx gd status. To stop deliveries while you fix it: npx gd pause --route ${name}, then npx gd resume --route ${name}`,
  },
  ingestServerErrors: {
    metric: ({ route, name, apiStage, period }) =>
      route.method && apiStage
        ? route.method.metricServerError(apiStage, { period, statistic: 'Sum' })
        : deliveryMetric(METRIC.STORES_UNAVAILABLE, name, { period }),
    description: ({ name }) =>
      `POST requests of route ${name} were answered 5xx: clients were turned away (503 = neither SQS nor the failover table took the message). ` +
      `Clients must retry. Check: npx gd status and the ingest logs; send a test message: npx gd send --route ${name}`,
  },
  acceptedToFailover: {
    metric: ({ name, period }) => deliveryMetric(METRIC.ACCEPTED_TO_FAILOVER, name, { period }),
    description: ({ name }) =>
      `The ${name} ingest stored messages in the failover table because SQS refused them: they are safe, and the drainer moves them to the queue on its schedule. ` +
      'Check: npx gd status (failover backlog). Move them now: npx gd drain',
  },
};

/** What the breaker alarm of a route with a circuit breaker is computed from. */
export interface BreakerAlarmContext {
  /** The route's name, as `gd --route` takes it. */
  readonly name: string;
  readonly breaker: BreakerSettings;
}

/**
 * A route's circuit breaker is open. The forwarder publishes `BreakerOpen` 1 when it opens and on
 * every probe tick while open, 0 on a tick while closed; the probe ticks every minute, so the alarm
 * looks at one-minute periods whatever the other alarms' period: ALARM when it opens, OK again on the
 * first tick after it closed. Above 0 is at least 1: the value is 0 or 1.
 */
export const BREAKER_OPEN_ALARM: AlarmRow<BreakerAlarmContext> = {
  metric: ({ name }) =>
    deliveryMetric(METRIC.BREAKER_OPEN, name, { period: Duration.minutes(1), statistic: 'Maximum' }),
  description: ({ name, breaker }) =>
    `The circuit breaker of route ${name} is open: ${breaker.failures} delivery attempts in a row failed (no answer, timeout, 408, 429, 5xx), so deliveries stopped. ` +
    `Messages wait in the queue and no attempt is counted against them. About every ${breaker.probeSeconds} s (at least a minute) the forwarder tries one message; the first answer closes the breaker, deliveries resume by themselves and this alarm returns to OK. ` +
    `Check: the backend, npx gd status --route ${name} (breaker open since ...) and the forwarder's logs (events ${LOG_EVENT.BREAKER_OPENED}, ${LOG_EVENT.BREAKER_PROBE_FAILED}, ${LOG_EVENT.BREAKER_CLOSED}). ` +
    `Nothing to redrive afterwards. To keep the route stopped once the backend is back: npx gd pause --route ${name}`,
};

/** The stack-wide alarm: what the drainer left in the failover table after a run. */
export const FAILOVER_BACKLOG_ALARM: AlarmRow<{ readonly period: Duration }> = {
  metric: ({ period }) => deliveryMetric(METRIC.FAILOVER_LEFT, undefined, { period }),
  description: () =>
    'The failover drainer left messages in the failover table after its run (SQS refused them, they have no route, or it ran out of time). ' +
    'They are safe but not on their way. Check: npx gd status (failover backlog). Move them now: npx gd drain',
};

/** Above this the failover backlog would take more than an hour to drain at the drainer's pace. */
export const DRAIN_ESTIMATE_ALARM_SECONDS = 3_600;

/**
 * The stack-wide alarm: at the pace of its last runs, the drainer would need more than an hour to
 * empty the failover table (the estimate of functions/drainer/drain-estimate.ts, its maximum per
 * period). Published only by runs that ran out of time, so a drain that keeps up stays silent.
 */
export const DRAIN_ESTIMATE_ALARM: AlarmRow<{ readonly period: Duration }> = {
  metric: ({ period }) => deliveryMetric(METRIC.DRAIN_ESTIMATE, undefined, { period, statistic: 'Maximum' }),
  threshold: () => DRAIN_ESTIMATE_ALARM_SECONDS,
  description: () =>
    'At the pace of its last run the failover drainer would need more than an hour to empty the failover table (a long SQS outage parked a large backlog). ' +
    'The messages are safe, but they reach their backends late. Raise drainConcurrency (more SendMessageBatch calls in flight per run) or move them now: npx gd drain. ' +
    'Check: npx gd status (failover backlog) and the drainer logs.',
};

/**
 * An alarm from a row: fires when one period's value is above the threshold. Missing data is not a
 * breach: the custom counters are only published when non-zero, and an idle queue reports nothing.
 */
export function thresholdAlarm<Context>(
  scope: Construct,
  id: string,
  row: AlarmRow<Context>,
  context: Context,
): Alarm {
  return new Alarm(scope, id, {
    alarmDescription: row.description(context),
    metric: row.metric(context),
    threshold: row.threshold?.(context) ?? 0,
    comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
    evaluationPeriods: 1,
    treatMissingData: TreatMissingData.NOT_BREACHING,
  });
}

/** The {@link ROUTE_ALARMS} of one route, with ids `<RoutePrefix><Key>` (e.g. `CateringDeadLetters`). */
export function createRouteAlarms(
  scope: Construct,
  context: RouteAlarmContext,
  which: readonly (keyof RouteAlarms)[] = Object.keys(ROUTE_ALARMS) as (keyof RouteAlarms)[],
): Partial<RouteAlarms> {
  const prefix = routeOutputPrefix(context.name);
  const rows = Object.entries(ROUTE_ALARMS).filter(([key]) => which.includes(key as keyof RouteAlarms));
  const entries = rows.map(([key, row]) => {
    const id = `${prefix}${key.charAt(0).toUpperCase()}${key.slice(1)}`;
    return [key, thresholdAlarm(scope, id, row, context)] as const;
  });
  return Object.fromEntries(entries) as Partial<RouteAlarms>;
}
