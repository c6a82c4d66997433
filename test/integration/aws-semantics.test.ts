import { setTimeout as sleep } from 'node:timers/promises';
import {
  ChangeMessageVisibilityBatchCommand,
  ChangeMessageVisibilityCommand,
  CreateQueueCommand,
  DeleteMessageCommand,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  SendMessageCommand,
} from '@aws-sdk/client-sqs';
import { describe, expect, inject, it } from 'vitest';
import { createSqsClient } from '../../shared/aws/clients.js';
import { HIGH_THROUGHPUT_FIFO } from '../../shared/queues.js';

/**
 * AWS's SQS semantics the code depends on, as the tests' endpoint answers them (the strict layer in
 * front of moto, local/strict-aws.ts; moto alone answers otherwise).
 */

const sqs = createSqsClient({ endpoint: inject('awsEndpoint') });
let queues = 0;

async function queue(fifo: boolean): Promise<string> {
  const name = `sem-${Date.now().toString(36)}-${queues++}${fifo ? '.fifo' : ''}`;
  const output = await sqs.send(
    new CreateQueueCommand({ QueueName: name, Attributes: fifo ? { ...HIGH_THROUGHPUT_FIFO } : {} }),
  );
  return output.QueueUrl ?? '';
}

async function receiveOne(queueUrl: string) {
  const output = await sqs.send(new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10 }));
  return output.Messages ?? [];
}

describe('SQS as AWS answers it', () => {
  it('drops a FIFO send whose deduplication id it accepted within five minutes, also after the first was deleted', async () => {
    // Prepare: a message sent, received and deleted
    const queueUrl = await queue(true);
    const send = (body: string) =>
      sqs.send(
        new SendMessageCommand({
          QueueUrl: queueUrl,
          MessageBody: body,
          MessageGroupId: 'k',
          MessageDeduplicationId: 'id-1',
        }),
      );
    const first = await send('first');
    const [received] = await receiveOne(queueUrl);
    await sqs.send(new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: received?.ReceiptHandle }));

    // Act: the same deduplication id again, alone and in a batch
    const again = await send('again');
    const batch = await sqs.send(
      new SendMessageBatchCommand({
        QueueUrl: queueUrl,
        Entries: [
          { Id: 'a', MessageBody: 'batch', MessageGroupId: 'k', MessageDeduplicationId: 'id-1' },
          { Id: 'b', MessageBody: 'fresh', MessageGroupId: 'k', MessageDeduplicationId: 'id-2' },
        ],
      }),
    );

    // Assess: accepted (the original's id) and never delivered; the fresh one delivered
    expect(again.MessageId).toBe(first.MessageId);
    expect(batch.Successful?.map((entry) => entry.Id).sort()).toEqual(['a', 'b']);
    expect((await receiveOne(queueUrl)).map((message) => message.Body)).toEqual(['fresh']);
  });

  it('counts 12 hours of visibility from the receive: a change past them is refused, alone or in a batch', async () => {
    // Prepare: a message received a moment ago
    const queueUrl = await queue(false);
    await sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: 'm' }));
    const [received] = await receiveOne(queueUrl);
    const handle = received?.ReceiptHandle ?? '';
    await sleep(1_100);

    // Act
    const alone = await sqs
      .send(
        new ChangeMessageVisibilityCommand({
          QueueUrl: queueUrl,
          ReceiptHandle: handle,
          VisibilityTimeout: 43_200,
        }),
      )
      .then(
        () => 'accepted',
        (error: Error) => `${error.name}: ${error.message}`,
      );
    const batch = await sqs.send(
      new ChangeMessageVisibilityBatchCommand({
        QueueUrl: queueUrl,
        Entries: [
          { Id: 'too-long', ReceiptHandle: handle, VisibilityTimeout: 43_200 },
          { Id: 'fits', ReceiptHandle: handle, VisibilityTimeout: 43_000 },
        ],
      }),
    );

    // Assess
    expect(alone).toMatch(
      /^InvalidParameterValue: .*Total VisibilityTimeout for the message is beyond the limit/,
    );
    expect(batch.Failed?.map((entry) => [entry.Id, entry.Code])).toEqual([
      ['too-long', 'InvalidParameterValue'],
    ]);
    expect(batch.Successful?.map((entry) => entry.Id)).toEqual(['fits']);
  });
});
