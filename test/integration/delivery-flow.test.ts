import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LoopbackBackend } from '../support/loopback-backend.js';
import { createTestRoute, type TestRoute } from '../support/test-route.js';

const CATERING = { passengerId: '241241d', class: 'first', train: 'RLC-5051' };

describe('ingest → queue → forwarder → backend', () => {
  let backend: LoopbackBackend;
  let route: TestRoute;

  beforeEach(async () => {
    // Prepare
    backend = new LoopbackBackend();
    route = await createTestRoute({ target: await backend.start(), route: { maxAttempts: 3 } });
  });

  afterEach(async () => {
    await backend.stop();
  });

  it('accepts with 202 into the queue and delivers once with the documented headers', async () => {
    // Act
    const response = await route.post(CATERING);
    const accepted = JSON.parse(response.body);
    const poll = await route.forwardOnce();

    // Assess
    expect(response.statusCode).toBe(202);
    expect(accepted).toEqual({ messageId: expect.any(String), store: 'queue' });
    expect(poll).toEqual({ received: 1, deleted: 1, failed: 0 });
    expect(backend.requests).toHaveLength(1);
    const [delivered] = backend.requests;
    expect(delivered?.body).toBe(JSON.stringify(CATERING));
    expect(delivered?.headers['content-type']).toBe('application/json');
    expect(delivered?.headers['idempotency-key']).toBe(accepted.messageId);
    expect(delivered?.headers['x-message-id']).toBe(accepted.messageId);
    expect(delivered?.headers['x-delivery-attempt']).toBe('1');
    expect(await route.queueCounts()).toEqual({ visible: 0, inFlight: 0 });
  });
});
