import type { Output } from '@aws-sdk/client-cloudformation';
import type { Template } from 'aws-cdk-lib/assertions';
import type { IConstruct } from 'constructs';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseStackOutputs } from '../../cli/stack/deployed-stack-outputs.js';
import type { DeliveryRoute } from '../../infra/constructs/delivery-route.js';
import type { GuaranteedDeliveryStack } from '../../infra/guaranteed-delivery-stack.js';
import { loadDeliveryConfig } from '../../shared/config/routes.js';
import { ROUTE_OUTPUT, routeOutputKey } from '../../shared/config/stack-outputs.js';
import { idOf, ORDERS_ROUTE, synthStack, userEnv } from './synth.js';

/** A stand-in for what CloudFormation resolves an output's value to: a reference reads as its JSON. */
const resolved = (value: unknown) => (typeof value === 'string' ? value : JSON.stringify(value));
const ref = (construct: Parameters<typeof idOf>[0]) => JSON.stringify({ Ref: idOf(construct) });

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

  it("reads every route's resources back from the synthesized template's outputs", () => {
    // Prepare: the outputs as DescribeStacks would list them after a deploy.
    const outputs: Output[] = Object.entries(template.findOutputs('*')).map(([OutputKey, output]) => ({
      OutputKey,
      OutputValue: resolved(output.Value),
    }));

    // Act
    const parsed = parseStackOutputs('TestDelivery', outputs);

    // Assess
    expect(parsed.failoverTableName).toBe(ref(stack.failoverTable));
    expect(parsed.messageTableName).toBe(ref(stack.messageTable));
    expect(parsed.drainerFunctionName).toBe(ref(stack.drainerFunction));
    expect(parsed.apiUrl).toContain(idOf(stack.api.restApi as IConstruct));
    expect(parsed.routes.map((route) => route.name)).toEqual(['catering', 'order-events']);
    parsed.routes.forEach((route, i) => {
      const built = stack.routes[i] as DeliveryRoute;
      expect(route).toMatchObject({
        path: built.route.path,
        queueUrl: ref(built.queue),
        dlqUrl: ref(built.deadLetterQueue),
        forwarderFunctionName: ref(built.forwarderFunction),
        eventSourceMappingId: ref(built.eventSourceMapping),
      });
    });
    // Only the route with a breaker says so: gd shows its breaker and records pauses for its probe.
    expect(parsed.routes.map((route) => route.breaker)).toEqual([
      undefined,
      { failures: 5, probeSeconds: 90 },
    ]);
    const workflows = stack.continuingDelivery?.routes ?? [];
    expect(workflows.length).toBeGreaterThan(0);
    for (const workflow of workflows) {
      expect(parsed.routes.find((route) => route.name === workflow.name)?.continuingDeliveryArn).toBe(
        ref(workflow.stateMachine),
      );
    }
  });

  it('fails to read a template that lacks an output gd needs, naming the key', () => {
    // Prepare
    const outputs: Output[] = Object.entries(template.findOutputs('*'))
      .filter(([key]) => key !== routeOutputKey('order-events', ROUTE_OUTPUT.DLQ_URL))
      .map(([OutputKey, output]) => ({ OutputKey, OutputValue: resolved(output.Value) }));

    // Act / Assess
    expect(() => parseStackOutputs('TestDelivery', outputs)).toThrow(
      /lacks the output\(s\) OrderEventsDlqUrl;/,
    );
  });
});
