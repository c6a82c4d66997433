import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type LocalStack, startLocalStack } from '../../local/runner.js';
import { LoopbackBackend } from '../support/loopback-backend.js';
import { CATERING_PAYLOAD, scenarioEnv, waitFor } from './runner-process.js';

/**
 * Route settings reach the functions `npm start` runs exactly as they reach the deployed ones: from
 * the route configuration (the default route's variables, or the routes file), through the same
 * route → environment mapping the stack uses.
 */
describe('route settings in the local runner', () => {
  let backend: LoopbackBackend;
  let target: string;
  let stack: LocalStack | undefined;
  let dir: string;

  beforeEach(async () => {
    backend = new LoopbackBackend();
    target = await backend.start();
    dir = mkdtempSync(join(tmpdir(), 'gd-local-routes-'));
  });

  afterEach(async () => {
    await stack?.stop();
    stack = undefined;
    await backend.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const post = async (path: string, body: unknown = CATERING_PAYLOAD) => {
    const response = await fetch(`${stack?.apiUrl}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(10_000),
    });
    expect(response.status).toBe(202);
    return ((await response.json()) as { messageId: string }).messageId;
  };

  const attemptsOf = (id: string) => backend.requests.filter((r) => r.headers['idempotency-key'] === id);

  it("applies TARGET_TIMEOUT_SECONDS to the default route's attempts", async () => {
    // Prepare: the first attempt never gets an answer; with the default 10 s timeout the retry
    // would come after more than 10 s, with 1 s it comes within a few seconds.
    backend.answerNext('hang');
    const env = await scenarioEnv({ CATERING_SERVICE_EP: target, TARGET_TIMEOUT_SECONDS: '1' });
    stack = await startLocalStack({ env, sink: () => undefined });

    // Act
    const id = await post('/catering/register');
    const attempts = await waitFor(
      () => attemptsOf(id),
      (list) => list.length >= 2,
      8_000,
    );

    // Assess
    expect(stack.routes[0]?.config.timeoutSeconds).toBe(1);
    expect(attempts.map((a) => a.headers['x-delivery-attempt'])).toEqual(['1', '2']);
  });

  it('runs every route of a routes file with its own settings and delivers to each', async () => {
    // Prepare
    const file = join(dir, 'routes.json');
    writeFileSync(
      file,
      JSON.stringify({
        routes: [
          { name: 'billing', path: '/billing/invoice', target: `${target}/billing`, timeoutSeconds: 1 },
          { name: 'orders', path: '/orders/events', target: `${target}/orders`, schema: 'json-object' },
        ],
      }),
    );
    const env = await scenarioEnv({ DELIVERY_CONFIG: file });
    stack = await startLocalStack({ env, sink: () => undefined });

    // Act
    const billing = await post('/billing/invoice', { invoice: 1 });
    const orders = await post('/orders/events', { order: 2 });
    await waitFor(
      () => [attemptsOf(billing), attemptsOf(orders)],
      (lists) => lists.every((list) => list.length > 0),
      10_000,
    );

    // Assess
    expect(stack.routes.map((r) => [r.config.name, r.config.timeoutSeconds])).toEqual([
      ['billing', 1],
      ['orders', 10],
    ]);
    expect(attemptsOf(billing).map((r) => [r.path, r.body])).toEqual([
      ['/catering/billing', '{"invoice":1}'],
    ]);
    expect(attemptsOf(orders).map((r) => [r.path, r.body])).toEqual([['/catering/orders', '{"order":2}']]);
    expect(stack.demoBackend).toBeUndefined();
  });
});
