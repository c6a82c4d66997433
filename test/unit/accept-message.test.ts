import { beforeEach, describe, expect, it } from 'vitest';
import {
  acceptMessage,
  type IngestDeps,
  RETRY_AFTER_SECONDS,
} from '../../functions/ingest/accept-message.js';
import { toIngestRequest } from '../../functions/ingest/api-gateway-adapter.js';
import { apiGatewayEvent } from '../../local/aws-events.js';
import { FailoverWriteError, QueueWriteError } from '../../shared/errors.js';
import { anIngestRequest, cateringRegistration, ingestRules } from '../support/factories.js';
import {
  FakeClock,
  InMemoryFailoverStore,
  InMemoryMessageRecords,
  InMemoryQueue,
  recordingLogger,
} from '../support/fakes.js';

/** A marker no log line may contain unless payload logging is on. */
const SECRET = 'passport-X1234567';

/** The answer of {@link acceptMessage}; the outcome behind it is asserted where it matters. */
const accept = async (...args: Parameters<typeof acceptMessage>) => (await acceptMessage(...args)).response;

describe('acceptMessage', () => {
  let queue: InMemoryQueue;
  let failover: InMemoryFailoverStore;
  let records: InMemoryMessageRecords;
  let logs: ReturnType<typeof recordingLogger>;
  let deps: IngestDeps;

  beforeEach(() => {
    queue = new InMemoryQueue();
    failover = new InMemoryFailoverStore();
    records = new InMemoryMessageRecords();
    logs = recordingLogger('ingest');
    deps = {
      queue,
      failover,
      records,
      logger: logs.logger,
      clock: new FakeClock(Date.parse('2025-01-02T03:04:05.000Z')),
      newId: () => 'new-id-1',
      rules: ingestRules(),
    };
  });

  it('tells the adapter where each message went, without it reading the answer back', async () => {
    // Prepare
    const send = () => acceptMessage(anIngestRequest(), deps);

    // Act
    const queued = await send();
    queue.sendError = new QueueWriteError('SQS down');
    const failedOver = await send();
    failover.putError = new FailoverWriteError('PutItem timed out');
    const notStored = await send();
    const rejected = await acceptMessage(
      anIngestRequest(undefined, { headers: { 'content-type': 'text/plain' } }),
      deps,
    );

    // Assess
    expect([queued, failedOver, notStored, rejected].map((r) => [r.outcome, r.response.statusCode])).toEqual([
      ['queue', 202],
      ['failover', 202],
      ['not-stored', 503],
      ['rejected', 415],
    ]);
  });

  it('answers 202 from the queue when SQS takes the message', async () => {
    // Prepare
    const body = JSON.stringify(cateringRegistration());

    // Act
    const response = await accept(anIngestRequest(body), deps);

    // Assess
    expect(response.statusCode).toBe(202);
    expect(response.headers['content-type']).toBe('application/json');
    expect(JSON.parse(response.body)).toEqual({ messageId: 'new-id-1', store: 'queue' });
    expect(queue.sent).toEqual([
      {
        envelope: {
          id: 'new-id-1',
          route: 'catering',
          body,
          contentType: 'application/json',
          receivedAt: '2025-01-02T03:04:05.000Z',
          priorAttempts: 0,
          traceparent: expect.any(String),
        },
      },
    ]);
    expect(failover.putCalls).toBe(0);
  });

  it('answers 202 from the failover table when the queue write fails', async () => {
    // Prepare
    queue.sendError = new QueueWriteError('SendMessage failed: connect ECONNREFUSED');

    // Act
    const response = await accept(anIngestRequest(), deps);

    // Assess
    expect(response.statusCode).toBe(202);
    expect(JSON.parse(response.body)).toEqual({ messageId: 'new-id-1', store: 'failover' });
    expect(failover.ids()).toEqual(['new-id-1']);
    expect(logs.entries()).toContainEqual(
      expect.objectContaining({ level: 'WARN', message: 'queue write failed, trying the failover table' }),
    );
  });

  it('answers 202 when a client retry finds its message already in the failover table', async () => {
    // Prepare
    queue.sendError = new QueueWriteError('throttled');
    const headers = { 'content-type': 'application/json', 'idempotency-key': 'client-key-7' };
    await accept(anIngestRequest(undefined, { headers }), deps);

    // Act
    const response = await accept(anIngestRequest(undefined, { headers }), deps);

    // Assess
    expect(response.statusCode).toBe(202);
    expect(JSON.parse(response.body)).toEqual({ messageId: 'client-key-7', store: 'failover' });
    expect(failover.putCalls).toBe(2);
    expect(failover.ids()).toEqual(['client-key-7']);
    expect(logs.entries()).toContainEqual(
      expect.objectContaining({ message: 'already in the failover table', messageId: 'client-key-7' }),
    );
  });

  it('fails with 503, Retry-After and a JSON error when neither store takes the message', async () => {
    // Prepare
    queue.sendError = new QueueWriteError('SendMessage timed out');
    failover.putError = new FailoverWriteError('PutItem timed out');

    // Act
    const response = await accept(anIngestRequest(), deps);
    const keyed = await accept(
      anIngestRequest(undefined, {
        headers: { 'content-type': 'application/json', 'idempotency-key': 'client-key-9' },
      }),
      deps,
    );

    // Assess
    expect(response.statusCode).toBe(503);
    expect(response.headers).toEqual({
      'content-type': 'application/json',
      'retry-after': String(RETRY_AFTER_SECONDS),
    });
    // The id the message would have had, so a retry with it as Idempotency-Key cannot make a second one.
    expect(JSON.parse(response.body)).toEqual({
      error: expect.stringContaining('retry with the same Idempotency-Key'),
      messageId: 'new-id-1',
      retryAfterSeconds: RETRY_AFTER_SECONDS,
    });
    expect(JSON.parse(keyed.body).messageId).toBe('client-key-9');
    expect(logs.entries()).toContainEqual(
      expect.objectContaining({ level: 'ERROR', message: 'failover write failed too; answering 503' }),
    );
  });

  const keyed = (body: unknown, key: string) =>
    anIngestRequest(body, { headers: { 'content-type': 'application/json', 'idempotency-key': key } });

  it('answers 409 naming the key when it comes again with another body, whichever store answers', async () => {
    // Prepare
    await accept(keyed({ n: 1 }, 'k-1'), deps);

    // Act
    const reused = await accept(keyed({ n: 2 }, 'k-1'), deps);
    queue.sendError = new QueueWriteError('SQS down');
    const reusedInOutage = await accept(keyed({ n: 3 }, 'k-1'), deps);
    const again = await accept(keyed({ n: 1 }, 'k-1'), deps);

    // Assess
    expect(reused.statusCode).toBe(409);
    expect(JSON.parse(reused.body)).toEqual({
      error: expect.stringContaining("'k-1'"),
      idempotencyKey: 'k-1',
    });
    expect(reusedInOutage.statusCode).toBe(409);
    expect(failover.putCalls).toBe(1); // only the same-body retry went on to the failover table
    // A refused body is never stored: the queue holds the first body alone.
    expect(queue.sent.map(({ envelope }) => JSON.parse(envelope.body))).toEqual([{ n: 1 }]);
    expect(JSON.parse(again.body)).toEqual({ messageId: 'k-1', store: 'failover' });
  });

  it('answers 409 from the failover table when the status record could not be written', async () => {
    // Prepare: the first body parked in the failover table without a record
    queue.sendError = new QueueWriteError('SQS down');
    records.error = new Error('record write timed out');
    await accept(keyed({ n: 1 }, 'k-2'), deps);

    // Act
    const reused = await accept(keyed({ n: 2 }, 'k-2'), deps);

    // Assess
    expect(reused.statusCode).toBe(409);
    expect(logs.entries()).toContainEqual(
      expect.objectContaining({
        level: 'WARN',
        message: 'status record not written; the message is accepted without it',
      }),
    );
  });

  it('marks the record in-failover on a failover write, and removes it again on a 503', async () => {
    // Prepare
    queue.sendError = new QueueWriteError('SQS down');

    // Act
    await accept(keyed({ n: 1 }, 'parked'), deps);
    failover.putError = new FailoverWriteError('DynamoDB failover write failed');
    const refused = await accept(keyed({ n: 1 }, 'refused'), deps);

    // Assess
    expect(refused.statusCode).toBe(503);
    expect(await records.get({ route: 'catering', messageId: 'parked' })).toMatchObject({
      state: 'in-failover',
      store: 'failover',
    });
    expect(await records.get({ route: 'catering', messageId: 'refused' })).toBeUndefined();
  });

  it('still answers 202 from the queue when the status record cannot be written', async () => {
    // Prepare
    records.error = new Error('ProvisionedThroughputExceededException');

    // Act
    const response = await accept(anIngestRequest(), deps);

    // Assess
    expect(JSON.parse(response.body)).toEqual({ messageId: 'new-id-1', store: 'queue' });
  });

  it.each([
    ['a bad method', anIngestRequest(undefined, { method: 'PUT' }), 405],
    ['a bad content type', anIngestRequest(undefined, { headers: { 'content-type': 'text/xml' } }), 415],
    ['malformed JSON', anIngestRequest('{oops'), 400],
  ])('rejects %s with a 4xx and touches no store', async (_label, request, status) => {
    // Act
    const response = await accept(request, deps);

    // Assess
    expect(response.statusCode).toBe(status);
    expect(JSON.parse(response.body).error).toEqual(expect.any(String));
    expect(queue.sent).toEqual([]);
    expect(failover.putCalls).toBe(0);
    expect(logs.entries()).toContainEqual(expect.objectContaining({ message: 'rejected', status }));
  });

  it('rejects an oversized body with 413 and touches no store', async () => {
    // Prepare
    deps = { ...deps, rules: ingestRules({ maxBodyBytes: 10 }) };

    // Act
    const response = await accept(anIngestRequest(), deps);

    // Assess
    expect(response.statusCode).toBe(413);
    expect(queue.sent).toEqual([]);
    expect(failover.putCalls).toBe(0);
  });

  it('logs ids and sizes but not the payload by default', async () => {
    // Prepare
    const body = JSON.stringify(cateringRegistration({ passport: SECRET }));

    // Act
    await accept(anIngestRequest(body), deps);

    // Assess
    expect(logs.entries()).toContainEqual(
      expect.objectContaining({
        message: 'accepted',
        messageId: 'new-id-1',
        store: 'queue',
        bytes: Buffer.byteLength(body),
      }),
    );
    expect(logs.lines.join('\n')).not.toContain(SECRET);
  });

  it('keeps the payload out of the logs on failover and 503 too', async () => {
    // Prepare
    queue.sendError = new QueueWriteError('down');
    failover.putError = new FailoverWriteError('down');
    const body = JSON.stringify(cateringRegistration({ passport: SECRET }));

    // Act
    await accept(anIngestRequest(body), deps);

    // Assess
    expect(logs.lines.length).toBeGreaterThan(0);
    expect(logs.lines.join('\n')).not.toContain(SECRET);
  });

  it('keeps the payload out of the logs when rejecting it, though the parser error quotes it', async () => {
    // Prepare: V8's JSON.parse message quotes a short text whole; the client gets it, the logs must not.
    const secret = 'S3CR3T';
    const body = `{"p": ${secret}}`;

    // Act
    const response = await accept(anIngestRequest(body), deps);

    // Assess
    expect(JSON.parse(response.body).detail).toContain(secret);
    expect(logs.entries()).toContainEqual(expect.objectContaining({ message: 'rejected', status: 400 }));
    expect(logs.lines.join('\n')).not.toContain(secret);
  });

  it('logs the payload when logPayloads is on', async () => {
    // Prepare
    deps = { ...deps, logPayloads: true };
    const body = JSON.stringify(cateringRegistration({ passport: SECRET }));

    // Act
    await accept(anIngestRequest(body), deps);

    // Assess
    expect(logs.entries()).toContainEqual(expect.objectContaining({ message: 'accepted', body }));
  });
});

describe('toIngestRequest', () => {
  it('lower-cases header names and keeps a base64 body as API Gateway passes it', () => {
    // Prepare
    const event = apiGatewayEvent({
      method: 'POST',
      path: '/catering/register',
      headers: { 'Content-Type': 'application/json', 'Idempotency-Key': 'K-1' },
      body: '{"a":1}',
    });

    // Act
    const request = toIngestRequest(event);

    // Assess
    expect(request).toEqual({
      method: 'POST',
      headers: { 'content-type': 'application/json', 'idempotency-key': 'K-1' },
      body: Buffer.from('{"a":1}').toString('base64'),
      isBase64Encoded: true,
    });
  });
  it('joins repeated tracestate headers into one list, as W3C Trace Context asks', () => {
    // Prepare
    const event = {
      ...apiGatewayEvent({
        method: 'POST',
        path: '/catering/register',
        headers: { tracestate: 'b=2' },
        body: '{}',
      }),
      multiValueHeaders: { TraceState: ['a=1', 'b=2'], 'Idempotency-Key': ['K-1', 'K-2'] },
    };

    // Act
    const request = toIngestRequest(event);

    // Assess
    expect(request.headers.tracestate).toBe('a=1,b=2');
    expect(request.headers['idempotency-key']).toBeUndefined();
  });
});
