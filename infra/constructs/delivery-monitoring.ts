import { Duration, Stack } from 'aws-cdk-lib';
import type { IStage, Method } from 'aws-cdk-lib/aws-apigateway';
import {
  Alarm,
  AlarmStatusWidget,
  ComparisonOperator,
  Dashboard,
  GraphWidget,
  type IAlarm,
  type IMetric,
  type IWidget,
  Metric,
  type MetricOptions,
  SingleValueWidget,
  TextWidget,
  TreatMissingData,
} from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import { PolicyStatement, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Key } from 'aws-cdk-lib/aws-kms';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { type ITopic, Topic } from 'aws-cdk-lib/aws-sns';
import { EmailSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { routeOutputPrefix } from '../../shared/config/route-output-prefix.js';
import { ConfigurationError } from '../../shared/errors.js';
import {
  METRIC,
  METRIC_SERVICE,
  METRICS_NAMESPACE,
  type MetricName,
  ROUTE_DIMENSION,
  SERVICE_DIMENSION,
} from '../../shared/metrics.js';
import { definedOnly } from './defined-props.js';

/** The drainer publishes without a route: its metrics are stack-wide. */
const STACK_WIDE_METRICS: ReadonlySet<MetricName> = new Set([METRIC.DRAINED, METRIC.FAILOVER_LEFT]);

/**
 * A custom metric of the functions with exactly the dimensions they emit: `service` always, `route`
 * for per-route metrics (all but the drainer's).
 */
export function deliveryMetric(name: MetricName, route?: string, options: MetricOptions = {}): Metric {
  const stackWide = STACK_WIDE_METRICS.has(name);
  if (stackWide && route !== undefined) {
    throw new ConfigurationError(`Metric ${name} is emitted without a route; got route '${route}'`);
  }
  if (!stackWide && route === undefined) {
    throw new ConfigurationError(`Metric ${name} is emitted per route; pass the route name`);
  }
  return new Metric({
    namespace: METRICS_NAMESPACE,
    metricName: name,
    statistic: 'Sum',
    period: Duration.minutes(5),
    ...options,
    dimensionsMap: {
      [SERVICE_DIMENSION]: METRIC_SERVICE[name],
      ...(route === undefined ? {} : { [ROUTE_DIMENSION]: route }),
      ...options.dimensionsMap,
    },
  });
}

/** Defaults of the optional {@link DeliveryMonitoringProps}, merged in the constructor. */
export const DELIVERY_MONITORING_DEFAULTS = {
  oldestMessageAgeThreshold: Duration.minutes(15),
  period: Duration.minutes(5),
  notifyOnOk: true,
} as const;

/**
 * What monitoring needs of a route. A `DeliveryRoute` (infra/constructs/delivery-route.ts) fits as is.
 */
export interface MonitoredRoute {
  /** The route's configuration; only its name is used (metric dimension, alarm names, commands). */
  readonly route: { readonly name: string };
  /** The delivery queue. */
  readonly queue: IQueue;
  /** The fail-messages dead-letter queue. */
  readonly deadLetterQueue: IQueue;
  /** The forwarder that consumes the delivery queue. */
  readonly forwarderFunction: IFunction;
  /**
   * The route's `POST <path>` method: with {@link DeliveryMonitoringProps.apiStage} the ingest alarm
   * watches API Gateway's 5XXError of this method, which also catches crashes and integration errors.
   * @default - the ingest alarm watches the custom StoresUnavailable metric (the ingest's own 503s)
   */
  readonly method?: Method;
}

/** Properties of {@link DeliveryMonitoring}. */
export interface DeliveryMonitoringProps {
  /** The routes to watch, each with its own alarms and dashboard row. */
  readonly routes: readonly MonitoredRoute[];
  /**
   * The API stage whose per-method metrics (detailed metrics must be on) the ingest alarms watch.
   * @default - no API Gateway metrics: ingest 5xx from the custom StoresUnavailable metric
   */
  readonly apiStage?: IStage;
  /**
   * The failover drainer, for its errors and duration on the dashboard.
   * @default - the dashboard shows the drainer's custom metrics only
   */
  readonly drainerFunction?: IFunction;
  /**
   * Topic the alarms notify (alarm and back to OK).
   * @default - a new encrypted, SSL-only topic when {@link alarmEmail} is set; otherwise no notifications
   */
  readonly alarmTopic?: ITopic;
  /**
   * Email address subscribed to the alarm topic (the given one, or a new one). AWS asks the address to confirm.
   * @default - no subscription
   */
  readonly alarmEmail?: string;
  /**
   * Age of the oldest message in a delivery queue that raises the alarm: messages are waiting longer
   * than the backend should ever be down.
   * @default Duration.minutes(15)
   */
  readonly oldestMessageAgeThreshold?: Duration;
  /**
   * Period of every alarm and dashboard metric.
   * @default Duration.minutes(5)
   */
  readonly period?: Duration;
  /**
   * Whether the topic is also told when an alarm returns to OK, so on-call knows it is over.
   * @default true
   */
  readonly notifyOnOk?: boolean;
  /**
   * Name of the dashboard.
   * @default - generated by CloudFormation
   */
  readonly dashboardName?: string;
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

/**
 * CloudWatch alarms and a dashboard for the delivery flow (issue 4): per route, dead letters, the
 * oldest message's age, forwarder errors, ingest 5xx and failover use; stack-wide, the failover
 * backlog the drainer left. Each alarm's description says what it means and which `gd` command fixes it.
 */
export class DeliveryMonitoring extends Construct {
  /** The topic alarms notify, if any (given or created). */
  public readonly alarmTopic?: ITopic;
  /** Alarms per route name. */
  public readonly routeAlarms: ReadonlyMap<string, RouteAlarms>;
  /** The drainer left items in the failover table after a run. */
  public readonly failoverBacklogAlarm: Alarm;
  /** Every alarm, in creation order (for alarm status widgets or composite alarms). */
  public readonly alarms: readonly Alarm[];
  /** The flow of every route on one page. */
  public readonly dashboard: Dashboard;

  private readonly period: Duration;

  constructor(scope: Construct, id: string, props: DeliveryMonitoringProps) {
    super(scope, id);
    const settings = { ...DELIVERY_MONITORING_DEFAULTS, ...definedOnly(props) };
    validate(props, settings.oldestMessageAgeThreshold, settings.period);
    this.period = settings.period;

    this.alarmTopic = props.alarmTopic ?? (props.alarmEmail ? this.createTopic() : undefined);
    if (props.alarmEmail && this.alarmTopic)
      this.alarmTopic.addSubscription(new EmailSubscription(props.alarmEmail));

    const alarms: Alarm[] = [];
    const routeAlarms = new Map<string, RouteAlarms>();
    for (const route of props.routes) {
      const created = this.createRouteAlarms(route, props.apiStage, settings.oldestMessageAgeThreshold);
      routeAlarms.set(route.route.name, created);
      alarms.push(...Object.values(created));
    }
    this.routeAlarms = routeAlarms;

    this.failoverBacklogAlarm = new Alarm(this, 'FailoverBacklog', {
      alarmDescription:
        'The failover drainer left messages in the failover table after its run (SQS refused them, they have no route, or it ran out of time). ' +
        'They are safe but not on their way. Check: npx gd status (failover backlog). Move them now: npx gd drain',
      metric: this.metricFailoverLeft(),
      threshold: 0,
      comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 1,
      // The drainer only reports a non-zero count; no data means nothing was left.
      treatMissingData: TreatMissingData.NOT_BREACHING,
    });
    alarms.push(this.failoverBacklogAlarm);
    this.alarms = alarms;

    if (this.alarmTopic) {
      const action = new SnsAction(this.alarmTopic);
      for (const alarm of alarms) {
        alarm.addAlarmAction(action);
        if (settings.notifyOnOk) alarm.addOkAction(action);
      }
    }

    this.dashboard = new Dashboard(this, 'Dashboard', {
      dashboardName: props.dashboardName,
      defaultInterval: Duration.hours(3),
    });
    this.dashboard.addWidgets(
      new TextWidget({
        markdown:
          '# Guaranteed delivery\nPer route: ingest → queue → forwarder → backend, dead letters and failover. ' +
          'Runbook: `npx gd status`, `npx gd dlq list --route R`, `npx gd redrive --route R`, `npx gd drain`.',
        width: 24,
        height: 2,
      }),
    );
    this.dashboard.addWidgets(
      new AlarmStatusWidget({ title: 'Alarms', alarms: alarms as IAlarm[], width: 24, height: 4 }),
    );
    for (const route of props.routes) this.dashboard.addWidgets(...this.routeWidgets(route, props.apiStage));
    this.dashboard.addWidgets(...this.failoverWidgets(props.drainerFunction));
  }

  /** A per-route custom metric (see {@link deliveryMetric}) with this construct's period. */
  public metricForRoute(name: MetricName, route: string, options?: MetricOptions): Metric {
    return deliveryMetric(name, route, { period: this.period, ...options });
  }

  /** Items the drainer left in the failover table after its runs (stack-wide). */
  public metricFailoverLeft(options?: MetricOptions): Metric {
    return deliveryMetric(METRIC.FAILOVER_LEFT, undefined, { period: this.period, ...options });
  }

  /** Items the drainer moved back to delivery queues (stack-wide). */
  public metricFailoverDrained(options?: MetricOptions): Metric {
    return deliveryMetric(METRIC.DRAINED, undefined, { period: this.period, ...options });
  }

  /** An encrypted, SSL-only topic that CloudWatch alarms may publish to. */
  private createTopic(): Topic {
    // CloudWatch cannot use the AWS-managed SNS key: a topic it publishes to needs a customer key
    // whose policy lets CloudWatch encrypt with it.
    const key = new Key(this, 'AlarmTopicKey', {
      description: 'Encrypts the guaranteed-delivery alarm topic',
      enableKeyRotation: true,
    });
    key.addToResourcePolicy(
      new PolicyStatement({
        actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
        principals: [new ServicePrincipal('cloudwatch.amazonaws.com')],
        resources: ['*'],
        conditions: { StringEquals: { 'aws:SourceAccount': Stack.of(this).account } },
      }),
    );
    return new Topic(this, 'AlarmTopic', {
      displayName: 'Guaranteed delivery alarms',
      masterKey: key,
      enforceSSL: true,
    });
  }

  private createRouteAlarms(
    route: MonitoredRoute,
    apiStage: IStage | undefined,
    oldestAge: Duration,
  ): RouteAlarms {
    const name = route.route.name;
    const id = routeOutputPrefix(name);
    const period = this.period;
    const deadLetters = new Alarm(this, `${id}DeadLetters`, {
      alarmDescription:
        `Dead letters waiting in the ${name} DLQ: messages that could not be delivered (non-retryable answer or attempts used up). ` +
        `Inspect: npx gd dlq list --route ${name} (npx gd dlq show <id> for one). ` +
        `After fixing the backend or its data: npx gd redrive --route ${name}`,
      metric: route.deadLetterQueue.metricApproximateNumberOfMessagesVisible({
        period,
        statistic: 'Maximum',
      }),
      threshold: 0,
      comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 1,
      treatMissingData: TreatMissingData.NOT_BREACHING,
    });
    const oldestMessage = new Alarm(this, `${id}OldestMessage`, {
      alarmDescription:
        `The oldest message waiting in the ${name} delivery queue is older than ${oldestAge.toHumanString()}: the backend is down or slow, or delivery is paused. ` +
        `Check: npx gd status (paused? in flight?). If paused: npx gd resume --route ${name}. Otherwise fix the backend; messages are retried until their attempts are used up.`,
      metric: route.queue.metricApproximateAgeOfOldestMessage({ period, statistic: 'Maximum' }),
      threshold: oldestAge.toSeconds(),
      comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 1,
      treatMissingData: TreatMissingData.NOT_BREACHING,
    });
    const forwarderErrors = new Alarm(this, `${id}ForwarderErrors`, {
      alarmDescription:
        `The ${name} forwarder failed as a function (crash, timeout, permissions), not a delivery attempt: its batch comes back after the visibility timeout. ` +
        `Check its logs (the function name is in the stack outputs) and npx gd status. To stop deliveries while you fix it: npx gd pause --route ${name}, then npx gd resume --route ${name}`,
      metric: route.forwarderFunction.metricErrors({ period, statistic: 'Sum' }),
      threshold: 0,
      comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 1,
      treatMissingData: TreatMissingData.NOT_BREACHING,
    });
    const apiMetric =
      route.method && apiStage
        ? route.method.metricServerError(apiStage, { period, statistic: 'Sum' })
        : undefined;
    const ingestServerErrors = new Alarm(this, `${id}IngestServerErrors`, {
      alarmDescription:
        `POST requests of route ${name} were answered 5xx: clients were turned away (503 = neither SQS nor the failover table took the message). ` +
        `Clients must retry. Check: npx gd status and the ingest logs; send a test message: npx gd send --route ${name}`,
      metric: apiMetric ?? this.metricForRoute(METRIC.STORES_UNAVAILABLE, name),
      threshold: 0,
      comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 1,
      treatMissingData: TreatMissingData.NOT_BREACHING,
    });
    const acceptedToFailover = new Alarm(this, `${id}AcceptedToFailover`, {
      alarmDescription:
        `The ${name} ingest stored messages in the failover table because SQS refused them: they are safe, and the drainer moves them to the queue on its schedule. ` +
        'Check: npx gd status (failover backlog). Move them now: npx gd drain',
      metric: this.metricForRoute(METRIC.ACCEPTED_TO_FAILOVER, name),
      threshold: 0,
      comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 1,
      treatMissingData: TreatMissingData.NOT_BREACHING,
    });
    return { deadLetters, oldestMessage, forwarderErrors, ingestServerErrors, acceptedToFailover };
  }

  /** One dashboard row (plus a title) per route, left to right in the order a message flows. */
  private routeWidgets(route: MonitoredRoute, apiStage: IStage | undefined): IWidget[] {
    const name = route.route.name;
    const period = this.period;
    const m = (metric: MetricName, label: string) => this.metricForRoute(metric, name, { label });
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
        left: [m(METRIC.DELIVERED, 'delivered'), m(METRIC.DUPLICATES_SUPPRESSED, 'duplicates suppressed')],
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
          this.metricForRoute(METRIC.ATTEMPT_DURATION, name, { statistic: 'p50', label: 'attempt p50 (ms)' }),
          this.metricForRoute(METRIC.ATTEMPT_DURATION, name, { statistic: 'p99', label: 'attempt p99 (ms)' }),
        ],
        right: [m(METRIC.KEY_REUSE_DISCARDED, 'reused-key copies discarded')],
        width: 12,
      }),
    ];
  }

  private failoverWidgets(drainer: IFunction | undefined): IWidget[] {
    const widgets: IWidget[] = [
      new TextWidget({ markdown: '## Failover (all routes)', width: 24, height: 1 }),
      new GraphWidget({
        title: 'Failover: drained / left',
        left: [
          this.metricFailoverDrained({ label: 'drained to queues' }),
          this.metricFailoverLeft({ label: 'left after a run' }),
        ],
        width: 12,
      }),
    ];
    if (drainer) {
      widgets.push(
        new GraphWidget({
          title: 'Drainer',
          left: [
            drainer.metricDuration({ period: this.period, statistic: 'Maximum', label: 'duration max' }),
          ],
          right: [drainer.metricErrors({ period: this.period, statistic: 'Sum', label: 'errors' })],
          width: 12,
        }),
      );
    }
    return widgets;
  }
}

function validate(props: DeliveryMonitoringProps, oldestAge: Duration, period: Duration): void {
  if (props.routes.length === 0) {
    throw new ConfigurationError('DeliveryMonitoring: routes must name at least one route, got []');
  }
  const names = props.routes.map((r) => r.route.name);
  const ids = names.map(routeOutputPrefix);
  const clash = ids.find((value, index) => ids.indexOf(value) !== index);
  if (clash !== undefined) {
    throw new ConfigurationError(
      `DeliveryMonitoring: route names ${JSON.stringify(names)} give the same alarm id '${clash}'`,
    );
  }
  if (oldestAge.toSeconds() <= 0) {
    throw new ConfigurationError(
      `DeliveryMonitoring: oldestMessageAgeThreshold must be positive, got ${oldestAge.toSeconds()} s`,
    );
  }
  // CloudWatch alarms take 10 s, 30 s or whole minutes; SQS publishes every minute.
  const seconds = period.toSeconds();
  if (seconds < 60 || seconds % 60 !== 0) {
    throw new ConfigurationError(
      `DeliveryMonitoring: period must be whole minutes, at least one; got ${seconds} s`,
    );
  }
  if (props.alarmEmail !== undefined && !/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(props.alarmEmail)) {
    throw new ConfigurationError(
      `DeliveryMonitoring: alarmEmail must be an email address, got '${props.alarmEmail}'`,
    );
  }
}
