import { setTimeout as sleep } from 'node:timers/promises';
import { beforeEach, describe, expect, it } from 'vitest';
import { drainEstimateSeconds } from '../../functions/drainer/drain-estimate.js';
import { type DrainerDeps, drainFailover } from '../../functions/drainer/drain-failover.js';
import type { BatchSendResult, MessageQueue } from '../../shared/ports.js';
import { anEnvelope } from '../support/factories.js';
import {
  FakeClock,
  InMemoryFailoverStore,
  InMemoryMessageRecords,
  InMemoryQueue,
  recordingLogger,
} from '../support/fakes.js';

const START = Date.parse('2025-01-02T03:00:00.000Z');

/** A queue whose SendMessageBatch takes a few ms and counts how many are in flight at once. */
class SlowQueue extends InMemoryQueue {
  inFlight = 0;
  maxInFlight = 0;
  constructor(readonly fifo = false) {
    super();
  }
  override async sendBatch(envelopes: Parameters<MessageQueue['sendBatch']>[0]): Promise<BatchSendResult> {
    this.inFlight++;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    await sleep(5);
    this.inFlight--;
    return super.sendBatch(envelopes);
  }
}

describe('drainFailover, pipelined', () => {
  let store: InMemoryFailoverStore;
  let clock: FakeClock;

  const depsWith = (queue: MessageQueue): DrainerDeps => ({
    failover: store,
    records: new InMemoryMessageRecords(),
    queueFor: (route) => (route === 'catering' ? queue : undefined),
    logger: recordingLogger('drainer').logger,
    clock,
  });
  const park = (count: number) => {
    for (let n = 0; n < count; n++) {
      store.add(
        anEnvelope({ id: `m-${String(n).padStart(3, '0')}`, route: 'catering' }),
        START - 100_000 + n,
      );
    }
  };

  beforeEach(() => {
    clock = new FakeClock(START);
    store = new InMemoryFailoverStore(clock);
  });

  it('keeps up to `concurrency` batches in flight, started oldest first, and moves everything', async () => {
    // Prepare
    park(100);
    const queue = new SlowQueue();

    // Act
    const report = await drainFailover(depsWith(queue), {
      deadline: START + 60_000,
      owner: 'run-1',
      leaseSeconds: 70,
      concurrency: 4,
    });

    // Assess
    expect(report).toEqual({ moved: 100, failed: 0, refused: 0, unroutable: 0 });
    expect(queue.maxInFlight).toBe(4);
    expect(queue.batches.map((batch) => batch[0]?.id)).toEqual(
      Array.from({ length: 10 }, (_, i) => `m-${String(i * 10).padStart(3, '0')}`),
    );
    expect(store.ids()).toEqual([]);
  });

  it('sends one batch at a time to a FIFO queue, whatever the concurrency', async () => {
    // Prepare
    park(40);
    const queue = new SlowQueue(true);

    // Act
    await drainFailover(depsWith(queue), {
      deadline: START + 60_000,
      owner: 'run-1',
      leaseSeconds: 70,
      concurrency: 4,
    });

    // Assess
    expect(queue.maxInFlight).toBe(1);
    expect(queue.batchedIds()).toEqual(
      Array.from({ length: 40 }, (_, i) => `m-${String(i).padStart(3, '0')}`),
    );
  });

  it('says how far it got when it runs out of time', async () => {
    // Prepare: the clock moves 1 ms per reading, the budget ends before the table is empty.
    clock = new FakeClock(START, 1);
    store = new InMemoryFailoverStore(clock);
    park(200);

    // Act
    const report = await drainFailover(depsWith(new InMemoryQueue()), {
      deadline: START + 50,
      owner: 'run-1',
      leaseSeconds: 70,
    });

    // Assess
    expect(report.stoppedEarly).toBe('time-budget');
    expect(report.progress?.firstStoredAt).toBe(START - 100_000);
    expect(report.progress?.oldestLeftStoredAt).toBeGreaterThan(START - 100_000);
  });
});

describe('drainEstimateSeconds', () => {
  const base = { moved: 0, failed: 0, refused: 0, unroutable: 0 };

  it('is the rest of the backlog at the pace of the run', () => {
    // A 60 s run got through 10 minutes of parked items; 50 minutes of them are left: 300 s.
    const now = START;
    const report = {
      ...base,
      stoppedEarly: 'time-budget' as const,
      progress: { firstStoredAt: now - 3_600_000, oldestLeftStoredAt: now - 3_000_000 },
    };
    expect(drainEstimateSeconds(report, 60_000, now)).toBe(300);
  });

  it('is 0 when the run emptied the table, nothing when it was empty, and says nothing when the run tells nothing of a pace', () => {
    expect(drainEstimateSeconds({ ...base, moved: 5 }, 5_000, START)).toBe(0);
    expect(drainEstimateSeconds(base, 5_000, START)).toBeUndefined();
    expect(
      drainEstimateSeconds({ ...base, stoppedEarly: 'queue-unavailable' }, 5_000, START),
    ).toBeUndefined();
    expect(drainEstimateSeconds({ ...base, stoppedEarly: 'lease-held' }, 5_000, START)).toBeUndefined();
    const stuck = {
      ...base,
      stoppedEarly: 'time-budget' as const,
      progress: { firstStoredAt: 1, oldestLeftStoredAt: 1 },
    };
    expect(drainEstimateSeconds(stuck, 5_000, START)).toBeUndefined();
  });
});
