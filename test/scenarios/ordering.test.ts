import { createHash } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { GetQueueUrlCommand, SetQueueAttributesCommand } from '@aws-sdk/client-sqs';
import { describe, expect, inject, it } from 'vitest';
import { createSqsClient } from '../../shared/aws/clients.js';
import { queueNames } from '../../shared/resource-names.js';
import { OrderingBackend } from '../support/ordering-backend.js';
import { scenarioEnv, waitFor } from './runner-process.js';
import { scenarioScaffold } from './scenario-scaffold.js';

const KEYS = 20;
const MESSAGES_PER_KEY = 50;
const PATH = '/orders/events';
/** Share of attempts the backend answers 503 to. */
const FAILURE_RATE = 0.2;
/** From this attempt on the backend always answers 2xx: a bounded fault, so no message reaches the DLQ. */
const LAST_FAILING_ATTEMPT = 4;
const SEED = 20_260_101;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
/** After this many accepted messages SQS starts refusing, for REFUSE_MS. */
const REFUSE_AFTER = 300;
const REFUSE_MS = 3_000;
/** Backend timeout of the route: the forwarder's own timeout is this + 20 s (shared/queues.ts). */
const TIMEOUT_SECONDS = 2;
/**
 * Delivery queue visibility timeout during the run (see the test): at least the forwarder's timeout,
 * as on AWS, so a batch still being worked on is never handed out a second time.
 */
const VISIBILITY_SECONDS = TIMEOUT_SECONDS + 20 + 3;

/** A stable, seeded "random" number in [0, 1) per message and attempt (the first 32 bits of a SHA-256). */
function seededUnit(text: string): number {
  return createHash('sha256').update(text).digest().readUInt32BE(0) / 2 ** 32;
}

/** Adjacent pairs of `expected` whose first deliveries came the other way round. */
function inversions(expected: readonly string[], delivered: readonly string[]): number {
  const position = new Map(delivered.map((id, index) => [id, index]));
  let count = 0;
  for (let i = 1; i < expected.length; i++) {
    const before = position.get(expected[i - 1] as string);
    const after = position.get(expected[i] as string);
    if (before !== undefined && after !== undefined && before > after) count++;
  }
  return count;
}

/**
 * Ordered delivery per key end to end through `npm start`: 20 keys sent concurrently, each key's
 * 50 messages one after another (each 202 before the next POST); SQS refuses for a window in the
 * middle, so part of every key's traffic is parked in the failover table and drained back; the
 * backend refuses a fifth of the attempts. For every key the first 2xx deliveries must come in the
 * order of the 202s, and every accepted message must be delivered.
 */
describe('scenario: ordered route, 20 keys x 50 messages through an SQS outage and a flaky backend', () => {
  const scenario = scenarioScaffold({
    backend: () =>
      new OrderingBackend((id, attempt) =>
        attempt <= LAST_FAILING_ATTEMPT && seededUnit(`${SEED}/${id}/${attempt}`) < FAILURE_RATE ? 503 : 200,
      ),
    proxies: ['sqs'],
    tempDir: 'gd-ordering-',
  });

  it('delivers every key in the order of its 202s, loses nothing, through failover and retries', async () => {
    // Prepare: one ordered route keyed by a header
    const { backend, sqsProxy, dir } = scenario;
    const file = join(dir, 'routes.json');
    writeFileSync(
      file,
      JSON.stringify({
        routes: [
          {
            name: 'orders',
            path: PATH,
            target: await backend.start(),
            ordering: { keyHeader: 'Ordering-Key' },
            maxAttempts: 10,
            retry: { baseSeconds: 1, maxSeconds: 1 },
            concurrency: 8,
            batchSize: 10,
            timeoutSeconds: TIMEOUT_SECONDS,
          },
        ],
      }),
    );
    const started = Date.now();
    const env = await scenarioEnv({
      DELIVERY_CONFIG: file,
      AWS_ENDPOINT_URL_SQS: await sqsProxy.start('pass'),
      POWERTOOLS_LOG_LEVEL: 'INFO',
    });
    const runner = await scenario.start(env);
    const apiUrl = runner.apiUrl;
    // The queue's visibility timeout is 6 x the forwarder timeout (180 s), for Lambda's own invoke
    // retries. A record stranded by the SQS outage (its delete or its retry delay failed) holds its
    // key until then: the same on AWS, compressed here so the run ends within its bound.
    const sqs = createSqsClient({ endpoint: inject('awsEndpoint') });
    const names = queueNames(env.LOCAL_PREFIX as string, {
      name: 'orders',
      ordering: { keyHeader: 'x' },
    });
    const { QueueUrl } = await sqs.send(new GetQueueUrlCommand({ QueueName: names.deliveryQueue }));
    await sqs.send(
      new SetQueueAttributesCommand({
        QueueUrl,
        Attributes: { VisibilityTimeout: String(VISIBILITY_SECONDS) },
      }),
    );
    sqs.destroy();
    const accepted = new Map<string, string[]>();
    let acceptedCount = 0;
    let viaFailover = 0;
    let outage: Promise<void> | undefined;

    let retriedAfter503 = 0;
    const stores = new Map<string, string>();
    /**
     * POSTs until 202, as a careful client does: a 503 (here: the emulator too busy to answer
     * within the ingest's fast-failover timeouts) is retried as the same message through its
     * Idempotency-Key, and the key's next message waits for it.
     */
    const send = async (key: string, n: number): Promise<string> => {
      const idempotencyKey = `${key}-m${String(n).padStart(2, '0')}`;
      for (let attempt = 0; attempt < 60; attempt++) {
        const response = await fetch(`${apiUrl}${PATH}`, {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            'ordering-key': key,
            'idempotency-key': idempotencyKey,
          },
          body: JSON.stringify({ key, n }),
          signal: AbortSignal.timeout(15_000),
        });
        const body = (await response.json()) as { messageId: string; store: string };
        if (response.status === 202) {
          if (body.store === 'failover') viaFailover++;
          stores.set(body.messageId, body.store);
          return body.messageId;
        }
        expect(response.status).toBe(503);
        retriedAfter503++;
        await sleep(Math.min(1_000, 100 * 2 ** attempt));
      }
      throw new Error(`${idempotencyKey} was not accepted`);
    };

    // Act: keys concurrently, each key's messages one after another; SQS refuses for a while mid-way
    await Promise.all(
      Array.from({ length: KEYS }, async (_, k) => {
        const key = `key-${String(k).padStart(2, '0')}`;
        const ids: string[] = [];
        accepted.set(key, ids);
        for (let n = 0; n < MESSAGES_PER_KEY; n++) {
          ids.push(await send(key, n));
          acceptedCount++;
          if (acceptedCount === REFUSE_AFTER) {
            outage = (async () => {
              await sqsProxy.setMode('refuse');
              await sleep(REFUSE_MS);
              await sqsProxy.setMode('pass');
            })();
          }
        }
      }),
    );
    await outage;
    const all = [...accepted.values()].flat();
    await waitFor(
      () => backend.firstDeliveriesByKey(),
      (byKey) => [...byKey.values()].flat().length >= all.length,
      300_000,
      500,
    );
    await sleep(1_000); // room for a late duplicate to show, if there were one

    // Assess: per key, first deliveries in 202 order; every accepted id delivered
    const byKey = backend.firstDeliveriesByKey();
    let outOfOrder = 0;
    for (const [key, ids] of accepted) {
      const count = inversions(ids, byKey.get(key) ?? []);
      if (count > 0)
        console.log(
          `ordering: ${key} out of order: accepted ${ids.map((id) => `${id.slice(-3)}:${stores.get(id)}`).join(' ')}; delivered ${byKey
            .get(key)
            ?.map((id) => id.slice(-3))
            .join(' ')}`,
        );
      outOfOrder += count;
    }
    const delivered = new Set([...byKey.values()].flat());
    const lost = all.filter((id) => !delivered.has(id)).length;
    const failed = backend.deliveries.filter((d) => d.status >= 300).length;
    console.log(
      `ordering: keys ${accepted.size}, messages ${all.length}, out-of-order ${outOfOrder}, lost ${lost}, via failover ${viaFailover}`,
    );
    console.log(
      `ordering: ${((Date.now() - started) / 1000).toFixed(0)} s; backend attempts ${backend.deliveries.length}, answered 503 ${failed}; client retries after a 503 ${retriedAfter503}`,
    );
    expect(all).toHaveLength(KEYS * MESSAGES_PER_KEY);
    expect(new Set(all).size).toBe(all.length);
    expect(lost).toBe(0);
    expect(outOfOrder).toBe(0);
    for (const [key, ids] of accepted) expect(byKey.get(key)).toEqual(ids);
    expect(viaFailover).toBeGreaterThan(0);
    expect(failed).toBeGreaterThan(0);
    expect(await runner.stop()).toBe(0);
  }, 420_000);
});
