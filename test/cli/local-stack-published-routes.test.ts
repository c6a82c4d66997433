import { randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { runCli } from '../../cli/cli.js';
import { memoryOutput } from '../../cli/output.js';
import { publishedRoutesPath } from '../../local/local-stack-contract.js';
import { startLocalStack } from '../../local/runner.js';

/**
 * `gd --local` against a running `npm start`: it shows the routes that stack runs, which the stack
 * publishes, not the routes of a `DELIVERY_CONFIG` only `npm start` was given.
 */
describe('gd --local and the routes npm start runs', () => {
  const dir = mkdtempSync(join(tmpdir(), 'gd-cli-published-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('shows the running routes (and the breaker) without DELIVERY_CONFIG, and forgets them once it stops', async () => {
    // Prepare: npm start with a 2-route file, the first with a breaker; gd given only where it runs
    const routesFile = join(dir, 'routes.json');
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
    const gdEnv = {
      AWS_ENDPOINT_URL: inject('awsEndpoint'),
      LOCAL_PREFIX: `pub-${randomUUID().slice(0, 8)}`,
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: 'test',
      AWS_SECRET_ACCESS_KEY: 'test',
    };
    const stack = await startLocalStack({
      env: { ...gdEnv, DELIVERY_CONFIG: routesFile, PORT: '0' },
      sink: () => undefined,
    });
    const gd = async () => {
      const memory = memoryOutput();
      const code = await runCli(['status', '--local', '--json'], { env: gdEnv, output: memory.output });
      return { code, out: memory.lines.out.join('\n'), err: memory.lines.err.join('\n') };
    };

    // Act
    let running: Awaited<ReturnType<typeof gd>>;
    try {
      running = await gd();
    } finally {
      await stack.stop();
    }
    const stopped = await gd();

    // Assess: the running routes; once stopped, the published routes are gone (the default route's
    // queues were never made under this prefix, so gd says the stack is not there)
    expect(running.err).toBe('');
    expect(running.code).toBe(0);
    const routes = JSON.parse(running.out).routes;
    expect(routes.map((route: { route: string }) => route.route)).toEqual(['billing', 'orders']);
    expect(routes[0]).toMatchObject({ breaker: { state: 'closed' } });
    expect(routes[1]).not.toHaveProperty('breaker');
    expect(existsSync(publishedRoutesPath(gdEnv))).toBe(false);
    expect(stopped.code).toBe(1);
    expect(stopped.err).toContain('has no queue');
  }, 60_000);
});
