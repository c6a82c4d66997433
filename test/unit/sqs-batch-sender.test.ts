import {
  SendMessageBatchCommand,
  type SendMessageBatchRequestEntry,
  SQSClient,
  SQSServiceException,
} from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { SQS_BATCH_MAX_BYTES, sendEntries, splitIntoBatches } from '../../shared/aws/sqs-batch-sender.js';

const QUEUE_URL = 'https://sqs.us-east-1.amazonaws.com/123456789012/delivery';

/** An entry whose body is `bytes` long. */
const entry = (bytes: number, body = 'x'): SendMessageBatchRequestEntry => ({
  Id: '0',
  MessageBody: body.repeat(bytes),
});

describe('splitIntoBatches', () => {
  it('cuts before the entry that would take a batch over 1 MiB, keeping the order', () => {
    // Prepare: six 240,000-byte entries and twelve small ones, as a failover table holds them.
    const sizes = [...Array.from({ length: 6 }, () => 240_000), ...Array.from({ length: 12 }, () => 300)];

    // Act
    const batches = splitIntoBatches(sizes, (n) => n);

    // Assess
    expect(batches.flat()).toEqual(sizes);
    expect(batches.every((batch) => batch.reduce((a, b) => a + b, 0) <= SQS_BATCH_MAX_BYTES)).toBe(true);
    expect(batches.every((batch) => batch.length <= 10)).toBe(true);
    expect(batches.map((batch) => batch.length)).toEqual([4, 10, 4]);
  });
});

// Faults no emulator produces: AWS's per-entry SenderFault answers and a dead endpoint mid-way.
describe('sendEntries', () => {
  const sqsMock = mockClient(SQSClient);
  const sqs = new SQSClient({ region: 'us-east-1' });

  beforeEach(() => {
    sqsMock.reset();
  });

  it('marks a SenderFault entry refused and sends the others of its batch', async () => {
    // Prepare
    sqsMock.on(SendMessageBatchCommand).resolves({
      Successful: [
        { Id: '0', MessageId: 'm0', MD5OfMessageBody: '' },
        { Id: '2', MessageId: 'm2', MD5OfMessageBody: '' },
      ],
      Failed: [{ Id: '1', SenderFault: true, Code: 'InvalidMessageContents', Message: 'bad character' }],
    });

    // Act
    const result = await sendEntries(sqs, QUEUE_URL, [entry(3), entry(3), entry(3)]);

    // Assess
    expect(result.sent).toEqual([0, 2]);
    expect(result.failed).toEqual([
      { index: 1, reason: 'InvalidMessageContents: bad character', fault: 'refused' },
    ]);
  });

  it('marks an entry SQS failed on its side unavailable', async () => {
    // Prepare
    sqsMock.on(SendMessageBatchCommand).resolves({
      Successful: [],
      Failed: [{ Id: '0', SenderFault: false, Code: 'InternalError', Message: 'try again' }],
    });

    // Act
    const result = await sendEntries(sqs, QUEUE_URL, [entry(3)]);

    // Assess
    expect(result.failed).toEqual([{ index: 0, reason: 'InternalError: try again', fault: 'unavailable' }]);
  });

  it('splits a batch SQS rejected for one entry until only that entry is refused', async () => {
    // Prepare: the whole call fails while the entry with body 'bad' is in it (moto's behaviour).
    sqsMock.on(SendMessageBatchCommand).callsFake((input: { Entries: SendMessageBatchRequestEntry[] }) => {
      if (input.Entries.some((e) => e.MessageBody === 'bad')) {
        throw new SQSServiceException({
          name: 'InvalidParameterValue',
          $fault: 'client',
          $metadata: { httpStatusCode: 400 },
          message: 'Message must be shorter than 1024 bytes.',
        });
      }
      return { Successful: input.Entries.map((e) => ({ Id: e.Id, MessageId: 'm', MD5OfMessageBody: '' })) };
    });
    const entries = [entry(1, 'a'), entry(1, 'b'), entry(1, 'bad'), entry(1, 'c'), entry(1, 'd')];

    // Act
    const result = await sendEntries(sqs, QUEUE_URL, entries);

    // Assess
    expect([...result.sent].sort()).toEqual([0, 1, 3, 4]);
    expect(result.failed).toEqual([
      { index: 2, reason: expect.stringContaining('InvalidParameterValue'), fault: 'refused' },
    ]);
  });

  it('reports an entry missing from both lists of the answer as not sent', async () => {
    // Prepare
    sqsMock.on(SendMessageBatchCommand).resolves({
      Successful: [{ Id: '0', MessageId: 'm0', MD5OfMessageBody: '' }],
      Failed: [],
    });

    // Act
    const result = await sendEntries(sqs, QUEUE_URL, [entry(3), entry(3)]);

    // Assess
    expect(result.sent).toEqual([0]);
    expect(result.failed).toEqual([{ index: 1, reason: 'not in the SQS response', fault: 'unavailable' }]);
  });

  it('marks everything unavailable after a failed call, without calling SQS again', async () => {
    // Prepare: 25 entries (three batches); the endpoint is gone.
    sqsMock
      .on(SendMessageBatchCommand)
      .rejects(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }));

    // Act
    const result = await sendEntries(
      sqs,
      QUEUE_URL,
      Array.from({ length: 25 }, () => entry(3)),
    );

    // Assess
    expect(sqsMock.commandCalls(SendMessageBatchCommand)).toHaveLength(1);
    expect(result.sent).toEqual([]);
    expect(result.failed).toHaveLength(25);
    expect(result.failed.every((failure) => failure.fault === 'unavailable')).toBe(true);
  });
});
