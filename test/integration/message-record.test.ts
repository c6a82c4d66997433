import { describe, expect, it } from 'vitest';
import { redriveDeadLetters } from '../../shared/aws/dead-letter-redrive.js';
import { refusingEndpoint } from '../support/dead-endpoints.js';
import { backendPerTest } from '../support/loopback-backend.js';
import { createTestRoute, forwardUntil, type TestRoute } from '../support/test-route.js';

const BODY_A = { passengerId: 'p-1', train: 'IC 1021' };
const BODY_B = { passengerId: 'p-2', train: 'IC 1021' };

/** Runs the forwarder until the queue is empty (visible and in flight). */
async function forwardUntilEmpty(route: TestRoute, ms = 8_000) {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    await route.forwardOnce();
    const { visible, inFlight } = await route.queueCounts();
    if (visible + inFlight === 0) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

const json = (response: { body: string }) => JSON.parse(response.body);

const server = backendPerTest();

describe('Idempotency-Key reused with another body', () => {
  it('answers 409 naming the key on the queue path, and delivers only the first body', async () => {
    // Prepare
    const route = await createTestRoute({ target: server.target });
    const first = await route.post(BODY_A, { 'Idempotency-Key': 'order-7' });

    // Act
    const reused = await route.post(BODY_B, { 'Idempotency-Key': 'order-7' });
    await forwardUntilEmpty(route);

    // Assess
    expect(first.statusCode).toBe(202);
    expect(reused.statusCode).toBe(409);
    expect(json(reused)).toEqual({
      error:
        "Idempotency-Key 'order-7' was already used with another body; send a new message with a new key",
      idempotencyKey: 'order-7',
    });
    // The refused body was never stored: the queue held the first body alone.
    expect(server.current.requests.map((r) => JSON.parse(r.body))).toEqual([BODY_A]);
    expect(await route.deadLetters()).toEqual([]);
  });

  it('keeps the same key with the same body one message: 202 with the same id, delivered once', async () => {
    // Prepare
    const route = await createTestRoute({ target: server.target });
    const first = await route.post(BODY_A, { 'Idempotency-Key': 'order-8' });

    // Act
    const retry = await route.post(BODY_A, { 'Idempotency-Key': 'order-8' });
    await forwardUntilEmpty(route);

    // Assess
    expect(json(first)).toEqual({ messageId: 'order-8', store: 'queue' });
    expect(retry.statusCode).toBe(202);
    expect(json(retry)).toEqual({ messageId: 'order-8', store: 'queue' });
    expect(server.current.idsReceived()).toEqual(['order-8']);
  });

  it('answers 409 on the failover path too, and the failover table keeps the first body', async () => {
    // Prepare: SQS refuses connections, so both requests go to the failover path
    const route = await createTestRoute({
      target: server.target,
      ingestSqsEndpoint: await refusingEndpoint(),
    });
    const first = await route.post(BODY_A, { 'Idempotency-Key': 'order-9' });

    // Act
    const reused = await route.post(BODY_B, { 'Idempotency-Key': 'order-9' });
    await route.drain();
    await forwardUntilEmpty(route);

    // Assess
    expect(json(first)).toEqual({ messageId: 'order-9', store: 'failover' });
    expect(reused.statusCode).toBe(409);
    expect(json(reused).idempotencyKey).toBe('order-9');
    expect(server.current.requests.map((r) => JSON.parse(r.body))).toEqual([BODY_A]);
  });

  it('answers 409 after the first body was delivered (a later redelivery of the key)', async () => {
    // Prepare
    const route = await createTestRoute({ target: server.target });
    await route.post(BODY_A, { 'Idempotency-Key': 'order-10' });
    await forwardUntilEmpty(route);

    // Act
    const reused = await route.post(BODY_B, { 'Idempotency-Key': 'order-10' });
    await forwardUntilEmpty(route);

    // Assess
    expect(reused.statusCode).toBe(409);
    expect(server.current.requests.map((r) => JSON.parse(r.body))).toEqual([BODY_A]);
    expect((await route.record('order-10'))?.state).toBe('delivered');
  });
});

describe('message status record', () => {
  it('is queued from the 202 on, and delivered after the first attempt', async () => {
    // Prepare
    const route = await createTestRoute({ target: server.target });
    server.current.answerNext({ status: 200, body: '{"booked":true}' });

    // Act
    const { messageId } = json(await route.post(BODY_A));
    const queued = await route.record(messageId);
    await forwardUntil(route, server.current, 1);

    // Assess
    expect(queued).toMatchObject({
      messageId,
      route: route.route.name,
      state: 'queued',
      store: 'queue',
      attempts: [],
    });
    const delivered = await route.record(messageId);
    expect(delivered).toMatchObject({
      state: 'delivered',
      deliveredAt: expect.any(String),
      attempts: [{ attempt: 1, status: 200, durationMs: expect.any(Number), response: '{"booked":true}' }],
    });
    expect(delivered?.expiresAt).toBeGreaterThan(Date.now() / 1000 + 29 * 86_400);
  });

  it('lists every attempt with its status and duration when retried, then delivered', async () => {
    // Prepare
    const route = await createTestRoute({
      target: server.target,
      route: { maxAttempts: 4, retry: { baseSeconds: 1, maxSeconds: 1 } },
    });
    server.current.answerNext({ status: 503, body: 'maintenance' }, { status: 500 });
    const { messageId } = json(await route.post(BODY_A));

    // Act
    await route.forwardOnce();
    const retrying = await route.record(messageId);
    await forwardUntil(route, server.current, 3);

    // Assess
    expect(retrying).toMatchObject({ state: 'retrying', nextAttemptAt: expect.any(String) });
    const record = await route.record(messageId);
    expect(record?.state).toBe('delivered');
    expect(record?.nextAttemptAt).toBeUndefined();
    expect(record?.attempts.map((a) => [a.attempt, a.status])).toEqual([
      [1, 503],
      [2, 500],
      [3, 200],
    ]);
    expect(record?.attempts[0]?.response).toBe('maintenance');
    for (const attempt of record?.attempts ?? []) expect(attempt.durationMs).toBeGreaterThanOrEqual(0);
  });

  it('records the reason and the attempt count when the message is dead-lettered', async () => {
    // Prepare
    const route = await createTestRoute({
      target: server.target,
      route: { maxAttempts: 2, retry: { baseSeconds: 1, maxSeconds: 1 } },
    });
    server.current.fallback = { status: 500 };
    const { messageId } = json(await route.post(BODY_A));

    // Act
    await forwardUntil(route, server.current, 2);
    await forwardUntilEmpty(route);

    // Assess
    const record = await route.record(messageId);
    expect(record).toMatchObject({
      state: 'dead-lettered',
      deadLetteredAt: expect.any(String),
      reason: 'gave up after 2 attempts; last: backend answered 500',
    });
    expect(record?.attempts).toHaveLength(2);
  });

  it('follows a message through failover, drain and delivery', async () => {
    // Prepare
    const route = await createTestRoute({
      target: server.target,
      ingestSqsEndpoint: await refusingEndpoint(),
    });
    const { messageId, store } = json(await route.post(BODY_A));
    const parked = await route.record(messageId);

    // Act
    await route.drain();
    const drained = await route.record(messageId);
    await forwardUntil(route, server.current, 1);

    // Assess
    expect(store).toBe('failover');
    expect(parked).toMatchObject({ state: 'in-failover', store: 'failover' });
    expect(drained).toMatchObject({ state: 'queued', store: 'failover', drainedAt: expect.any(String) });
    expect(await route.record(messageId)).toMatchObject({
      state: 'delivered',
      attempts: [{ attempt: 1, status: 200 }],
    });
  });

  it('follows a message redriven from the DLQ to its delivery, attempts counted on', async () => {
    // Prepare: dead-lettered at once by a non-retryable answer
    const route = await createTestRoute({ target: server.target, route: { nonRetryableStatuses: [422] } });
    server.current.answerNext({ status: 422 });
    const { messageId } = json(await route.post(BODY_A));
    await forwardUntil(route, server.current, 1);
    const deadLettered = await route.record(messageId);

    // Act
    await redriveDeadLetters(route.sqs, { dlqUrl: route.queues.dlqUrl, queueUrl: route.queues.queueUrl });
    await forwardUntil(route, server.current, 2);

    // Assess
    expect(deadLettered?.state).toBe('dead-lettered');
    const record = await route.record(messageId);
    expect(record).toMatchObject({
      state: 'delivered',
      redrivenAt: expect.any(String),
      deadLetteredAt: deadLettered?.deadLetteredAt,
    });
    expect(record?.attempts.map((a) => [a.attempt, a.status])).toEqual([
      [1, 422],
      [2, 200],
    ]);
  });

  it('keeps two records for the same id on two routes', async () => {
    // Prepare: two routes of one deployment (one message table)
    const catering = await createTestRoute({ target: server.target, route: { name: 'catering' } });
    const orders = await createTestRoute({
      target: server.target,
      tables: catering.tables,
      route: { name: 'orders', path: '/orders' },
    });

    // Act
    const a = await catering.post(BODY_A, { 'Idempotency-Key': 'shared-id' });
    const b = await orders.post(BODY_B, { 'Idempotency-Key': 'shared-id' });
    await forwardUntil(catering, server.current, 1);
    await forwardUntil(orders, server.current, 2);

    // Assess
    expect([a.statusCode, b.statusCode]).toEqual([202, 202]);
    expect(await catering.record('shared-id')).toMatchObject({ route: 'catering', state: 'delivered' });
    expect(await orders.record('shared-id')).toMatchObject({ route: 'orders', state: 'delivered' });
    expect(
      server.current.requests
        .map((r) => JSON.parse(r.body))
        .sort((x, y) => x.passengerId.localeCompare(y.passengerId)),
    ).toEqual([BODY_A, BODY_B]);
  });
});
