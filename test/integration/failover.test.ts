import { SetQueueAttributesCommand } from '@aws-sdk/client-sqs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LOG_EVENT } from '../../shared/log-events.js';
import { refusingEndpoint, silentEndpoint } from '../support/dead-endpoints.js';
import { LoopbackBackend } from '../support/loopback-backend.js';
import { createTestRoute } from '../support/test-route.js';

/** Promise 4 (docs/http-contract.md): a dead SQS turns into a failover write in about a second or two. */
const FAILOVER_BOUND_MS = 3_000;

const REGISTRATION = { passengerId: 'p-1', train: 'RLC-5051' };

async function timed<T>(work: () => Promise<T>): Promise<{ result: T; ms: number }> {
  const started = performance.now();
  const result = await work();
  return { result, ms: performance.now() - started };
}

describe('ingest failover and drain', () => {
  let backend: LoopbackBackend;
  let target: string;
  const cleanups: (() => Promise<void>)[] = [];

  beforeEach(async () => {
    backend = new LoopbackBackend();
    target = await backend.start();
  });

  afterEach(async () => {
    for (const cleanup of cleanups.splice(0)) await cleanup();
    await backend.stop();
  });

  it('writes to the failover table when SQS refuses connections, within the bound', async () => {
    // Prepare
    const route = await createTestRoute({ target, ingestSqsEndpoint: await refusingEndpoint() });

    // Act
    const { result: response, ms } = await timed(() => route.post(REGISTRATION));

    // Assess
    expect(response.statusCode).toBe(202);
    const { messageId, store } = JSON.parse(response.body);
    expect(store).toBe('failover');
    expect(ms).toBeLessThan(FAILOVER_BOUND_MS);
    expect(await route.failoverIds()).toEqual([messageId]);
    expect(await route.queueCounts()).toEqual({ visible: 0, inFlight: 0 });
  });

  it('writes to the failover table when SQS accepts connections but never answers, within the bound', async () => {
    // Prepare
    const silent = await silentEndpoint();
    cleanups.push(silent.close);
    const route = await createTestRoute({ target, ingestSqsEndpoint: silent.url });

    // Act
    const { result: response, ms } = await timed(() => route.post(REGISTRATION));

    // Assess
    expect(response.statusCode).toBe(202);
    expect(JSON.parse(response.body).store).toBe('failover');
    expect(ms).toBeLessThan(FAILOVER_BOUND_MS);
    expect(await route.failoverIds()).toHaveLength(1);
  });

  it('rejects with 503 and Retry-After when both stores are down, storing nothing', async () => {
    // Prepare
    const silent = await silentEndpoint();
    cleanups.push(silent.close);
    const route = await createTestRoute({
      target,
      ingestSqsEndpoint: await refusingEndpoint(),
      ingestDynamoDbEndpoint: silent.url,
    });

    // Act
    const { result: response, ms } = await timed(() =>
      route.post(REGISTRATION, { 'Idempotency-Key': 'both-down-1' }),
    );

    // Assess
    expect(response.statusCode).toBe(503);
    expect(response.headers?.['retry-after']).toBe('5');
    expect(JSON.parse(response.body)).toMatchObject({
      error: expect.stringMatching(/neither the queue nor the failover table/),
      messageId: 'both-down-1',
    });
    expect(ms).toBeLessThan(2 * FAILOVER_BOUND_MS);
    expect(await route.failoverIds()).toEqual([]);
    expect(await route.queueCounts()).toEqual({ visible: 0, inFlight: 0 });
  });

  it('keeps one failover item when a client retries with the same Idempotency-Key', async () => {
    // Prepare
    const route = await createTestRoute({ target, ingestSqsEndpoint: await refusingEndpoint() });

    // Act
    const first = await route.post(REGISTRATION, { 'Idempotency-Key': 'client-key-7' });
    const retry = await route.post(REGISTRATION, { 'Idempotency-Key': 'client-key-7' });

    // Assess
    expect([first.statusCode, retry.statusCode]).toEqual([202, 202]);
    expect(JSON.parse(retry.body)).toEqual({ messageId: 'client-key-7', store: 'failover' });
    expect(await route.failoverIds()).toEqual(['client-key-7']);
  });

  it('drains failover items into the queue in batches, and the forwarder delivers them with their ids', async () => {
    // Prepare: 12 messages parked while SQS was down (more than one SendMessageBatch of ten)
    const route = await createTestRoute({ target, ingestSqsEndpoint: await refusingEndpoint() });
    const ids: string[] = [];
    for (let i = 0; i < 12; i++) {
      const response = await route.post({ ...REGISTRATION, passengerId: `p-${i}` });
      ids.push(JSON.parse(response.body).messageId);
    }

    // Act
    const report = await route.drain();
    const queued = await route.queueCounts();
    for (let i = 0; i < 5 && backend.requests.length < ids.length; i++) await route.forwardOnce();

    // Assess
    expect(report).toEqual({ moved: 12, failed: 0, refused: 0, unroutable: 0 });
    expect(queued.visible + queued.inFlight).toBe(12);
    expect(await route.failoverIds()).toEqual([]);
    expect(backend.idsReceived().sort()).toEqual([...ids].sort());
    expect(backend.requests.map((r) => JSON.parse(r.body).passengerId).sort()).toEqual(
      ids.map((_, i) => `p-${i}`).sort(),
    );
  });

  it('drains large bodies with small ones: batches split by bytes, all delivered', async () => {
    // Prepare: six 240,000-byte bodies and twelve small ones parked through an SQS outage (ten per
    // SendMessageBatch would be about 1.4 MB, over SQS's 1 MiB a batch).
    const route = await createTestRoute({ target, ingestSqsEndpoint: await refusingEndpoint() });
    const ids: string[] = [];
    for (let i = 0; i < 18; i++) {
      const notes = i < 6 ? 'n'.repeat(240_000 - 60) : 'small';
      const response = await route.post({ ...REGISTRATION, passengerId: `p-${i}`, notes });
      expect(response.statusCode).toBe(202);
      ids.push(JSON.parse(response.body).messageId);
    }

    // Act
    const report = await route.drain();
    for (let i = 0; i < 10 && backend.requests.length < ids.length; i++) await route.forwardOnce();

    // Assess
    expect(report).toEqual({ moved: 18, failed: 0, refused: 0, unroutable: 0 });
    expect(await route.failoverIds()).toEqual([]);
    expect(backend.idsReceived().sort()).toEqual([...ids].sort());
  });

  it('drains the rest when SQS refuses one item for itself, and reports that item as refused', async () => {
    // Prepare: thirteen parked items, then the queue's MaximumMessageSize lowered below the first
    // one's size (SQS refuses it for itself; moto rejects the whole batch it is in).
    const route = await createTestRoute({ target, ingestSqsEndpoint: await refusingEndpoint() });
    const large = await route.post({ ...REGISTRATION, passengerId: 'p-large', notes: 'n'.repeat(200_000) });
    const largeId = JSON.parse(large.body).messageId;
    for (let i = 0; i < 12; i++) await route.post({ ...REGISTRATION, passengerId: `p-${i}` });
    await route.sqs.send(
      new SetQueueAttributesCommand({
        QueueUrl: route.queues.queueUrl,
        Attributes: { MaximumMessageSize: '100000' },
      }),
    );

    // Act
    const report = await route.drain();

    // Assess: twelve moved, the large one still in the table, refused (SQS is up: no stop).
    expect(report).toEqual({ moved: 12, failed: 0, refused: 1, unroutable: 0 });
    expect(await route.failoverIds()).toEqual([largeId]);
    expect(route.logs.drainer.entries()).toContainEqual(
      expect.objectContaining({
        event: LOG_EVENT.DRAIN_REFUSED,
        refused: [{ messageId: largeId, reason: expect.stringContaining('InvalidParameterValue') }],
      }),
    );
  });

  it('leaves failover items in place and stops early while SQS still fails', async () => {
    // Prepare
    const deadSqs = await refusingEndpoint();
    const route = await createTestRoute({ target, ingestSqsEndpoint: deadSqs, drainerSqsEndpoint: deadSqs });
    for (let i = 0; i < 3; i++) await route.post({ ...REGISTRATION, passengerId: `p-${i}` });

    // Act
    const report = await route.drain();

    // Assess
    expect(report).toMatchObject({ moved: 0, failed: 3, refused: 0, stoppedEarly: 'queue-unavailable' });
    expect(await route.failoverIds()).toHaveLength(3);
  });

  it('skips a run while another drainer holds the lease', async () => {
    // Prepare: a first drain run that has not finished yet, simulated by taking the lease by hand
    const route = await createTestRoute({ target, ingestSqsEndpoint: await refusingEndpoint() });
    await route.post(REGISTRATION);
    const { DynamoDbFailoverStore } = await import('../../shared/aws/dynamodb-failover-store.js');
    const { createDocumentClient } = await import('../../shared/aws/clients.js');
    const store = new DynamoDbFailoverStore(createDocumentClient(route.dynamoDb), route.tables.failoverTable);
    expect(await store.acquireLease('someone-else', 60)).toBe(true);

    // Act
    const report = await route.drain();

    // Assess
    expect(report).toMatchObject({ moved: 0, stoppedEarly: 'lease-held' });
    expect(await route.failoverIds()).toHaveLength(1);
  });
});
