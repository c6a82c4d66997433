import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { createForwarderHandler } from '../../functions/forwarder/sqs-batch-adapter.js';
import { lambdaContext } from '../../local/aws-events.js';
import { createMetrics, SERVICE } from '../../shared/metrics.js';
import type { Backend, DeliveryRequest, DeliveryResponse } from '../../shared/ports.js';
import { anEnvelope, anSqsRecord, forwarderSettings } from '../support/factories.js';
import { FakeClock, InMemoryMessageRecords, InMemoryQueue, silentLogger } from '../support/fakes.js';

const record = (id: string) =>
  anSqsRecord(anEnvelope({ id }), { messageId: `sqs-${id}`, receiptHandle: `rh-${id}` });

function handlerWith(backend: Backend, records = new InMemoryMessageRecords()) {
  return createForwarderHandler(
    {
      queue: new InMemoryQueue(),
      deadLetters: new InMemoryQueue(),
      backend,
      records,
      logger: silentLogger(),
      clock: new FakeClock(),
      settings: forwarderSettings({ maxAttempts: 4 }),
    },
    createMetrics(SERVICE.FORWARDER),
  );
}

describe('forwarder handler', () => {
  it('reports each overlapping invocation its own failures (the local runner polls concurrently)', async () => {
    // Prepare: batch A = one record that fails at once and one that is slow; batch B = one good record
    let releaseSlow: () => void = () => undefined;
    let slowStarted: () => void = () => undefined;
    const slowHasStarted = new Promise<void>((resolve) => {
      slowStarted = resolve;
    });
    const backend: Backend = {
      async post(request: DeliveryRequest): Promise<DeliveryResponse> {
        const id = request.headers['x-message-id'];
        if (id === 'a-fails') return { kind: 'answered', status: 503 };
        if (id === 'a-slow') {
          slowStarted();
          await new Promise<void>((release) => {
            releaseSlow = release;
          });
        }
        return { kind: 'answered', status: 200 };
      },
    };
    const handler = handlerWith(backend);

    // Act: B runs from start to end after A's first record failed and while A's second is in flight
    const invocationA = handler(
      { Records: [record('a-fails'), record('a-slow')] },
      lambdaContext('forwarder'),
    );
    await slowHasStarted;
    await sleep(10);
    const responseB = await handler({ Records: [record('b-ok')] }, lambdaContext('forwarder'));
    releaseSlow();
    const responseA = await invocationA;

    // Assess: with one batch processor shared by both invocations, B's start wiped A's failure, and
    // the failed record would have been deleted from the queue as if delivered
    expect(responseA).toEqual({ batchItemFailures: [{ itemIdentifier: 'sqs-a-fails' }] });
    expect(responseB).toEqual({ batchItemFailures: [] });
  });

  it("takes each record's delivery lease once, which is also its idempotency read", async () => {
    // Prepare
    const records = new InMemoryMessageRecords();
    const handler = handlerWith({ post: async () => ({ kind: 'answered', status: 204 }) }, records);

    // Act
    const response = await handler(
      { Records: [record('m-1'), record('m-2'), record('m-3')] },
      lambdaContext('forwarder'),
    );

    // Assess
    expect(response).toEqual({ batchItemFailures: [] });
    expect(records.leaseCalls).toBe(3);
    expect(records.updates.map((u) => u.outcome.kind)).toEqual(['delivered', 'delivered', 'delivered']);
  });
});
