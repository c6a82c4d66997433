import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { App, Duration, Stack, Validations } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { type Method, MockIntegration, RestApi } from 'aws-cdk-lib/aws-apigateway';
import { Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Code, Function as LambdaFunction, Runtime } from 'aws-cdk-lib/aws-lambda';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import { AwsSolutionsChecks } from 'cdk-nag';
import { describe, expect, it } from 'vitest';
import {
  DeliveryMonitoring,
  type DeliveryMonitoringProps,
  type MonitoredRoute,
} from '../../infra/constructs/delivery-monitoring.js';
import type { BreakerSettings } from '../../shared/circuit-breaker.js';
import {
  countMetric,
  createMetrics,
  METRIC,
  METRICS_NAMESPACE,
  publishMetrics,
  SERVICE,
} from '../../shared/metrics.js';

const BREAKER: BreakerSettings = { failures: 3, probeSeconds: 120 };

/** A route's queues and forwarder as plain stand-ins: these tests are about the alarms, not the route. */
function standInRoute(
  stack: Stack,
  name: string,
  method?: Method,
  breaker?: BreakerSettings,
): MonitoredRoute {
  const deadLetterQueue = new Queue(stack, `${name}Dlq`, {
    encryption: QueueEncryption.SQS_MANAGED,
    enforceSSL: true,
  });
  Validations.of(deadLetterQueue).acknowledge({ id: 'AwsSolutions-SQS3', reason: 'Test stand-in of a DLQ.' });
  const queue = new Queue(stack, `${name}Queue`, {
    encryption: QueueEncryption.SQS_MANAGED,
    enforceSSL: true,
    deadLetterQueue: { queue: deadLetterQueue, maxReceiveCount: 4 },
  });
  const forwarderFunction = new LambdaFunction(stack, `${name}Forwarder`, {
    runtime: Runtime.NODEJS_24_X,
    handler: 'index.handler',
    code: Code.fromInline('exports.handler = async () => ({ batchItemFailures: [] });'),
    // No managed policy: the stand-in needs no permissions at all.
    role: new Role(stack, `${name}ForwarderRole`, {
      assumedBy: new ServicePrincipal('lambda.amazonaws.com'),
    }),
  });
  return {
    route: { name, ...(breaker ? { breaker } : {}) },
    queue,
    deadLetterQueue,
    forwarderFunction,
    method,
  };
}

interface Built {
  readonly app: App;
  readonly stack: Stack;
  readonly monitoring: DeliveryMonitoring;
  readonly template: Template;
}

function build(
  props: Partial<DeliveryMonitoringProps> = {},
  options: { api?: boolean; nag?: boolean; breaker?: boolean; breakerFirst?: boolean } = {},
): Built {
  const app = new App();
  const stack = new Stack(app, 'OpsTest', { env: { account: '111122223333', region: 'eu-west-1' } });
  let routes: MonitoredRoute[];
  let apiStage: DeliveryMonitoringProps['apiStage'];
  if (options.api) {
    const api = new RestApi(stack, 'Api', { deployOptions: { stageName: 'v1', metricsEnabled: true } });
    const method = api.root
      .resourceForPath('/catering/register')
      .addMethod('POST', new MockIntegration({ integrationResponses: [{ statusCode: '202' }] }));
    routes = [standInRoute(stack, 'catering', method)];
    apiStage = api.deploymentStage;
  } else {
    // With `breaker`, the second route has a circuit breaker.
    routes = [
      standInRoute(stack, 'catering'),
      standInRoute(stack, 'order-events', undefined, options.breaker ? BREAKER : undefined),
    ];
    if (options.breakerFirst) routes.reverse();
  }
  if (options.nag) Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  const monitoring = new DeliveryMonitoring(stack, 'Monitoring', { routes, apiStage, ...props });
  return { app, stack, monitoring, template: options.nag ? (undefined as never) : Template.fromStack(stack) };
}

/** The EMF records that `publish` writes to stdout (Powertools' metrics are not disabled here). */
function emittedEmf(
  publish: () => void,
): Array<Record<string, unknown> & { _aws: { CloudWatchMetrics: { Dimensions: string[][] }[] } }> {
  const lines: string[] = [];
  const original = process.stdout.write.bind(process.stdout);
  process.stdout.write = ((chunk: string) => {
    lines.push(String(chunk));
    return true;
  }) as typeof process.stdout.write;
  try {
    publish();
  } finally {
    process.stdout.write = original;
  }
  return lines
    .flatMap((line) => line.split('\n'))
    .filter((line) => line.includes('"_aws"'))
    .map((line) => JSON.parse(line));
}

/** The dashboard body as JSON text, CloudFormation references replaced by `<ref>`. */
function dashboardBody(template: Template): string {
  const dashboards = Object.values(template.findResources('AWS::CloudWatch::Dashboard'));
  expect(dashboards).toHaveLength(1);
  const body = dashboards[0]?.Properties.DashboardBody as string | { 'Fn::Join': [string, unknown[]] };
  const text =
    typeof body === 'string'
      ? body
      : body['Fn::Join'][1].map((part) => (typeof part === 'string' ? part : '<ref>')).join('');
  // Parse and print again: proves it is valid JSON and drops the escaping of the template.
  return JSON.stringify(JSON.parse(text));
}

/** The alarm whose description starts with `prefix`, from the synthesized template. */
function alarmProps(template: Template, descriptionPrefix: string): Record<string, unknown> {
  const found = Object.values(
    template.findResources('AWS::CloudWatch::Alarm', {
      Properties: { AlarmDescription: Match.stringLikeRegexp(`^${descriptionPrefix}`) },
    }),
  );
  expect(found).toHaveLength(1);
  return (found[0] as { Properties: Record<string, unknown> }).Properties;
}

describe('DeliveryMonitoring alarms', () => {
  it('alarms when the DLQ of each route holds a message', () => {
    // Prepare / Act
    const { template, stack } = build();

    // Assess
    const props = alarmProps(template, 'Dead letters waiting in the catering DLQ');
    expect(props).toMatchObject({
      Namespace: 'AWS/SQS',
      MetricName: 'ApproximateNumberOfMessagesVisible',
      Statistic: 'Maximum',
      Threshold: 0,
      ComparisonOperator: 'GreaterThanThreshold',
      TreatMissingData: 'notBreaching',
    });
    expect(props.Dimensions).toEqual([
      { Name: 'QueueName', Value: stack.resolve((stack.node.findChild('cateringDlq') as Queue).queueName) },
    ]);
    expect(props.AlarmDescription).toContain('npx gd dlq list --route catering');
    expect(props.AlarmDescription).toContain('npx gd redrive --route catering');
    alarmProps(template, 'Dead letters waiting in the order-events DLQ');
  });

  it('alarms when the oldest message of the delivery queue is older than the threshold', () => {
    // Prepare / Act
    const { template, stack } = build({ oldestMessageAgeThreshold: Duration.minutes(20) });

    // Assess
    const props = alarmProps(template, 'The oldest message waiting in the catering delivery queue');
    expect(props).toMatchObject({
      Namespace: 'AWS/SQS',
      MetricName: 'ApproximateAgeOfOldestMessage',
      Threshold: 1200,
      ComparisonOperator: 'GreaterThanThreshold',
    });
    expect(props.Dimensions).toEqual([
      { Name: 'QueueName', Value: stack.resolve((stack.node.findChild('cateringQueue') as Queue).queueName) },
    ]);
  });

  it('uses 15 minutes as the default oldest-message threshold', () => {
    // Prepare / Act
    const { template } = build();

    // Assess
    expect(alarmProps(template, 'The oldest message waiting in the catering').Threshold).toBe(900);
  });

  it('alarms on forwarder function errors', () => {
    // Prepare / Act
    const { template, stack } = build();

    // Assess
    const props = alarmProps(template, 'The catering forwarder failed as a function');
    expect(props).toMatchObject({
      Namespace: 'AWS/Lambda',
      MetricName: 'Errors',
      Statistic: 'Sum',
      Threshold: 0,
      ComparisonOperator: 'GreaterThanThreshold',
    });
    const fn = stack.node.findChild('cateringForwarder') as LambdaFunction;
    expect(props.Dimensions).toEqual([{ Name: 'FunctionName', Value: stack.resolve(fn.functionName) }]);
  });

  it('alarms on the ingest 503 metric with the dimensions Powertools emits when there is no API method', () => {
    // Prepare / Act
    const { template } = build();

    // Assess
    const props = alarmProps(template, 'POST requests of route order-events were answered 5xx');
    expect(props).toMatchObject({
      Namespace: METRICS_NAMESPACE,
      MetricName: METRIC.STORES_UNAVAILABLE,
      Statistic: 'Sum',
      Threshold: 0,
      ComparisonOperator: 'GreaterThanThreshold',
    });
    expect(props.Dimensions).toEqual(
      expect.arrayContaining([
        { Name: 'service', Value: 'ingest' },
        { Name: 'route', Value: 'order-events' },
      ]),
    );
    expect(props.Dimensions).toHaveLength(2);
  });

  it("alarms on API Gateway's 5XXError of the route's method when it is given", () => {
    // Prepare / Act
    const { template, stack } = build({}, { api: true });

    // Assess
    const props = alarmProps(template, 'POST requests of route catering were answered 5xx');
    expect(props).toMatchObject({
      Namespace: 'AWS/ApiGateway',
      MetricName: '5XXError',
      Statistic: 'Sum',
      Threshold: 0,
    });
    const api = stack.node.findChild('Api') as RestApi;
    expect(props.Dimensions).toEqual(
      expect.arrayContaining([
        { Name: 'ApiName', Value: api.restApiName },
        { Name: 'Method', Value: 'POST' },
        { Name: 'Resource', Value: '/catering/register' },
        { Name: 'Stage', Value: stack.resolve(api.deploymentStage.stageName) },
      ]),
    );
  });

  it('alarms when a route accepted messages into the failover table', () => {
    // Prepare / Act
    const { template } = build();

    // Assess
    const props = alarmProps(template, 'The catering ingest stored messages in the failover table');
    expect(props).toMatchObject({
      Namespace: METRICS_NAMESPACE,
      MetricName: METRIC.ACCEPTED_TO_FAILOVER,
      Threshold: 0,
    });
    expect(props.Dimensions).toEqual(
      expect.arrayContaining([
        { Name: 'service', Value: 'ingest' },
        { Name: 'route', Value: 'catering' },
      ]),
    );
    expect(props.AlarmDescription).toContain('npx gd drain');
  });

  it('alarms once for the whole stack when the drainer leaves a failover backlog', () => {
    // Prepare / Act
    const { template, monitoring } = build();

    // Assess
    const props = alarmProps(template, 'The failover drainer left messages');
    expect(props).toMatchObject({
      Namespace: METRICS_NAMESPACE,
      MetricName: METRIC.FAILOVER_LEFT,
      Dimensions: [{ Name: 'service', Value: 'drainer' }],
      Threshold: 0,
      ComparisonOperator: 'GreaterThanThreshold',
      TreatMissingData: 'notBreaching',
    });
    // 5 per route, 2 routes, plus the two stack-wide ones.
    template.resourceCountIs('AWS::CloudWatch::Alarm', 12);
    expect(monitoring.alarms).toHaveLength(12);
    expect(monitoring.routeAlarms.get('order-events')?.deadLetters).toBeDefined();
  });

  it('alarms once for the whole stack when the failover backlog would take over an hour to drain', () => {
    // Prepare / Act
    const { template, monitoring } = build();

    // Assess
    const props = alarmProps(
      template,
      'At the pace of its last run the failover drainer would need more than an hour',
    );
    expect(props).toMatchObject({
      Namespace: METRICS_NAMESPACE,
      MetricName: METRIC.DRAIN_ESTIMATE,
      Dimensions: [{ Name: 'service', Value: 'drainer' }],
      Statistic: 'Maximum',
      Threshold: 3_600,
      ComparisonOperator: 'GreaterThanThreshold',
      TreatMissingData: 'notBreaching',
    });
    expect(monitoring.alarms).toContain(monitoring.drainEstimateAlarm);
  });

  it('alarm dimensions match the EMF that Powertools writes for the functions', () => {
    // Prepare: what the ingest and drainer adapters do, captured from stdout (metrics are not disabled here).
    const emf = emittedEmf(() => {
      const ingest = createMetrics('ingest');
      countMetric(ingest, METRIC.ACCEPTED_TO_FAILOVER);
      publishMetrics(ingest, 'catering');
      const drainer = createMetrics('drainer');
      countMetric(drainer, METRIC.FAILOVER_LEFT, 2);
      publishMetrics(drainer);
    });

    // Act
    const { template } = build();

    // Assess: each alarm's dimension names and values are exactly those of an emitted record.
    expect(emf).toHaveLength(2);
    for (const [descriptionPrefix, record] of [
      ['The catering ingest stored messages', emf[0]],
      ['The failover drainer left messages', emf[1]],
    ] as const) {
      const dimensions = alarmProps(template, descriptionPrefix).Dimensions as {
        Name: string;
        Value: string;
      }[];
      const emitted = record?._aws.CloudWatchMetrics[0]?.Dimensions[0] ?? [];
      expect(dimensions.map((d) => d.Name).sort()).toEqual([...emitted].sort());
      for (const d of dimensions) expect(record?.[d.Name]).toBe(d.Value);
    }
  });
});

describe('DeliveryMonitoring circuit breaker alarm', () => {
  it("alarms on BreakerOpen per minute, whatever the period, for a route with a breaker only, on the probe's EMF dimensions", () => {
    // Prepare: what the probe adapter publishes on a tick while open, captured from stdout.
    const emf = emittedEmf(() => {
      const forwarder = createMetrics(SERVICE.FORWARDER);
      forwarder.addMetric(METRIC.BREAKER_OPEN, MetricUnit.Count, 1);
      publishMetrics(forwarder, 'order-events');
    });

    // Act
    const { template, monitoring } = build({ period: Duration.minutes(10) }, { breaker: true });

    // Assess
    const props = alarmProps(template, 'The circuit breaker of route order-events is open');
    expect(props).toMatchObject({
      Namespace: METRICS_NAMESPACE,
      MetricName: METRIC.BREAKER_OPEN,
      Statistic: 'Maximum',
      Period: 60,
      EvaluationPeriods: 1,
      Threshold: 0,
      ComparisonOperator: 'GreaterThanThreshold',
      TreatMissingData: 'notBreaching',
    });
    expect(props.AlarmDescription).toContain(`${BREAKER.failures} delivery attempts in a row`);
    expect(props.AlarmDescription).toContain(`About every ${BREAKER.probeSeconds} s`);
    const dimensions = props.Dimensions as { Name: string; Value: string }[];
    const emitted = emf[0]?._aws.CloudWatchMetrics[0]?.Dimensions[0] ?? [];
    expect(emitted.length).toBeGreaterThan(0);
    expect(dimensions.map((d) => d.Name).sort()).toEqual([...emitted].sort());
    for (const d of dimensions) expect(emf[0]?.[d.Name]).toBe(d.Value);
    expect([...monitoring.breakerAlarms.keys()]).toEqual(['order-events']);
    // 5 per route, 2 routes, the two stack-wide ones, and the breaker's.
    template.resourceCountIs('AWS::CloudWatch::Alarm', 13);
    expect(monitoring.alarms).toContain(monitoring.breakerAlarms.get('order-events'));
  });
});

describe('DeliveryMonitoring notifications', () => {
  it('sends alarm and OK notifications to a given topic', () => {
    // Prepare
    const app = new App();
    const stack = new Stack(app, 'TopicTest');
    const topic = new Topic(stack, 'OnCall');

    // Act
    new DeliveryMonitoring(stack, 'Monitoring', {
      routes: [standInRoute(stack, 'catering')],
      alarmTopic: topic,
    });

    // Assess
    const template = Template.fromStack(stack);
    const topicRef = { Ref: stack.getLogicalId(topic.node.defaultChild as never) };
    const alarms = Object.values(template.findResources('AWS::CloudWatch::Alarm'));
    expect(alarms).toHaveLength(7);
    for (const alarm of alarms) {
      expect(alarm.Properties.AlarmActions).toEqual([topicRef]);
      expect(alarm.Properties.OKActions).toEqual([topicRef]);
    }
    template.resourceCountIs('AWS::SNS::Subscription', 0);
  });

  it('has no alarm actions when there is neither topic nor email', () => {
    // Prepare / Act
    const { template, monitoring } = build();

    // Assess
    expect(monitoring.alarmTopic).toBeUndefined();
    template.resourceCountIs('AWS::SNS::Topic', 0);
    for (const alarm of Object.values(template.findResources('AWS::CloudWatch::Alarm'))) {
      expect(alarm.Properties.AlarmActions).toBeUndefined();
    }
  });

  it('creates an encrypted, SSL-only topic with an email subscription for alarmEmail', () => {
    // Prepare / Act
    const { template, monitoring } = build({ alarmEmail: 'oncall@example.com', notifyOnOk: false });

    // Assess
    expect(monitoring.alarmTopic).toBeDefined();
    template.hasResourceProperties('AWS::SNS::Topic', { KmsMasterKeyId: Match.anyValue() });
    template.hasResourceProperties('AWS::SNS::Subscription', {
      Protocol: 'email',
      Endpoint: 'oncall@example.com',
    });
    template.hasResourceProperties('AWS::SNS::TopicPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
        ]),
      },
    });
    // CloudWatch may encrypt with the key, or it could not publish to the topic.
    template.hasResourceProperties('AWS::KMS::Key', {
      EnableKeyRotation: true,
      KeyPolicy: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Principal: { Service: 'cloudwatch.amazonaws.com' },
            Action: ['kms:Decrypt', 'kms:GenerateDataKey*'],
          }),
        ]),
      },
    });
    for (const alarm of Object.values(template.findResources('AWS::CloudWatch::Alarm'))) {
      expect(alarm.Properties.AlarmActions).toHaveLength(1);
      expect(alarm.Properties.OKActions).toBeUndefined();
    }
  });
});

describe('DeliveryMonitoring dashboard', () => {
  it("shows a route's flow (ingest, queue, delivery, DLQ, forwarder, a breaker where there is one) for the route picked, and the failover", () => {
    // Prepare / Act: the breaker route first, so it is the one shown until another is picked.
    const { template } = build({}, { breaker: true, breakerFirst: true });

    // Assess
    const body = dashboardBody(template);
    // One set of per-route widgets and a selector of every route: it swaps the first route's name.
    expect(JSON.parse(body).variables).toEqual([
      {
        type: 'pattern',
        pattern: 'order-events',
        inputType: 'select',
        id: 'route',
        label: 'Route',
        defaultValue: 'order-events',
        values: [{ value: 'order-events' }, { value: 'catering' }],
      },
    ]);
    expect(body).not.toContain('"title":"catering:');
    for (const route of ['order-events']) {
      for (const title of [
        'ingest',
        'delivery queue',
        'delivery',
        'DLQ depth',
        'forwarder',
        'attempt latency',
      ]) {
        expect(body).toContain(`"title":"${route}: ${title}"`);
      }
      // The attempt-latency panel: p50 and p99 of the per-attempt metric, per route.
      for (const stat of ['p50', 'p99']) {
        expect(body).toContain(
          `["GuaranteedDelivery","${METRIC.ATTEMPT_DURATION}","route","${route}","service","forwarder",{"label":"attempt ${stat} (ms)","stat":"${stat}"`,
        );
      }
    }
    for (const metric of Object.values(METRIC)) expect(body).toContain(`"${metric}"`);
    for (const metric of [
      'ApproximateNumberOfMessagesVisible',
      'ApproximateNumberOfMessagesNotVisible',
      'ApproximateAgeOfOldestMessage',
      'Duration',
      'Errors',
      'ConcurrentExecutions',
    ]) {
      expect(body).toContain(`"${metric}"`);
    }
    expect(body).toContain('"route","order-events"');
    expect(body).toContain('"title":"order-events: circuit breaker"');
    expect(body).toContain('Failover: drained / left');
  });

  it("adds the method's API Gateway 4XX and 5XX errors when given", () => {
    // Prepare / Act
    const { template } = build({}, { api: true });

    // Assess
    const body = dashboardBody(template);
    expect(body).toContain('"AWS/ApiGateway","4XXError"');
    expect(body).toContain('"AWS/ApiGateway","5XXError"');
  });
});

describe('DeliveryMonitoring checks', () => {
  it('passes the cdk-nag AWS Solutions checks with a created topic', () => {
    // Prepare
    const { app } = build({ alarmEmail: 'oncall@example.com' }, { nag: true });

    // Act / Assess: synth throws, listing each finding, if any is not acknowledged.
    expect(() => app.synth()).not.toThrow();
  });

  it('fails with a zero oldest-message threshold', () => {
    expect(() => build({ oldestMessageAgeThreshold: Duration.seconds(0) })).toThrow(
      /oldestMessageAgeThreshold must be positive, got 0 s/,
    );
  });

  it('fails with a negative oldest-message threshold', () => {
    // CDK itself refuses negative durations, before the construct sees one.
    expect(() => build({ oldestMessageAgeThreshold: Duration.seconds(-5) })).toThrow(/negative/);
  });

  it('fails with a period that is not whole minutes', () => {
    expect(() => build({ period: Duration.seconds(90) })).toThrow(/period must be whole minutes.*got 90 s/);
  });

  it('fails with an invalid alarm email', () => {
    expect(() => build({ alarmEmail: 'on call' })).toThrow(
      /alarmEmail must be an email address, got 'on call'/,
    );
  });

  it('fails without routes', () => {
    expect(() => build({ routes: [] })).toThrow(/at least one route/);
  });
});
