import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { type LocalStack, startLocalStack } from '../../local/runner.js';
import { createDynamoDbClient, createSqsClient } from '../../shared/aws/clients.js';
import { waitFor } from '../scenarios/runner-process.js';
import { failoverIds } from '../support/failover-items.js';
import { FaultProxy } from '../support/fault-proxy.js';
import { LoopbackBackend } from '../support/loopback-backend.js';
import { readAllIds } from './chaos-support.js';

/**
 * Ids are per route, through an SQS outage: two routes of one local stack (one failover table) take
 * the same Idempotency-Keys, some with the same body, some with another, some while SQS answers on
 * one route and refuses on the other. Every 202 must reach its own route's backend once, with its
 * own body; a key reused with another body on one route is still refused there.
 */

/** Keys taken by both routes during the outage. */
const SHARED_KEYS = 6;
/** Keys queued on alpha while SQS answers, then taken by beta during the outage. */
const STRADDLING_KEYS = 3;
const SETTLE_MS = 30_000;

describe('chaos: the same keys on two routes through an SQS outage', () => {
  const endpoint = inject('awsEndpoint');
  const runId = randomUUID().slice(0, 8);
  const direct = { sqs: createSqsClient({ endpoint }), dynamoDb: createDynamoDbClient({ endpoint }) };
  const backends = { alpha: new LoopbackBackend(), beta: new LoopbackBackend() };
  const dir = mkdtempSync(join(tmpdir(), 'gd-ids-per-route-'));
  let sqsProxy: FaultProxy;
  let stack: LocalStack;

  beforeAll(async () => {
    process.env.POWERTOOLS_METRICS_DISABLED = 'true';
    const file = join(dir, 'routes.json');
    writeFileSync(
      file,
      JSON.stringify({
        routes: [
          { name: 'alpha', path: '/alpha/in', target: await backends.alpha.start() },
          { name: 'beta', path: '/beta/in', target: await backends.beta.start() },
        ],
      }),
    );
    sqsProxy = await FaultProxy.start({ target: endpoint, service: 'sqs' });
    stack = await startLocalStack({
      env: {
        AWS_ENDPOINT_URL: endpoint,
        AWS_ENDPOINT_URL_SQS: sqsProxy.url,
        DELIVERY_CONFIG: file,
        LOCAL_PREFIX: `chaos-ipr-${runId}`,
        PORT: '0',
        DRAIN_INTERVAL_SECONDS: '1',
      },
      sink: () => undefined,
    });
  }, 60_000);

  afterAll(async () => {
    await stack?.stop();
    await sqsProxy?.stop();
    await backends.alpha.stop();
    await backends.beta.stop();
    direct.sqs.destroy();
    direct.dynamoDb.destroy();
    rmSync(dir, { recursive: true, force: true });
  }, 60_000);

  type RouteName = keyof typeof backends;
  const post = async (route: RouteName, key: string, body: unknown) => {
    const response = await fetch(`${stack.apiUrl}/${route}/in`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'idempotency-key': key },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(15_000),
    });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  };
  /** What each route's backend got: key → bodies, in arrival order. */
  const received = (route: RouteName) => {
    const byKey = new Map<string, unknown[]>();
    for (const request of backends[route].requests) {
      const key = String(request.headers['idempotency-key']);
      byKey.set(key, [...(byKey.get(key) ?? []), JSON.parse(request.body)]);
    }
    return byKey;
  };

  it('delivers every 202 to its own route once, with its own body, and refuses a reuse within a route', async () => {
    // Prepare: what each route should end up with, key → body
    const expected: Record<RouteName, Map<string, unknown>> = { alpha: new Map(), beta: new Map() };
    const statuses: string[] = [];
    const accept = async (route: RouteName, key: string, body: unknown) => {
      const answer = await post(route, key, body);
      statuses.push(`${route} ${key} ${answer.status} ${String(answer.body.store ?? '')}`);
      if (answer.status === 202) expected[route].set(key, body);
    };
    for (let i = 0; i < STRADDLING_KEYS; i++) {
      await accept('alpha', `s-${runId}-${i}`, { route: 'alpha', i });
    }

    // Act: SQS refuses; both routes take the shared keys (even: the same body, odd: another body),
    // beta takes the keys alpha queued, and alpha reuses a key with another body.
    await sqsProxy.setMode('refuse');
    for (let i = 0; i < SHARED_KEYS; i++) {
      const key = `k-${runId}-${i}`;
      await accept('alpha', key, { i, for: 'both' });
      await accept('beta', key, i % 2 === 0 ? { i, for: 'both' } : { i, for: 'beta' });
    }
    for (let i = 0; i < STRADDLING_KEYS; i++) {
      await accept('beta', `s-${runId}-${i}`, { route: 'beta', i });
    }
    const reuse = await post('alpha', `k-${runId}-0`, { i: 0, for: 'someone else' });
    const parked = (await failoverIds(direct.dynamoDb, stack.tables.failoverTable)).length;
    await sqsProxy.setMode('pass');
    await waitFor(
      () => [received('alpha').size, received('beta').size],
      ([alpha, beta]) => alpha === expected.alpha.size && beta === expected.beta.size,
      SETTLE_MS,
    );
    await sleep(1_000); // a second copy, if one were coming, has its chance to arrive

    // Assess
    console.log(
      `ids per route: accepted alpha ${expected.alpha.size}, beta ${expected.beta.size}, parked ${parked}, ` +
        `delivered alpha ${received('alpha').size}, beta ${received('beta').size}, reuse ${reuse.status}`,
    );
    expect(statuses.filter((line) => !/ 202 (queue|failover)$/.test(line))).toEqual([]);
    expect(expected.alpha.size).toBe(SHARED_KEYS + STRADDLING_KEYS);
    expect(expected.beta.size).toBe(SHARED_KEYS + STRADDLING_KEYS);
    expect(parked).toBe(2 * SHARED_KEYS + STRADDLING_KEYS);
    expect(reuse.status).toBe(409);
    for (const route of ['alpha', 'beta'] as const) {
      const got = received(route);
      expect(new Map([...got].map(([key, bodies]) => [key, bodies.length]))).toEqual(
        new Map([...expected[route].keys()].map((key) => [key, 1])),
      );
      expect(new Map([...got].map(([key, bodies]) => [key, bodies[0]]))).toEqual(expected[route]);
    }
    expect(await failoverIds(direct.dynamoDb, stack.tables.failoverTable)).toEqual([]);
    for (const route of stack.routes)
      expect(await readAllIds(direct.sqs, route.queues.dlqUrl, 2)).toEqual([]);
  }, 90_000);
});
