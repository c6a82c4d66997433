import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { beforeEach, describe, expect, it } from 'vitest';
import { createDocumentClient, createDynamoDbClient } from '../../shared/aws/clients.js';
import { DynamoDbFailoverStore } from '../../shared/aws/dynamodb-failover-store.js';
import { DynamoDbMessageRecords } from '../../shared/aws/dynamodb-message-records.js';
import { fingerprintOf } from '../../shared/message-record.js';
import { type CliFixture, createCliFixture } from './cli-fixture.js';

describe('gd message against the local stack', () => {
  let fixture: CliFixture;
  let records: DynamoDbMessageRecords;
  let dynamoDb: DynamoDBClient;

  beforeEach(async () => {
    // Prepare
    fixture = await createCliFixture();
    dynamoDb = createDynamoDbClient({ endpoint: fixture.env.AWS_ENDPOINT_URL });
    records = new DynamoDbMessageRecords(
      createDocumentClient(dynamoDb),
      fixture.tables.messageTable,
      86_400 * 30,
    );
  });

  it('prints the timeline of a message that failed twice and was then delivered, and its JSON', async () => {
    // Prepare: the record as the ingest and three forwarder attempts write it
    const envelope = {
      id: 'order-42',
      route: fixture.route.name,
      body: '{"passengerId":"P-42"}',
      contentType: 'application/json',
      receivedAt: '2025-01-02T03:00:00.000Z',
      priorAttempts: 0,
    };
    const fingerprint = fingerprintOf(envelope);
    await records.claim(envelope, fingerprint);
    const attempt = (n: number, status: number, at: string) => ({
      attempt: n,
      at,
      durationMs: 10 + n,
      status,
    });
    await records.recordAttempt({
      envelope,
      fingerprint,
      entry: { ...attempt(1, 503, '2025-01-02T03:00:01.000Z'), response: '{"error":"maintenance"}' },
      outcome: { kind: 'retrying', nextAttemptAt: '2025-01-02T03:00:03.000Z' },
    });
    await records.recordAttempt({
      envelope,
      fingerprint,
      entry: attempt(2, 500, '2025-01-02T03:00:03.000Z'),
      outcome: { kind: 'retrying', nextAttemptAt: '2025-01-02T03:00:07.000Z' },
    });
    await records.recordAttempt({
      envelope,
      fingerprint,
      entry: attempt(3, 200, '2025-01-02T03:00:07.000Z'),
      outcome: { kind: 'delivered' },
    });

    // Act
    const text = await fixture.run(['message', 'order-42', '--route', fixture.route.name]);
    const json = await fixture.run(['message', 'order-42', '--json']);
    const unknown = await fixture.run(['message', 'nobody']);

    // Assess
    expect(text.code).toBe(0);
    expect(text.out.split('\n').slice(0, 5)).toEqual([
      'message order-42 on route catering: delivered',
      '2025-01-02T03:00:00.000Z  accepted into the delivery queue',
      '2025-01-02T03:00:01.000Z  attempt 1: answered 503 in 11 ms  "{\\"error\\":\\"maintenance\\"}"',
      '2025-01-02T03:00:03.000Z  attempt 2: answered 500 in 12 ms',
      '2025-01-02T03:00:07.000Z  attempt 3: answered 200 in 13 ms',
    ]);
    expect(text.out).toMatch(/ {2}delivered$/);
    expect(json.json()).toMatchObject({
      messageId: 'order-42',
      state: 'delivered',
      attempts: [{ status: 503 }, { status: 500 }, { status: 200 }],
    });
    expect(json.json()).not.toHaveProperty('fingerprint');
    expect(unknown.code).toBe(1);
    expect(unknown.err).toContain('no message nobody was accepted on any route (catering)');
  });

  it('finds a message known only to the failover table, with or without --route', async () => {
    // Prepare: parked while SQS was down, its status record never written
    const failover = new DynamoDbFailoverStore(createDocumentClient(dynamoDb), fixture.tables.failoverTable);
    await failover.put({
      id: 'parked-7',
      route: fixture.route.name,
      body: '{"passengerId":"P-7"}',
      contentType: 'application/json',
      receivedAt: '2025-01-02T03:00:00.000Z',
      priorAttempts: 0,
    });

    // Act
    const withRoute = await fixture.run(['message', 'parked-7', '--route', fixture.route.name, '--json']);
    const withoutRoute = await fixture.run(['message', 'parked-7', '--json']);

    // Assess
    const parked = { messageId: 'parked-7', route: 'catering', state: 'in-failover', store: 'failover' };
    expect(withRoute.json()).toMatchObject(parked);
    expect(withoutRoute.json()).toMatchObject(parked);
  });

  it('links a dead letter to its history from gd dlq show', async () => {
    // Prepare
    await fixture.deadLetter('dead-9', { reason: 'backend answered 422', attempts: 1, lastStatus: 422 });

    // Act
    const shown = await fixture.run(['dlq', 'show', 'dead-9']);

    // Assess
    expect(shown.out).toContain('history:        gd message dead-9 --route catering');
  });
});
