import { randomUUID } from 'node:crypto';
import { CreateTableCommand, type DynamoDBClient, PutItemCommand } from '@aws-sdk/client-dynamodb';
import {
  CreateQueueCommand,
  GetQueueAttributesCommand,
  SendMessageCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, inject, it } from 'vitest';
import { type ClientTimeouts, createDynamoDbClient, createSqsClient } from '../../shared/aws/clients.js';
import { FaultProxy } from '../support/fault-proxy.js';
import { LoopbackBackend } from '../support/loopback-backend.js';

/**
 * The fault proxy against the real emulator with the real SDK v3 clients: each mode has to look to
 * the SDK exactly like the fault it stands for, or the chaos run would prove nothing.
 */

/** Short timeouts, two attempts: like the ingest's clients, so each check is quick. */
const TIMEOUTS: ClientTimeouts = { connectionTimeoutMs: 300, requestTimeoutMs: 600, maxAttempts: 2 };

async function failureOf(call: Promise<unknown>): Promise<Error & Record<string, unknown>> {
  try {
    await call;
  } catch (error) {
    return error as Error & Record<string, unknown>;
  }
  throw new Error('expected the call to fail');
}

describe('fault proxy in front of SQS', () => {
  const endpoint = inject('awsEndpoint');
  const direct = createSqsClient({ endpoint });
  let queueUrl: string;
  let proxy: FaultProxy;
  let sqs: SQSClient;

  beforeAll(async () => {
    const created = await direct.send(
      new CreateQueueCommand({ QueueName: `fp-${randomUUID().slice(0, 8)}` }),
    );
    queueUrl = created.QueueUrl ?? '';
  });

  beforeEach(async () => {
    proxy = await FaultProxy.start({ target: endpoint, service: 'sqs' });
    sqs = createSqsClient({ endpoint: proxy.url, timeouts: TIMEOUTS });
  });

  afterEach(async () => {
    sqs.destroy();
    await proxy.stop();
  });

  afterAll(() => direct.destroy());

  const stored = async () => {
    const output = await direct.send(
      new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['ApproximateNumberOfMessages'] }),
    );
    return Number(output.Attributes?.ApproximateNumberOfMessages ?? 0);
  };
  const send = () => sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: 'x' }));

  it('passes requests through, then refuses, then passes again on the same URL', async () => {
    // Prepare
    const before = await stored();

    // Act
    await send();
    await proxy.setMode('refuse');
    const refused = await failureOf(send());
    await proxy.setMode('pass');
    await send();

    // Assess
    expect(String(refused.code ?? refused.name)).toMatch(/ECONNREFUSED|ECONNRESET/);
    expect(await stored()).toBe(before + 2);
    expect(proxy.counts.pass).toBe(2);
  });

  it('rejects with a timeout when silent, and stores nothing', async () => {
    // Prepare
    const before = await stored();
    await proxy.setMode('silent');

    // Act
    const started = Date.now();
    const error = await failureOf(send());

    // Assess
    expect(error.name).toBe('TimeoutError');
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(proxy.counts.silent).toBe(TIMEOUTS.maxAttempts);
    expect(await stored()).toBe(before);
  });

  it('rejects with a throttling error the SDK classifies and retries as one', async () => {
    // Prepare
    await proxy.setMode('throttle');

    // Act
    const error = await failureOf(send());

    // Assess: ThrottlingException is in the SDK's THROTTLING_ERROR_CODES, so it retried it
    expect(error.name).toBe('ThrottlingException');
    expect((error.$metadata as { httpStatusCode: number }).httpStatusCode).toBe(400);
    expect(proxy.counts.throttle).toBe(TIMEOUTS.maxAttempts);
  });

  it('rejects with a 500 service error the SDK retries', async () => {
    // Prepare
    await proxy.setMode('http500');

    // Act
    const error = await failureOf(send());

    // Assess
    expect(error.name).toBe('InternalFailure');
    expect((error.$metadata as { httpStatusCode: number }).httpStatusCode).toBe(500);
    expect(proxy.counts.http500).toBe(TIMEOUTS.maxAttempts);
  });

  it('rejects after drop-mid-response although SQS stored the message (the ambiguous write)', async () => {
    // Prepare
    const before = await stored();
    await proxy.setMode('drop-mid-response');

    // Act
    const error = await failureOf(send());

    // Assess: every attempt reached SQS, none was acknowledged
    expect(error).toBeInstanceOf(Error);
    expect(proxy.counts['drop-mid-response']).toBe(TIMEOUTS.maxAttempts);
    expect(await stored()).toBe(before + TIMEOUTS.maxAttempts);
  });

  it('adds latency without failing the call', async () => {
    // Prepare
    await proxy.setMode('latency', { latencyMs: 250 });

    // Act
    const started = Date.now();
    await send();

    // Assess
    expect(Date.now() - started).toBeGreaterThanOrEqual(250);
    expect(proxy.counts.latency).toBe(1);
  });
});

describe('fault proxy in front of DynamoDB and a backend', () => {
  const endpoint = inject('awsEndpoint');
  let proxy: FaultProxy;
  let dynamoDb: DynamoDBClient;
  const table = `fp-${randomUUID().slice(0, 8)}`;

  beforeAll(async () => {
    const direct = createDynamoDbClient({ endpoint });
    await direct.send(
      new CreateTableCommand({
        TableName: table,
        BillingMode: 'PAY_PER_REQUEST',
        AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'S' }],
        KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
      }),
    );
    direct.destroy();
  });

  beforeEach(async () => {
    proxy = await FaultProxy.start({ target: endpoint, service: 'dynamodb' });
    dynamoDb = createDynamoDbClient({ endpoint: proxy.url, timeouts: TIMEOUTS });
  });

  afterEach(async () => {
    dynamoDb.destroy();
    await proxy.stop();
  });

  it('rejects with ProvisionedThroughputExceededException when throttling, retried by the SDK', async () => {
    // Prepare
    await proxy.setMode('throttle');

    // Act
    const error = await failureOf(
      dynamoDb.send(new PutItemCommand({ TableName: table, Item: { id: { S: 'a' } } })),
    );

    // Assess
    expect(error.name).toBe('ProvisionedThroughputExceededException');
    expect(proxy.counts.throttle).toBe(TIMEOUTS.maxAttempts);
  });

  it('rejects with InternalServerError in http500 mode, and passes again after', async () => {
    // Prepare
    await proxy.setMode('http500');

    // Act
    const error = await failureOf(
      dynamoDb.send(new PutItemCommand({ TableName: table, Item: { id: { S: 'b' } } })),
    );
    await proxy.setMode('pass');
    await dynamoDb.send(new PutItemCommand({ TableName: table, Item: { id: { S: 'b' } } }));

    // Assess
    expect(error.name).toBe('InternalServerError');
    expect(proxy.counts.pass).toBe(1);
  });

  it('answers a backend client 429 with Retry-After, and forwards in pass mode', async () => {
    // Prepare
    const backend = new LoopbackBackend();
    const backendUrl = new URL(await backend.start());
    const backendProxy = await FaultProxy.start({
      target: backendUrl.origin,
      service: 'http',
      mode: 'throttle',
    });

    try {
      // Act
      const throttled = await fetch(`${backendProxy.url}/catering`, { method: 'POST', body: '{}' });
      await backendProxy.setMode('pass');
      const passed = await fetch(`${backendProxy.url}/catering`, { method: 'POST', body: '{}' });

      // Assess
      expect(throttled.status).toBe(429);
      expect(throttled.headers.get('retry-after')).toBe('1');
      expect(passed.status).toBe(200);
      expect(backend.requests).toHaveLength(1);
    } finally {
      await backendProxy.stop();
      await backend.stop();
    }
  });
});
