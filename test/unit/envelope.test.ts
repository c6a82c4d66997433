import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  ATTR,
  deadLetterInfoFrom,
  fromSdkAttributes,
  fromSqsRecord,
  type MessageEnvelope,
  toMessageAttributes,
} from '../../shared/envelope.js';
import { anEnvelope, anSqsRecord, toLambdaAttributes } from '../support/factories.js';

const hex = (length: number) => fc.stringMatching(new RegExp(`^[0-9a-f]{${length}}$`));

/** A trace as the ingest stores it: a traceparent, sometimes with a tracestate (which may hold spaces). */
const traceArbitrary = fc.option(
  fc.record(
    {
      traceparent: fc.tuple(hex(32), hex(16)).map(([trace, parent]) => `00-${trace}-${parent}-01`),
      tracestate: fc.string({ minLength: 1, maxLength: 64 }),
    },
    { requiredKeys: ['traceparent'] },
  ),
  { nil: undefined },
);

const envelopeArbitrary: fc.Arbitrary<MessageEnvelope> = fc
  .record({
    id: fc.string({ minLength: 1, maxLength: 80 }),
    route: fc.string({ minLength: 1, maxLength: 31 }),
    body: fc.string({ unit: 'binary', maxLength: 200 }),
    contentType: fc.constantFrom('application/json', 'application/vnd.catering+json; charset=utf-8'),
    receivedAt: fc
      .date({ min: new Date('2000-01-01'), max: new Date('2100-01-01'), noInvalidDate: true })
      .map((date) => date.toISOString()),
    priorAttempts: fc.nat({ max: 10_000 }),
    trace: traceArbitrary,
  })
  .map(({ trace, ...envelope }) => ({ ...envelope, ...trace }));

describe('toMessageAttributes / fromSqsRecord', () => {
  it('carries every envelope field through the Lambda SQS record shape', () => {
    // Prepare
    const envelope = anEnvelope({ id: 'client-key-42', priorAttempts: 3, contentType: 'application/x+json' });
    const record = anSqsRecord(envelope, { messageId: 'sqs-id-changes-on-resend' });

    // Act
    const rebuilt = fromSqsRecord(record, 'some-other-route');

    // Assess
    expect(rebuilt).toEqual(envelope);
  });

  it('carries the trace context as one attribute, split back at the first space', () => {
    // Prepare
    const traceparent = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
    const envelope = anEnvelope({ traceparent, tracestate: 'rojo=00f067aa0ba902b7, congo=t61rcWkgMzE' });

    // Act
    const attributes = toMessageAttributes(envelope, { reason: 'gave up', attempts: 4, lastStatus: 503 });
    const rebuilt = fromSdkAttributes(attributes, 'x', envelope.body, 'r');

    // Assess
    expect(attributes[ATTR.TRACE_CONTEXT]?.StringValue).toBe(
      `${traceparent} rojo=00f067aa0ba902b7, congo=t61rcWkgMzE`,
    );
    // SQS takes at most 10 attributes per message, a dead letter's included.
    expect(Object.keys(attributes).length).toBeLessThanOrEqual(10);
    expect(rebuilt.traceparent).toBe(traceparent);
    expect(rebuilt.tracestate).toBe(envelope.tracestate);
  });

  it('writes string attributes for the texts and a Number attribute for the attempts', () => {
    // Prepare
    const envelope = anEnvelope({ priorAttempts: 2 });

    // Act
    const attributes = toMessageAttributes(envelope);

    // Assess
    expect(attributes).toEqual({
      [ATTR.MESSAGE_ID]: { DataType: 'String', StringValue: envelope.id },
      [ATTR.ROUTE]: { DataType: 'String', StringValue: envelope.route },
      [ATTR.CONTENT_TYPE]: { DataType: 'String', StringValue: envelope.contentType },
      [ATTR.RECEIVED_AT]: { DataType: 'String', StringValue: envelope.receivedAt },
      [ATTR.ATTEMPTS]: { DataType: 'Number', StringValue: '2' },
    });
  });

  it('falls back to the SQS message id, the given route, JSON and the sent time without attributes', () => {
    // Prepare: a message sent by hand from the console has none of our attributes.
    const sentTimestamp = Date.parse('2025-03-04T05:06:07.000Z');
    const record = anSqsRecord(anEnvelope({ body: '{"x":1}' }), {
      messageId: 'sqs-message-id',
      sentTimestamp,
      messageAttributes: {},
    });

    // Act
    const envelope = fromSqsRecord(record, 'catering');

    // Assess
    expect(envelope).toEqual({
      id: 'sqs-message-id',
      route: 'catering',
      body: '{"x":1}',
      contentType: 'application/json',
      receivedAt: '2025-03-04T05:06:07.000Z',
      priorAttempts: 0,
    });
  });

  it('treats a negative or non-numeric attempts attribute as no prior attempts', () => {
    // Prepare
    const base = toMessageAttributes(anEnvelope());
    const withAttempts = (value: string) =>
      anSqsRecord(anEnvelope(), {
        messageAttributes: toLambdaAttributes({
          ...base,
          [ATTR.ATTEMPTS]: { DataType: 'Number', StringValue: value },
        }),
      });

    // Act
    const attempts = ['-1', 'abc', '1.5'].map(
      (value) => fromSqsRecord(withAttempts(value), 'catering').priorAttempts,
    );

    // Assess
    expect(attempts).toEqual([0, 0, 0]);
  });

  it('round-trips any envelope through the SQS record and through SDK attributes', () => {
    fc.assert(
      fc.property(envelopeArbitrary, fc.string({ minLength: 1 }), (envelope, sqsMessageId) => {
        // Prepare
        const attributes = toMessageAttributes(envelope);

        // Act
        const fromRecord = fromSqsRecord(
          anSqsRecord(envelope, {
            messageId: sqsMessageId,
            messageAttributes: toLambdaAttributes(attributes),
          }),
          'fallback-route',
        );
        const fromSdk = fromSdkAttributes(attributes, sqsMessageId, envelope.body, 'fallback-route');

        // Assess
        expect(fromRecord).toEqual(envelope);
        expect(fromSdk).toEqual(envelope);
      }),
    );
  });
});

describe('fromSdkAttributes', () => {
  it('falls back to the given id, route, JSON and the epoch when attributes are missing', () => {
    // Act
    const envelope = fromSdkAttributes(undefined, 'sdk-message-id', '{}', 'catering');

    // Assess
    expect(envelope).toEqual({
      id: 'sdk-message-id',
      route: 'catering',
      body: '{}',
      contentType: 'application/json',
      receivedAt: new Date(0).toISOString(),
      priorAttempts: 0,
    });
  });
});

describe('dead-letter attributes', () => {
  it('records reason, attempts, last status and when, and reads them back', () => {
    // Prepare
    const envelope = anEnvelope({ priorAttempts: 1 });
    const at = new Date('2025-05-06T07:08:09.000Z');

    // Act
    const attributes = toMessageAttributes(
      envelope,
      { reason: 'backend answered 422', attempts: 5, lastStatus: 422 },
      at,
    );

    // Assess
    expect(attributes[ATTR.DEAD_LETTER_REASON]).toEqual({
      DataType: 'String',
      StringValue: 'backend answered 422',
    });
    expect(attributes[ATTR.LAST_STATUS]).toEqual({ DataType: 'Number', StringValue: '422' });
    // The dead letter's attempts replace the prior ones, so a redrive continues the count.
    expect(attributes[ATTR.ATTEMPTS]).toEqual({ DataType: 'Number', StringValue: '5' });
    expect(deadLetterInfoFrom(attributes)).toEqual({
      reason: 'backend answered 422',
      attempts: 5,
      lastStatus: 422,
      deadLetteredAt: '2025-05-06T07:08:09.000Z',
    });
    expect(fromSdkAttributes(attributes, 'x', envelope.body, 'r').priorAttempts).toBe(5);
  });

  it('leaves out the last status when the backend never answered', () => {
    // Act
    const attributes = toMessageAttributes(anEnvelope(), { reason: 'no answer: timeout', attempts: 4 });

    // Assess
    expect(attributes).not.toHaveProperty(ATTR.LAST_STATUS);
    expect(deadLetterInfoFrom(attributes).lastStatus).toBeUndefined();
    expect(deadLetterInfoFrom(attributes).reason).toBe('no answer: timeout');
  });

  it('truncates a long reason to 512 characters and replaces an empty one', () => {
    // Act
    const long = toMessageAttributes(anEnvelope(), { reason: 'x'.repeat(2_000), attempts: 1 });
    const empty = toMessageAttributes(anEnvelope(), { reason: '', attempts: 1 });

    // Assess
    expect(long[ATTR.DEAD_LETTER_REASON]?.StringValue).toBe('x'.repeat(512));
    expect(empty[ATTR.DEAD_LETTER_REASON]?.StringValue).toBe('unknown');
  });

  it('stamps the dead-letter time with now when none is given', () => {
    // Prepare
    const before = Date.now();

    // Act
    const attributes = toMessageAttributes(anEnvelope(), { reason: 'r', attempts: 1 });

    // Assess
    const stamped = Date.parse(attributes[ATTR.DEAD_LETTERED_AT]?.StringValue ?? '');
    expect(stamped).toBeGreaterThanOrEqual(before);
    expect(stamped).toBeLessThanOrEqual(Date.now());
  });

  it('reads nothing from a message that was not dead-lettered', () => {
    // Act
    const info = deadLetterInfoFrom(toMessageAttributes(anEnvelope({ priorAttempts: 2 })));
    const none = deadLetterInfoFrom(undefined);

    // Assess
    expect(info).toEqual({
      reason: undefined,
      attempts: 2,
      lastStatus: undefined,
      deadLetteredAt: undefined,
    });
    expect(none).toEqual({
      reason: undefined,
      attempts: undefined,
      lastStatus: undefined,
      deadLetteredAt: undefined,
    });
  });
});
