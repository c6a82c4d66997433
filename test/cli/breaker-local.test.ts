import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ListQueueTagsCommand, TagQueueCommand } from '@aws-sdk/client-sqs';
import { afterAll, beforeEach, describe, expect, inject, it } from 'vitest';
import { runCli } from '../../cli/cli.js';
import { memoryOutput } from '../../cli/output.js';
import { BREAKER_TAG, PAUSE_TAG } from '../../local/local-stack-contract.js';
import { provisionRouteQueues, provisionTables } from '../../local/provision.js';
import { createDynamoDbClient, createSqsClient } from '../../shared/aws/clients.js';
import { DynamoDbBreakerStore } from '../../shared/aws/dynamodb-breaker-store.js';
import { loadDeliveryConfig } from '../../shared/config/routes.js';

/**
 * `gd status`, `gd pause` and `gd resume` on a local stack whose routes file gives one route a circuit
 * breaker: the breaker's item in the message table as the forwarder writes it, and its queue tag.
 */
describe('gd and a circuit breaker, local stack', () => {
  const dir = mkdtempSync(join(tmpdir(), 'gd-cli-breaker-'));
  const routesFile = join(dir, 'routes.json');
  const endpoint = inject('awsEndpoint');
  const sqs = createSqsClient({ endpoint });
  const dynamoDb = createDynamoDbClient({ endpoint });
  let env: Record<string, string>;
  let billingQueueUrl: string;
  let breakers: DynamoDbBreakerStore;

  writeFileSync(
    routesFile,
    JSON.stringify({
      routes: [
        {
          name: 'billing',
          path: '/billing/invoices',
          target: 'http://127.0.0.1:9/billing',
          breaker: { failures: 2, probeSeconds: 30 },
        },
        { name: 'orders', path: '/orders/events', target: 'http://127.0.0.1:9/orders' },
      ],
    }),
  );

  beforeEach(async () => {
    // Prepare: a fresh local stack per test, so each starts with a breaker that never moved.
    env = {
      AWS_ENDPOINT_URL: endpoint,
      LOCAL_PREFIX: `cli-${randomUUID().slice(0, 8)}`,
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: 'test',
      AWS_SECRET_ACCESS_KEY: 'test',
      DELIVERY_CONFIG: routesFile,
    };
    const tables = await provisionTables(dynamoDb, env.LOCAL_PREFIX as string);
    for (const route of loadDeliveryConfig(env).routes) {
      const queues = await provisionRouteQueues(sqs, env.LOCAL_PREFIX as string, route);
      if (route.name === 'billing') billingQueueUrl = queues.queueUrl;
    }
    breakers = new DynamoDbBreakerStore(dynamoDb, tables.messageTable);
  });

  afterAll(() => {
    sqs.destroy();
    dynamoDb.destroy();
    rmSync(dir, { recursive: true, force: true });
  });

  const gd = async (args: string[]) => {
    const memory = memoryOutput();
    const code = await runCli([...args, '--local'], { env, output: memory.output });
    return { code, out: memory.lines.out.join('\n'), err: memory.lines.err.join('\n') };
  };
  const statusJson = async () => {
    const result = await gd(['status', '--json']);
    expect(result.code).toBe(0);
    return JSON.parse(result.out).routes as Record<string, unknown>[];
  };
  const tags = async () =>
    (await sqs.send(new ListQueueTagsCommand({ QueueUrl: billingQueueUrl }))).Tags ?? {};

  /** Opens billing's breaker as the forwarder does: the failures counted, then the conditional open. */
  const openBreaker = async (at: Date) => {
    await breakers.countFailure('billing');
    await breakers.countFailure('billing');
    expect(await breakers.open('billing', 2, at, new Date(at.getTime() + 30_000))).toBe(true);
    // The forwarder's switch while it is open (local/breaker-switch.ts).
    await sqs.send(new TagQueueCommand({ QueueUrl: billingQueueUrl, Tags: { [BREAKER_TAG]: 'open' } }));
  };

  it('shows a closed breaker for the route that has one and no breaker for the route without', async () => {
    // Act
    const routes = await statusJson();
    const text = await gd(['status']);

    // Assess
    expect(routes).toEqual([
      expect.objectContaining({
        route: 'billing',
        paused: false,
        breaker: { state: 'closed', since: null },
        heldByBreaker: false,
      }),
      expect.objectContaining({ route: 'orders', paused: false }),
    ]);
    expect(routes[1]).not.toHaveProperty('breaker');
    const lines = text.out.split('\n');
    expect(lines[2]).toMatch(/^billing\s+running\s/);
    expect(lines).toContain('billing: breaker closed');
    expect(text.out).not.toContain('orders: breaker');
  });

  it('shows an open breaker, since when, and that deliveries resume by themselves after a probe', async () => {
    // Prepare
    const openedAt = new Date('2026-11-30T17:02:03.000Z');
    await openBreaker(openedAt);

    // Act
    const routes = await statusJson();
    const text = await gd(['status', '--route', 'billing']);

    // Assess
    expect(routes[0]).toMatchObject({
      route: 'billing',
      paused: false,
      breaker: { state: 'open', since: '2026-11-30T17:02:03.000Z' },
    });
    const lines = text.out.split('\n');
    expect(lines[2]).toMatch(/^billing\s+held\s/);
    expect(lines).toContain(
      'billing: breaker open since 2026-11-30T17:02:03.000Z; deliveries resume by themselves after a successful probe',
    );
  });

  it('shows deliveries held by a breaker tag left on after the breaker closed, and resume clears it', async () => {
    // Prepare: the tag as a probe leaves it when its restart failed after the breaker closed.
    await sqs.send(new TagQueueCommand({ QueueUrl: billingQueueUrl, Tags: { [BREAKER_TAG]: 'open' } }));

    // Act
    const routes = await statusJson();
    const text = await gd(['status', '--route', 'billing']);
    const resumed = await gd(['resume', '--route', 'billing']);

    // Assess
    expect(routes[0]).toMatchObject({ breaker: { state: 'closed', since: null }, heldByBreaker: true });
    expect(text.out.split('\n')[2]).toMatch(/^billing\s+held\s/);
    expect(resumed.out).toBe('billing: deliveries resumed (queue-tag)');
    expect(await tags()).toEqual({});
  });

  it('pauses with its own tag only: the pause shows while the breaker is open, and nothing is written to the breaker', async () => {
    // Prepare
    await openBreaker(new Date('2026-11-30T17:02:03.000Z'));

    // Act
    const pause = await gd(['pause', '--route', 'billing', '--json']);
    const text = await gd(['status', '--route', 'billing']);

    // Assess
    expect(JSON.parse(pause.out)).toEqual({
      route: 'billing',
      paused: true,
      switch: 'queue-tag',
      breaker: { state: 'open', since: '2026-11-30T17:02:03.000Z' },
      heldByBreaker: true,
    });
    expect(await tags()).toEqual({ [PAUSE_TAG]: 'true', [BREAKER_TAG]: 'open' });
    expect((await breakers.read('billing', true)).manualPause).toBe(false);
    expect(text.out.split('\n')[2]).toMatch(/^billing\s+PAUSED\s/);
    expect(text.out).toContain(
      'billing: breaker open since 2026-11-30T17:02:03.000Z; paused too: deliveries stay stopped after it closes, until gd resume --route billing',
    );
  });

  it("resumes by lifting the pause tag alone, and says the breaker's probe restarts deliveries", async () => {
    // Prepare
    await openBreaker(new Date('2026-11-30T17:02:03.000Z'));
    expect((await gd(['pause', '--route', 'billing'])).code).toBe(0);

    // Act
    const resumed = await gd(['resume', '--route', 'billing']);
    const tagsAfter = await tags();
    const again = await gd(['resume', '--route', 'billing', '--json']);

    // Assess
    expect(resumed.code).toBe(0);
    expect(resumed.out).toBe(
      'billing: no longer paused (queue-tag), but the circuit breaker holds deliveries ' +
        "(breaker open since 2026-11-30T17:02:03.000Z): deliveries resume when the breaker's next probe succeeds",
    );
    expect(tagsAfter).toEqual({ [BREAKER_TAG]: 'open' });
    expect(JSON.parse(again.out)).toEqual({
      route: 'billing',
      paused: false,
      switch: 'queue-tag',
      breaker: { state: 'open', since: '2026-11-30T17:02:03.000Z' },
      heldByBreaker: true,
    });
  });

  it('resumes a route whose breaker is closed as before', async () => {
    // Prepare
    expect((await gd(['pause', '--route', 'billing'])).code).toBe(0);

    // Act
    const resumed = await gd(['resume', '--route', 'billing']);

    // Assess
    expect(resumed.out).toBe('billing: deliveries resumed (queue-tag)');
    expect(await tags()).toEqual({});
  });
});
