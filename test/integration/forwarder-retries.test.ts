import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { ATTR } from '../../shared/envelope.js';
import { LOG_EVENT } from '../../shared/log-events.js';
import { backendPerTest } from '../support/loopback-backend.js';
import { createTestRoute, forwardUntil } from '../support/test-route.js';

const MESSAGE = { passengerId: 'p-9', train: 'RLC-1' };

describe('forwarder retries, dead letters and idempotency', () => {
  const server = backendPerTest();

  it('hides a message for the backoff after a 503, then delivers it on the next attempt', async () => {
    // Prepare
    const route = await createTestRoute({
      target: server.target,
      route: { maxAttempts: 3, retry: { baseSeconds: 1, maxSeconds: 1 } },
    });
    server.current.answerNext({ status: 503 });
    const { messageId } = JSON.parse((await route.post(MESSAGE)).body);

    // Act
    const first = await route.forwardOnce();
    const duringBackoff = await route.forwardOnce();
    await forwardUntil(route, server.current, 2, 5_000);

    // Assess
    expect(first).toEqual({ received: 1, deleted: 0, failed: 1 });
    expect(duringBackoff.received).toBe(0);
    expect(server.current.requests.map((r) => r.headers['x-delivery-attempt'])).toEqual(['1', '2']);
    expect(server.current.idsReceived()).toEqual([messageId, messageId]);
    expect(await route.queueCounts()).toEqual({ visible: 0, inFlight: 0 });
    expect(await route.deadLetters()).toEqual([]);
  });

  it('caps a retry delay near 12 hours at what SQS still allows since the receive, and records that time', async () => {
    // Prepare: a 12-hour delay before the second attempt, the backend down
    const route = await createTestRoute({
      target: server.target,
      route: { retry: { schedule: [43_200] }, maxAttempts: 2 },
    });
    server.current.fallback = { status: 503 };
    const { messageId } = JSON.parse((await route.post(MESSAGE)).body);
    await sleep(1_100);

    // Act
    const before = Date.now();
    const poll = await route.forwardOnce();
    const record = await route.record(messageId);

    // Assess: the delay was set (SQS refuses 43,200 s once any time has passed since the receive) and the
    // record says when the message really comes back
    expect(poll).toEqual({ received: 1, deleted: 0, failed: 1 });
    const events = route.logs.forwarder.entries().map((entry) => entry.event);
    expect(events).not.toContain(LOG_EVENT.RETRY_DELAY_NOT_SET);
    expect(events).toContain(LOG_EVENT.ATTEMPT_FAILED);
    const next = Date.parse(record?.nextAttemptAt ?? '');
    expect(next).toBeLessThanOrEqual(before + 43_200_000);
    expect(next).toBeGreaterThan(before + 43_000_000);
    expect(await route.queueCounts()).toEqual({ visible: 0, inFlight: 1 });
  });

  it('dead-letters a non-retryable status at once, with the reason recorded', async () => {
    // Prepare
    const route = await createTestRoute({ target: server.target, route: { maxAttempts: 5 } });
    server.current.fallback = { status: 422 };
    const { messageId } = JSON.parse((await route.post(MESSAGE)).body);

    // Act
    const poll = await route.forwardOnce();
    const [deadLetter, ...others] = await route.deadLetters();

    // Assess
    expect(poll).toEqual({ received: 1, deleted: 1, failed: 0 });
    expect(server.current.requests).toHaveLength(1);
    expect(others).toEqual([]);
    expect(deadLetter?.Body).toBe(JSON.stringify(MESSAGE));
    const attributes = deadLetter?.MessageAttributes ?? {};
    expect(attributes[ATTR.MESSAGE_ID]?.StringValue).toBe(messageId);
    expect(attributes[ATTR.LAST_STATUS]?.StringValue).toBe('422');
    expect(attributes[ATTR.ATTEMPTS]?.StringValue).toBe('1');
    expect(attributes[ATTR.DEAD_LETTER_REASON]?.StringValue).toMatch(/422.*non-retryable/);
    expect(await route.queueCounts()).toEqual({ visible: 0, inFlight: 0 });
  });

  it('dead-letters after max attempts with the last failure as the reason', async () => {
    // Prepare
    const route = await createTestRoute({
      target: server.target,
      route: { maxAttempts: 2, retry: { baseSeconds: 1, maxSeconds: 1 } },
    });
    server.current.fallback = { status: 500 };
    const { messageId } = JSON.parse((await route.post(MESSAGE)).body);

    // Act
    await forwardUntil(route, server.current, 2, 5_000);
    const deadLetters = await route.deadLetters();

    // Assess
    expect(server.current.requests.map((r) => r.headers['x-delivery-attempt'])).toEqual(['1', '2']);
    expect(deadLetters).toHaveLength(1);
    const attributes = deadLetters[0]?.MessageAttributes ?? {};
    expect(attributes[ATTR.MESSAGE_ID]?.StringValue).toBe(messageId);
    expect(attributes[ATTR.DEAD_LETTER_REASON]?.StringValue).toBe(
      'gave up after 2 attempts; last: backend answered 500',
    );
    expect(attributes[ATTR.ATTEMPTS]?.StringValue).toBe('2');
    expect(await route.queueCounts()).toEqual({ visible: 0, inFlight: 0 });
  });

  it('retries a backend that does not answer within the route timeout', async () => {
    // Prepare
    const route = await createTestRoute({
      target: server.target,
      route: { maxAttempts: 3, timeoutSeconds: 1, retry: { baseSeconds: 1, maxSeconds: 1 } },
    });
    server.current.answerNext('hang');

    // Act
    await route.post(MESSAGE);
    const first = await route.forwardOnce();
    await forwardUntil(route, server.current, 2, 5_000);

    // Assess
    expect(first).toEqual({ received: 1, deleted: 0, failed: 1 });
    expect(server.current.requests).toHaveLength(2);
    expect(await route.queueCounts()).toEqual({ visible: 0, inFlight: 0 });
  });

  it('delivers a message id once when the same id is queued twice', async () => {
    // Prepare: a client retry with the same Idempotency-Key puts two copies on the queue
    const route = await createTestRoute({
      target: server.target,
      route: { retry: { baseSeconds: 1, maxSeconds: 1 } },
    });
    await route.post(MESSAGE, { 'Idempotency-Key': 'order-42' });
    await route.post(MESSAGE, { 'Idempotency-Key': 'order-42' });

    // Act: keep polling until both copies are gone (one delivered, one suppressed)
    const deadline = Date.now() + 8_000;
    let counts = await route.queueCounts();
    while (counts.visible + counts.inFlight > 0 && Date.now() < deadline) {
      await route.forwardOnce();
      await sleep(200);
      counts = await route.queueCounts();
    }

    // Assess
    expect(counts).toEqual({ visible: 0, inFlight: 0 });
    expect(server.current.idsReceived()).toEqual(['order-42']);
    expect(route.logs.forwarder.lines.some((line) => line.includes('duplicate suppressed'))).toBe(true);
  });

  it('does not deliver again a message redelivered after it was delivered (e.g. lost delete)', async () => {
    // Prepare: deliver once, then put the same envelope back as a redrive would
    const route = await createTestRoute({ target: server.target });
    const { messageId } = JSON.parse((await route.post(MESSAGE)).body);
    await route.forwardOnce();
    await route.post(MESSAGE, { 'Idempotency-Key': messageId });

    // Act
    const poll = await route.forwardOnce();

    // Assess
    expect(poll).toEqual({ received: 1, deleted: 1, failed: 0 });
    expect(server.current.idsReceived()).toEqual([messageId]);
  });
});
