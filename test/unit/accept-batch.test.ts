import { beforeEach, describe, expect, it, vi } from 'vitest';
import { acceptBatch, batchResponse } from '../../functions/ingest/accept-batch.js';
import { type IngestDeps, RETRY_AFTER_SECONDS } from '../../functions/ingest/accept-message.js';
import { createIngestHandler } from '../../functions/ingest/api-gateway-adapter.js';
import { routeMatcher } from '../../functions/ingest/match-route.js';
import { apiGatewayEvent, lambdaContext } from '../../local/aws-events.js';
import { BATCH_MAX_MESSAGES, BATCH_MAX_REQUEST_BYTES } from '../../shared/config/batch-ingest.js';
import { FailoverWriteError } from '../../shared/errors.js';
import { createMetrics, METRIC, SERVICE } from '../../shared/metrics.js';
import { aBatchRequest, cateringRegistration, ingestRules } from '../support/factories.js';
import {
  FakeClock,
  InMemoryFailoverStore,
  InMemoryMessageRecords,
  InMemoryQueue,
  recordingLogger,
} from '../support/fakes.js';

const order = (n: number) => ({ order: n });

describe('acceptBatch', () => {
  let queue: InMemoryQueue;
  let failover: InMemoryFailoverStore;
  let logs: ReturnType<typeof recordingLogger>;
  let deps: IngestDeps;

  beforeEach(() => {
    queue = new InMemoryQueue();
    failover = new InMemoryFailoverStore();
    logs = recordingLogger('ingest');
    let next = 0;
    deps = {
      queue,
      failover,
      records: new InMemoryMessageRecords(),
      logger: logs.logger,
      clock: new FakeClock(Date.parse('2025-01-02T03:04:05.000Z')),
      newId: () => `id-${++next}`,
      rules: ingestRules(),
    };
  });

  it("writes each message's status record, and answers 409 for a key an earlier request holds with another body", async () => {
    // Prepare
    await acceptBatch(aBatchRequest([{ body: order(1), idempotencyKey: 'k-1' }]), deps);

    // Act
    const { results } = await acceptBatch(
      aBatchRequest([
        { body: order(2), idempotencyKey: 'k-1' },
        { body: order(1), idempotencyKey: 'k-1-again' },
      ]),
      deps,
    );

    // Assess
    expect(results).toEqual([
      { status: 409, error: expect.stringContaining("'k-1'"), idempotencyKey: 'k-1' },
      { messageId: 'k-1-again', store: 'queue' },
    ]);
    expect(await deps.records.get({ route: 'catering', messageId: 'k-1' })).toMatchObject({
      state: 'queued',
    });
    // The refused body is never stored: only the first request's body and the new key reached the queue.
    expect(queue.batches.flat().map((envelope) => [envelope.id, JSON.parse(envelope.body)])).toEqual([
      ['k-1', order(1)],
      ['k-1-again', order(1)],
    ]);
  });

  const bodyOf = (response: { body: string }) => JSON.parse(response.body);

  it('answers 202 with one queued result per message, in order, written with SendMessageBatch', async () => {
    // Prepare
    const messages = [1, 2, 3].map((n) => ({ body: order(n) }));

    // Act
    const { response } = await acceptBatch(aBatchRequest(messages), deps);

    // Assess
    expect(response.statusCode).toBe(202);
    expect(bodyOf(response)).toEqual({
      accepted: 3,
      rejected: 0,
      results: [
        { messageId: 'id-1', store: 'queue' },
        { messageId: 'id-2', store: 'queue' },
        { messageId: 'id-3', store: 'queue' },
      ],
    });
    expect(queue.batches).toHaveLength(1);
    expect(queue.batchedIds()).toEqual(['id-1', 'id-2', 'id-3']);
    expect(queue.batches[0]?.map((e) => e.body)).toEqual(messages.map((m) => JSON.stringify(m.body)));
    expect(queue.sent).toEqual([]);
    expect(failover.putCalls).toBe(0);
  });

  it("carries the batch POST's traceparent and tracestate with every message of it", async () => {
    // Prepare
    const traceparent = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
    const request = aBatchRequest([{ body: order(1) }, { body: order(2) }]);

    // Act
    await acceptBatch(
      { ...request, headers: { ...request.headers, traceparent, tracestate: 'rojo=1' } },
      deps,
    );

    // Assess
    expect(queue.batches[0]?.map((e) => [e.traceparent, e.tracestate])).toEqual([
      [traceparent, 'rojo=1'],
      [traceparent, 'rojo=1'],
    ]);
  });

  it('validates each message on its own: valid ones stored, invalid ones answered, 207', async () => {
    // Prepare
    deps = { ...deps, rules: ingestRules({ maxBodyBytes: 40 }) };
    const messages = [
      { body: order(1) },
      { body: [1, 2] }, // json-object schema: not an object
      { body: { text: 'x'.repeat(50) } }, // over the route's maxBodyBytes
      { body: order(4), idempotencyKey: 'has space' },
      { idempotencyKey: 'no-body' },
      { body: order(6), idempotency_key: 'typo' },
      { body: order(7), idempotencyKey: 7 },
      'not an object',
      { body: order(9), idempotencyKey: 'k-9' },
    ];

    // Act
    const { response, results } = await acceptBatch(aBatchRequest(messages as never), deps);

    // Assess
    expect(response.statusCode).toBe(207);
    expect(results.map((r) => ('status' in r ? r.status : r.store))).toEqual([
      'queue',
      400,
      413,
      400,
      400,
      400,
      400,
      400,
      'queue',
    ]);
    expect(results[1]).toMatchObject({ error: expect.stringMatching(/schema/), issues: expect.any(Array) });
    expect(results[2]).toMatchObject({ error: expect.stringMatching(/limit is 40/), limitBytes: 40 });
    expect(results[3]).toMatchObject({ error: expect.stringMatching(/Idempotency-Key/) });
    expect(results[5]).toMatchObject({ error: expect.stringMatching(/'idempotency_key'/) });
    expect(results[8]).toEqual({ messageId: 'k-9', store: 'queue' });
    expect(queue.batchedIds()).toEqual(['id-1', 'k-9']);
    expect(bodyOf(response)).toMatchObject({ accepted: 2, rejected: 7 });
    expect(response.headers['retry-after']).toBeUndefined();
    expect(logs.entries().filter((e) => e.message === 'rejected')).toHaveLength(7);
  });

  it('puts the entries SQS refuses into the failover table one by one, and says so per message', async () => {
    // Prepare
    queue.refuse = (envelope) =>
      envelope.id === 'id-2' || envelope.id === 'id-4' ? 'ThrottlingException' : undefined;
    const messages = [1, 2, 3, 4].map((n) => ({ body: order(n) }));

    // Act
    const { response } = await acceptBatch(aBatchRequest(messages), deps);

    // Assess
    expect(response.statusCode).toBe(202);
    expect(bodyOf(response).results).toEqual([
      { messageId: 'id-1', store: 'queue' },
      { messageId: 'id-2', store: 'failover' },
      { messageId: 'id-3', store: 'queue' },
      { messageId: 'id-4', store: 'failover' },
    ]);
    expect(failover.ids().sort()).toEqual(['id-2', 'id-4']);
    expect(failover.putCalls).toBe(2);
  });

  it('answers 207 and a 503 result for a refused entry the failover table does not take either', async () => {
    // Prepare
    queue.refuse = (envelope) => (envelope.id === 'id-2' ? 'InternalError' : undefined);
    failover.putError = new FailoverWriteError('PutItem failed: ECONNREFUSED');

    // Act
    const { response } = await acceptBatch(aBatchRequest([{ body: order(1) }, { body: order(2) }]), deps);

    // Assess
    expect(response.statusCode).toBe(207);
    expect(response.headers['retry-after']).toBe(String(RETRY_AFTER_SECONDS));
    expect(bodyOf(response).results).toEqual([
      { messageId: 'id-1', store: 'queue' },
      {
        status: 503,
        error: expect.stringMatching(/neither the queue nor the failover table/),
        messageId: 'id-2',
        retryAfterSeconds: RETRY_AFTER_SECONDS,
      },
    ]);
  });

  it('rejects every message with 503 and Retry-After when both stores are down, storing nothing', async () => {
    // Prepare
    queue.refuse = () => 'connect ECONNREFUSED';
    failover.putError = new FailoverWriteError('PutItem failed: ECONNREFUSED');

    // Act
    const { response, results } = await acceptBatch(
      aBatchRequest([{ body: order(1) }, { body: [] }, { body: order(3) }]),
      deps,
    );

    // Assess
    expect(response.statusCode).toBe(503);
    expect(response.headers['retry-after']).toBe(String(RETRY_AFTER_SECONDS));
    expect(results.map((r) => ('status' in r ? r.status : r.store))).toEqual([503, 400, 503]);
    expect(bodyOf(response)).toMatchObject({ error: 'none of the 3 messages was accepted', accepted: 0 });
    expect(failover.ids()).toEqual([]);
  });

  it('rejects every message with 503 when sendBatch throws despite its promise, and the failover is down', async () => {
    // Prepare
    queue.batchError = new Error('socket hang up');
    failover.putError = new FailoverWriteError('PutItem failed');

    // Act
    const { results } = await acceptBatch(aBatchRequest([{ body: order(1) }]), deps);

    // Assess
    expect(results).toEqual([expect.objectContaining({ status: 503, messageId: 'id-1' })]);
  });

  it('stores a repeated idempotency key with the same body once, and answers 409 for a different body', async () => {
    // Prepare
    const messages = [
      { body: order(1), idempotencyKey: 'k-1' },
      { body: order(2) },
      { body: order(1), idempotencyKey: 'k-1' },
      { body: order(99), idempotencyKey: 'k-1' },
    ];

    // Act
    const { response } = await acceptBatch(aBatchRequest(messages), deps);

    // Assess
    expect(response.statusCode).toBe(207);
    expect(bodyOf(response).results).toEqual([
      { messageId: 'k-1', store: 'queue' },
      { messageId: 'id-1', store: 'queue' },
      { messageId: 'k-1', store: 'queue' },
      {
        status: 409,
        error: "Idempotency-Key 'k-1' was already used in this batch (message 0) with a different body",
        idempotencyKey: 'k-1',
      },
    ]);
    expect(queue.batchedIds()).toEqual(['k-1', 'id-1']);
    expect(logs.entries().filter((e) => e.message === 'accepted')).toHaveLength(2);
  });

  it('answers a batch where a duplicate key lands in failover with the same store for both copies', async () => {
    // Prepare
    queue.refuse = () => 'throttled';

    // Act
    const { response } = await acceptBatch(
      aBatchRequest([
        { body: order(1), idempotencyKey: 'k' },
        { body: order(1), idempotencyKey: 'k' },
      ]),
      deps,
    );

    // Assess
    expect(bodyOf(response).results).toEqual([
      { messageId: 'k', store: 'failover' },
      { messageId: 'k', store: 'failover' },
    ]);
    expect(failover.putCalls).toBe(1);
  });

  it('answers the status all rejected messages share, or 400 when they differ', () => {
    // Prepare
    const conflict = { status: 409, error: 'reused' };
    const bad = { status: 400, error: 'bad' };

    // Act
    const allConflicts = batchResponse([conflict, conflict]);
    const mixed = batchResponse([conflict, bad]);

    // Assess
    expect(allConflicts.statusCode).toBe(409);
    expect(mixed.statusCode).toBe(400);
    expect(mixed.headers['retry-after']).toBeUndefined();
  });

  it.each([
    ['not JSON', '{"messages": [', 400, /not valid JSON/],
    ['no messages array', '{"message": []}', 400, /\{"messages"/],
    ['an array', '[{"body": 1}]', 400, /\{"messages"/],
    ['null', 'null', 400, /\{"messages"/],
    ['an empty batch', '{"messages": []}', 400, /empty/],
    ['an empty body', '', 400, /empty/],
  ])('rejects %s as a whole with %i', async (_name, body, status, error) => {
    // Act
    const { response, results } = await acceptBatch(aBatchRequest(body), deps);

    // Assess
    expect(response.statusCode).toBe(status);
    expect(bodyOf(response).error).toMatch(error);
    expect(results).toEqual([]);
    expect(queue.batches).toEqual([]);
  });

  it(`rejects more than ${BATCH_MAX_MESSAGES} messages with 413, storing none`, async () => {
    // Prepare
    const messages = Array.from({ length: BATCH_MAX_MESSAGES + 1 }, (_, n) => ({ body: order(n) }));

    // Act
    const { response } = await acceptBatch(aBatchRequest(messages), deps);

    // Assess
    expect(response.statusCode).toBe(413);
    expect(bodyOf(response)).toMatchObject({ limitMessages: BATCH_MAX_MESSAGES });
    expect(queue.batches).toEqual([]);
  });

  it('rejects a body over the whole-request limit with 413', async () => {
    // Prepare
    const body = JSON.stringify({ messages: [{ body: { text: 'x'.repeat(BATCH_MAX_REQUEST_BYTES) } }] });

    // Act
    const { response } = await acceptBatch(aBatchRequest(body), deps);

    // Assess
    expect(response.statusCode).toBe(413);
    expect(bodyOf(response)).toMatchObject({ limitBytes: BATCH_MAX_REQUEST_BYTES });
  });

  it('rejects a batch that is not JSON with 415, and a GET with 405', async () => {
    // Act
    const text = await acceptBatch(
      aBatchRequest([{ body: 1 }], { headers: { 'content-type': 'text/plain' } }),
      deps,
    );
    const get = await acceptBatch(aBatchRequest([{ body: 1 }], { method: 'GET' }), deps);

    // Assess
    expect(text.response.statusCode).toBe(415);
    expect(get.response.statusCode).toBe(405);
    expect(get.response.headers.allow).toBe('POST');
  });
});

describe('ingest handler on the batch path', () => {
  it('routes <route path>/batch to the batch ingest and <route path> to the single one', async () => {
    // Prepare
    const queue = new InMemoryQueue();
    let next = 0;
    const metrics = createMetrics(SERVICE.INGEST);
    const added = vi.spyOn(metrics, 'addMetric');
    vi.spyOn(metrics, 'publishStoredMetrics').mockImplementation(() => metrics);
    const deps = {
      queue,
      failover: new InMemoryFailoverStore(),
      records: new InMemoryMessageRecords(),
      logger: recordingLogger('ingest').logger,
      clock: new FakeClock(),
      newId: () => `id-${++next}`,
      rules: ingestRules(),
    };
    const matcher = routeMatcher([{ name: 'catering', path: '/catering/register', maxBodyBytes: 250_000 }]);
    const handler = createIngestHandler({ match: matcher.match, depsOf: () => deps }, metrics);
    const event = (path: string, body: unknown) =>
      apiGatewayEvent({
        method: 'POST',
        path,
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify(body),
      });

    // Act
    const batch = await handler(
      event('/catering/register/batch', {
        messages: [
          { body: cateringRegistration() },
          { body: 'not an object' },
          { body: cateringRegistration() },
        ],
      }),
      lambdaContext('ingest'),
    );
    const single = await handler(
      event('/catering/register', cateringRegistration()),
      lambdaContext('ingest'),
    );

    // Assess
    expect(batch.statusCode).toBe(207);
    expect(JSON.parse(batch.body).results).toMatchObject([
      { messageId: 'id-1', store: 'queue' },
      { status: 400 },
      { messageId: 'id-2', store: 'queue' },
    ]);
    expect(single.statusCode).toBe(202);
    expect(JSON.parse(single.body)).toEqual({ messageId: 'id-3', store: 'queue' });
    expect(queue.batchedIds()).toEqual(['id-1', 'id-2']);
    expect(queue.sent.map((s) => s.envelope.id)).toEqual(['id-3']);
    // Per message, not per request: the dashboard counts a batch of 3 as 3 messages.
    expect(added.mock.calls.map(([name, , value]) => [name, value])).toEqual([
      [METRIC.ACCEPTED_TO_QUEUE, 2],
      [METRIC.REJECTED, 1],
      [METRIC.ACCEPTED_TO_QUEUE, 1],
    ]);
  });
});
