import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { afterEach, beforeEach, describe, expect, inject, it } from 'vitest';
import { createDocumentClient } from '../../shared/aws/clients.js';
import { DynamoDbOrderedFailover, keyCounterId } from '../../shared/aws/dynamodb-ordered-failover.js';
import { SqsMessageQueue } from '../../shared/aws/sqs-message-queue.js';
import { FAILOVER_TABLE } from '../../shared/tables.js';
import { anEnvelope } from '../support/factories.js';
import { FakeClock } from '../support/fakes.js';
import { OrderingBackend } from '../support/ordering-backend.js';
import { TcpFaultProxy } from '../support/tcp-fault-proxy.js';
import { createTestRoute, type TestRoute } from '../support/test-route.js';

const ORDERED = { ordering: { keyHeader: 'Ordering-Key' }, retry: { baseSeconds: 1, maxSeconds: 1 } };

/** A message of `key`, numbered `n` within it; its body names both so the backend can check. */
const message = (key: string, n: number) => ({ key, n });

async function post(route: TestRoute, key: string, n: number) {
  const response = await route.post(message(key, n), { 'Ordering-Key': key });
  return {
    status: response.statusCode,
    ...(JSON.parse(response.body) as { messageId: string; store: string }),
  };
}

/** Runs the forwarder's mapping turn by turn until the backend saw `count` first deliveries, or gives up. */
async function forwardUntil(route: TestRoute, backend: OrderingBackend, count: number, timeoutMs = 20_000) {
  const deadline = Date.now() + timeoutMs;
  const delivered = () => [...backend.firstDeliveriesByKey().values()].flat().length;
  while (delivered() < count && Date.now() < deadline) {
    const turn = await route.forwardOnce();
    if (turn.received === 0) await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

describe('ordered route: FIFO queue, failover in key order, drain in sequence', () => {
  let backend: OrderingBackend;
  let target: string;
  let sqsProxy: TcpFaultProxy;

  beforeEach(async () => {
    backend = new OrderingBackend();
    target = await backend.start();
    sqsProxy = TcpFaultProxy.forUrl(inject('awsEndpoint'));
  });

  afterEach(async () => {
    await sqsProxy.stop();
    await backend.stop();
  });

  it('parks a key behind its failover items after SQS is back, drains each key oldest first, delivers in order', async () => {
    // Prepare: the ingest reaches SQS through a proxy that refuses for a while
    const route = await createTestRoute({
      target,
      route: ORDERED,
      ingestSqsEndpoint: await sqsProxy.start('refuse'),
    });

    // Act: while SQS refuses, k1 #1-2 and k2 #1 go to the failover table
    const refused = [await post(route, 'k1', 1), await post(route, 'k1', 2), await post(route, 'k2', 1)];
    // Act: SQS answers again; k1 still has items parked, k3 has none
    await sqsProxy.setMode('pass');
    const k1Third = await post(route, 'k1', 3);
    const k3First = await post(route, 'k3', 1);

    // Assess: k1 #3 queued behind its key's parked items; k3 went straight to SQS
    expect(refused.map((a) => [a.status, a.store])).toEqual([
      [202, 'failover'],
      [202, 'failover'],
      [202, 'failover'],
    ]);
    expect(k1Third).toMatchObject({ status: 202, store: 'failover' });
    expect(k3First).toMatchObject({ status: 202, store: 'queue' });

    // Act: drain, then let the forwarder deliver everything
    const report = await route.drain();
    await forwardUntil(route, backend, 5);

    // Assess: the table is empty, k1's mark is past its third item, and each key arrived in order
    expect(report).toMatchObject({ moved: 4, failed: 0 });
    expect(await route.failoverIds()).toEqual([]);
    const counter = await createDocumentClient(route.dynamoDb).send(
      new GetCommand({
        TableName: route.tables.failoverTable,
        Key: { [FAILOVER_TABLE.partitionKey]: keyCounterId(route.route.name, 'k1') },
      }),
    );
    expect(counter.Item).toMatchObject({ lastSequence: 3, movedThrough: 3 });
    const byKey = backend.firstDeliveriesByKey();
    expect(byKey.get('k1')).toEqual([refused[0]?.messageId, refused[1]?.messageId, k1Third.messageId]);
    expect(byKey.get('k2')).toEqual([refused[2]?.messageId]);
    expect(byKey.get('k3')).toEqual([k3First.messageId]);
  });

  it('drains a key in sequence order even when the items were stored with clocks running backwards', async () => {
    // Prepare: five items of one key, each stored with an earlier storedAt than the one before
    const route = await createTestRoute({ target, route: ORDERED });
    const clock = new FakeClock(Date.parse('2025-01-01T00:00:00Z'), -1_000);
    const store = new DynamoDbOrderedFailover(
      createDocumentClient(route.dynamoDb),
      route.tables.failoverTable,
      clock,
    );
    const ids = ['o-1', 'o-2', 'o-3', 'o-4', 'o-5'];
    for (const id of ids) {
      await store.putInOrder(
        anEnvelope({ id, route: route.route.name, orderingKey: 'skewed', body: '{"key":"skewed"}' }),
      );
    }

    // Act
    const report = await route.drain();
    await forwardUntil(route, backend, ids.length);

    // Assess: by sequence, not by storedAt (which would have given o-5 first)
    expect(report).toMatchObject({ moved: 5 });
    expect(backend.firstDeliveriesByKey().get('skewed')).toEqual(ids);
  });

  it('numbers concurrent puts of one key without gaps or repeats, and holds the key until all are moved', async () => {
    // Prepare
    const route = await createTestRoute({ target, route: ORDERED });
    const store = new DynamoDbOrderedFailover(
      createDocumentClient(route.dynamoDb),
      route.tables.failoverTable,
    );
    const envelopes = Array.from({ length: 8 }, (_, i) =>
      anEnvelope({ id: `c-${i}`, route: route.route.name, orderingKey: 'k', body: '{"key":"k"}' }),
    );

    // Act: eight puts of the same key at once
    await Promise.all(envelopes.map((envelope) => store.putInOrder(envelope)));
    const heldBefore = await store.holdsItems(route.route.name, 'k');
    // A run can end early on a loaded machine (its lease, its time budget): the next one goes on.
    let moved = 0;
    for (let run = 0; run < 3 && moved < 8; run++) moved += (await route.drain()).moved;
    const heldAfter = await store.holdsItems(route.route.name, 'k');

    // Assess: slots 1-8 were each taken once (a gap would stop the key for good), all moved
    expect(heldBefore).toBe(true);
    expect(moved).toBe(8);
    expect(heldAfter).toBe(false);
    expect(await store.keyState(route.route.name, 'k')).toEqual({ lastSequence: 8, movedThrough: 8 });
    expect(await route.failoverIds()).toEqual([]);
  });

  it('answers 503 on an ordered route when the failover table cannot say whether the key has parked items', async () => {
    // Prepare: DynamoDB unreachable for the ingest, SQS fine
    const dynamoProxy = TcpFaultProxy.forUrl(inject('awsEndpoint'));
    const route = await createTestRoute({
      target,
      route: ORDERED,
      ingestDynamoDbEndpoint: await dynamoProxy.start('refuse'),
    });

    // Act
    const answer = await post(route, 'k1', 1);
    await dynamoProxy.stop();

    // Assess: nothing stored, the client is told to retry
    expect(answer.status).toBe(503);
    expect(await route.queueCounts()).toEqual({ visible: 0, inFlight: 0 });
  });

  it('holds a key on the FIFO queue while its head message waits for its retry; other keys go on (moto groups)', async () => {
    // Prepare: the first attempt of key A's first message fails
    const failing = new OrderingBackend((id, attempt) => (id === 'a-1' && attempt === 1 ? 503 : 200));
    const failingTarget = await failing.start();
    const route = await createTestRoute({ target: failingTarget, route: ORDERED });
    const queue = new SqsMessageQueue(route.sqs, route.queues.queueUrl);
    for (const [id, key] of [
      ['a-1', 'A'],
      ['a-2', 'A'],
      ['a-3', 'A'],
      ['b-1', 'B'],
      ['b-2', 'B'],
    ] as const) {
      await queue.send(
        anEnvelope({ id, route: route.route.name, orderingKey: key, body: JSON.stringify({ key }) }),
      );
    }

    // Act
    await forwardUntil(route, failing, 5);
    await failing.stop();

    // Assess: B was not held up; A's second and third came only after its first was delivered, and
    // their receives while skipped did not count as attempts
    const attempts = failing.deliveries.map((d) => `${d.id}#${d.attempt}:${d.status}`);
    expect(failing.firstDeliveriesByKey().get('A')).toEqual(['a-1', 'a-2', 'a-3']);
    expect(failing.firstDeliveriesByKey().get('B')).toEqual(['b-1', 'b-2']);
    expect(attempts.filter((a) => a.startsWith('a-'))).toEqual([
      'a-1#1:503',
      'a-1#2:200',
      'a-2#1:200',
      'a-3#1:200',
    ]);
    expect(attempts.indexOf('b-2#1:200')).toBeLessThan(attempts.indexOf('a-1#2:200'));
  });
});
