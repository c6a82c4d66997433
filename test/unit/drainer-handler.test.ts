import { describe, expect, it } from 'vitest';
import { createDrainerHandler } from '../../functions/drainer/schedule-adapter.js';
import { lambdaContext, scheduledEvent } from '../../local/aws-events.js';
import { createMetrics, SERVICE } from '../../shared/metrics.js';
import { anEnvelope } from '../support/factories.js';
import {
  FakeClock,
  InMemoryFailoverStore,
  InMemoryMessageRecords,
  InMemoryQueue,
  silentLogger,
} from '../support/fakes.js';

describe('drainer handler', () => {
  it('takes its own lease again on the next run when the previous run could not give it back', async () => {
    // Prepare: the first run's release fails (DynamoDB failing at that moment), leaving the lease held
    const clock = new FakeClock();
    const failover = new InMemoryFailoverStore(clock);
    const queue = new InMemoryQueue();
    const handler = createDrainerHandler(
      {
        failover,
        records: new InMemoryMessageRecords(),
        queueFor: () => queue,
        logger: silentLogger(),
        clock,
      },
      50,
      createMetrics(SERVICE.DRAINER),
    );
    failover.add(anEnvelope({ id: 'first' }), 1);
    failover.releaseError = new Error('DynamoDB unavailable');
    await handler(scheduledEvent('drain'), lambdaContext('drainer', 60_000));
    failover.releaseError = undefined;
    const heldAfterFirstRun = failover.leaseOwner;
    failover.add(anEnvelope({ id: 'second' }), 2);

    // Act: the next scheduled run, a new invocation (new request id) in the same container
    const report = await handler(scheduledEvent('drain'), lambdaContext('drainer', 60_000));

    // Assess
    expect(heldAfterFirstRun).toMatch(/^drainer-/);
    expect(report).toEqual({ moved: 1, failed: 0, refused: 0, unroutable: 0 });
    expect(queue.batchedIds()).toEqual(['first', 'second']);
    expect(failover.ids()).toEqual([]);
  });

  it('skips the run while a drainer in another container holds the lease', async () => {
    // Prepare
    const failover = new InMemoryFailoverStore();
    const queue = new InMemoryQueue();
    const deps = {
      failover,
      records: new InMemoryMessageRecords(),
      queueFor: () => queue,
      logger: silentLogger(),
      clock: new FakeClock(),
    };
    failover.add(anEnvelope({ id: 'waiting' }), 1);
    await failover.acquireLease('drainer-other-container', 60);

    // Act
    const report = await createDrainerHandler(
      deps,
      50,
      createMetrics(SERVICE.DRAINER),
    )(scheduledEvent('drain'), lambdaContext('drainer', 60_000));

    // Assess
    expect(report).toEqual({ moved: 0, failed: 0, refused: 0, unroutable: 0, stoppedEarly: 'lease-held' });
    expect(failover.ids()).toEqual(['waiting']);
  });
});
