import { App, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import type { Template } from 'aws-cdk-lib/assertions';
import { AttributeType, Table } from 'aws-cdk-lib/aws-dynamodb';
import { beforeAll, describe, expect, it } from 'vitest';
import { DeliveryFunction } from '../../infra/constructs/delivery-function.js';
import { DeliveryRoute } from '../../infra/constructs/delivery-route.js';
import { API_LOGGING } from '../../infra/guaranteed-delivery-outputs.js';
import { GuaranteedDeliveryStack } from '../../infra/guaranteed-delivery-stack.js';
import { loadOperationsConfig } from '../../shared/config/operations.js';
import { routeOutputPrefix } from '../../shared/config/route-output-prefix.js';
import { DEFAULT_ROUTE, loadDeliveryConfig } from '../../shared/config/routes.js';
import { ConfigurationError } from '../../shared/errors.js';
import {
  configDocumentOf,
  idOf,
  ORDERS_ROUTE,
  resourcesOf,
  synthStack,
  testContext,
  userEnv,
} from './synth.js';

/** The error a call throws (fails the test if it throws none). */
function errorOf(call: () => unknown): Error {
  try {
    call();
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected the call to throw');
}

/** A bare stack with what a DeliveryRoute needs around it, for constructor validation tests. */
function routeScaffold() {
  const stack = new Stack(new App({ context: testContext() }), 'RouteScaffold');
  const messageTable = new Table(stack, 'Messages', {
    partitionKey: { name: 'messageId', type: AttributeType.STRING },
    sortKey: { name: 'route', type: AttributeType.STRING },
  });
  const bindings = {
    failoverTable: 'failover',
    messageTable: messageTable.tableName,
    queues: { namePrefix: 'RouteScaffold', urlBase: 'https://sqs.eu-west-1.amazonaws.com/111111111111/' },
  };
  return { stack, messageTable, bindings, namePrefix: 'RouteScaffold' };
}

describe('configuration switches', () => {
  describe('API keys switched off (API_KEY_REQUIRED=false), drain every 5 minutes, tables destroyable', () => {
    let stack: GuaranteedDeliveryStack;
    let template: Template;

    beforeAll(() => {
      // Prepare
      const config = loadDeliveryConfig(
        userEnv({ API_KEY_REQUIRED: 'false', DRAIN_INTERVAL_SECONDS: '300' }),
      );
      ({ stack, template } = synthStack({ config, tableRemovalPolicy: RemovalPolicy.DESTROY }));
    });

    it('creates no key, usage plan or ApiKeyId output and opens the method', () => {
      // Act
      const methods = Object.values(resourcesOf(template, 'AWS::ApiGateway::Method'));

      // Assess
      expect(methods.map((method) => method.Properties.ApiKeyRequired)).toEqual([false]);
      template.resourceCountIs('AWS::ApiGateway::ApiKey', 0);
      template.resourceCountIs('AWS::ApiGateway::UsagePlan', 0);
      expect(template.findOutputs('ApiKeyId')).toEqual({});
    });

    it('schedules the drainer in whole minutes and gives it a longer budget', () => {
      // Act
      const drainer = resourcesOf(template, 'AWS::Lambda::Function')[idOf(stack.drainerFunction)];

      // Assess
      template.hasResourceProperties('AWS::Events::Rule', { ScheduleExpression: 'rate(5 minutes)' });
      expect(drainer?.Properties.Timeout).toBe(305);
      expect(configDocumentOf(template, idOf(stack.drainerFunction)).timeBudgetSeconds).toBe(290);
    });

    it('deletes the tables with the stack when asked to', () => {
      // Act
      const tables = Object.values(resourcesOf(template, 'AWS::DynamoDB::Table'));

      // Assess
      expect(tables.map((table) => table.DeletionPolicy)).toEqual(['Delete', 'Delete']);
    });
  });

  describe('API Gateway account CloudWatch role', () => {
    it('is set by default, with execution logging without request data', () => {
      // Act
      const { template } = synthStack({ config: loadDeliveryConfig(userEnv()) });

      // Assess
      template.resourceCountIs('AWS::ApiGateway::Account', 1);
      template.hasResourceProperties('AWS::ApiGateway::Stage', {
        MethodSettings: [
          {
            HttpMethod: '*',
            ResourcePath: '/*',
            LoggingLevel: 'ERROR',
            DataTraceEnabled: false,
            MetricsEnabled: false,
            ThrottlingRateLimit: 100,
            ThrottlingBurstLimit: 200,
          },
        ],
      });
    });

    it('switched off, leaves the account setting alone and API logging off, and says so in an output', () => {
      // Act
      const { template } = synthStack({ config: loadDeliveryConfig(userEnv()), apiCloudWatchRole: false });

      // Assess
      template.resourceCountIs('AWS::ApiGateway::Account', 0);
      const stage = Object.values(resourcesOf(template, 'AWS::ApiGateway::Stage'))[0];
      expect(stage?.Properties.AccessLogSetting).toBeUndefined();
      expect(JSON.stringify(stage?.Properties.MethodSettings)).not.toContain('LoggingLevel');
      expect(
        Object.keys(resourcesOf(template, 'AWS::Logs::LogGroup')).filter((id) =>
          id.startsWith('ApiAccessLogs'),
        ),
      ).toEqual([]);
      expect(template.toJSON().Outputs.ApiLogging.Value).toBe(API_LOGGING.OFF);
    });
  });

  describe('validation', () => {
    it('fails when DRAIN_INTERVAL_SECONDS is not whole minutes, naming the variable and the value', () => {
      // Prepare
      const config = loadDeliveryConfig(userEnv({ DRAIN_INTERVAL_SECONDS: '90' }));

      // Act
      const synth = () => new GuaranteedDeliveryStack(new App({ context: testContext() }), 'Bad', { config });

      // Assess
      const error = errorOf(synth);
      expect(error).toBeInstanceOf(ConfigurationError);
      expect(error.message).toMatch(
        /DRAIN_INTERVAL_SECONDS .*whole number of minutes.*got 90\. Locally any value works/,
      );
    });

    it('fails when DRAIN_INTERVAL_SECONDS is under a minute', () => {
      // Prepare
      const config = loadDeliveryConfig(userEnv({ DRAIN_INTERVAL_SECONDS: '30' }));

      // Act
      const synth = () => new GuaranteedDeliveryStack(new App({ context: testContext() }), 'Bad', { config });

      // Assess
      expect(synth).toThrow(/DRAIN_INTERVAL_SECONDS .*got 30/);
    });

    it('fails on a route with a bad target, naming the prop, the field and the value', () => {
      // Prepare
      const scaffold = routeScaffold();
      const route = { ...DEFAULT_ROUTE, target: 'ftp://backend.example.com' };

      // Act
      const create = () => new DeliveryRoute(scaffold.stack, 'Route', { ...scaffold, route });

      // Assess
      const error = errorOf(create);
      expect(error).toBeInstanceOf(ConfigurationError);
      expect(error.message).toMatch(/props\.route is invalid: .*target: .*"ftp:\/\/backend\.example\.com"/);
    });

    it('fails on a route concurrency below what SQS event sources allow', () => {
      // Prepare
      const scaffold = routeScaffold();

      // Act
      const create = () =>
        new DeliveryRoute(scaffold.stack, 'Route', {
          ...scaffold,
          route: { ...DEFAULT_ROUTE, concurrency: 1 },
        });

      // Assess
      expect(create).toThrow(/concurrency: .*\(got 1\)/);
    });

    it('fails on a batching window beyond 300 seconds', () => {
      // Prepare
      const scaffold = routeScaffold();

      // Act
      const create = () =>
        new DeliveryRoute(scaffold.stack, 'Route', {
          ...scaffold,
          route: DEFAULT_ROUTE,
          maxBatchingWindow: Duration.seconds(301),
        });

      // Assess
      expect(create).toThrow(/maxBatchingWindow must be at most 300 seconds, got 301/);
    });

    it('fails when two route names give the same output id prefix', () => {
      // Prepare
      const config = loadDeliveryConfig(userEnv(), [
        { ...DEFAULT_ROUTE, name: 'order-events' },
        { ...ORDERS_ROUTE, name: 'order-events-', path: '/orders/other' },
      ]);

      // Act
      const synth = () => new GuaranteedDeliveryStack(new App({ context: testContext() }), 'Bad', { config });

      // Assess
      expect(synth).toThrow(/'order-events', 'order-events-' give the same output prefix 'OrderEvents'/);
    });

    it('fails on a function memory size Lambda does not offer', () => {
      // Prepare
      const stack = new Stack(new App({ context: testContext() }), 'Memory');

      // Act
      const create = () => new DeliveryFunction(stack, 'Fn', { name: 'drainer', memorySize: 64 });

      // Assess
      expect(create).toThrow(/memorySize must be a whole number of MB from 128 to 10240, got 64/);
    });
  });

  it('turns route names into output id prefixes', () => {
    // Act
    const names = ['catering', 'order-events', 'a1-b2'].map(routeOutputPrefix);

    // Assess
    expect(names).toEqual(['Catering', 'OrderEvents', 'A1B2']);
  });

  describe('what costs per route or per request (docs/front-door-and-billing.md)', () => {
    const synthWith = (env: Record<string, string>) =>
      synthStack({
        config: loadDeliveryConfig(userEnv(), [
          ORDERS_ROUTE,
          {
            ...ORDERS_ROUTE,
            name: 'billing',
            path: '/billing/events',
            breaker: { failures: 3, probeSeconds: 60 },
          },
        ]),
        operations: loadOperationsConfig(env),
      });
    const alarmCount = (template: Template) =>
      Object.keys(resourcesOf(template, 'AWS::CloudWatch::Alarm')).length;

    it('gives each route its two essential alarms by default, every alarm with ROUTE_ALARMS=all, none with none', () => {
      // Act
      const essential = synthWith({}).template;
      const all = synthWith({ ROUTE_ALARMS: 'all' });
      const none = synthWith({ ROUTE_ALARMS: 'none' }).template;

      // Assess: + the two stack-wide alarms (failover backlog, drain over an hour) each time
      expect(alarmCount(essential)).toBe(2 * 2 + 2);
      // Five each, two "nearing retention" each, the breaker route's breaker alarm.
      expect(alarmCount(all.template)).toBe(2 * 7 + 1 + 2);
      expect(alarmCount(none)).toBe(2);
      const retention = all.stack.archive.alarms.map(
        (alarm) => resourcesOf(all.template, 'AWS::CloudWatch::Alarm')[idOf(alarm)]?.Properties,
      );
      expect(retention).toHaveLength(4);
      for (const alarm of retention) {
        expect(alarm).toMatchObject({ MetricName: 'ApproximateAgeOfOldestMessage', Threshold: 4 * 86_400 });
      }
    });

    it('records X-Ray traces and detailed API metrics only when asked to', () => {
      // Act
      const off = synthWith({}).template;
      const on = synthWith({ TRACING: 'active', API_DETAILED_METRICS: 'true' }).template;

      // Assess
      const tracing = (template: Template) => [
        ...Object.values(resourcesOf(template, 'AWS::Lambda::Function')).map(
          (fn) => (fn.Properties.TracingConfig as { Mode?: string } | undefined)?.Mode ?? 'PassThrough',
        ),
        ...Object.values(resourcesOf(template, 'AWS::StepFunctions::StateMachine')).map((machine) =>
          (machine.Properties.TracingConfiguration as { Enabled?: boolean } | undefined)?.Enabled
            ? 'Active'
            : 'PassThrough',
        ),
        ...Object.values(resourcesOf(template, 'AWS::ApiGateway::Stage')).map((stage) =>
          stage.Properties.TracingEnabled ? 'Active' : 'PassThrough',
        ),
      ];
      const metrics = (template: Template) =>
        Object.values(resourcesOf(template, 'AWS::ApiGateway::Stage')).map(
          (stage) => (stage.Properties.MethodSettings as { MetricsEnabled?: boolean }[])[0]?.MetricsEnabled,
        );
      expect(new Set(tracing(off))).toEqual(new Set(['PassThrough']));
      expect(new Set(tracing(on))).toEqual(new Set(['Active']));
      expect(metrics(off)).toEqual([false]);
      expect(metrics(on)).toEqual([true]);
    });

    it('refuses a cost option it does not know, naming the variable and the choices', () => {
      // Act / Assess
      expect(() => loadOperationsConfig({ ROUTE_ALARMS: 'some' })).toThrow(
        "ROUTE_ALARMS must be one of essential, all, none, got 'some'",
      );
      expect(() => loadOperationsConfig({ TRACING: 'on' })).toThrow(
        "TRACING must be 'active' or 'off', got 'on'",
      );
    });
  });
});
