import { beforeEach, describe, expect, it } from 'vitest';
import {
  type DrainerDeps,
  type DrainOptions,
  drainFailover,
} from '../../functions/drainer/drain-failover.js';
import { LOG_EVENT } from '../../shared/log-events.js';
import type { MessageQueue } from '../../shared/ports.js';
import { anEnvelope } from '../support/factories.js';
import {
  FakeClock,
  InMemoryFailoverStore,
  InMemoryMessageRecords,
  InMemoryQueue,
  recordingLogger,
} from '../support/fakes.js';

const START = Date.parse('2025-01-02T03:00:00.000Z');

describe('drainFailover', () => {
  let store: InMemoryFailoverStore;
  let records: InMemoryMessageRecords;
  let queues: Map<string, InMemoryQueue>;
  let logs: ReturnType<typeof recordingLogger>;
  let clock: FakeClock;

  const deps = (): DrainerDeps => ({
    failover: store,
    records,
    queueFor: (route) => queues.get(route) as MessageQueue | undefined,
    logger: logs.logger,
    clock,
  });
  const options = (overrides: Partial<DrainOptions> = {}): DrainOptions => ({
    deadline: START + 60_000,
    owner: 'request-1',
    leaseSeconds: 70,
    ...overrides,
  });
  /** Parks `count` items of `route`, ids `<prefix>-<n>`, stored one second apart from `from`. */
  const park = (route: string, count: number, prefix = route, from = START - 3_600_000, stepMs = 1_000) => {
    for (let n = 0; n < count; n++) {
      store.add(anEnvelope({ id: `${prefix}-${String(n).padStart(3, '0')}`, route }), from + n * stepMs);
    }
  };

  beforeEach(() => {
    clock = new FakeClock(START);
    store = new InMemoryFailoverStore(clock);
    records = new InMemoryMessageRecords();
    queues = new Map([
      ['catering', new InMemoryQueue()],
      ['billing', new InMemoryQueue()],
    ]);
    logs = recordingLogger('drainer');
  });

  it('moves everything to its queue in batches of at most ten and empties the table', async () => {
    // Prepare
    park('catering', 25);

    // Act
    const report = await drainFailover(deps(), options());

    // Assess
    expect(report).toEqual({ moved: 25, failed: 0, refused: 0, unroutable: 0 });
    expect(queues.get('catering')?.batches.map((batch) => batch.length)).toEqual([10, 10, 5]);
    expect(store.ids()).toEqual([]);
  });

  it('sends the oldest first, within each route and across routes', async () => {
    // Prepare: stored out of order, two routes interleaved in time.
    store.add(anEnvelope({ id: 'c-late', route: 'catering' }), START - 1_000);
    store.add(anEnvelope({ id: 'b-oldest', route: 'billing' }), START - 9_000);
    store.add(anEnvelope({ id: 'c-early', route: 'catering' }), START - 8_000);
    store.add(anEnvelope({ id: 'b-middle', route: 'billing' }), START - 5_000);
    const order: string[] = [];
    for (const queue of queues.values()) {
      const sendBatch = queue.sendBatch.bind(queue);
      queue.sendBatch = async (envelopes) => {
        order.push(...envelopes.map((envelope) => envelope.id));
        return sendBatch(envelopes);
      };
    }

    // Act
    await drainFailover(deps(), options());

    // Assess: the route of the oldest item is flushed first, each in storedAt order.
    expect(order).toEqual(['b-oldest', 'b-middle', 'c-early', 'c-late']);
    expect(queues.get('billing')?.batchedIds()).toEqual(['b-oldest', 'b-middle']);
    expect(queues.get('catering')?.batchedIds()).toEqual(['c-early', 'c-late']);
  });

  it('fills a batch per route, so a busy route does not wait for a quiet one', async () => {
    // Prepare: one billing item, then eleven catering items.
    park('billing', 1, 'b', START - 100_000);
    park('catering', 11, 'c', START - 50_000);

    // Act
    await drainFailover(deps(), options());

    // Assess
    expect(queues.get('catering')?.batches.map((batch) => batch.length)).toEqual([10, 1]);
    expect(queues.get('billing')?.batches.map((batch) => batch.length)).toEqual([1]);
  });

  it('deletes only what SQS confirmed and leaves the refused items for the next run', async () => {
    // Prepare
    park('catering', 10);
    const queue = queues.get('catering') as InMemoryQueue;
    queue.refuse = (envelope) =>
      envelope.id.endsWith('3') || envelope.id.endsWith('7') ? 'InternalError' : undefined;

    // Act
    const report = await drainFailover(deps(), options());

    // Assess
    expect(report).toEqual({ moved: 8, failed: 2, refused: 0, unroutable: 0 });
    expect(store.ids().sort()).toEqual(['catering-003', 'catering-007']);
    expect(store.deleteCalls.flat()).not.toContain('catering-003');
    expect(logs.entries()).toContainEqual(
      expect.objectContaining({ level: 'WARN', failed: 2, firstReason: 'InternalError' }),
    );
  });

  it('goes on past items SQS refuses for themselves, and reports them apart from SQS being down', async () => {
    // Prepare: the ten oldest are refused by SQS for themselves (too large, say), five more are fine.
    park('catering', 15);
    const queue = queues.get('catering') as InMemoryQueue;
    const tooLarge = new Set(Array.from({ length: 10 }, (_, n) => `catering-00${n}`));
    queue.refuse = (envelope) =>
      tooLarge.has(envelope.id) ? { reason: 'InvalidParameterValue: too long', fault: 'refused' } : undefined;

    // Act
    const report = await drainFailover(deps(), options());

    // Assess: nothing stopped the five behind them; the refused ten stay, named in an error log.
    expect(report).toEqual({ moved: 5, failed: 0, refused: 10, unroutable: 0 });
    expect(store.ids().sort()).toEqual([...tooLarge].sort());
    expect(logs.entries()).toContainEqual(
      expect.objectContaining({
        level: 'ERROR',
        event: LOG_EVENT.DRAIN_REFUSED,
        refused: expect.arrayContaining([
          { messageId: 'catering-000', reason: 'InvalidParameterValue: too long' },
        ]),
      }),
    );
    expect(logs.entries().filter((entry) => entry.event === LOG_EVENT.DRAIN_SEND_FAILED)).toEqual([]);
  });

  it('stops early with queue-unavailable when SQS is unavailable for a whole batch', async () => {
    // Prepare
    park('catering', 35);
    const queue = queues.get('catering') as InMemoryQueue;
    queue.refuse = () => 'ServiceUnavailable';

    // Act
    const report = await drainFailover(deps(), options());

    // Assess
    expect(report).toEqual({
      moved: 0,
      failed: 10,
      refused: 0,
      unroutable: 0,
      stoppedEarly: 'queue-unavailable',
    });
    expect(queue.batches).toHaveLength(1);
    expect(store.ids()).toHaveLength(35);
    expect(store.deleteCalls).toEqual([]);
  });

  it('keeps what was moved before SQS went away', async () => {
    // Prepare
    park('catering', 30);
    const queue = queues.get('catering') as InMemoryQueue;
    let calls = 0;
    const sendBatch = queue.sendBatch.bind(queue);
    queue.sendBatch = async (envelopes) => {
      calls++;
      if (calls === 2) queue.refuse = () => 'ServiceUnavailable';
      return sendBatch(envelopes);
    };

    // Act
    const report = await drainFailover(deps(), options());

    // Assess
    expect(report).toEqual({
      moved: 10,
      failed: 10,
      refused: 0,
      unroutable: 0,
      stoppedEarly: 'queue-unavailable',
    });
    expect(store.ids()).toHaveLength(20);
    expect(store.ids()).not.toContain('catering-000');
  });

  it('stops at the time budget and still sends what it had read', async () => {
    // Prepare: every clock reading moves time on by one second; the budget is 5.5 s.
    clock = new FakeClock(START, 1_000);
    park('catering', 20);

    // Act
    const report = await drainFailover(deps(), options({ deadline: START + 5_500 }));

    // Assess
    expect(report.stoppedEarly).toBe('time-budget');
    expect(report.moved).toBe(6);
    expect(queues.get('catering')?.batchedIds()).toEqual([0, 1, 2, 3, 4, 5].map((n) => `catering-00${n}`));
    expect(store.ids()).toHaveLength(14);
  });

  it('does nothing while another drainer holds the lease', async () => {
    // Prepare
    park('catering', 5);
    store.leaseOwner = 'another-drainer';

    // Act
    const report = await drainFailover(deps(), options());

    // Assess
    expect(report).toEqual({ moved: 0, failed: 0, refused: 0, unroutable: 0, stoppedEarly: 'lease-held' });
    expect(queues.get('catering')?.batches).toEqual([]);
    expect(store.ids()).toHaveLength(5);
    expect(store.leaseOwner).toBe('another-drainer');
    expect(store.releases).toEqual([]);
  });

  it('takes the lease for the given time and gives it back when done', async () => {
    // Prepare
    park('catering', 2);

    // Act
    await drainFailover(deps(), options({ owner: 'request-9', leaseSeconds: 42 }));

    // Assess
    expect(store.leaseCalls).toEqual([{ owner: 'request-9', seconds: 42 }]);
    expect(store.releases).toEqual(['request-9']);
    expect(store.leaseOwner).toBeUndefined();
  });

  it('leaves items of an unknown route in place, counted as unroutable and logged once', async () => {
    // Prepare
    park('catering', 3);
    park('retired-route', 4);

    // Act
    const report = await drainFailover(deps(), options());

    // Assess
    expect(report).toEqual({ moved: 3, failed: 0, refused: 0, unroutable: 4 });
    expect(store.ids().sort()).toEqual([
      'retired-route-000',
      'retired-route-001',
      'retired-route-002',
      'retired-route-003',
    ]);
    const errors = logs
      .entries()
      .filter((entry) => entry.message === 'failover item for a route with no queue; left in place');
    expect(errors).toEqual([expect.objectContaining({ route: 'retired-route' })]);
  });

  it('reports an empty table without sending anything', async () => {
    // Act
    const report = await drainFailover(deps(), options());

    // Assess
    expect(report).toEqual({ moved: 0, failed: 0, refused: 0, unroutable: 0 });
    expect(queues.get('catering')?.batches).toEqual([]);
  });

  it('rejects when sending throws, and still gives the lease back', async () => {
    // Prepare
    park('catering', 12);
    (queues.get('catering') as InMemoryQueue).batchError = new Error('socket hang up');

    // Act
    const result = drainFailover(deps(), options());

    // Assess
    await expect(result).rejects.toThrow('socket hang up');
    expect(store.releases).toEqual(['request-1']);
    expect(store.leaseOwner).toBeUndefined();
    expect(store.ids()).toHaveLength(12);
  });

  it('rejects when deleting throws, and still gives the lease back', async () => {
    // Prepare
    park('catering', 3);
    store.deleteError = new Error('ProvisionedThroughputExceeded');

    // Act
    const result = drainFailover(deps(), options());

    // Assess
    await expect(result).rejects.toThrow('ProvisionedThroughputExceeded');
    expect(store.releases).toEqual(['request-1']);
  });

  it('finishes its report even when the lease cannot be given back', async () => {
    // Prepare
    park('catering', 2);
    store.releaseError = new Error('DynamoDB unreachable');

    // Act
    const report = await drainFailover(deps(), options());

    // Assess
    expect(report).toEqual({ moved: 2, failed: 0, refused: 0, unroutable: 0 });
    expect(logs.entries()).toContainEqual(
      expect.objectContaining({
        level: 'WARN',
        message: 'could not release the drainer lease; it expires on its own',
      }),
    );
  });

  it('deletes in groups of at most 25', async () => {
    // Prepare
    park('catering', 60);

    // Act
    await drainFailover(deps(), options());

    // Assess
    expect(store.deleteCalls.every((ids) => ids.length <= 25)).toBe(true);
    expect(store.deleteCalls.flat()).toHaveLength(60);
  });
});
