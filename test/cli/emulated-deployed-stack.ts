import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import {
  GetEventSourceMappingCommand,
  LambdaClient,
  UpdateEventSourceMappingCommand,
  type UpdateEventSourceMappingCommandInput,
} from '@aws-sdk/client-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { inject } from 'vitest';
import { openDeployedStack } from '../../cli/stack/deployed-stack.js';
import type { BreakerSettings } from '../../shared/circuit-breaker.js';
import {
  type DeployedRouteEntry,
  routeGroupOutputKey,
  STACK_OUTPUT,
} from '../../shared/config/stack-outputs.js';
import type { DeliverySwitch } from '../../shared/ports.js';
import { queueUrlBase } from '../../shared/resource-names.js';

/**
 * A deployed stack for `gd` whose queues and tables are on the test emulator: CloudFormation's
 * outputs written as infra/ writes them, and Lambda's event source mappings mocked (moto cannot run
 * a mapping) as one on/off switch per route, which a forwarder's {@link DeliverySwitch} can share.
 */

/** A route of the emulated stack. */
export interface EmulatedRoute {
  readonly name: string;
  readonly queueUrl: string;
  readonly dlqUrl: string;
  readonly breaker?: BreakerSettings;
}

/** The id of a route's mocked event source mapping. */
export const mappingId = (route: string) => `${route}-esm`;

/**
 * Mocks every LambdaClient's event source mapping calls as one switch per route, enabled until
 * turned off. `beforeUpdate` runs before each UpdateEventSourceMapping takes effect. Restore after.
 */
export function mockEventSourceMappings(
  beforeUpdate: (input: UpdateEventSourceMappingCommandInput) => Promise<void> = async () => undefined,
) {
  const lambda = mockClient(LambdaClient);
  const disabled = new Set<string>();
  const set = (uuid: string, enabled: boolean) => (enabled ? disabled.delete(uuid) : disabled.add(uuid));
  lambda.on(UpdateEventSourceMappingCommand).callsFake(async (input) => {
    await beforeUpdate(input);
    set(input.UUID, input.Enabled);
    return { UUID: input.UUID, State: input.Enabled ? 'Enabling' : 'Disabling' };
  });
  lambda.on(GetEventSourceMappingCommand).callsFake(async (input) => ({
    UUID: input.UUID,
    State: disabled.has(input.UUID) ? 'Disabled' : 'Enabled',
  }));
  return {
    lambda,
    isEnabled: (route: string) => !disabled.has(mappingId(route)),
    /** Turns the mapping as the forwarder of the route does when its breaker opens or closes. */
    set: (route: string, enabled: boolean) => set(mappingId(route), enabled),
    /** The route's forwarder's switch: the same mapping. */
    switchOf: (route: string): DeliverySwitch => ({
      stop: async () => void set(mappingId(route), false),
      start: async () => void set(mappingId(route), true),
      // Concurrency is not what these tests look at: the pause / breaker switch is.
      limit: async () => undefined,
    }),
  };
}

/**
 * Opens the stack through `gd`'s own openDeployedStack, its outputs mocked; the other services go to
 * the emulator. Restore the returned CloudFormation mock after.
 */
export async function openEmulatedDeployedStack(
  tables: { readonly messageTable: string; readonly failoverTable: string },
  routes: readonly EmulatedRoute[],
) {
  const outputs: Record<string, string> = {
    [STACK_OUTPUT.API_URL]: 'https://abc123.execute-api.us-east-1.amazonaws.com/prod/',
    [STACK_OUTPUT.FAILOVER_TABLE_NAME]: tables.failoverTable,
    [STACK_OUTPUT.MESSAGE_TABLE_NAME]: tables.messageTable,
    [STACK_OUTPUT.DRAINER_FUNCTION_NAME]: 'gd-drainer',
  };
  // The queues were made with the local stack's derived names (<prefix>_q_<route>): the same prefix
  // and URL base as a deployed stack's outputs give them.
  const [first] = routes;
  if (first) {
    const queueName = first.queueUrl.slice(queueUrlBase(first.queueUrl).length);
    outputs[STACK_OUTPUT.RESOURCE_PREFIX] = queueName.slice(0, queueName.indexOf(`_q_${first.name}`));
    outputs[STACK_OUTPUT.QUEUE_URL_BASE] = queueUrlBase(first.queueUrl);
  }
  // Two groups, as a deployed stack spreads its routes over several.
  routes.forEach((route, index) => {
    const key = routeGroupOutputKey(index % 2);
    const entry: DeployedRouteEntry = {
      name: route.name,
      path: `/${route.name}`,
      mapping: mappingId(route.name),
      ...(route.breaker ? { breaker: route.breaker } : {}),
    };
    outputs[key] = JSON.stringify([...JSON.parse(outputs[key] ?? '[]'), entry]);
  });
  const cloudFormation = mockClient(CloudFormationClient);
  cloudFormation.on(DescribeStacksCommand).resolves({
    Stacks: [
      {
        StackName: 'GuaranteedDelivery',
        CreationTime: new Date(),
        StackStatus: 'UPDATE_COMPLETE',
        Outputs: Object.entries(outputs).map(([OutputKey, OutputValue]) => ({ OutputKey, OutputValue })),
      },
    ],
  });
  const stack = await openDeployedStack({ region: 'us-east-1', endpoint: inject('awsEndpoint') });
  return { stack, cloudFormation };
}
