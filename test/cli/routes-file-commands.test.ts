import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { runCli } from '../../cli/cli.js';
import { memoryOutput } from '../../cli/output.js';
import { provisionRouteQueues, provisionTables } from '../../local/provision.js';
import { startLocalStack } from '../../local/runner.js';
import { createDynamoDbClient, createSqsClient } from '../../shared/aws/clients.js';
import { SqsMessageQueue } from '../../shared/aws/sqs-message-queue.js';
import { loadDeliveryConfig } from '../../shared/config/routes.js';

/** `gd --local` with DELIVERY_CONFIG: the routes come from the file; a bad file stops every command. */
describe('gd with a routes file', () => {
  const dir = mkdtempSync(join(tmpdir(), 'gd-cli-routes-'));
  const endpoint = inject('awsEndpoint');
  const sqs = createSqsClient({ endpoint });
  const env = {
    AWS_ENDPOINT_URL: endpoint,
    LOCAL_PREFIX: `cli-${randomUUID().slice(0, 8)}`,
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'test',
    AWS_SECRET_ACCESS_KEY: 'test',
    DELIVERY_CONFIG: join(dir, 'routes.json'),
  };
  const dlqs = new Map<string, SqsMessageQueue>();

  const gd = async (args: string[], runEnv: Record<string, string> = env) => {
    const memory = memoryOutput();
    const code = await runCli([...args, '--local'], { env: runEnv, output: memory.output });
    return { code, out: memory.lines.out.join('\n'), err: memory.lines.err.join('\n') };
  };

  beforeAll(async () => {
    // Prepare: a 2-route file and its queues, provisioned as `npm start` does
    writeFileSync(
      env.DELIVERY_CONFIG,
      JSON.stringify({
        routes: [
          { name: 'billing', path: '/billing/invoices', target: 'http://127.0.0.1:9/billing' },
          { name: 'orders', path: '/orders/events', target: 'http://127.0.0.1:9/orders' },
        ],
      }),
    );
    await provisionTables(createDynamoDbClient({ endpoint }), env.LOCAL_PREFIX);
    for (const route of loadDeliveryConfig(env).routes) {
      const queues = await provisionRouteQueues(sqs, env.LOCAL_PREFIX, route);
      dlqs.set(route.name, new SqsMessageQueue(sqs, queues.dlqUrl));
    }
  });

  afterAll(() => {
    sqs.destroy();
    rmSync(dir, { recursive: true, force: true });
  });

  const deadLetter = (route: string, id: string) =>
    dlqs.get(route)?.send(
      {
        id,
        route,
        body: '{}',
        contentType: 'application/json',
        receivedAt: new Date().toISOString(),
        priorAttempts: 0,
      },
      { reason: 'backend answered 503', attempts: 4, lastStatus: 503 },
    );

  it('lists every route of the file in status, and --route keeps one', async () => {
    // Act
    const all = await gd(['status', '--json']);
    const one = await gd(['status', '--route', 'orders', '--json']);

    // Assess
    expect(all.code).toBe(0);
    expect(JSON.parse(all.out).routes.map((r: { route: string }) => r.route)).toEqual(['billing', 'orders']);
    expect(JSON.parse(one.out).routes.map((r: { route: string }) => r.route)).toEqual(['orders']);
  });

  it('keeps trying on every route without --route, each on its own', async () => {
    // Prepare
    await deadLetter('billing', 'dead-billing');
    await deadLetter('orders', 'dead-orders');

    // Act
    const result = await gd(['keep-trying', '--initial-wait', '1', '--max-rounds', '3', '--json']);

    // Assess
    expect(result.code).toBe(0);
    expect(JSON.parse(result.out)).toEqual([
      { route: 'billing', status: 'SUCCEEDED', rounds: 1 },
      { route: 'orders', status: 'SUCCEEDED', rounds: 1 },
    ]);
  });

  it('fails any command at once on a bad file, naming the file, route, field and value', async () => {
    // Prepare
    const bad = join(dir, 'bad.json');
    writeFileSync(bad, JSON.stringify({ routes: [{ name: 'billing', path: '/b', target: 'billing-host' }] }));

    // Act
    const result = await gd(['status'], { ...env, DELIVERY_CONFIG: bad });

    // Assess
    expect(result.code).toBe(1);
    expect(result.err).toBe(
      `gd: Invalid routes file ${bad}:\n  - route 'billing' (routes[0]), field 'target': use an http(s) URL (got "billing-host")`,
    );
  });

  it("fails any command, and npm start, on a route path that collides with another route's", async () => {
    // Prepare: orders on billing's batch resource
    const colliding = join(dir, 'colliding.json');
    writeFileSync(
      colliding,
      JSON.stringify({
        routes: [
          { name: 'billing', path: '/billing', target: 'http://127.0.0.1:9/billing' },
          { name: 'orders', path: '/billing/batch', target: 'http://127.0.0.1:9/orders' },
        ],
      }),
    );
    const runEnv = { ...env, DELIVERY_CONFIG: colliding };

    // Act
    const result = await gd(['status'], runEnv);
    const started = await startLocalStack({ env: { ...runEnv, PORT: '0' }, sink: () => undefined }).then(
      async (stack) => {
        await stack.stop();
        return new Error('npm start started');
      },
      (error: unknown) => error,
    );

    // Assess
    const why = "route 'orders' (routes[1]), field 'path': collides with route 'billing' (path '/billing')";
    expect(result.code).toBe(1);
    expect(result.err).toContain(`gd: Invalid routes file ${colliding}:\n  - ${why}`);
    expect(String(started)).toContain(why);
  });
});
