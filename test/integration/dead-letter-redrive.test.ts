import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  CreateQueueCommand,
  DeleteQueueCommand,
  ReceiveMessageCommand,
  SendMessageCommand,
  SetQueueAttributesCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import { afterEach, beforeEach, describe, expect, inject, it } from 'vitest';
import { createSqsClient } from '../../shared/aws/clients.js';
import { redriveDeadLetters } from '../../shared/aws/dead-letter-redrive.js';
import { queueCounts } from '../../shared/aws/sqs-message-queue.js';
import { ATTR, toMessageAttributes } from '../../shared/envelope.js';
import { anEnvelope } from '../support/factories.js';

/** The local `gd redrive` fallback (receive / send / delete) on the emulator's SQS. */
describe('redriveDeadLetters', () => {
  let sqs: SQSClient;
  let dlqUrl: string;
  let queueUrl: string;

  /** Puts dead letters straight into the DLQ, as the forwarder leaves them. */
  const deadLetter = async (id: string, body: string) => {
    const envelope = anEnvelope({ id, body });
    await sqs.send(
      new SendMessageCommand({
        QueueUrl: dlqUrl,
        MessageBody: body,
        MessageAttributes: toMessageAttributes(envelope, {
          reason: 'HTTP 500',
          attempts: 3,
          lastStatus: 500,
        }),
      }),
    );
  };
  /** Ids of every message on a queue (each hidden for a minute once received). */
  const idsOn = async (url: string): Promise<string[]> => {
    const ids: string[] = [];
    for (;;) {
      const output = await sqs.send(
        new ReceiveMessageCommand({
          QueueUrl: url,
          MaxNumberOfMessages: 10,
          VisibilityTimeout: 60,
          MessageAttributeNames: ['All'],
        }),
      );
      if (!output.Messages?.length) return ids.sort();
      ids.push(...output.Messages.map((m) => m.MessageAttributes?.[ATTR.MESSAGE_ID]?.StringValue ?? '?'));
    }
  };

  beforeEach(async () => {
    // Prepare: a fresh queue pair per test
    sqs = createSqsClient({ endpoint: inject('awsEndpoint') });
    const prefix = `r-${randomUUID().slice(0, 8)}`;
    dlqUrl = (await sqs.send(new CreateQueueCommand({ QueueName: `${prefix}-dlq` }))).QueueUrl ?? '';
    queueUrl = (await sqs.send(new CreateQueueCommand({ QueueName: `${prefix}-queue` }))).QueueUrl ?? '';
  });

  afterEach(async () => {
    await sqs.send(new DeleteQueueCommand({ QueueUrl: dlqUrl }));
    await sqs.send(new DeleteQueueCommand({ QueueUrl: queueUrl }));
  });

  it('moves large dead letters with small ones, batches split by bytes', async () => {
    // Prepare: six 240,000-byte dead letters and twelve small ones
    const ids = Array.from({ length: 18 }, (_, n) => `dl-${String(n).padStart(2, '0')}`);
    for (const [n, id] of ids.entries()) await deadLetter(id, n < 6 ? 'x'.repeat(240_000) : '{"small":true}');

    // Act
    const result = await redriveDeadLetters(sqs, { dlqUrl, queueUrl });

    // Assess
    expect(result).toEqual({ received: 18, moved: 18, failed: 0, refused: 0, skipped: 0 });
    expect(await idsOn(queueUrl)).toEqual(ids);
    expect(await idsOn(dlqUrl)).toEqual([]);
  });

  it('moves the rest when SQS refuses one dead letter for itself, and leaves that one in the DLQ', async () => {
    // Prepare: the delivery queue takes at most 100,000 bytes a message; one dead letter is larger.
    await sqs.send(
      new SetQueueAttributesCommand({ QueueUrl: queueUrl, Attributes: { MaximumMessageSize: '100000' } }),
    );
    await deadLetter('too-large', 'x'.repeat(200_000));
    for (let n = 0; n < 5; n++) await deadLetter(`small-${n}`, '{}');

    // Act
    const result = await redriveDeadLetters(sqs, { dlqUrl, queueUrl, visibilityTimeoutSeconds: 1 });

    // Assess: not "SQS unavailable": SQS refused that one entry, the five others moved.
    expect(result).toMatchObject({ received: 6, moved: 5, failed: 0, refused: 1 });
    expect(result.stoppedEarly).toBeUndefined();
    expect(result.refusedReason).toContain('InvalidParameterValue');
    expect(await idsOn(queueUrl)).toEqual(['small-0', 'small-1', 'small-2', 'small-3', 'small-4']);
    await sleep(1_100);
    expect(await idsOn(dlqUrl)).toEqual(['too-large']);
  });

  it('moves each dead letter once when every copy fails again and comes straight back', async () => {
    // Prepare: the copies go to the DLQ itself, the quickest way back a failing backend can give.
    const ids = Array.from({ length: 7 }, (_, n) => `back-${n}`);
    for (const id of ids) await deadLetter(id, '{}');

    // Act: a redrive that tracked SQS MessageIds (new for every copy) never ended here.
    const result = await redriveDeadLetters(sqs, { dlqUrl, queueUrl: dlqUrl });

    // Assess: seven moves, one per message; each copy is in the DLQ once, for the next redrive.
    expect(result).toEqual({ received: 7, moved: 7, failed: 0, refused: 0, skipped: 0 });
    const counts = await queueCounts(sqs, dlqUrl);
    expect(counts.visible + counts.inFlight).toBe(7);
  }, 20_000);

  it('stops at what the DLQ held when it started', async () => {
    // Prepare: three dead letters now; more arrive while the redrive runs.
    for (const id of ['a', 'b', 'c']) await deadLetter(id, '{}');
    let arrivals = 0;

    // Act
    const result = await redriveDeadLetters(sqs, {
      dlqUrl,
      queueUrl,
      onProgress: () => {
        // A later dead letter of another message lands in the DLQ after each batch.
        arrivals++;
        void deadLetter(`later-${arrivals}`, '{}');
      },
    });

    // Assess
    expect(result.moved).toBe(3);
    expect(await idsOn(queueUrl)).toEqual(['a', 'b', 'c']);
  });

  it('says SQS is unavailable when the DLQ cannot be read', async () => {
    // Prepare: a client pointed at nothing
    const dead = createSqsClient({ endpoint: 'http://127.0.0.1:9' });

    // Act
    const result = await redriveDeadLetters(dead, { dlqUrl, queueUrl });

    // Assess
    expect(result.moved).toBe(0);
    expect(result.stoppedEarly).toMatch(/^SQS unavailable: /);
  });
});
