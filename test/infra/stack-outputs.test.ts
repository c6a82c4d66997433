import type { Output } from '@aws-sdk/client-cloudformation';
import type { Template } from 'aws-cdk-lib/assertions';
import type { IConstruct } from 'constructs';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseStackOutputs } from '../../cli/stack/deployed-stack-outputs.js';
import type { DeliveryRoute } from '../../infra/constructs/delivery-route.js';
import type { GuaranteedDeliveryStack } from '../../infra/guaranteed-delivery-stack.js';
import { ROUTE_GROUP_COUNT } from '../../shared/config/route-groups.js';
import { loadDeliveryConfig } from '../../shared/config/routes.js';
import { isRouteGroupOutputKey, STACK_OUTPUT } from '../../shared/config/stack-outputs.js';
import { idOf, ORDERS_ROUTE, resourcesOf, synthStack, userEnv } from './synth.js';

/**
 * A stand-in for what CloudFormation resolves an output's value to: literal text as it is, a join
 * joined, and each reference as `@Ref(Id)`, `@Region`, ... (text a JSON value may hold).
 */
function resolved(value: unknown): string {
  if (typeof value === 'string') return value;
  const join = (value as { 'Fn::Join'?: [string, unknown[]] })['Fn::Join'];
  if (join) return join[1].map(resolved).join(join[0]);
  const ref = (value as { Ref?: string }).Ref;
  if (ref !== undefined) return ref.startsWith('AWS::') ? `@${ref.slice(5)}` : `@Ref(${ref})`;
  return `@${JSON.stringify(value).replaceAll('"', "'")}`;
}

describe('stack outputs as gd reads them', () => {
  let stack: GuaranteedDeliveryStack;
  let template: Template;

  beforeAll(() => {
    // Prepare: two routes, so per-route keys of different routes are told apart; one has a breaker.
    const config = loadDeliveryConfig(userEnv(), [
      { ...ORDERS_ROUTE, name: 'catering', path: '/catering/register', schema: 'catering-registration' },
      { ...ORDERS_ROUTE, breaker: { failures: 5, probeSeconds: 90 } },
    ]);
    ({ stack, template } = synthStack({ config }));
  });

  const outputsOf = (keep: (key: string) => boolean = () => true): Output[] =>
    Object.entries(template.findOutputs('*'))
      .filter(([key]) => keep(key))
      .map(([OutputKey, output]) => ({ OutputKey, OutputValue: resolved(output.Value) }));

  it("reads every route back from its group's output, and derives the names the stack gave its resources", () => {
    // Prepare: the outputs as DescribeStacks would list them after a deploy.
    const outputs = outputsOf();

    // Act
    const parsed = parseStackOutputs('TestDelivery', outputs);

    // Assess
    expect(parsed.failoverTableName).toBe(`@Ref(${idOf(stack.failoverTable)})`);
    expect(parsed.messageTableName).toBe(`@Ref(${idOf(stack.messageTable)})`);
    expect(parsed.apiUrl).toContain(idOf(stack.api.restApi as IConstruct));
    expect(parsed.routes.map((route) => route.name)).toEqual(['catering', 'order-events']);
    const queues = resourcesOf(template, 'AWS::SQS::Queue');
    const functions = resourcesOf(template, 'AWS::Lambda::Function');
    const machines = resourcesOf(template, 'AWS::StepFunctions::StateMachine');
    for (const route of parsed.routes) {
      const built = stack.routes.find((r) => r.route.name === route.name) as DeliveryRoute;
      const base = '`https://sqs.@Region.@URLSuffix/@AccountId/`'.slice(1, -1);
      expect(route).toMatchObject({
        path: built.route.path,
        queueUrl: `${base}${queues[idOf(built.queue)]?.Properties.QueueName}`,
        dlqUrl: `${base}${queues[idOf(built.deadLetterQueue)]?.Properties.QueueName}`,
        forwarderFunctionName: functions[idOf(built.forwarderFunction)]?.Properties.FunctionName,
        eventSourceMappingId: `@Ref(${idOf(built.eventSourceMapping)})`,
      });
      const workflow = stack.continuingDelivery?.routes.find((r) => r.name === route.name);
      const machineName = machines[idOf(workflow?.stateMachine as IConstruct)]?.Properties.StateMachineName;
      expect(route.continuingDeliveryArn).toBe(
        `arn:@Partition:states:@Region:@AccountId:stateMachine:${machineName}`,
      );
    }
    // Only the route with a breaker says so: gd shows its breaker and records pauses for its probe.
    expect(parsed.routes.map((route) => route.breaker)).toEqual([
      undefined,
      { failures: 5, probeSeconds: 90 },
    ]);
  });

  it('has one output a group of routes, whatever the number of routes', () => {
    // Assess: at most ROUTE_GROUP_COUNT route outputs, within CloudFormation's 200 outputs a stack.
    const groupKeys = Object.keys(template.findOutputs('*')).filter(isRouteGroupOutputKey);
    expect(groupKeys.length).toBe(stack.routeGroups.size);
    expect(groupKeys.length).toBeLessThanOrEqual(ROUTE_GROUP_COUNT);
  });

  it('fails to read a template that lacks an output gd needs, naming the key', () => {
    // Prepare
    const outputs = outputsOf((key) => key !== STACK_OUTPUT.QUEUE_URL_BASE);

    // Act / Assess
    expect(() => parseStackOutputs('TestDelivery', outputs)).toThrow(/lacks the output\(s\) QueueUrlBase;/);
  });
});
