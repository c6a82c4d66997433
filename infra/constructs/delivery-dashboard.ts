import { Duration } from 'aws-cdk-lib';
import type { IStage } from 'aws-cdk-lib/aws-apigateway';
import {
  AlarmStatusWidget,
  Dashboard,
  DashboardVariable,
  DefaultValue,
  GraphWidget,
  type IAlarm,
  type IMetric,
  type IWidget,
  Metric,
  type MetricOptions,
  SingleValueWidget,
  TextWidget,
  Values,
  VariableInputType,
  VariableType,
} from 'aws-cdk-lib/aws-cloudwatch';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import { METRIC, type MetricName } from '../../shared/metrics.js';
import { forwarderFunctionName, queueNames } from '../../shared/resource-names.js';
import type { MonitoredRoute } from './delivery-alarms.js';
import { overviewWidgets } from './delivery-dashboard-overview.js';
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
  prefix?: string,
): IWidget[] {
  const name = route.route.name;
  // With the stack's prefix, the route's queues and forwarder by their derived names: no reference
  // into the route's nested stack, and what the route selector swaps for another route's.
  const derived = prefix === undefined ? undefined : queueNames(prefix, route.route);
  const sqs = (queue: IQueue, queueName: string | undefined, metricName: string, label: string) =>
    queueName === undefined
      ? queue.metric(metricName, { period, statistic: 'Maximum', label })
      : new Metric({
          namespace: 'AWS/SQS',
          metricName,
          dimensionsMap: { QueueName: queueName },
          period,
          statistic: 'Maximum',
          label,
        });
  const queue = (metricName: string, label: string) =>
    sqs(route.queue, derived?.deliveryQueue, metricName, label);
  const functionName = prefix === undefined ? undefined : forwarderFunctionName(prefix, route.route);
  const fn = (metricName: string, statistic: string, label: string) =>
    functionName === undefined
      ? route.forwarderFunction.metric(metricName, { period, statistic, label })
      : new Metric({
          namespace: 'AWS/Lambda',
          metricName,
          dimensionsMap: { FunctionName: functionName },
          period,
          statistic,
          label,
        });
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
        queue('ApproximateNumberOfMessagesVisible', 'waiting'),
        queue('ApproximateNumberOfMessagesNotVisible', 'in flight'),
      ],
      right: [queue('ApproximateAgeOfOldestMessage', 'oldest age (s)')],
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
        sqs(
          route.deadLetterQueue,
          derived?.deadLetterQueue,
          'ApproximateNumberOfMessagesVisible',
          'dead letters',
        ),
      ],
      width: 6,
      height: 3,
    }),
    new GraphWidget({
      title: `${name}: forwarder`,
      left: [fn('Duration', 'p99', 'duration p99'), fn('Duration', 'Average', 'duration avg')],
      right: [
        fn('Errors', 'Sum', 'errors'),
        fn('ConcurrentExecutions', 'Maximum', 'concurrency'),
        fn('Throttles', 'Sum', 'throttles'),
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

/** An alarm status widget shows at most 100 alarms (CloudWatch's dashboard body structure). */
export const MAX_ALARMS_PER_WIDGET = 100;

/** What the dashboard is made of. */
export interface DeliveryDashboardProps {
  readonly routes: readonly MonitoredRoute[];
  /** The alarms its status widget shows. */
  readonly alarms: readonly IAlarm[];
  /** Whether those are all the alarms (else the stack-wide ones: a widget holds 100). */
  readonly allAlarmsShown: boolean;
  readonly period: Duration;
  readonly dashboardName?: string;
  readonly apiStage?: IStage;
  readonly drainer?: IFunction;
  /** The stack's prefix: the overview of every route, and derived names in the route's widgets. */
  readonly namePrefix?: string;
}

/**
 * The dashboard: an overview of every route at once, then one set of per-route widgets with a
 * route selector (a dashboard of one row a route would pass CloudWatch's widgets a dashboard long
 * before 200 routes; picking a route replaces the first route's name wherever the per-route widgets
 * hold it: its queues, forwarder and metrics), then failover.
 */
export function deliveryDashboard(scope: Construct, props: DeliveryDashboardProps): Dashboard {
  const [first] = props.routes;
  const selected = first?.route.name ?? '';
  const dashboard = new Dashboard(scope, 'Dashboard', {
    dashboardName: props.dashboardName,
    defaultInterval: Duration.hours(3),
    variables: first
      ? [
          new DashboardVariable({
            id: 'route',
            label: 'Route',
            type: VariableType.PATTERN,
            inputType: VariableInputType.SELECT,
            value: selected,
            values: Values.fromValues(...props.routes.map((route) => ({ value: route.route.name }))),
            defaultValue: DefaultValue.value(selected),
          }),
        ]
      : [],
  });
  dashboard.addWidgets(
    new TextWidget({
      markdown:
        '# Guaranteed delivery\nAll routes first, then the route picked in **Route** above: ingest → queue → forwarder → backend. ' +
        'Runbook: `npx gd status`, `npx gd dlq list --route R`, `npx gd redrive --route R`, `npx gd drain`.',
      width: 24,
      height: 2,
    }),
  );
  dashboard.addWidgets(
    new AlarmStatusWidget({
      title: props.allAlarmsShown ? 'Alarms' : 'Alarms (stack-wide; every route alarm: CloudWatch > Alarms)',
      alarms: [...props.alarms],
      width: 24,
      height: 4,
    }),
  );
  if (props.namePrefix !== undefined)
    dashboard.addWidgets(...overviewWidgets(props.namePrefix, props.period));
  if (first) dashboard.addWidgets(...routeWidgets(first, props.apiStage, props.period, props.namePrefix));
  dashboard.addWidgets(...failoverWidgets(props.drainer, props.period));
  return dashboard;
}
