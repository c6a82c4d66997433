import type { Template } from 'aws-cdk-lib/assertions';
import type { IRole } from 'aws-cdk-lib/aws-iam';
import type { ITopic } from 'aws-cdk-lib/aws-sns';
import { beforeAll, describe, expect, it } from 'vitest';
import { isProbeEvent } from '../../functions/forwarder/probe-breaker.js';
import type { DeliveryRoute } from '../../infra/constructs/delivery-route.js';
import { BREAKER_PROBE_RATE, type RouteBreaker } from '../../infra/constructs/route-breaker.js';
import type { GuaranteedDeliveryStack } from '../../infra/guaranteed-delivery-stack.js';
import { BREAKER_PROBE_EVENT } from '../../shared/circuit-breaker.js';
import { DEFAULT_OPERATIONS_CONFIG } from '../../shared/config/operations.js';
import { loadDeliveryConfig } from '../../shared/config/routes.js';
import {
  METRIC,
  METRICS_NAMESPACE,
  ROUTE_DIMENSION,
  SERVICE,
  SERVICE_DIMENSION,
} from '../../shared/metrics.js';
import { forwarderGrants, grantsOf, sorted } from './grants.js';
import { type CfnResource, idOf, ORDERS_ROUTE, resourcesOf, synthStack, userEnv } from './synth.js';

const BREAKER = { failures: 5, probeSeconds: 30 };

/** Logical ids a resource refers to (Ref, Fn::GetAtt) or waits for (DependsOn). */
function dependenciesOf(resource: CfnResource & { DependsOn?: string | string[] }): Set<string> {
  const found = new Set<string>([resource.DependsOn ?? []].flat());
  const walk = (value: unknown): void => {
    if (Array.isArray(value)) value.forEach(walk);
    else if (value !== null && typeof value === 'object') {
      for (const [key, inner] of Object.entries(value)) {
        if (key === 'Ref' && typeof inner === 'string') found.add(inner);
        else if (key === 'Fn::GetAtt') found.add((inner as [string])[0]);
        else walk(inner);
      }
    }
  };
  walk(resource.Properties);
  return found;
}

describe('circuit breaker on AWS (two routes, one with a breaker)', () => {
  let stack: GuaranteedDeliveryStack;
  let template: Template;
  let guarded: DeliveryRoute;
  let plain: DeliveryRoute;
  let breaker: RouteBreaker;

  beforeAll(() => {
    // Prepare: a breaker on one route only, and an alarm topic (ALARM_EMAIL) for the alarm actions.
    const config = loadDeliveryConfig(userEnv(), [
      { ...ORDERS_ROUTE, breaker: BREAKER },
      { ...ORDERS_ROUTE, name: 'billing', path: '/billing/events' },
    ]);
    ({ stack, template } = synthStack({
      config,
      // Every alarm a route can have (ROUTE_ALARMS=all), the breaker's included.
      operations: {
        ...DEFAULT_OPERATIONS_CONFIG,
        alarmEmail: 'oncall@example.com',
        cost: { ...DEFAULT_OPERATIONS_CONFIG.cost, routeAlarms: 'all' },
      },
    }));
    [guarded, plain] = stack.routes as [DeliveryRoute, DeliveryRoute];
    breaker = guarded.breaker as RouteBreaker;
  });

  it("grants the breaker route's forwarder exactly the breaker item read, the mapping list and an update of its own mapping only", () => {
    // Act
    const grants = grantsOf(template, guarded.forwarderFunction);

    // Assess
    expect(grants).toEqual(
      sorted([
        ...forwarderGrants(guarded, stack.messageTable, stack.payloads.bucket),
        `dynamodb:GetItem on ${idOf(stack.messageTable)}`,
        'lambda:ListEventSourceMappings on *',
        `lambda:UpdateEventSourceMapping on arn:AWS::Partition:lambda:AWS::Region:AWS::AccountId:event-source-mapping:${idOf(guarded.eventSourceMapping)}`,
      ]),
    );
  });

  it('gives the route without a breaker none of it: no grant, schedule, async settings or alarm', () => {
    // Act
    const grants = grantsOf(template, plain.forwarderFunction);
    const plainArn = { 'Fn::GetAtt': [idOf(plain.forwarderFunction), 'Arn'] };
    const rules = Object.values(resourcesOf(template, 'AWS::Events::Rule'));
    const asyncConfigs = Object.values(resourcesOf(template, 'AWS::Lambda::EventInvokeConfig'));

    // Assess
    expect(guarded.breaker).toBeDefined();
    expect(plain.breaker).toBeUndefined();
    expect(grants).toEqual(sorted(forwarderGrants(plain, stack.messageTable, stack.payloads.bucket)));
    expect(JSON.stringify(rules)).not.toContain(JSON.stringify(plainArn));
    const configured = asyncConfigs.map((config) => JSON.stringify(config.Properties.FunctionName));
    expect(configured).toContain(JSON.stringify({ Ref: idOf(guarded.forwarderFunction) }));
    expect(configured).not.toContain(JSON.stringify({ Ref: idOf(plain.forwarderFunction) }));
    expect([...stack.monitoring.breakerAlarms.keys()]).toEqual([guarded.route.name]);
  });

  // A statement naming the mapping in the role's default policy would be a cycle (mapping → function →
  // default policy → mapping), which Template.fromStack refuses in beforeAll: "Template is undeployable".
  it("puts the mapping's update in a policy of its own, which the forwarder function does not wait for", () => {
    // Act
    const policy = resourcesOf(template, 'AWS::IAM::Policy')[idOf(breaker.switchPolicy)];
    const forwarder = template.toJSON().Resources[idOf(guarded.forwarderFunction)] as CfnResource;

    // Assess: attached to the forwarder's role; the function waits for its default policy, not this one.
    expect(policy?.Properties.Roles).toEqual([{ Ref: idOf(guarded.forwarderFunction.role as IRole) }]);
    expect(dependenciesOf(forwarder).has(idOf(breaker.switchPolicy))).toBe(false);
  });

  it('invokes the forwarder every minute with the probe event, without retries of a stale tick', () => {
    // Act
    const rules = Object.values(resourcesOf(template, 'AWS::Events::Rule')).filter((rule) =>
      JSON.stringify(rule.Properties.Targets).includes(idOf(guarded.forwarderFunction)),
    );
    const [target] = (rules[0]?.Properties.Targets ?? []) as Array<Record<string, unknown>>;
    const asyncConfig = Object.values(resourcesOf(template, 'AWS::Lambda::EventInvokeConfig')).find(
      (config) => JSON.stringify(config.Properties.FunctionName).includes(idOf(guarded.forwarderFunction)),
    );

    // Assess: the handler reads the rule's input as a probe, not as an SQS batch.
    expect(rules).toHaveLength(1);
    expect(rules[0]?.Properties).toMatchObject({ ScheduleExpression: 'rate(1 minute)', State: 'ENABLED' });
    expect(target).toMatchObject({
      Arn: { 'Fn::GetAtt': [idOf(guarded.forwarderFunction), 'Arn'] },
      RetryPolicy: { MaximumRetryAttempts: 0, MaximumEventAgeInSeconds: 60 },
    });
    expect(JSON.parse(target?.Input as string)).toEqual(BREAKER_PROBE_EVENT);
    expect(isProbeEvent(JSON.parse(target?.Input as string))).toBe(true);
    expect(asyncConfig?.Properties).toMatchObject({ MaximumRetryAttempts: 0, MaximumEventAgeInSeconds: 60 });
    expect(BREAKER_PROBE_RATE.toSeconds()).toBe(60);
    template.hasResourceProperties('AWS::Lambda::Permission', {
      Action: 'lambda:InvokeFunction',
      FunctionName: { 'Fn::GetAtt': [idOf(guarded.forwarderFunction), 'Arn'] },
      Principal: 'events.amazonaws.com',
      SourceArn: { 'Fn::GetAtt': [idOf(breaker.probeSchedule), 'Arn'] },
    });
  });

  it('alarms on BreakerOpen each minute and tells the alarm topic when it opens and when it closes', () => {
    // Act
    const alarms = Object.values(resourcesOf(template, 'AWS::CloudWatch::Alarm')).filter(
      (alarm) => alarm.Properties.MetricName === METRIC.BREAKER_OPEN,
    );
    const topic = { Ref: idOf(stack.monitoring.alarmTopic as ITopic) };

    // Assess
    // The alarm's shape (one-minute Maximum above 0, missing data not breaching) is monitoring.test.ts's.
    expect(alarms).toHaveLength(1);
    expect(alarms[0]?.Properties).toMatchObject({
      Namespace: METRICS_NAMESPACE,
      Dimensions: [
        { Name: ROUTE_DIMENSION, Value: guarded.route.name },
        { Name: SERVICE_DIMENSION, Value: SERVICE.FORWARDER },
      ],
      Period: 60,
      AlarmActions: [topic],
      OKActions: [topic],
    });
    const description = alarms[0]?.Properties.AlarmDescription as string;
    expect(description).toContain(`route ${guarded.route.name} is open`);
    expect(description).toContain(`${BREAKER.failures} delivery attempts in a row`);
    // CloudWatch's limit on AlarmDescription.
    expect(description.length).toBeLessThanOrEqual(1024);
  });
});
