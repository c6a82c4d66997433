import { randomUUID } from 'node:crypto';
import type { Output } from '@aws-sdk/client-cloudformation';
import { GetItemCommand } from '@aws-sdk/client-dynamodb';
import { UpdateEventSourceMappingCommand } from '@aws-sdk/client-lambda';
import { afterEach, beforeEach, describe, expect, inject, it } from 'vitest';
import { pauseCommand } from '../../cli/commands/pause.js';
import { statusCommand } from '../../cli/commands/status.js';
import { StackAccessError } from '../../cli/errors.js';
import { memoryOutput } from '../../cli/output.js';
import { parseStackOutputs } from '../../cli/stack/deployed-stack-outputs.js';
import type { StackTarget } from '../../cli/stack/stack-target.js';
import { provisionRouteQueues, provisionTables } from '../../local/provision.js';
import { createDynamoDbClient, createSqsClient } from '../../shared/aws/clients.js';
import { BREAKER_PARTITION, DynamoDbBreakerStore } from '../../shared/aws/dynamodb-breaker-store.js';
import { loadDeliveryConfig } from '../../shared/config/routes.js';
import { routeGroupOutputKey } from '../../shared/config/stack-outputs.js';
import { MESSAGE_TABLE } from '../../shared/tables.js';
import {
  type EmulatedRoute,
  mockEventSourceMappings,
  openEmulatedDeployedStack,
} from './emulated-deployed-stack.js';

/**
 * `gd status`, `gd pause` and `gd resume` on a deployed stack with a circuit breaker route: the
 * breaker's item in a real message table (moto), Lambda's event source mappings mocked (moto cannot
 * run a mapping) as one switch the operator and the breaker share.
 */
describe('gd and a circuit breaker, deployed stack', () => {
  const endpoint = inject('awsEndpoint');
  const dynamoDb = createDynamoDbClient({ endpoint });
  let mappings: ReturnType<typeof mockEventSourceMappings>;
  let cloudFormation: Awaited<ReturnType<typeof openEmulatedDeployedStack>>['cloudFormation'];
  let stack: StackTarget;
  let breakers: DynamoDbBreakerStore;
  let messageTable: string;
  /** The breaker item's manualPause at each UpdateEventSourceMapping, in order. */
  let manualPauseAtUpdate: boolean[];

  const openedAt = new Date('2026-11-30T17:02:03.000Z');

  beforeEach(async () => {
    // Prepare: the resources in moto, the outputs as infra/ writes them for a breaker route and a plain one.
    const prefix = `cli-${randomUUID().slice(0, 8)}`;
    const env = { AWS_ENDPOINT_URL: endpoint, LOCAL_PREFIX: prefix };
    const tables = await provisionTables(dynamoDb, prefix);
    messageTable = tables.messageTable;
    breakers = new DynamoDbBreakerStore(dynamoDb, messageTable);
    const sqs = createSqsClient({ endpoint });
    const [catering] = loadDeliveryConfig(env).routes;
    if (!catering) throw new Error('no default route');
    const routes: EmulatedRoute[] = [];
    for (const name of ['catering', 'orders']) {
      const queues = await provisionRouteQueues(sqs, prefix, { ...catering, name });
      routes.push({
        name,
        ...queues,
        ...(name === 'catering' ? { breaker: { failures: 2, probeSeconds: 60 } } : {}),
      });
    }
    sqs.destroy();
    manualPauseAtUpdate = [];
    mappings = mockEventSourceMappings(async () => {
      manualPauseAtUpdate.push((await breakers.read('catering', true)).manualPause);
    });
    ({ stack, cloudFormation } = await openEmulatedDeployedStack(tables, routes));
  });

  afterEach(() => {
    cloudFormation.restore();
    mappings.lambda.restore();
  });

  const run = async (command: 'status' | 'pause' | 'resume', route?: string) => {
    const memory = memoryOutput();
    const code =
      command === 'status'
        ? await statusCommand(stack, { json: false, peek: false, ...(route ? { route } : {}) }, memory.output)
        : await pauseCommand(stack, { json: false, route, paused: command === 'pause' }, memory.output);
    const json = memoryOutput();
    if (command === 'status') {
      await statusCommand(stack, { json: true, peek: false, ...(route ? { route } : {}) }, json.output);
    }
    return { code, out: memory.lines.out.join('\n'), json: command === 'status' ? json.json() : undefined };
  };

  /** Opens catering's breaker as its forwarder does: counted, opened, mapping disabled. */
  const openBreaker = async () => {
    await breakers.countFailure('catering');
    await breakers.countFailure('catering');
    expect(await breakers.open('catering', 2, openedAt, new Date(openedAt.getTime() + 60_000))).toBe(true);
    mappings.set('catering', false);
  };

  it('reads which routes have a breaker from the outputs', () => {
    // Assess
    expect(stack.routes.map((route) => [route.name, route.breaker])).toEqual([
      ['catering', { failures: 2, probeSeconds: 60 }],
      ['orders', undefined],
    ]);
  });

  it('records the pause in the breaker item before disabling the mapping, and clears it on resume', async () => {
    // Act
    const paused = await run('pause', 'catering');
    const afterPause = await breakers.read('catering', true);
    const resumed = await run('resume', 'catering');
    const afterResume = await breakers.read('catering', true);

    // Assess
    expect(paused.code).toBe(0);
    expect(afterPause.manualPause).toBe(true);
    expect(afterResume).toMatchObject({ state: 'closed', manualPause: false });
    expect(
      mappings.lambda.commandCalls(UpdateEventSourceMappingCommand).map((call) => call.args[0].input),
    ).toEqual([
      { UUID: 'catering-esm', Enabled: false },
      { UUID: 'catering-esm', Enabled: true },
    ]);
    // The pause was in the item when the mapping went off; cleared before it came back on.
    expect(manualPauseAtUpdate).toEqual([true, false]);
    expect(resumed.out).toBe('catering: deliveries resumed (event-source-mapping)');
    expect(mappings.isEnabled('catering')).toBe(true);
  });

  it("resumes while the breaker is open by clearing the pause and leaving the mapping to the breaker's probe", async () => {
    // Prepare
    await openBreaker();
    expect((await run('pause', 'catering')).code).toBe(0);

    // Act
    const resumed = await run('resume', 'catering');
    const status = await run('status', 'catering');

    // Assess
    expect(resumed.code).toBe(0);
    expect(resumed.out).toBe(
      'catering: no longer paused (event-source-mapping), but the circuit breaker holds deliveries ' +
        "(breaker open since 2026-11-30T17:02:03.000Z): deliveries resume when the breaker's next probe succeeds",
    );
    expect(await breakers.read('catering', true)).toMatchObject({ state: 'open', manualPause: false });
    expect(mappings.isEnabled('catering')).toBe(false);
    expect(
      mappings.lambda.commandCalls(UpdateEventSourceMappingCommand).map((call) => call.args[0].input.Enabled),
    ).toEqual([false]);
    expect(status.json).toMatchObject({
      routes: [
        {
          route: 'catering',
          paused: false,
          breaker: { state: 'open', since: '2026-11-30T17:02:03.000Z' },
          heldByBreaker: true,
        },
      ],
    });
    expect(status.out).toMatch(/\ncatering\s+held\s/);
  });

  it("tells the operator's pause from the breaker's hold, though both disable the one mapping", async () => {
    // Prepare
    await openBreaker();

    // Act
    const held = await run('status');
    await run('pause', 'catering');
    const paused = await run('status');

    // Assess
    expect(held.json).toMatchObject({
      routes: [
        {
          route: 'catering',
          paused: false,
          breaker: { state: 'open', since: '2026-11-30T17:02:03.000Z' },
          heldByBreaker: true,
        },
        { route: 'orders', paused: false },
      ],
    });
    expect(held.out).toContain(
      'catering: breaker open since 2026-11-30T17:02:03.000Z; deliveries resume by themselves after a successful probe',
    );
    expect(paused.json).toMatchObject({ routes: [{ route: 'catering', paused: true }, {}] });
    expect(paused.out).toMatch(/\ncatering\s+PAUSED\s/);
    expect(paused.out).toContain('paused too: deliveries stay stopped after it closes');
  });

  it('pauses and resumes a route without a breaker by its mapping alone, writing no breaker item', async () => {
    // Act
    await run('pause', 'orders');
    const status = await run('status', 'orders');
    await run('resume', 'orders');

    // Assess
    const item = await dynamoDb.send(
      new GetItemCommand({
        TableName: messageTable,
        Key: {
          [MESSAGE_TABLE.partitionKey]: { S: BREAKER_PARTITION },
          [MESSAGE_TABLE.sortKey]: { S: 'orders' },
        },
      }),
    );
    expect(item.Item).toBeUndefined();
    expect(status.json).toEqual({
      stack: 'stack GuaranteedDelivery in us-east-1',
      routes: [expect.not.objectContaining({ breaker: expect.anything() })],
      unroutableFailover: 0,
    });
    expect(status.json).toMatchObject({ routes: [{ route: 'orders', paused: true }] });
    expect(
      mappings.lambda.commandCalls(UpdateEventSourceMappingCommand).map((call) => call.args[0].input),
    ).toEqual([
      { UUID: 'orders-esm', Enabled: false },
      { UUID: 'orders-esm', Enabled: true },
    ]);
  });
});

describe('breaker output of a deployed stack', () => {
  it('fails on a routes output whose breaker is not breaker settings, naming the output', () => {
    // Prepare
    const value = JSON.stringify([{ name: 'catering', path: '/c', mapping: 'm', breaker: { failures: 0 } }]);
    const outputs: Output[] = [{ OutputKey: routeGroupOutputKey(3), OutputValue: value }];

    // Act / Assess
    expect(() => parseStackOutputs('Odd', outputs)).toThrow(StackAccessError);
    expect(() => parseStackOutputs('Odd', outputs)).toThrow(
      "stack Odd's output RouteGroup03 is not a list of routes",
    );
  });
});
