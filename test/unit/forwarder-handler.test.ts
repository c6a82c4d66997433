import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import type { DeliverOnce } from '../../functions/forwarder/forward-record.js';
import { createIdempotencyConfig } from '../../functions/forwarder/forwarder-config.js';
import { createForwarderHandler } from '../../functions/forwarder/sqs-batch-adapter.js';
import { lambdaContext } from '../../local/aws-events.js';
import { RetryableDeliveryError } from '../../shared/errors.js';
import { createMetrics, SERVICE } from '../../shared/metrics.js';
import { anEnvelope, anSqsRecord, forwarderSettings } from '../support/factories.js';
import { InMemoryQueue, silentLogger } from '../support/fakes.js';

describe('forwarder handler', () => {
  it('reports each overlapping invocation its own failures (the local runner polls concurrently)', async () => {
    // Prepare: batch A = one record that fails at once and one that is slow; batch B = one good record
    let releaseSlow: () => void = () => undefined;
    let slowStarted: () => void = () => undefined;
    const slowHasStarted = new Promise<void>((resolve) => {
      slowStarted = resolve;
    });
    const deliverOnce: DeliverOnce = async (input) => {
      if (input.messageId === 'a-fails') throw new RetryableDeliveryError('backend answered 503', 1);
      if (input.messageId === 'a-slow') {
        slowStarted();
        await new Promise<void>((release) => {
          releaseSlow = release;
        });
      }
      return {
        status: 200,
        attempt: input.attempt,
        deliveredAt: new Date().toISOString(),
        token: input.token,
      };
    };
    const handler = createForwarderHandler(
      {
        queue: new InMemoryQueue(),
        deadLetters: new InMemoryQueue(),
        deliverOnce,
        logger: silentLogger(),
        settings: forwarderSettings({ maxAttempts: 4 }),
      },
      createIdempotencyConfig(),
      createMetrics(SERVICE.FORWARDER),
    );
    const record = (id: string) =>
      anSqsRecord(anEnvelope({ id }), { messageId: `sqs-${id}`, receiptHandle: `rh-${id}` });

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
});
