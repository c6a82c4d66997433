import { beforeEach, describe, expect, it } from 'vitest';
import { forwardMessage, newBatchState } from '../../functions/forwarder/forward-record.js';
import type { ForwarderDeps } from '../../functions/forwarder/forwarder-deps.js';
import { receivedMessage } from '../../functions/forwarder/received-message.js';
import type { MessageEnvelope } from '../../shared/envelope.js';
import {
  QueueWriteError,
  RetryableDeliveryError,
  SigningSecretUnavailableError,
} from '../../shared/errors.js';
import { fingerprintOf, MAX_ATTEMPTS_WITH_RESPONSE } from '../../shared/message-record.js';
import { type DeliveryResponse, recordKeyOf } from '../../shared/ports.js';
import { fixedSigningKeys } from '../../shared/signing/signing-keys.js';
import { generateSecret, signPayload } from '../../shared/signing/webhook-signature.js';
import { anEnvelope, anSqsRecord, forwarderSettings } from '../support/factories.js';
import {
  FakeClock,
  InMemoryMessageRecords,
  InMemoryQueue,
  recordingLogger,
  ScriptedBackend,
} from '../support/fakes.js';

async function retryableError(promise: Promise<unknown>): Promise<RetryableDeliveryError> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(RetryableDeliveryError);
  return error as RetryableDeliveryError;
}

describe('forwardMessage', () => {
  let queue: InMemoryQueue;
  let deadLetters: InMemoryQueue;
  let records: InMemoryMessageRecords;
  let logs: ReturnType<typeof recordingLogger>;
  let answer: DeliveryResponse;
  let backend: ScriptedBackend;
  const settings = forwarderSettings({ maxAttempts: 4, retry: { baseSeconds: 2, maxSeconds: 300 } });

  const deps = (overrides: Partial<ForwarderDeps> = {}): ForwarderDeps => ({
    queue,
    deadLetters,
    backend,
    records,
    logger: logs.logger,
    clock: new FakeClock(Date.parse('2025-01-02T03:05:00.000Z')),
    settings,
    ...overrides,
  });

  /** One invocation's worth: forwards one received copy of the envelope in a batch of its own. */
  const forward = async (
    envelope: MessageEnvelope,
    options: Parameters<typeof anSqsRecord>[1] = {},
    overrides: Partial<ForwarderDeps> = {},
  ) => forwardMessage(received(envelope, options), deps(overrides), newBatchState());

  /** A received SQS record of `envelope`, decoded as the batch adapter decodes it. */
  const received = (envelope: MessageEnvelope, options: Parameters<typeof anSqsRecord>[1] = {}) =>
    receivedMessage(anSqsRecord(envelope, options), settings.route);

  const recordOf = (envelope: MessageEnvelope) =>
    records.records.get(recordKeyOf({ route: envelope.route, messageId: envelope.id }));

  beforeEach(() => {
    queue = new InMemoryQueue();
    deadLetters = new InMemoryQueue();
    records = new InMemoryMessageRecords();
    logs = recordingLogger('forwarder');
    answer = { kind: 'answered', status: 200, body: '{"ok":true}' };
    backend = new ScriptedBackend(() => answer);
  });

  it("signs a signed route's attempt over the body sent, with the attempt's time and a span of the message's trace", async () => {
    // Prepare
    const secret = generateSecret();
    const traceparent = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
    const envelope = anEnvelope({ id: 'msg_signed', traceparent, tracestate: 'vendor=abc' });
    const signing = fixedSigningKeys({ current: secret, previous: [] });

    // Act
    await forward(envelope, {}, { signing });

    // Assess
    const headers = backend.requests[0]?.headers ?? {};
    const now = Date.parse('2025-01-02T03:05:00.000Z') / 1000;
    expect(headers['webhook-id']).toBe('msg_signed');
    expect(headers['webhook-timestamp']).toBe(String(now));
    expect(headers['webhook-signature']).toBe(signPayload(secret, 'msg_signed', now, envelope.body));
    expect(headers.traceparent?.slice(0, 36)).toBe(traceparent.slice(0, 36));
    expect(headers.traceparent).not.toBe(traceparent);
    expect(headers.tracestate).toBe('vendor=abc');
  });

  it('retries without calling the backend when the signing secret cannot be read, and dead-letters at the last attempt', async () => {
    // Prepare
    const envelope = anEnvelope({ id: 'msg_unsigned' });
    const signing = {
      activeSecrets: async () => {
        throw new SigningSecretUnavailableError(
          'could not read signing secret gd/catering: AccessDeniedException',
        );
      },
    };

    // Act
    const error = await retryableError(forward(envelope, { receiveCount: 1 }, { signing }));
    const last = await forward(envelope, { receiveCount: settings.maxAttempts }, { signing });

    // Assess
    expect(error.message).toMatch(/could not read signing secret gd\/catering/);
    expect(backend.requests).toEqual([]);
    expect(last).toBe('dead-lettered');
    expect(deadLetters.sent[0]?.deadLetter?.reason).toMatch(
      /gave up after 4 attempts; last: could not read signing secret/,
    );
  });

  it('delivers with the documented headers and records the attempt as delivered', async () => {
    // Prepare
    const envelope = anEnvelope({
      id: 'id-9',
      contentType: 'application/vnd.catering+json',
      priorAttempts: 3,
    });
    await records.claim(envelope, fingerprintOf(envelope));

    // Act
    const outcome = await forward(envelope, { messageId: 'sqs-id', receiveCount: 2 });

    // Assess
    expect(outcome).toBe('delivered');
    expect(backend.requests).toEqual([
      {
        url: settings.targetUrl,
        body: envelope.body,
        timeoutMs: settings.timeoutSeconds * 1000,
        headers: {
          'content-type': 'application/vnd.catering+json',
          'idempotency-key': 'id-9',
          'x-message-id': 'id-9',
          'x-delivery-attempt': '5',
          // No trace stored with it: one derived from the message id, a new span per attempt.
          traceparent: expect.stringMatching(/^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/),
        },
      },
    ]);
    expect(recordOf(envelope)).toMatchObject({
      state: 'delivered',
      deliveredAt: '2025-01-02T03:05:00.000Z',
      attempts: [
        {
          attempt: 5,
          at: '2025-01-02T03:05:00.000Z',
          durationMs: expect.any(Number),
          status: 200,
          response: '{"ok":true}',
        },
      ],
    });
    expect(queue.delays).toEqual([]);
    expect(deadLetters.sent).toEqual([]);
  });

  it('suppresses a copy whose record says delivered, without calling the backend', async () => {
    // Prepare
    const envelope = anEnvelope();
    await forward(envelope);
    backend.requests.length = 0;

    // Act
    const outcome = await forward(envelope, { messageId: 'another-sqs-copy' });

    // Assess
    expect(outcome).toBe('duplicate');
    expect(backend.requests).toEqual([]);
    expect(logs.entries()).toContainEqual(
      expect.objectContaining({ message: 'duplicate suppressed: already delivered' }),
    );
  });

  it('delivers two copies of one message in one batch once', async () => {
    // Prepare
    const envelope = anEnvelope();
    const copies = [received(envelope, { messageId: 'copy-1' }), received(envelope, { messageId: 'copy-2' })];
    const batch = newBatchState();

    // Act
    const outcomes = await Promise.all(copies.map((copy) => forwardMessage(copy, deps(), batch)));

    // Assess
    expect(outcomes).toEqual(['delivered', 'duplicate']);
    expect(backend.requests).toHaveLength(1);
  });

  it('dead-letters, never drops, a copy with another body that the ingest did not refuse', async () => {
    // Prepare: this copy was answered 202 while its record write failed; another body took the key.
    const accepted = anEnvelope({ body: '{"a":1}', receivedAt: '2025-01-02T03:02:00.000Z' });
    const holder = { ...accepted, body: '{"b":2}', receivedAt: '2025-01-02T03:01:00.000Z' };
    await records.claim(holder, fingerprintOf(holder));

    // Act
    const outcome = await forward(accepted);

    // Assess
    expect(outcome).toBe('dead-lettered');
    expect(backend.requests).toEqual([]);
    expect(deadLetters.sent[0]?.deadLetter?.reason).toMatch(/^Idempotency-Key reused with another body/);
  });

  it('dead-letters a non-retryable answer at once, recording reason and attempt', async () => {
    // Prepare
    const envelope = anEnvelope({ priorAttempts: 0 });
    answer = { kind: 'answered', status: 422, body: '{"error":"bad passenger"}' };

    // Act
    const outcome = await forward(envelope, { receiveCount: 1 });

    // Assess
    expect(outcome).toBe('dead-lettered');
    const reason = 'backend answered 422, which is configured as non-retryable';
    expect(deadLetters.sent).toEqual([{ envelope, deadLetter: { reason, attempts: 1, lastStatus: 422 } }]);
    expect(recordOf(envelope)).toMatchObject({
      state: 'dead-lettered',
      reason,
      attempts: [{ attempt: 1, status: 422, response: '{"error":"bad passenger"}' }],
    });
    expect(queue.delays).toEqual([]);
  });

  it('hides a retryable failure for the backoff, records it as retrying, and throws', async () => {
    // Prepare
    const envelope = anEnvelope();
    answer = { kind: 'answered', status: 503 };

    // Act
    const error = await retryableError(forward(envelope, { receiveCount: 3, receiptHandle: 'rh-3' }));

    // Assess: third failure → ceiling 2 * 2^2 = 8 s, jittered within [4, 8].
    expect(error.message).toBe('backend answered 503');
    expect(queue.delays).toEqual([{ receiptHandle: 'rh-3', seconds: error.retryAfterSeconds }]);
    expect(error.retryAfterSeconds).toBeGreaterThanOrEqual(4);
    expect(error.retryAfterSeconds).toBeLessThanOrEqual(8);
    const next = new Date(Date.parse('2025-01-02T03:05:00.000Z') + error.retryAfterSeconds * 1000);
    expect(recordOf(envelope)).toMatchObject({
      state: 'retrying',
      nextAttemptAt: next.toISOString(),
      attempts: [{ attempt: 3, status: 503 }],
    });
    expect(deadLetters.sent).toEqual([]);
  });

  it("waits for the backend's Retry-After when it asks for longer than the backoff", async () => {
    // Prepare
    answer = { kind: 'answered', status: 429, retryAfterSeconds: 600 };

    // Act
    const error = await retryableError(forward(anEnvelope()));

    // Assess
    expect(error.retryAfterSeconds).toBe(600);
    expect(queue.delays).toEqual([{ receiptHandle: 'receipt-handle-1', seconds: 600 }]);
  });

  it('dead-letters on the last attempt with a "gave up after" reason', async () => {
    // Prepare
    const envelope = anEnvelope({ priorAttempts: 0 });
    answer = { kind: 'answered', status: 503 };

    // Act
    const outcome = await forward(envelope, { receiveCount: 4 });

    // Assess
    expect(outcome).toBe('dead-lettered');
    expect(deadLetters.sent).toEqual([
      {
        envelope,
        deadLetter: {
          reason: 'gave up after 4 attempts; last: backend answered 503',
          attempts: 4,
          lastStatus: 503,
        },
      },
    ]);
    expect(queue.delays).toEqual([]);
    expect(logs.entries()).toContainEqual(
      expect.objectContaining({ level: 'ERROR', message: 'dead-lettered' }),
    );
  });

  it('records an attempt without an answer with its error and no status', async () => {
    // Prepare
    const envelope = anEnvelope({ priorAttempts: 2 });
    answer = { kind: 'no-answer', error: 'TimeoutError: aborted' };

    // Act
    await forward(envelope, { receiveCount: 4 });

    // Assess
    expect(deadLetters.sent[0]?.deadLetter).toEqual({
      reason: 'gave up after 4 attempts; last: no answer: TimeoutError: aborted',
      attempts: 6,
      lastStatus: undefined,
    });
    expect(recordOf(envelope)?.attempts).toEqual([
      { attempt: 6, at: expect.any(String), durationMs: expect.any(Number), error: 'TimeoutError: aborted' },
    ]);
  });

  it('marks the attempt after a dead-lettered record as redriven', async () => {
    // Prepare
    const envelope = anEnvelope();
    answer = { kind: 'answered', status: 422 };
    await forward(envelope);
    answer = { kind: 'answered', status: 200 };

    // Act: the dead letter's copy, moved back with its attributes (its dead-lettered-at among them)
    const outcome = await forward({
      ...envelope,
      priorAttempts: 1,
      deadLetteredAt: '2025-01-02T03:05:01.000Z',
    });

    // Assess
    expect(outcome).toBe('delivered');
    expect(records.updates.map((u) => u.redriven ?? false)).toEqual([false, true]);
    expect(recordOf(envelope)?.redriveOf).toBe('2025-01-02T03:05:01.000Z');
  });

  it('dead-letters an id once: a second copy that was never dead-lettered itself is dropped as a duplicate', async () => {
    // Prepare: the first copy answered 422 and dead-lettered
    const envelope = anEnvelope();
    answer = { kind: 'answered', status: 422 };
    await forward(envelope, { messageId: 'copy-1' });

    // Act
    const second = await forward(envelope, { messageId: 'copy-2' });

    // Assess
    expect(second).toBe('duplicate');
    expect(backend.requests).toHaveLength(1);
    expect(deadLetters.sent).toHaveLength(1);
    expect(logs.entries()).toContainEqual(
      expect.objectContaining({ message: 'duplicate suppressed: already dead-lettered' }),
    );
  });

  it('drops the redriven copy of an older dead letter once a later dead letter of the id was redriven', async () => {
    // Prepare: two dead letters of one id (left by a crash), the later one redriven and tried
    const envelope = anEnvelope({ priorAttempts: 1 });
    const older = { ...envelope, deadLetteredAt: '2025-01-02T03:00:00.000Z' };
    const later = { ...envelope, deadLetteredAt: '2025-01-02T03:04:00.000Z' };
    answer = { kind: 'answered', status: 422 };
    await forward(anEnvelope(), { messageId: 'first' });
    await forward(later, { messageId: 'later' });

    // Act
    const outcome = await forward(older, { messageId: 'older' });

    // Assess: the later redrive was tried (and dead-lettered again); the older copy was not
    expect(outcome).toBe('duplicate');
    expect(backend.requests).toHaveLength(2);
    expect(deadLetters.sent).toHaveLength(2);
    expect(recordOf(envelope)?.leaseHolder).toBeUndefined();
  });

  it(`keeps no response after attempt ${MAX_ATTEMPTS_WITH_RESPONSE}, so a record stays within an item`, async () => {
    // Prepare
    answer = { kind: 'answered', status: 500, body: 'x'.repeat(1024) };
    const envelope = anEnvelope({ priorAttempts: MAX_ATTEMPTS_WITH_RESPONSE });
    const many = { ...settings, maxAttempts: 1000 };

    // Act
    await retryableError(forward(envelope, { receiveCount: 1 }, { settings: many }));

    // Assess
    expect(recordOf(envelope)?.attempts[0]).not.toHaveProperty('response');
  });

  it('rejects when the DLQ write fails, so the record stays on the queue and is retried', async () => {
    // Prepare
    deadLetters.sendError = new QueueWriteError('SendMessage to the DLQ failed');
    answer = { kind: 'answered', status: 422 };

    // Act
    const result = forward(anEnvelope());

    // Assess
    await expect(result).rejects.toThrow('SendMessage to the DLQ failed');
  });

  it('rejects with RetryableDeliveryError and a warning when the retry delay cannot be set', async () => {
    // Prepare
    queue.delayError = new Error('ChangeMessageVisibility refused');
    answer = { kind: 'answered', status: 500 };

    // Act
    const error = await retryableError(forward(anEnvelope()));

    // Assess
    expect(error.message).toBe('backend answered 500');
    expect(logs.entries()).toContainEqual(
      expect.objectContaining({
        level: 'WARN',
        message: 'could not set the retry delay; the queue visibility timeout applies',
        error: expect.stringContaining('ChangeMessageVisibility refused'),
      }),
    );
  });

  it('does not deliver blind while the records cannot be read: retries later instead', async () => {
    // Prepare
    records.error = new Error('DynamoDB unavailable');

    // Act
    const error = await retryableError(forward(anEnvelope(), { receiveCount: 1 }));

    // Assess
    expect(error.message).toBe('status record unavailable: Error: DynamoDB unavailable');
    expect(backend.requests).toEqual([]);
    expect(queue.delays).toHaveLength(1);
  });

  it('still delivers, and says so, when the record cannot be written after the delivery', async () => {
    // Prepare: the lease is taken, the write after delivery fails
    const message = received(anEnvelope());
    backend = new ScriptedBackend(() => {
      records.error = new Error('ProvisionedThroughputExceeded');
      return answer;
    });

    // Act
    const outcome = await forwardMessage(message, deps(), newBatchState());

    // Assess
    expect(outcome).toBe('delivered');
    expect(logs.entries()).toContainEqual(
      expect.objectContaining({
        level: 'WARN',
        message: 'status record not updated; the message goes on without it',
        outcome: 'delivered',
      }),
    );
  });

  it('logs the payload on delivery only when logPayloads is on', async () => {
    // Prepare
    const envelope = anEnvelope({ body: '{"passport":"X1234567"}' });

    // Act
    await forward(envelope);
    const quiet = logs.lines.join('\n');
    await forward({ ...envelope, id: 'other' }, {}, { settings: { ...settings, logPayloads: true } });

    // Assess
    expect(quiet).not.toContain('X1234567');
    expect(logs.entries()).toContainEqual(
      expect.objectContaining({ message: 'delivered', body: envelope.body }),
    );
  });
});
