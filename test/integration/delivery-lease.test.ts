import { setTimeout as sleep } from 'node:timers/promises';
import { DeleteMessageCommand, SendMessageCommand } from '@aws-sdk/client-sqs';
import { describe, expect, it } from 'vitest';
import { leaseSeconds } from '../../functions/forwarder/delivery-lease.js';
import { createDocumentClient } from '../../shared/aws/clients.js';
import { redriveDeadLetters } from '../../shared/aws/dead-letter-redrive.js';
import { DynamoDbMessageRecords } from '../../shared/aws/dynamodb-message-records.js';
import { queueCounts } from '../../shared/aws/sqs-message-queue.js';
import { ATTR, type MessageEnvelope } from '../../shared/envelope.js';
import { fingerprintOf } from '../../shared/message-record.js';
import { LoopbackBackend } from '../support/loopback-backend.js';
import { createTestRoute, type TestRoute } from '../support/test-route.js';

const MESSAGE = { passengerId: 'p-7', train: 'RLC-3' };
/** The backend's answer time: both copies are surely received while the first is being delivered. */
const BACKEND_MS = 500;
/** One attempt times out after this: the lease is this plus the forwarder's margin. */
const TIMEOUT_SECONDS = 1;

/**
 * Two copies of the queued message, as SQS or an ingest's retried SendMessageBatch leaves them: same
 * body and attributes. The accepted one is read to copy it, so it is replaced by two fresh copies
 * (a read counts as a receive).
 */
async function queueTwoCopies(route: TestRoute): Promise<void> {
  const [message] = await route.visibleOnQueue();
  if (!message) throw new Error('the accepted message is not on the queue');
  const copy = new SendMessageCommand({
    QueueUrl: route.queues.queueUrl,
    MessageBody: message.Body ?? '',
    MessageAttributes: Object.fromEntries(
      Object.entries(message.MessageAttributes ?? {}).map(([name, value]) => [
        name,
        { DataType: value.DataType, StringValue: value.StringValue },
      ]),
    ),
  });
  await route.sqs.send(copy);
  await route.sqs.send(copy);
  await route.sqs.send(
    new DeleteMessageCommand({ QueueUrl: route.queues.queueUrl, ReceiptHandle: message.ReceiptHandle }),
  );
}

/** Polls until the queue holds nothing, visible, in flight or delayed, or `ms` passed. */
async function forwardUntilEmpty(route: TestRoute, ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    const counts = await queueCounts(route.sqs, route.queues.queueUrl);
    if (counts.visible + counts.inFlight + counts.delayed === 0) return;
    await route.forwardOnce();
    await sleep(250);
  }
}

/** The longest number of the backend's requests that were being answered at one moment. */
function mostAtOnce(backend: LoopbackBackend): number {
  // A request is complete on arrival and answered BACKEND_MS later.
  const starts = backend.requests.map((request) => request.receivedAt).sort((a, b) => a - b);
  return Math.max(
    0,
    ...starts.map((start) => starts.filter((t) => t >= start && t < start + BACKEND_MS).length),
  );
}

/** A backend of the test's own (the tests run side by side), stopped after it. */
async function withBackend(test: (backend: LoopbackBackend, target: string) => Promise<void>) {
  const backend = new LoopbackBackend();
  try {
    await test(backend, await backend.start());
  } finally {
    await backend.stop();
  }
}

// The put-back copies wait out a lease of about 21 s: the tests run side by side.
describe.concurrent('delivery lease: one delivery per id', () => {
  const leaseMs = leaseSeconds({ timeoutSeconds: TIMEOUT_SECONDS }) * 1000;

  it('delivers two copies received by two forwarders at once one time: the other is put back, then dropped', () =>
    withBackend(async (backend, target) => {
      // Prepare: batches of 1, so each of two concurrent invocations takes one copy
      const route = await createTestRoute({
        target,
        route: { batchSize: 1, timeoutSeconds: TIMEOUT_SECONDS },
      });
      backend.fallback = { status: 200, delayMs: BACKEND_MS };
      const { messageId } = JSON.parse((await route.post(MESSAGE)).body);
      await queueTwoCopies(route);

      // Act
      const polls = await Promise.all([route.forwardOnce(), route.forwardOnce()]);
      const afterBoth = await queueCounts(route.sqs, route.queues.queueUrl);
      await forwardUntilEmpty(route, leaseMs + 10_000);

      // Assess
      expect(polls).toEqual([
        { received: 1, deleted: 1, failed: 0 },
        { received: 1, deleted: 1, failed: 0 },
      ]);
      expect(afterBoth).toMatchObject({ visible: 0, inFlight: 0, delayed: 1 });
      expect(backend.idsReceived()).toEqual([messageId]);
      expect(await queueCounts(route.sqs, route.queues.queueUrl)).toMatchObject({ visible: 0, delayed: 0 });
      const events = route.logs.forwarder.entries().map((entry) => entry.event);
      expect(events.filter((event) => event === 'copy-put-back')).toHaveLength(1);
      expect(events.filter((event) => event === 'duplicate-suppressed')).toHaveLength(1);
      expect(events).not.toContain('delivered-concurrently');
      const record = await route.record(messageId);
      expect(record?.state).toBe('delivered');
      expect(record?.attempts).toHaveLength(1);
      expect(record?.leaseHolder).toBeUndefined();
    }));

  it('makes one attempt at a time when the first attempt fails: never two in flight', () =>
    withBackend(async (backend, target) => {
      // Prepare
      const route = await createTestRoute({
        target,
        route: { batchSize: 1, timeoutSeconds: TIMEOUT_SECONDS, retry: { baseSeconds: 1, maxSeconds: 1 } },
      });
      backend.answerNext({ status: 503, delayMs: BACKEND_MS });
      backend.fallback = { status: 200, delayMs: BACKEND_MS };
      const { messageId } = JSON.parse((await route.post(MESSAGE)).body);
      await queueTwoCopies(route);

      // Act
      const polls = await Promise.all([route.forwardOnce(), route.forwardOnce()]);
      await forwardUntilEmpty(route, leaseMs + 10_000);

      // Assess: the failed copy retried after its backoff and was delivered; the other never tried
      expect(polls.map((poll) => poll.failed).sort()).toEqual([0, 1]);
      expect(backend.idsReceived()).toEqual([messageId, messageId]);
      expect(backend.requests.map((request) => request.headers['x-delivery-attempt'])).toEqual(['1', '2']);
      expect(mostAtOnce(backend)).toBe(1);
      const record = await route.record(messageId);
      expect(record?.state).toBe('delivered');
      expect(record?.attempts.map((attempt) => attempt.status)).toEqual([503, 200]);
    }));

  it('delivers once a message whose lease a killed forwarder left, after the lease ends', () =>
    withBackend(async (backend, target) => {
      // Prepare: a forwarder took the lease and died before its POST, 3 s before the lease runs out
      const route = await createTestRoute({
        target,
        route: { batchSize: 1, timeoutSeconds: TIMEOUT_SECONDS },
      });
      const { messageId } = JSON.parse((await route.post(MESSAGE)).body);
      const envelope: MessageEnvelope = {
        id: messageId,
        route: route.route.name,
        body: JSON.stringify(MESSAGE),
        contentType: 'application/json',
        receivedAt: new Date().toISOString(),
        priorAttempts: 0,
      };
      const records = new DynamoDbMessageRecords(
        createDocumentClient(route.dynamoDb),
        route.tables.messageTable,
        86_400,
      );
      const now = new Date();
      const taken = await records.lease({
        envelope,
        fingerprint: fingerprintOf(envelope),
        holder: 'killed-forwarder-copy',
        now,
        until: new Date(now.getTime() + 3_000),
      });

      // Act
      const first = await route.forwardOnce();
      const requestsDuringLease = backend.requests.length;
      await forwardUntilEmpty(route, 15_000);

      // Assess
      expect(taken.kind).toBe('leased');
      expect(first).toEqual({ received: 1, deleted: 1, failed: 0 });
      expect(requestsDuringLease).toBe(0);
      expect(backend.idsReceived()).toEqual([messageId]);
      const record = await route.record(messageId);
      expect(record?.state).toBe('delivered');
      expect(record?.attempts.map((attempt) => attempt.attempt)).toEqual([1]);
    }));
});

describe('dead letters: one per id and route', () => {
  it('dead-letters a second copy of a dead-lettered id as a duplicate, and delivers the redrive once', () =>
    withBackend(async (backend, target) => {
      // Prepare: two copies of one message; the backend refuses it (422), one copy at a time
      const route = await createTestRoute({
        target,
        route: { batchSize: 1, timeoutSeconds: TIMEOUT_SECONDS },
      });
      backend.fallback = { status: 422 };
      const { messageId } = JSON.parse((await route.post(MESSAGE)).body);
      await queueTwoCopies(route);

      // Act
      const first = await route.forwardOnce();
      const second = await route.forwardOnce();
      const deadLetters = await route.deadLetters();
      backend.fallback = { status: 200 };
      await redriveDeadLetters(route.sqs, { dlqUrl: route.queues.dlqUrl, queueUrl: route.queues.queueUrl });
      await forwardUntilEmpty(route, 8_000);

      // Assess
      expect([first, second]).toEqual([
        { received: 1, deleted: 1, failed: 0 },
        { received: 1, deleted: 1, failed: 0 },
      ]);
      expect(deadLetters.map((letter) => letter.MessageAttributes?.[ATTR.MESSAGE_ID]?.StringValue)).toEqual([
        messageId,
      ]);
      expect(backend.requests.map((request) => request.headers['x-delivery-attempt'])).toEqual(['1', '2']);
      expect(await route.deadLetters()).toEqual([]);
      expect((await route.record(messageId))?.state).toBe('delivered');
    }));
});
