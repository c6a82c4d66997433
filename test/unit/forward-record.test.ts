import {
  IdempotencyAlreadyInProgressError,
  IdempotencyPersistenceLayerError,
} from '@aws-lambda-powertools/idempotency';
import { beforeEach, describe, expect, it } from 'vitest';
import { classifyResponse } from '../../functions/forwarder/classify-response.js';
import {
  createDeliveryAttempt,
  type DeliverOnce,
  DeliveryAttemptFailedError,
  type DeliveryInput,
  type ForwarderDeps,
  forwardRecord,
} from '../../functions/forwarder/forward-record.js';
import { QueueWriteError, RetryableDeliveryError } from '../../shared/errors.js';
import type { DeliveryResponse } from '../../shared/ports.js';
import { anEnvelope, anSqsRecord, forwarderSettings } from '../support/factories.js';
import { InMemoryQueue, recordingLogger, ScriptedBackend } from '../support/fakes.js';

/** A deliverOnce that records its inputs and answers like the idempotent wrapper would. */
function fakeDeliverOnce(outcome: (input: DeliveryInput) => 'ok' | 'replayed' | Error) {
  const inputs: DeliveryInput[] = [];
  const deliverOnce: DeliverOnce = async (input) => {
    inputs.push(input);
    const result = outcome(input);
    if (result instanceof Error) throw result;
    return {
      status: 200,
      attempt: input.attempt,
      deliveredAt: '2025-01-02T03:04:05.000Z',
      // A replayed result carries the token of the call that really delivered.
      token: result === 'ok' ? input.token : 'token-of-an-earlier-call',
    };
  };
  return { deliverOnce, inputs };
}

/** What createDeliveryAttempt throws for this backend answer (via the real classification). */
function failedWith(response: DeliveryResponse): DeliveryAttemptFailedError {
  const verdict = classifyResponse(response, forwarderSettings().nonRetryableStatuses);
  if (verdict.kind === 'delivered') throw new Error('a 2xx is not a failure');
  return new DeliveryAttemptFailedError(verdict);
}

async function retryableError(promise: Promise<unknown>): Promise<RetryableDeliveryError> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(RetryableDeliveryError);
  return error as RetryableDeliveryError;
}

describe('forwardRecord', () => {
  let queue: InMemoryQueue;
  let deadLetters: InMemoryQueue;
  let logs: ReturnType<typeof recordingLogger>;
  const settings = forwarderSettings({ maxAttempts: 4, retry: { baseSeconds: 2, maxSeconds: 300 } });

  const depsWith = (deliverOnce: DeliverOnce, overrides: Partial<ForwarderDeps> = {}): ForwarderDeps => ({
    queue,
    deadLetters,
    deliverOnce,
    logger: logs.logger,
    settings,
    ...overrides,
  });

  beforeEach(() => {
    queue = new InMemoryQueue();
    deadLetters = new InMemoryQueue();
    logs = recordingLogger('forwarder');
  });

  it('resolves delivered on a 2xx, keyed on the envelope id, not the SQS message id', async () => {
    // Prepare
    const envelope = anEnvelope({ id: 'stable-id', priorAttempts: 0 });
    const fake = fakeDeliverOnce(() => 'ok');

    // Act
    const outcome = await forwardRecord(
      anSqsRecord(envelope, { messageId: 'sqs-id', receiveCount: 1 }),
      depsWith(fake.deliverOnce),
    );

    // Assess
    expect(outcome).toBe('delivered');
    expect(fake.inputs).toEqual([
      { messageId: 'stable-id', envelope, attempt: 1, token: expect.any(String) },
    ]);
    expect(queue.delays).toEqual([]);
    expect(deadLetters.sent).toEqual([]);
  });

  it('counts the attempt as prior attempts plus the receive count', async () => {
    // Prepare: a message redriven from the DLQ after 4 attempts, now received a second time.
    const fake = fakeDeliverOnce(() => 'ok');

    // Act
    await forwardRecord(
      anSqsRecord(anEnvelope({ priorAttempts: 4 }), { receiveCount: 2 }),
      depsWith(fake.deliverOnce),
    );

    // Assess
    expect(fake.inputs[0]?.attempt).toBe(6);
  });

  it('resolves duplicate when the idempotency layer replays an earlier delivery', async () => {
    // Prepare
    const fake = fakeDeliverOnce(() => 'replayed');

    // Act
    const outcome = await forwardRecord(anSqsRecord(), depsWith(fake.deliverOnce));

    // Assess
    expect(outcome).toBe('duplicate');
    expect(logs.entries()).toContainEqual(
      expect.objectContaining({ message: 'duplicate suppressed: already delivered' }),
    );
    expect(deadLetters.sent).toEqual([]);
  });

  it('dead-letters a non-retryable answer at once with reason, attempts and status, and resolves', async () => {
    // Prepare
    const envelope = anEnvelope({ priorAttempts: 0 });
    const fake = fakeDeliverOnce(() => failedWith({ kind: 'answered', status: 422 }));

    // Act
    const outcome = await forwardRecord(
      anSqsRecord(envelope, { receiveCount: 1 }),
      depsWith(fake.deliverOnce),
    );

    // Assess
    expect(outcome).toBe('dead-lettered');
    expect(deadLetters.sent).toEqual([
      {
        envelope,
        deadLetter: {
          reason: 'backend answered 422, which is configured as non-retryable',
          attempts: 1,
          lastStatus: 422,
        },
      },
    ]);
    expect(queue.delays).toEqual([]);
  });

  it('hides a retryable failure for the backoff and throws RetryableDeliveryError before max attempts', async () => {
    // Prepare
    const fake = fakeDeliverOnce(() => failedWith({ kind: 'answered', status: 503 }));

    // Act
    const error = await retryableError(
      forwardRecord(
        anSqsRecord(anEnvelope(), { receiveCount: 3, receiptHandle: 'rh-3' }),
        depsWith(fake.deliverOnce),
      ),
    );

    // Assess: third failure → ceiling 2 * 2^2 = 8 s, jittered within [4, 8].
    expect(error.message).toBe('backend answered 503');
    expect(queue.delays).toEqual([{ receiptHandle: 'rh-3', seconds: error.retryAfterSeconds }]);
    expect(error.retryAfterSeconds).toBeGreaterThanOrEqual(4);
    expect(error.retryAfterSeconds).toBeLessThanOrEqual(8);
    expect(deadLetters.sent).toEqual([]);
  });

  it("waits for the backend's Retry-After when it asks for longer than the backoff", async () => {
    // Prepare
    const fake = fakeDeliverOnce(() => failedWith({ kind: 'answered', status: 429, retryAfterSeconds: 600 }));

    // Act
    const error = await retryableError(forwardRecord(anSqsRecord(), depsWith(fake.deliverOnce)));

    // Assess
    expect(error.retryAfterSeconds).toBe(600);
    expect(queue.delays).toEqual([{ receiptHandle: 'receipt-handle-1', seconds: 600 }]);
  });

  it('dead-letters on the last attempt with a "gave up after" reason', async () => {
    // Prepare
    const envelope = anEnvelope({ priorAttempts: 0 });
    const fake = fakeDeliverOnce(() => failedWith({ kind: 'answered', status: 503 }));

    // Act
    const outcome = await forwardRecord(
      anSqsRecord(envelope, { receiveCount: 4 }),
      depsWith(fake.deliverOnce),
    );

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

  it('dead-letters on the last attempt without a status when the backend never answered', async () => {
    // Prepare
    const fake = fakeDeliverOnce(() => failedWith({ kind: 'no-answer', error: 'TimeoutError: aborted' }));

    // Act
    await forwardRecord(
      anSqsRecord(anEnvelope({ priorAttempts: 2 }), { receiveCount: 4 }),
      depsWith(fake.deliverOnce),
    );

    // Assess
    expect(deadLetters.sent[0]?.deadLetter).toEqual({
      reason: 'gave up after 4 attempts; last: no answer: TimeoutError: aborted',
      attempts: 6,
      lastStatus: undefined,
    });
  });

  it('rejects when the DLQ write fails, so the record stays on the queue and is retried', async () => {
    // Prepare
    deadLetters.sendError = new QueueWriteError('SendMessage to the DLQ failed');
    const fake = fakeDeliverOnce(() => failedWith({ kind: 'answered', status: 422 }));

    // Act
    const result = forwardRecord(anSqsRecord(), depsWith(fake.deliverOnce));

    // Assess
    await expect(result).rejects.toThrow('SendMessage to the DLQ failed');
  });

  it('rejects with RetryableDeliveryError and a warning when the retry delay cannot be set', async () => {
    // Prepare
    queue.delayError = new Error('ChangeMessageVisibility refused');
    const fake = fakeDeliverOnce(() => failedWith({ kind: 'answered', status: 500 }));

    // Act
    const error = await retryableError(forwardRecord(anSqsRecord(), depsWith(fake.deliverOnce)));

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

  it.each([
    [
      'another copy in progress',
      new IdempotencyAlreadyInProgressError('in progress'),
      'another copy of this message is being delivered right now',
    ],
    [
      'the idempotency store down',
      new IdempotencyPersistenceLayerError('Failed to put record'),
      'idempotency store unavailable: IdempotencyPersistenceLayerError: Failed to put record',
    ],
    ['an unexpected error', new TypeError('boom'), 'unexpected error: TypeError: boom'],
  ])('rejects with RetryableDeliveryError when %s', async (_label, thrown, reason) => {
    // Prepare
    const fake = fakeDeliverOnce(() => thrown);

    // Act
    const error = await retryableError(
      forwardRecord(anSqsRecord(anEnvelope(), { receiveCount: 1 }), depsWith(fake.deliverOnce)),
    );

    // Assess
    expect(error.message).toBe(reason);
    expect(queue.delays).toHaveLength(1);
    expect(deadLetters.sent).toEqual([]);
  });

  it('logs the payload on delivery only when logPayloads is on', async () => {
    // Prepare
    const envelope = anEnvelope({ body: '{"passport":"X1234567"}' });
    const fake = fakeDeliverOnce(() => 'ok');

    // Act
    await forwardRecord(anSqsRecord(envelope), depsWith(fake.deliverOnce));
    const quiet = logs.lines.join('\n');
    await forwardRecord(
      anSqsRecord(envelope),
      depsWith(fake.deliverOnce, { settings: { ...settings, logPayloads: true } }),
    );

    // Assess
    expect(quiet).not.toContain('X1234567');
    expect(logs.entries()).toContainEqual(
      expect.objectContaining({ message: 'delivered', body: envelope.body }),
    );
  });
});

describe('createDeliveryAttempt', () => {
  it('POSTs the body with the documented headers and the attempt number', async () => {
    // Prepare
    const settings = forwarderSettings({ targetUrl: 'http://127.0.0.1:9/catering', timeoutSeconds: 7 });
    const backend = new ScriptedBackend(() => ({ kind: 'answered', status: 202 }));
    const envelope = anEnvelope({
      id: 'id-9',
      contentType: 'application/vnd.catering+json',
      priorAttempts: 3,
    });
    const deps: ForwarderDeps = {
      queue: new InMemoryQueue(),
      deadLetters: new InMemoryQueue(),
      deliverOnce: createDeliveryAttempt(backend, settings),
      logger: recordingLogger('forwarder').logger,
      settings,
    };

    // Act
    const outcome = await forwardRecord(anSqsRecord(envelope, { receiveCount: 2 }), deps);

    // Assess
    expect(outcome).toBe('delivered');
    expect(backend.requests).toEqual([
      {
        url: 'http://127.0.0.1:9/catering',
        body: envelope.body,
        timeoutMs: 7_000,
        headers: {
          'content-type': 'application/vnd.catering+json',
          'idempotency-key': 'id-9',
          'x-message-id': 'id-9',
          'x-delivery-attempt': '5',
        },
      },
    ]);
  });

  it('returns the status, attempt and the caller token on a 2xx', async () => {
    // Prepare
    const attempt = createDeliveryAttempt(
      new ScriptedBackend(() => ({ kind: 'answered', status: 204 })),
      forwarderSettings(),
    );

    // Act
    const record = await attempt({ messageId: 'm', envelope: anEnvelope(), attempt: 2, token: 'tok' });

    // Assess
    expect(record).toEqual({ status: 204, attempt: 2, deliveredAt: expect.any(String), token: 'tok' });
  });

  it.each<[string, DeliveryResponse, string]>([
    ['a configured status', { kind: 'answered', status: 422 }, 'non-retryable'],
    ['a 503', { kind: 'answered', status: 503, retryAfterSeconds: 30 }, 'retryable'],
    ['no answer', { kind: 'no-answer', error: 'ECONNREFUSED' }, 'retryable'],
  ])('rejects with the verdict on %s, so no idempotency record is kept', async (_label, response, kind) => {
    // Prepare
    const attempt = createDeliveryAttempt(new ScriptedBackend(() => response), forwarderSettings());

    // Act
    const error = await attempt({ messageId: 'm', envelope: anEnvelope(), attempt: 1, token: 't' }).catch(
      (caught: unknown) => caught,
    );

    // Assess
    expect(error).toBeInstanceOf(DeliveryAttemptFailedError);
    expect((error as DeliveryAttemptFailedError).verdict.kind).toBe(kind);
  });
});
