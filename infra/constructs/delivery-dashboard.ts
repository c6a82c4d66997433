import type { Duration } from 'aws-cdk-lib';
import type { IStage } from 'aws-cdk-lib/aws-apigateway';
import {
  GraphWidget,
  type IMetric,
  type IWidget,
  type MetricOptions,
  SingleValueWidget,
  TextWidget,
} from 'aws-cdk-lib/aws-cloudwatch';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { METRIC, type MetricName } from '../../shared/metrics.js';
import type { MonitoredRoute } from './delivery-alarms.js';
import { deliveryMetric } from './delivery-metric.js';

/**
 * The delivery dashboard's rows (DeliveryMonitoring builds the dashboard): one per route, left to
 * right in the order a message flows, and one for failover.
 */

/** A per-route custom metric with the dashboard's period. */
const metricForRoute = (period: Duration, name: MetricName, route: string, options?: MetricOptions) =>
  deliveryMetric(name, route, { period, ...options });

/** A stack-wide metric of the drainer's with the dashboard's period. */
const failoverMetric = (name: MetricName, period: Duration, options?: MetricOptions) =>
  deliveryMetric(name, undefined, { period, ...options });

/** One dashboard row (plus a title) per route, left to right in the order a message flows. */
export function routeWidgets(
  route: MonitoredRoute,
  apiStage: IStage | undefined,
  period: Duration,
): IWidget[] {
  const name = route.route.name;
  const m = (metric: MetricName, label: string) => metricForRoute(period, metric, name, { label });
  const ingestRight: IMetric[] = [
    m(METRIC.REJECTED, '4xx rejected'),
    m(METRIC.STORES_UNAVAILABLE, '503 stores unavailable'),
  ];
  if (route.method && apiStage) {
    ingestRight.push(
      route.method.metricClientError(apiStage, { period, label: 'API 4XXError' }),
      route.method.metricServerError(apiStage, { period, label: 'API 5XXError' }),
    );
  }
  const fn = route.forwarderFunction;
  return [
    new TextWidget({ markdown: `## Route \`${name}\``, width: 24, height: 1 }),
    new GraphWidget({
      title: `${name}: ingest`,
      left: [
        m(METRIC.ACCEPTED_TO_QUEUE, 'accepted → queue'),
        m(METRIC.ACCEPTED_TO_FAILOVER, 'accepted → failover'),
      ],
      right: ingestRight,
      width: 6,
    }),
    new GraphWidget({
      title: `${name}: delivery queue`,
      left: [
        route.queue.metricApproximateNumberOfMessagesVisible({
          period,
          statistic: 'Maximum',
          label: 'waiting',
        }),
        route.queue.metricApproximateNumberOfMessagesNotVisible({
          period,
          statistic: 'Maximum',
          label: 'in flight',
        }),
      ],
      right: [
        route.queue.metricApproximateAgeOfOldestMessage({
          period,
          statistic: 'Maximum',
          label: 'oldest age (s)',
        }),
      ],
      width: 6,
    }),
    new GraphWidget({
      title: `${name}: delivery`,
      left: [
        m(METRIC.DELIVERED, 'delivered'),
        m(METRIC.DUPLICATES_SUPPRESSED, 'duplicates suppressed'),
        m(METRIC.COPIES_PUT_BACK, 'copies put back (another copy leased)'),
      ],
      right: [m(METRIC.ATTEMPTS_FAILED, 'attempts failed'), m(METRIC.DEAD_LETTERED, 'dead-lettered')],
      width: 6,
    }),
    new SingleValueWidget({
      title: `${name}: DLQ depth`,
      metrics: [
        route.deadLetterQueue.metricApproximateNumberOfMessagesVisible({
          period,
          statistic: 'Maximum',
          label: 'dead letters',
        }),
      ],
      width: 6,
      height: 3,
    }),
    new GraphWidget({
      title: `${name}: forwarder`,
      left: [
        fn.metricDuration({ period, statistic: 'p99', label: 'duration p99' }),
        fn.metricDuration({ period, statistic: 'Average', label: 'duration avg' }),
      ],
      right: [
        fn.metricErrors({ period, statistic: 'Sum', label: 'errors' }),
        fn.metric('ConcurrentExecutions', { period, statistic: 'Maximum', label: 'concurrency' }),
        fn.metricThrottles({ period, statistic: 'Sum', label: 'throttles' }),
      ],
      width: 12,
    }),
    // Each attempt's backend time, as the status records list it, from the metric the forwarder
    // emits per attempt: percentiles over attempts, not over batches.
    new GraphWidget({
      title: `${name}: attempt latency`,
      left: [
        metricForRoute(period, METRIC.ATTEMPT_DURATION, name, {
          statistic: 'p50',
          label: 'attempt p50 (ms)',
        }),
        metricForRoute(period, METRIC.ATTEMPT_DURATION, name, {
          statistic: 'p99',
          label: 'attempt p99 (ms)',
        }),
      ],
      width: 12,
    }),
    ...(route.route.breaker
      ? [
          new GraphWidget({
            title: `${name}: circuit breaker`,
            left: [
              metricForRoute(period, METRIC.BREAKER_OPEN, name, {
                statistic: 'Maximum',
                label: 'open (1) / closed (0)',
              }),
            ],
            right: [m(METRIC.HELD_BY_BREAKER, 'held back while open')],
            width: 24,
            height: 4,
          }),
        ]
      : []),
  ];
}

/** The failover row: what the drainer moved back and left, and the drainer itself. */
export function failoverWidgets(drainer: IFunction | undefined, period: Duration): IWidget[] {
  const widgets: IWidget[] = [
    new TextWidget({ markdown: '## Failover (all routes)', width: 24, height: 1 }),
    new GraphWidget({
      title: 'Failover: drained / left',
      left: [
        failoverMetric(METRIC.DRAINED, period, { label: 'drained to queues' }),
        failoverMetric(METRIC.FAILOVER_LEFT, period, { label: 'left after a run' }),
      ],
      right: [
        failoverMetric(METRIC.DRAIN_ESTIMATE, period, {
          label: 'time to drain at the last pace (s)',
          statistic: 'Maximum',
        }),
      ],
      width: 12,
    }),
  ];
  if (drainer) {
    widgets.push(
      new GraphWidget({
        title: 'Drainer',
        left: [drainer.metricDuration({ period, statistic: 'Maximum', label: 'duration max' })],
        right: [drainer.metricErrors({ period, statistic: 'Sum', label: 'errors' })],
        width: 12,
      }),
    );
  }
  return widgets;
}
