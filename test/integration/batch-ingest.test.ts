import {
  SendMessageBatchCommand,
  type SendMessageBatchCommandInput,
  type SendMessageBatchCommandOutput,
} from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, inject, it } from 'vitest';
import type { BatchResult } from '../../functions/ingest/accept-batch.js';
import { createSqsClient } from '../../shared/aws/clients.js';
import { SQS_BATCH_MAX_BYTES } from '../../shared/aws/sqs-batch-sender.js';
import { SqsMessageQueue } from '../../shared/aws/sqs-message-queue.js';
import { refusingEndpoint } from '../support/dead-endpoints.js';
import { anEnvelope } from '../support/factories.js';
import { LoopbackBackend } from '../support/loopback-backend.js';
import { createTestRoute, type TestRoute } from '../support/test-route.js';

const order = (n: number, extra: Record<string, unknown> = {}) => ({ order: n, ...extra });

/** Forwards until the queue is empty (bounded), as the event source mapping would. */
async function forwardAll(route: TestRoute): Promise<void> {
  for (let turn = 0; turn < 30; turn++) {
    const poll = await route.forwardOnce();
    if (poll.received === 0) return;
  }
}

describe('batch ingest on the emulator', () => {
  let backend: LoopbackBackend;

  beforeEach(async () => {
    backend = new LoopbackBackend();
  });

  afterEach(async () => {
    await backend.stop();
  });

  it('queues the valid messages of a mixed batch, answers the invalid ones, and each valid one is delivered once', async () => {
    // Prepare
    const route = await createTestRoute({ target: await backend.start() });
    const messages = Array.from({ length: 25 }, (_, n) =>
      n % 5 === 4 ? { body: `invalid ${n}` } : { body: order(n), idempotencyKey: `batch-${n}` },
    );

    // Act
    const answer = await route.postBatch(messages);
    await forwardAll(route);

    // Assess
    expect(answer.statusCode).toBe(207);
    const results = answer.body.results as BatchResult[];
    expect(results).toHaveLength(25);
    results.forEach((result, n) => {
      if (n % 5 === 4) expect(result).toMatchObject({ status: 400, error: expect.stringMatching(/schema/) });
      else expect(result).toEqual({ messageId: `batch-${n}`, store: 'queue' });
    });
    const delivered = backend.idsReceived().sort();
    expect(delivered).toEqual(messages.flatMap((m) => (m.idempotencyKey ? [m.idempotencyKey] : [])).sort());
    const first = backend.requests.find((r) => r.headers['idempotency-key'] === 'batch-0');
    expect(first?.body).toBe(JSON.stringify(order(0)));
    expect(await route.failoverIds()).toEqual([]);
  });

  it('puts the entries SQS refuses in a batch into the failover table and the rest into the queue', async () => {
    // Prepare: SendMessageBatch reaches the emulator for most entries; SQS's answer lists the
    // entries whose body says "refuse" under Failed, as SQS does for entries it could not store.
    const real = createSqsClient({ endpoint: inject('awsEndpoint') });
    const faulty = createSqsClient({ endpoint: inject('awsEndpoint') });
    const refused: string[] = [];
    mockClient(faulty)
      .on(SendMessageBatchCommand)
      .callsFake(async (input: SendMessageBatchCommandInput) => {
        const entries = input.Entries ?? [];
        const refuse = entries.filter((entry) => entry.MessageBody?.includes('refuse'));
        refused.push(...refuse.map((entry) => entry.MessageBody ?? ''));
        const keep = entries.filter((entry) => !refuse.includes(entry));
        const output: SendMessageBatchCommandOutput =
          keep.length > 0
            ? await real.send(new SendMessageBatchCommand({ ...input, Entries: keep }))
            : { Successful: [], Failed: [], $metadata: {} };
        return {
          Successful: output.Successful ?? [],
          Failed: [
            ...(output.Failed ?? []),
            ...refuse.map((entry) => ({
              Id: entry.Id,
              Code: 'InternalError',
              SenderFault: false,
              Message: 'injected',
            })),
          ],
        };
      });
    const route = await createTestRoute({
      target: await backend.start(),
      ingestDeps: (deps) => ({
        ...deps,
        queue: new SqsMessageQueue(faulty, (deps.queue as SqsMessageQueue).queueUrl),
      }),
    });
    const messages = Array.from({ length: 23 }, (_, n) => ({
      body: order(n, n % 4 === 1 ? { note: 'refuse' } : {}),
      idempotencyKey: `mixed-${n}`,
    }));
    const toFailover = messages.filter((_, n) => n % 4 === 1).map((m) => m.idempotencyKey);

    // Act
    const answer = await route.postBatch(messages);
    const inQueue = (await route.visibleOnQueue()).length;
    const inFailover = (await route.failoverIds()).sort();
    await route.drain();
    await forwardAll(route);

    // Assess: every result says where its message really is; then all arrive, once each
    expect(answer.statusCode).toBe(202);
    expect(refused).toHaveLength(toFailover.length);
    const results = answer.body.results as BatchResult[];
    results.forEach((result, n) => {
      expect(result).toEqual({ messageId: `mixed-${n}`, store: n % 4 === 1 ? 'failover' : 'queue' });
    });
    expect(inFailover).toEqual([...toFailover].sort());
    expect(inQueue).toBeGreaterThan(0);
    expect(backend.idsReceived().sort()).toEqual(messages.map((m) => m.idempotencyKey).sort());
    expect(await route.failoverIds()).toEqual([]);
  });

  it('answers 503 for every message, storing none, when both stores are down', async () => {
    // Prepare
    const route = await createTestRoute({
      target: await backend.start(),
      ingestSqsEndpoint: await refusingEndpoint(),
      ingestDynamoDbEndpoint: await refusingEndpoint(),
    });
    const messages = Array.from({ length: 12 }, (_, n) => ({ body: order(n) }));

    // Act
    const answer = await route.postBatch(messages);

    // Assess
    expect(answer.statusCode).toBe(503);
    expect(answer.headers['retry-after']).toBe('5');
    const results = answer.body.results as BatchResult[];
    expect(results).toHaveLength(12);
    for (const result of results)
      expect(result).toMatchObject({ status: 503, messageId: expect.any(String) });
    expect(await route.queueCounts()).toEqual({ visible: 0, inFlight: 0 });
    expect(await route.failoverIds()).toEqual([]);
  });

  it('stores a key repeated with the same body once, and refuses it with a different body', async () => {
    // Prepare
    const route = await createTestRoute({ target: await backend.start() });

    // Act
    const answer = await route.postBatch([
      { body: order(1), idempotencyKey: 'dup' },
      { body: order(1), idempotencyKey: 'dup' },
      { body: order(2), idempotencyKey: 'dup' },
    ]);
    await forwardAll(route);

    // Assess
    expect(answer.statusCode).toBe(207);
    expect(answer.body.results).toEqual([
      { messageId: 'dup', store: 'queue' },
      { messageId: 'dup', store: 'queue' },
      expect.objectContaining({ status: 409, idempotencyKey: 'dup' }),
    ]);
    expect(backend.idsReceived()).toEqual(['dup']);
    expect(backend.requests[0]?.body).toBe(JSON.stringify(order(1)));
  });

  it('sends ten messages larger than one request allows in all (1 MiB) in several requests', async () => {
    // Prepare: 10 x 200 KB = 2 MB, twice SendMessageBatch's limit for one request
    const route = await createTestRoute({ target: await backend.start() });
    const queue = new SqsMessageQueue(route.sqs, route.queues.queueUrl);
    const big = Array.from({ length: 10 }, (_, n) =>
      anEnvelope({ id: `big-${n}`, body: JSON.stringify({ n, pad: 'x'.repeat(200_000) }) }),
    );

    // Act
    const result = await queue.sendBatch(big);

    // Assess
    expect(10 * 200_000).toBeGreaterThan(SQS_BATCH_MAX_BYTES);
    expect(result.failed).toEqual([]);
    expect([...result.sent].sort()).toEqual(big.map((e) => e.id).sort());
    expect((await route.queueCounts()).visible).toBe(10);
  });
});
