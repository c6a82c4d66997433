import { describe, expect, it } from 'vitest';
import { SQS_BATCH_LIMIT, SQS_BATCH_MAX_BYTES, splitIntoBatches } from '../../shared/aws/sqs-batch-sender.js';
import { sqsMessageBytes } from '../../shared/aws/sqs-message-queue.js';
import { type MessageEnvelope, toMessageAttributes } from '../../shared/envelope.js';
import { anEnvelope } from '../support/factories.js';

const sized = (id: string, bodyBytes: number) => anEnvelope({ id, body: 'x'.repeat(bodyBytes) });
const sqsBatches = (envelopes: readonly MessageEnvelope[]) => splitIntoBatches(envelopes, sqsMessageBytes);

describe('sqsBatches', () => {
  it('counts a message as SQS does: body plus attribute names, types and values', () => {
    // Prepare
    const envelope = sized('m-1', 1000);
    const attributes = Object.entries(toMessageAttributes(envelope));

    // Act
    const bytes = sqsMessageBytes(envelope);

    // Assess
    expect(attributes.length).toBeGreaterThan(0);
    const attributeBytes = attributes.reduce(
      (sum, [name, value]) =>
        sum + name.length + (value.DataType ?? '').length + (value.StringValue ?? '').length,
      0,
    );
    expect(bytes).toBe(1000 + attributeBytes);
  });

  it(`cuts at ${SQS_BATCH_LIMIT} entries, in order`, () => {
    // Act
    const batches = sqsBatches(Array.from({ length: 23 }, (_, n) => sized(`m-${n}`, 10)));

    // Assess
    expect(batches.map((batch) => batch.length)).toEqual([10, 10, 3]);
    expect(batches.flat().map((e) => e.id)).toEqual(Array.from({ length: 23 }, (_, n) => `m-${n}`));
  });

  it('cuts before a message that would take a request over 1 MiB', () => {
    // Prepare: 250,000-byte bodies: four fit in 1 MiB with their attributes, five do not
    const envelopes = Array.from({ length: 10 }, (_, n) => sized(`m-${n}`, 250_000));

    // Act
    const batches = sqsBatches(envelopes);

    // Assess
    expect(batches.map((batch) => batch.length)).toEqual([4, 4, 2]);
    for (const batch of batches) {
      expect(batch.reduce((sum, e) => sum + sqsMessageBytes(e), 0)).toBeLessThanOrEqual(SQS_BATCH_MAX_BYTES);
    }
  });

  it('gives a message over the limit on its own a request of its own, and nothing for no messages', () => {
    // Act
    const batches = sqsBatches([
      sized('small', 10),
      sized('huge', SQS_BATCH_MAX_BYTES + 1),
      sized('after', 10),
    ]);

    // Assess
    expect(batches.map((batch) => batch.map((e) => e.id))).toEqual([['small'], ['huge'], ['after']]);
    expect(sqsBatches([])).toEqual([]);
  });
});
