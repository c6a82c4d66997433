import { describe, expect, it } from 'vitest';
import { timeline } from '../../cli/commands/message.js';
import { lookupMessage } from '../../functions/ingest/lookup-message.js';
import { fingerprintOf } from '../../shared/message-record.js';
import { anEnvelope } from '../support/factories.js';
import { FakeClock, InMemoryFailoverStore, InMemoryMessageRecords } from '../support/fakes.js';

const deps = () => ({
  records: new InMemoryMessageRecords(),
  failover: new InMemoryFailoverStore(new FakeClock()),
  rules: { route: 'catering' },
});

describe('lookupMessage', () => {
  it('answers 200 with the record in the contract shape, without its fingerprint', async () => {
    // Prepare
    const d = deps();
    const envelope = anEnvelope({ id: 'm-1' });
    await d.records.claim(envelope, fingerprintOf(envelope));

    // Act
    const response = await lookupMessage('m-1', d);

    // Assess
    expect(response.statusCode).toBe(200);
    expect(JSON.parse(response.body)).toEqual({
      messageId: 'm-1',
      route: 'catering',
      state: 'queued',
      acceptedAt: envelope.receivedAt,
      store: 'queue',
      attempts: [],
    });
  });

  it('finds a failed-over message whose record could not be written, from the failover table', async () => {
    // Prepare
    const d = deps();
    d.failover.add(anEnvelope({ id: 'm-2' }), 1);

    // Act
    const response = await lookupMessage('m-2', d);

    // Assess
    expect(JSON.parse(response.body)).toMatchObject({
      messageId: 'm-2',
      state: 'in-failover',
      store: 'failover',
    });
  });

  it('answers 404 for an id never accepted on this route, even if another route has it', async () => {
    // Prepare
    const d = deps();
    const other = anEnvelope({ id: 'm-3', route: 'orders' });
    await d.records.claim(other, fingerprintOf(other));
    d.failover.add(other, 1);

    // Act
    const response = await lookupMessage('m-3', d);

    // Assess
    expect(response.statusCode).toBe(404);
    expect(JSON.parse(response.body)).toEqual({
      error: "no message 'm-3' was accepted on route 'catering'",
      messageId: 'm-3',
    });
  });

  it('fails with 503 and Retry-After when the records cannot be read', async () => {
    // Prepare
    const d = deps();
    d.records.error = new Error('DynamoDB unavailable');

    // Act
    const response = await lookupMessage('m-4', d);

    // Assess
    expect(response.statusCode).toBe(503);
    expect(response.headers['retry-after']).toBe('5');
  });
});

describe('gd message timeline', () => {
  it('lists acceptance, each attempt, the dead-lettering, the redrive and the delivery in time order', () => {
    // Act
    const lines = timeline({
      messageId: 'm-5',
      route: 'catering',
      state: 'delivered',
      acceptedAt: '2025-01-02T03:00:00.000Z',
      store: 'queue',
      attempts: [
        { attempt: 1, at: '2025-01-02T03:00:01.000Z', durationMs: 12, status: 503, response: 'down' },
        { attempt: 2, at: '2025-01-02T04:00:00.000Z', durationMs: 8, status: 200 },
      ],
      deadLetteredAt: '2025-01-02T03:00:01.020Z',
      reason: 'backend answered 503',
      redrivenAt: '2025-01-02T04:00:00.000Z',
      deliveredAt: '2025-01-02T04:00:00.010Z',
    });

    // Assess
    expect(lines).toEqual([
      'message m-5 on route catering: delivered',
      '2025-01-02T03:00:00.000Z  accepted into the delivery queue',
      '2025-01-02T03:00:01.000Z  attempt 1: answered 503 in 12 ms  "down"',
      '2025-01-02T03:00:01.020Z  dead-lettered: backend answered 503',
      '2025-01-02T04:00:00.000Z  redriven from the DLQ',
      '2025-01-02T04:00:00.000Z  attempt 2: answered 200 in 8 ms',
      '2025-01-02T04:00:00.010Z  delivered',
    ]);
  });
});
