import { PutItemCommand } from '@aws-sdk/client-dynamodb';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { shardOf } from '../../shared/aws/dynamodb-failover-store.js';
import type { MessageRecords } from '../../shared/ports.js';
import { FAILOVER_TABLE } from '../../shared/tables.js';
import { refusingEndpoint } from '../support/dead-endpoints.js';
import { LoopbackBackend } from '../support/loopback-backend.js';
import { createTestRoute, forwardUntil, type TestRoute } from '../support/test-route.js';

/**
 * Ids are per route: the same Idempotency-Key on two routes is two messages on every path, the
 * failover table's included. Two routes of one deployment (one failover table, one message table),
 * SQS refusing the ingest's connections, each route with its own backend.
 */

const BODY_X = { passengerId: 'p-x', train: 'IC 1021' };
const BODY_Y = { passengerId: 'p-y', train: 'IC 1021' };

const json = (response: { body: string }) => JSON.parse(response.body);

describe('the same Idempotency-Key on two routes during an SQS outage', () => {
  const backends = { catering: new LoopbackBackend(), orders: new LoopbackBackend() };
  let catering: TestRoute;
  let orders: TestRoute;

  beforeEach(async () => {
    const deadSqs = await refusingEndpoint();
    catering = await createTestRoute({
      target: await backends.catering.start(),
      route: { name: 'catering' },
      ingestSqsEndpoint: deadSqs,
    });
    orders = await createTestRoute({
      target: await backends.orders.start(),
      route: { name: 'orders', path: '/orders' },
      tables: catering.tables,
      ingestSqsEndpoint: deadSqs,
    });
  });

  afterEach(async () => {
    await backends.catering.stop();
    await backends.orders.stop();
    backends.catering = new LoopbackBackend();
    backends.orders = new LoopbackBackend();
  });

  /** Each route's drainer moves its own route's items; then each forwarder delivers them. */
  const drainAndDeliver = async () => {
    await catering.drain();
    await orders.drain();
    await forwardUntil(catering, backends.catering, 1);
    await forwardUntil(orders, backends.orders, 1);
  };

  it('stores, drains and delivers the second route’s message with the same key and body to its own backend', async () => {
    // Prepare
    const first = await catering.post(BODY_X, { 'Idempotency-Key': 'kx' });

    // Act
    const second = await orders.post(BODY_X, { 'Idempotency-Key': 'kx' });
    const parked = await orders.lookup('kx');
    const inTable = (await orders.failoverIds()).sort();
    await drainAndDeliver();

    // Assess
    expect(json(first)).toEqual({ messageId: 'kx', store: 'failover' });
    expect(json(second)).toEqual({ messageId: 'kx', store: 'failover' });
    expect(inTable).toEqual(['kx', 'kx']);
    expect(parked).toMatchObject({ statusCode: 200, body: { route: 'orders', state: 'in-failover' } });
    expect(backends.catering.idsReceived()).toEqual(['kx']);
    expect(backends.orders.idsReceived()).toEqual(['kx']);
    expect(JSON.parse(backends.orders.requests[0]?.body ?? '{}')).toEqual(BODY_X);
    expect(await orders.failoverIds()).toEqual([]);
    expect((await orders.lookup('kx')).body).toMatchObject({ route: 'orders', state: 'delivered' });
    expect((await catering.lookup('kx')).body).toMatchObject({ route: 'catering', state: 'delivered' });
  });

  it('accepts the second route’s message with the same key and another body: 202, not 409, each backend gets its own body', async () => {
    // Prepare
    await catering.post(BODY_X, { 'Idempotency-Key': 'ky' });

    // Act
    const second = await orders.post(BODY_Y, { 'Idempotency-Key': 'ky' });
    const parked = await orders.lookup('ky');
    await drainAndDeliver();

    // Assess
    expect(second.statusCode).toBe(202);
    expect(json(second)).toEqual({ messageId: 'ky', store: 'failover' });
    expect(parked).toMatchObject({ statusCode: 200, body: { route: 'orders', state: 'in-failover' } });
    expect(backends.catering.requests.map((r) => JSON.parse(r.body))).toEqual([BODY_X]);
    expect(backends.orders.requests.map((r) => JSON.parse(r.body))).toEqual([BODY_Y]);
  });

  it('answers 404 on a route that never accepted the key while another route holds it in the failover table', async () => {
    // Prepare
    await catering.post(BODY_X, { 'Idempotency-Key': 'kz' });

    // Act
    const lookup = await orders.lookup('kz');

    // Assess
    expect(lookup).toEqual({
      statusCode: 404,
      body: { error: "no message 'kz' was accepted on route 'orders'", messageId: 'kz' },
    });
  });
});

describe('a failover item written before ids were per route', () => {
  const backend = new LoopbackBackend();
  afterEach(() => backend.stop());

  it('is drained, deleted and delivered like any other (its key is its id alone)', async () => {
    // Prepare: the layout of the first deployments, with the id alone as the table key
    const route = await createTestRoute({ target: await backend.start() });
    const receivedAt = new Date().toISOString();
    await route.dynamoDb.send(
      new PutItemCommand({
        TableName: route.tables.failoverTable,
        Item: {
          [FAILOVER_TABLE.partitionKey]: { S: 'parked-before' },
          route: { S: route.route.name },
          body: { S: JSON.stringify(BODY_X) },
          contentType: { S: 'application/json' },
          receivedAt: { S: receivedAt },
          shard: { S: shardOf('parked-before') },
          storedAt: { N: String(Date.now()) },
        },
      }),
    );

    // Act
    const report = await route.drain();
    await forwardUntil(route, backend, 1);

    // Assess
    expect(report).toMatchObject({ moved: 1, failed: 0 });
    expect(await route.failoverIds()).toEqual([]);
    expect(backend.idsReceived()).toEqual(['parked-before']);
  });
});

describe('a key reused with another body, refused by the failover table', () => {
  const backend = new LoopbackBackend();
  afterEach(() => backend.stop());

  it('leaves no record of the refused body: the lookup shows the accepted message, which is delivered', async () => {
    // Prepare: the first message's status record could not be written (it is accepted without one),
    // so only the failover table's copy knows the key's body.
    let recordsDown = true;
    const route = await createTestRoute({
      target: await backend.start(),
      ingestSqsEndpoint: await refusingEndpoint(),
      ingestDeps: (deps) => ({ ...deps, records: failingClaims(deps.records, () => recordsDown) }),
    });
    const first = await route.post(BODY_X, { 'Idempotency-Key': 'kr' });
    recordsDown = false;

    // Act
    const refused = await route.post(BODY_Y, { 'Idempotency-Key': 'kr' });
    const lookup = await route.lookup('kr');
    await route.drain();
    await forwardUntil(route, backend, 1);

    // Assess
    expect(json(first)).toEqual({ messageId: 'kr', store: 'failover' });
    expect(refused.statusCode).toBe(409);
    expect(lookup).toMatchObject({ statusCode: 200, body: { state: 'in-failover', store: 'failover' } });
    expect(backend.requests.map((r) => JSON.parse(r.body))).toEqual([BODY_X]);
    expect(await route.deadLetters()).toEqual([]);
    expect(await route.record('kr')).toMatchObject({ state: 'delivered' });
  });
});

/**
 * The message table failing for the ingest's claims alone (while `down()`), as a DynamoDB throttle or
 * a partition's outage would for one table: no emulator fails one table of two on demand.
 */
function failingClaims(records: MessageRecords, down: () => boolean): MessageRecords {
  return new Proxy(records, {
    get(target, property, receiver) {
      if (property === 'claim' && down()) {
        return () => Promise.reject(new Error('ProvisionedThroughputExceededException (injected)'));
      }
      const value = Reflect.get(target, property, receiver);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}
