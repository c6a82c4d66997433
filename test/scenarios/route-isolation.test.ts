import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetQueueUrlCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createSqsClient } from '../../shared/aws/clients.js';
import { queueCounts } from '../../shared/aws/sqs-message-queue.js';
import { parseRoute } from '../../shared/config/routes.js';
import { queueNames } from '../../shared/resource-names.js';
import { LoopbackBackend } from '../support/loopback-backend.js';
import {
  type RunnerProcess,
  scenarioEnv,
  showRunnerOutput,
  startRunnerProcess,
  waitFor,
} from './runner-process.js';

/**
 * Isolation between routes, over HTTP against `npm start` with a 3-route file: route A's backend
 * answers 503, route B's takes a second, route C's is healthy. C must be delivered as fast as when
 * all three are healthy (both figures are printed, not asserted: timing belongs in the bench), A's
 * messages end in A's DLQ only, and no message reaches another route's backend or queue.
 */
describe('route isolation (3-route file, npm start)', () => {
  const backends = { a: new LoopbackBackend(), b: new LoopbackBackend(), c: new LoopbackBackend() };
  const names = ['a', 'b', 'c'] as const;
  let runner: RunnerProcess;
  let prefix: string;
  let dir: string;
  let sqs: SQSClient;
  let failed = false;

  beforeAll(async () => {
    // Prepare: three backends and a routes file with one route to each
    const targets = await Promise.all(names.map((name) => backends[name].start()));
    dir = mkdtempSync(join(tmpdir(), 'gd-isolation-'));
    const file = join(dir, 'routes.json');
    writeFileSync(
      file,
      JSON.stringify({
        routes: names.map((name, index) => ({
          name: `route-${name}`,
          path: `/${name}/messages`,
          target: targets[index],
          // A gives up after two attempts one second apart.
          ...(name === 'a' ? { retry: { schedule: [1] } } : {}),
        })),
      }),
    );
    const env = await scenarioEnv({ DELIVERY_CONFIG: file });
    prefix = env.LOCAL_PREFIX as string;
    sqs = createSqsClient({ endpoint: inject('awsEndpoint') });
    runner = await startRunnerProcess(env);
  });

  afterAll(async () => {
    if (runner) showRunnerOutput(runner, failed);
    await runner?.stop();
    await Promise.all(names.map((name) => backends[name].stop()));
    sqs?.destroy();
    rmSync(dir, { recursive: true, force: true });
  });

  /** Posts `count` messages to a route, tagged with the route and a round; their ids and 202 times. */
  const send = async (name: (typeof names)[number], round: string, count: number) => {
    const sent: { id: string; acceptedAt: number }[] = [];
    for (let i = 0; i < count; i++) {
      const answer = await runner.post({ route: name, round, i }, {}, `/${name}/messages`);
      expect(answer.status).toBe(202);
      sent.push({ id: String(answer.body.messageId), acceptedAt: Date.now() });
    }
    return sent;
  };

  /** Milliseconds from each 202 to the backend's first receipt, once all arrived (undefined: lost). */
  const latencies = async (backend: LoopbackBackend, sent: { id: string; acceptedAt: number }[]) => {
    const arrivals = () =>
      sent.map(({ id, acceptedAt }) => {
        const first = backend.requests.find((r) => r.headers['x-message-id'] === id);
        return first ? first.receivedAt - acceptedAt : undefined;
      });
    const all = await waitFor(arrivals, (list) => list.every((ms) => ms !== undefined), 20_000);
    return all.filter((ms): ms is number => ms !== undefined).sort((x, y) => x - y);
  };

  const summary = (sorted: number[]) =>
    `p50 ${sorted[Math.floor((sorted.length - 1) / 2)]} ms, max ${sorted.at(-1)} ms (n=${sorted.length})`;

  const dlqCount = async (name: string) => {
    const route = parseRoute({ name: `route-${name}`, path: '/x', target: 'http://x.example' });
    const url = (
      await sqs.send(new GetQueueUrlCommand({ QueueName: queueNames(prefix, route).deadLetterQueue }))
    ).QueueUrl as string;
    const { visible, inFlight } = await queueCounts(sqs, url);
    return visible + inFlight;
  };

  it("delivers C as fast while A fails and B is slow; A's messages end in A's DLQ only; nothing crosses", async () => {
    failed = true;
    // Act 1: all healthy
    const healthyC = await send('c', 'healthy', 10);
    const healthyLatency = await latencies(backends.c, healthyC);

    // Act 2: A answers 503, B takes a second, C stays healthy; all three get traffic at once
    backends.a.fallback = { status: 503 };
    backends.b.fallback = { status: 200, delayMs: 1_000 };
    const [sentA, sentB, stressedC] = await Promise.all([
      send('a', 'stressed', 10),
      send('b', 'stressed', 10),
      send('c', 'stressed', 10),
    ]);
    const stressedLatency = await latencies(backends.c, stressedC);
    await latencies(backends.b, sentB);
    const deadLettered = await waitFor(
      () => dlqCount('a'),
      (count) => count >= sentA.length,
      20_000,
    );

    console.log(
      `route C delivery latency, all healthy: ${summary(healthyLatency)}\n` +
        `route C delivery latency, A failing (503) and B slow (1 s): ${summary(stressedLatency)}`,
    );

    // Assess: every C and B message delivered; A's in A's DLQ and nowhere else
    expect(healthyLatency).toHaveLength(10);
    expect(stressedLatency).toHaveLength(10);
    expect(deadLettered).toBe(sentA.length);
    expect([await dlqCount('b'), await dlqCount('c')]).toEqual([0, 0]);
    // Each backend received its own route's messages only, on its own path.
    for (const name of names) {
      const bodies = backends[name].requests.map((r) => JSON.parse(r.body) as { route: string });
      expect(new Set(bodies.map((body) => body.route)), name).toEqual(new Set([name]));
    }
    const idsOfA = new Set(sentA.map((m) => m.id));
    expect(backends.a.requests.every((r) => idsOfA.has(String(r.headers['x-message-id'])))).toBe(true);
    // A's messages were tried exactly twice each (maxAttempts follows the one-delay schedule).
    expect(backends.a.requests).toHaveLength(2 * sentA.length);
    failed = false;
  });
});
