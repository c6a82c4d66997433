import { beforeEach, describe, expect, it } from 'vitest';
import { type DrainerDeps, drainFailover } from '../../functions/drainer/drain-failover.js';
import type { MessageQueue } from '../../shared/ports.js';
import { anEnvelope } from '../support/factories.js';
import {
  FakeClock,
  failoverKeyOf,
  InMemoryFailoverStore,
  InMemoryMessageRecords,
  InMemoryOrderedFailover,
  InMemoryQueue,
  recordingLogger,
} from '../support/fakes.js';

const START = Date.parse('2025-01-02T03:00:00.000Z');

/** The in-memory table's key of a message of the ordered route. */
const slot = (id: string) => failoverKeyOf({ route: 'orders', id });

describe('drainFailover on an ordered route', () => {
  let store: InMemoryFailoverStore;
  let ordered: InMemoryOrderedFailover;
  let queue: InMemoryQueue;
  let clock: FakeClock;

  const deps = (): DrainerDeps => ({
    failover: store,
    ordered,
    records: new InMemoryMessageRecords(),
    queueFor: (route) => (route === 'orders' ? (queue as MessageQueue) : undefined),
    logger: recordingLogger('drainer').logger,
    clock,
  });
  const drain = () => drainFailover(deps(), { deadline: START + 60_000, owner: 'r-1', leaseSeconds: 70 });
  /** Parks `count` messages of `key` in order: ids `<key>-1`, `<key>-2`, ... */
  const park = async (key: string, count: number) => {
    for (let n = 1; n <= count; n++) {
      await ordered.putInOrder(anEnvelope({ id: `${key}-${n}`, route: 'orders', orderingKey: key }));
    }
  };

  beforeEach(() => {
    clock = new FakeClock(START, 1);
    store = new InMemoryFailoverStore(clock);
    ordered = new InMemoryOrderedFailover(store, clock);
    queue = new InMemoryQueue();
  });

  it('sends at most one item per key per SendMessageBatch, each key in sequence order', async () => {
    // Prepare
    await park('a', 3);
    await park('b', 2);

    // Act
    const report = await drain();

    // Assess
    expect(report).toMatchObject({ moved: 5, failed: 0, unroutable: 0 });
    expect(queue.batches.map((batch) => batch.map((e) => e.id))).toEqual([
      ['a-1', 'b-1'],
      ['a-2', 'b-2'],
      ['a-3'],
    ]);
    expect(store.ids()).toEqual([]);
    expect(await ordered.keyState('orders', 'a')).toEqual({ lastSequence: 3, movedThrough: 3 });
  });

  it('stops a key whose item SQS refused, for the rest of the run, while other keys go on', async () => {
    // Prepare: SQS refuses a-2 once
    await park('a', 3);
    await park('b', 3);
    let refusals = 0;
    queue.refuse = (envelope) => (envelope.id === 'a-2' && refusals++ === 0 ? 'InternalError' : undefined);

    // Act
    const first = await drain();
    const second = await drain();

    // Assess: a-3 was not sent before a-2; the next run resumes the key at a-2
    const sent = queue.batches.flat().map((e) => e.id);
    expect(first).toMatchObject({ moved: 4, failed: 1 });
    expect(sent.filter((id) => id.startsWith('a'))).toEqual(['a-1', 'a-2', 'a-2', 'a-3']);
    expect(sent.filter((id) => id.startsWith('b'))).toEqual(['b-1', 'b-2', 'b-3']);
    expect(second).toMatchObject({ moved: 2, failed: 0 });
    expect(store.ids()).toEqual([]);
  });

  it('leaves a key alone when the index does not list its next item yet (a gap)', async () => {
    // Prepare: g-1 is parked but missing from the listing (the by-age index lags behind writes)
    await park('g', 3);
    const hidden = store.items.get(slot('g-1'));
    store.items.delete(slot('g-1'));

    // Act
    const report = await drain();

    // Assess: neither g-2 nor g-3 went ahead of g-1
    expect(report.moved).toBe(0);
    expect(queue.batches).toEqual([]);
    if (hidden) store.items.set(slot('g-1'), hidden);
    expect(await drain()).toMatchObject({ moved: 3 });
    expect(queue.batches.flat().map((e) => e.id)).toEqual(['g-1', 'g-2', 'g-3']);
  });

  it('never sends an item listed at or below its key mark from its old place: it is parked again at the end', async () => {
    // Prepare: k-1 was moved (mark at 1) but the item is still there (its delete did not happen)
    await park('k', 2);
    const moved = store.items.get(slot('k-1'));
    if (moved) await ordered.confirmMoved(moved);
    if (moved) store.items.set(slot('k-1'), moved);

    // Act: the run that finds it, and the next one
    await drain();
    await drain();

    // Assess: k-2 went first; k-1 went again only behind it (a duplicate the forwarder suppresses)
    expect(ordered.reparked).toEqual(['k-1']);
    expect(queue.batches.flat().map((e) => e.id)).toEqual(['k-2', 'k-1']);
  });
});
