import { DeleteObjectCommand, ListObjectsV2Command, PutObjectCommand } from '@aws-sdk/client-s3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { redriveDeadLetters } from '../../shared/aws/dead-letter-redrive.js';
import { ATTR } from '../../shared/envelope.js';
import { CLAIM_CHECK_THRESHOLD_BYTES, payloadReferenceOf, sha256Hex } from '../../shared/payloads.js';
import { refusingEndpoint } from '../support/dead-endpoints.js';
import { LoopbackBackend } from '../support/loopback-backend.js';
import { createTestRoute, forwardUntil, type TestRoute } from '../support/test-route.js';

/** A compact JSON object of about `bytes` bytes (records of text), as integration traffic sends. */
function jsonBody(bytes: number, seed = 'a'): string {
  const record = { id: 0, seed, text: 'lorem ipsum dolor sit amet, '.repeat(8) };
  const count = Math.ceil(bytes / JSON.stringify(record).length);
  return JSON.stringify({ items: Array.from({ length: count }, (_, id) => ({ ...record, id })) });
}

const LARGE = jsonBody(4_500_000);
const MEDIUM = jsonBody(1_000_000, 'b');

/** The SHA-256 of what the backend received, as bytes. */
const receivedSha = (backend: LoopbackBackend, index = 0) =>
  sha256Hex(Buffer.from(backend.requests[index]?.body ?? '', 'utf8'));

describe('large bodies by claim check', () => {
  let backend: LoopbackBackend;
  let target: string;

  beforeEach(async () => {
    backend = new LoopbackBackend();
    target = await backend.start();
  });

  afterEach(async () => {
    await backend.stop();
  });

  /** The objects of the route's payload bucket. */
  async function objectKeys(route: TestRoute): Promise<string[]> {
    const listed = await route.s3.send(new ListObjectsV2Command({ Bucket: route.payloadBucket }));
    return (listed.Contents ?? []).map((object) => object.Key ?? '');
  }

  it('delivers a 4.5 MB JSON body byte-identical through the queue, the queue message carrying only its reference', async () => {
    // Prepare
    const route = await createTestRoute({ target });
    expect(Buffer.byteLength(LARGE)).toBeGreaterThan(4_500_000);

    // Act
    const response = await route.post(LARGE, { 'Idempotency-Key': 'large-1' });
    const [queued] = await route.visibleOnQueue();
    await forwardUntil(route, backend, 1);

    // Assess
    expect(response.statusCode).toBe(202);
    const reference = payloadReferenceOf(queued?.Body ?? '');
    expect(reference).toEqual({
      key: `${route.route.name}/large-1/${sha256Hex(LARGE)}`,
      size: Buffer.byteLength(LARGE),
      sha256: sha256Hex(LARGE),
    });
    expect(Buffer.byteLength(queued?.Body ?? '')).toBeLessThan(1_000);
    expect(backend.requests).toHaveLength(1);
    expect(receivedSha(backend)).toBe(sha256Hex(LARGE));
    expect(backend.requests[0]?.headers['content-type']).toBe('application/json');
    const lookup = await route.lookup('large-1');
    expect(lookup.body).toMatchObject({ state: 'delivered', bodyBytes: Buffer.byteLength(LARGE) });
  });

  it('keeps a body at the threshold inline, and one byte more goes by S3', async () => {
    // Prepare
    const route = await createTestRoute({ target });
    const atThreshold = JSON.stringify({ text: 'x'.repeat(CLAIM_CHECK_THRESHOLD_BYTES - 11) });
    const over = JSON.stringify({ text: 'x'.repeat(CLAIM_CHECK_THRESHOLD_BYTES - 10) });
    expect(Buffer.byteLength(atThreshold)).toBe(CLAIM_CHECK_THRESHOLD_BYTES);

    // Act
    await route.post(atThreshold, { 'Idempotency-Key': 'at' });
    await route.post(over, { 'Idempotency-Key': 'over' });

    // Assess
    const bodies = new Map(
      (await route.visibleOnQueue()).map((m) => [
        m.MessageAttributes?.[ATTR.MESSAGE_ID]?.StringValue,
        m.Body,
      ]),
    );
    expect(bodies.get('at')).toBe(atThreshold);
    expect(payloadReferenceOf(bodies.get('over') ?? '')?.size).toBe(CLAIM_CHECK_THRESHOLD_BYTES + 1);
    expect(await objectKeys(route)).toHaveLength(1);
  });

  it('delivers a large body parked in the failover table while SQS refused, once drained', async () => {
    // Prepare
    const route = await createTestRoute({ target, ingestSqsEndpoint: await refusingEndpoint() });

    // Act
    const response = await route.post(LARGE, { 'Idempotency-Key': 'parked' });
    await route.drain();
    await forwardUntil(route, backend, 1);

    // Assess
    expect(JSON.parse(response.body).store).toBe('failover');
    expect(await route.failoverIds()).toEqual([]);
    expect(receivedSha(backend)).toBe(sha256Hex(LARGE));
  });

  it('delivers a large body after a non-retryable answer dead-lettered it and a redrive moved it back', async () => {
    // Prepare
    const route = await createTestRoute({ target });
    backend.answerNext({ status: 400 });
    await route.post(MEDIUM, { 'Idempotency-Key': 'redriven' });
    await forwardUntil(route, backend, 1);
    const [dead] = await route.deadLetters();

    // Act
    await redriveDeadLetters(route.sqs, { dlqUrl: route.queues.dlqUrl, queueUrl: route.queues.queueUrl });
    await forwardUntil(route, backend, 2);

    // Assess
    expect(payloadReferenceOf(dead?.Body ?? '')?.sha256).toBe(sha256Hex(MEDIUM));
    expect(backend.requests).toHaveLength(2);
    expect(receivedSha(backend, 1)).toBe(sha256Hex(MEDIUM));
    expect((await route.record('redriven'))?.state).toBe('delivered');
  });

  it('delivers a 4.5 MB body sent as one entry of a batch, beside a small one', async () => {
    // Prepare
    const route = await createTestRoute({ target });
    const small = { passengerId: 'p-1' };

    // Act
    const response = await route.postBatch([
      { body: JSON.parse(LARGE), idempotencyKey: 'batch-large' },
      { body: small, idempotencyKey: 'batch-small' },
    ]);
    await forwardUntil(route, backend, 2);

    // Assess
    expect(response.statusCode).toBe(202);
    const shas = backend.requests.map((request) => sha256Hex(Buffer.from(request.body, 'utf8')));
    expect(shas.sort()).toEqual([sha256Hex(LARGE), sha256Hex(JSON.stringify(small))].sort());
  });

  it('fails the delivery of a message whose object was deleted: dead-lettered with the reason, nothing sent', async () => {
    // Prepare
    const route = await createTestRoute({ target });
    await route.post(MEDIUM, { 'Idempotency-Key': 'deleted' });
    const [key = ''] = await objectKeys(route);
    await route.s3.send(new DeleteObjectCommand({ Bucket: route.payloadBucket, Key: key }));

    // Act
    await route.forwardOnce();

    // Assess
    expect(backend.requests).toHaveLength(0);
    const [dead] = await route.deadLetters();
    const reason = dead?.MessageAttributes?.[ATTR.DEAD_LETTER_REASON]?.StringValue;
    expect(reason).toContain('its object is missing');
    const record = await route.record('deleted');
    expect(record).toMatchObject({ state: 'dead-lettered' });
    expect(record?.reason).toContain(key);
  });

  it('rejects a message whose object was altered: not sent, dead-lettered with both hashes', async () => {
    // Prepare
    const route = await createTestRoute({ target });
    await route.post(MEDIUM, { 'Idempotency-Key': 'altered' });
    const [key = ''] = await objectKeys(route);
    const altered = MEDIUM.replace('lorem', 'LOREM');
    await route.s3.send(new PutObjectCommand({ Bucket: route.payloadBucket, Key: key, Body: altered }));

    // Act
    await route.forwardOnce();

    // Assess
    expect(backend.requests).toHaveLength(0);
    const record = await route.record('altered');
    expect(record?.state).toBe('dead-lettered');
    expect(record?.reason).toContain(sha256Hex(altered));
    expect(record?.reason).toContain('altered after acceptance');
    expect(await route.deadLetters()).toHaveLength(1);
  });

  it('retries, never dead-letters, a message whose object S3 could not serve (S3 down at delivery)', async () => {
    // Prepare
    const route = await createTestRoute({ target, forwarderS3Endpoint: await refusingEndpoint() });
    await route.post(MEDIUM, { 'Idempotency-Key': 's3-down-at-delivery' });

    // Act
    await route.forwardOnce();

    // Assess
    expect(backend.requests).toHaveLength(0);
    expect(await route.deadLetters()).toHaveLength(0);
    expect(await route.queueCounts()).toEqual({ visible: 0, inFlight: 1 });
    const failed = route.logs.forwarder.entries().find((entry) => entry.event === 'attempt-failed');
    expect(String(failed?.reason)).toContain('payload unavailable');
  });

  it('rejects with 503 and Retry-After when S3 is down at ingest, storing nothing', async () => {
    // Prepare
    const route = await createTestRoute({ target, ingestS3Endpoint: await refusingEndpoint() });

    // Act
    const response = await route.post(MEDIUM, { 'Idempotency-Key': 's3-down' });

    // Assess
    expect(response.statusCode).toBe(503);
    expect(response.headers?.['retry-after']).toBe('5');
    expect(JSON.parse(response.body)).toMatchObject({ messageId: 's3-down' });
    expect(await route.queueCounts()).toEqual({ visible: 0, inFlight: 0 });
    expect(await route.failoverIds()).toEqual([]);
    expect(await route.record('s3-down')).toBeUndefined();
    expect(await objectKeys(route)).toEqual([]);
  });
});
