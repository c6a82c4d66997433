import { Logger } from '@aws-lambda-powertools/logger';
import { ReceiveMessageCommand, SendMessageCommand } from '@aws-sdk/client-sqs';
import { beforeEach, describe, expect, inject, it } from 'vitest';
import { archiveExpiring } from '../../functions/archiver/archive-expiring.js';
import { archiveTargets } from '../../functions/archiver/archiver-config.js';
import { provisionArchiveBucket, provisionRouteQueues } from '../../local/provision.js';
import type { ArchivedMessage } from '../../shared/archived-message.js';
import { createS3Client } from '../../shared/aws/clients.js';
import { S3ArchiveStore } from '../../shared/aws/s3-archive-store.js';
import { queueCounts, SqsMessageQueue } from '../../shared/aws/sqs-message-queue.js';
import { DEFAULT_OPERATIONS_CONFIG } from '../../shared/config/operations.js';
import { DEFAULT_ROUTE } from '../../shared/config/routes.js';
import { ATTR, type MessageEnvelope, toMessageAttributes } from '../../shared/envelope.js';
import { DLQ_RETENTION_SECONDS } from '../../shared/queues.js';
import { queueUrlBase } from '../../shared/resource-names.js';
import { type CliFixture, createCliFixture } from './cli-fixture.js';

const HOUR_MS = 3_600_000;
const DAY_SECONDS = 86_400;
const silent = new Logger({ logLevel: 'SILENT' });

describe('archive: nothing expires silently', () => {
  let fixture: CliFixture;
  let archive: S3ArchiveStore;

  const envelope = (id: string, acceptedMsAgo: number, priorAttempts = 0): MessageEnvelope => ({
    id,
    route: 'catering',
    body: JSON.stringify({ passengerId: id }),
    contentType: 'application/json',
    receivedAt: new Date(Date.now() - acceptedMsAgo).toISOString(),
    priorAttempts,
  });

  beforeEach(async () => {
    // Prepare: the route's queues and the archive bucket, as npm start provisions them
    fixture = await createCliFixture();
    const s3 = createS3Client({ endpoint: inject('awsEndpoint') });
    archive = new S3ArchiveStore(s3, await provisionArchiveBucket(s3, fixture.prefix));
  });

  /** A queued message that has been on the queue an hour (re-sent by an earlier walk, so `queued-at` says so). */
  const sendHourOld = (id: string, priorAttempts: number) =>
    fixture.sqs.send(
      new SendMessageCommand({
        QueueUrl: fixture.queues.queueUrl,
        MessageBody: JSON.stringify({ passengerId: id }),
        MessageAttributes: {
          ...toMessageAttributes(envelope(id, HOUR_MS, priorAttempts)),
          [ATTR.QUEUED_AT]: { DataType: 'String', StringValue: new Date(Date.now() - HOUR_MS).toISOString() },
        },
      }),
    );

  /** One archiver run; `laterMs` runs it as if that much later (SentTimestamps cannot be backdated). */
  const run = (laterMs = 0) =>
    archiveExpiring(
      { sqs: fixture.sqs, archive, logger: silent, now: () => Date.now() + laterMs },
      [
        {
          route: 'catering',
          source: 'delivery-queue',
          queueUrl: fixture.queues.queueUrl,
          archiveAfterSeconds: 1800,
        },
        {
          route: 'catering',
          source: 'dead-letter-queue',
          queueUrl: fixture.queues.dlqUrl,
          archiveAfterSeconds: 1800,
        },
      ],
      Date.now() + laterMs + 20_000,
    );

  it('archives old queued messages and dead letters with their attempts and reason, and keeps the young ones', async () => {
    // Prepare: an hour-old queued message tried twice before a redrive and once since, a fresh one
    // tried once, an hour-old dead letter
    await sendHourOld('old-queued', 2);
    await new SqsMessageQueue(fixture.sqs, fixture.queues.queueUrl).send(envelope('young-queued', 0));
    await fixture.sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: fixture.queues.queueUrl,
        MaxNumberOfMessages: 10,
        VisibilityTimeout: 0,
      }),
    );
    await new SqsMessageQueue(fixture.sqs, fixture.queues.dlqUrl).send(envelope('old-dead', HOUR_MS), {
      reason: 'backend answered 503',
      attempts: 4,
      lastStatus: 503,
    });

    // Act: a run now (the dead letter is young)
    const reports = await run();

    // Assess
    expect(reports).toEqual([
      { route: 'catering', source: 'delivery-queue', archived: 1, kept: 1 },
      { route: 'catering', source: 'dead-letter-queue', archived: 0, kept: 1 },
    ]);
    const queued: ArchivedMessage = await archive.get('catering', 'old-queued');
    expect(queued).toMatchObject({
      id: 'old-queued',
      source: 'delivery-queue',
      body: JSON.stringify({ passengerId: 'old-queued' }),
      attempts: 3,
    });
    expect(queued.attributes[ATTR.MESSAGE_ID]?.StringValue).toBe('old-queued');
    // The young message is back, visible, not a receive closer to maxReceiveCount, its one attempt kept.
    expect(await queueCounts(fixture.sqs, fixture.queues.queueUrl)).toEqual({
      visible: 1,
      inFlight: 0,
      delayed: 0,
    });
    const [young] =
      (
        await fixture.sqs.send(
          new ReceiveMessageCommand({
            QueueUrl: fixture.queues.queueUrl,
            VisibilityTimeout: 0,
            MessageAttributeNames: ['All'],
            MessageSystemAttributeNames: ['All'],
          }),
        )
      ).Messages ?? [];
    expect(young?.MessageAttributes?.[ATTR.MESSAGE_ID]?.StringValue).toBe('young-queued');
    expect(young?.MessageAttributes?.[ATTR.ATTEMPTS]?.StringValue).toBe('0');
    expect(young?.MessageAttributes?.[ATTR.QUEUE_ATTEMPTS]?.StringValue).toBe('1');
    expect(young?.MessageAttributes?.[ATTR.QUEUED_AT]?.StringValue).toBeDefined();
    expect(young?.Attributes?.ApproximateReceiveCount).toBe('1');
    expect((await queueCounts(fixture.sqs, fixture.queues.dlqUrl)).visible).toBe(1);

    // Act: a run as if an hour later: what was kept is old now
    const later = await run(HOUR_MS);

    // Assess
    expect(later).toEqual([
      { route: 'catering', source: 'delivery-queue', archived: 1, kept: 0 },
      { route: 'catering', source: 'dead-letter-queue', archived: 1, kept: 0 },
    ]);
    expect((await archive.list('catering')).map((entry) => entry.id).sort()).toEqual([
      'old-dead',
      'old-queued',
      'young-queued',
    ]);
    expect(await archive.get('catering', 'old-dead')).toMatchObject({
      source: 'dead-letter-queue',
      attempts: 4,
      reason: 'backend answered 503',
      lastStatus: 503,
    });
  });

  it("puts a young ordered message back under a deduplication id of its own, so SQS FIFO's five-minute window does not drop it", async () => {
    // Prepare: an ordered route's FIFO queue holding a message just sent (its deduplication id is its id)
    const ordered = await provisionRouteQueues(fixture.sqs, `${fixture.prefix}-o`, {
      ...DEFAULT_ROUTE,
      name: 'ordered',
      ordering: { keyHeader: 'Ordering-Key' },
    });
    await new SqsMessageQueue(fixture.sqs, ordered.queueUrl).send({
      ...envelope('young-ordered', 0),
      orderingKey: 'k-1',
    });
    const target = {
      route: 'ordered',
      source: 'delivery-queue' as const,
      queueUrl: ordered.queueUrl,
      archiveAfterSeconds: 1800,
    };

    // Act: a run that finds it young and puts it back
    const [report] = await archiveExpiring(
      { sqs: fixture.sqs, archive, logger: silent },
      [target],
      Date.now() + 20_000,
    );

    // Assess: it is on the queue, once, with its id and key, under a new deduplication id
    expect(report).toEqual({ route: 'ordered', source: 'delivery-queue', archived: 0, kept: 1 });
    const output = await fixture.sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: ordered.queueUrl,
        MaxNumberOfMessages: 10,
        MessageAttributeNames: ['All'],
        MessageSystemAttributeNames: ['All'],
      }),
    );
    const [back, ...others] = output.Messages ?? [];
    expect(others).toEqual([]);
    expect(back?.MessageAttributes?.[ATTR.MESSAGE_ID]?.StringValue).toBe('young-ordered');
    expect(back?.Attributes?.MessageGroupId).toBe('k-1');
    expect(back?.Attributes?.MessageDeduplicationId).not.toBe('young-ordered');
  });

  it('archives a dead letter SQS moved out of a standard queue by its first arrival, though CloudWatch counts its age from the move', async () => {
    // Prepare: a message received until SQS's redrive policy moves it to the DLQ, which keeps its
    // original enqueue time (SentTimestamp)
    await fixture.enqueue('moved-by-sqs');
    const dlqMessages = async () =>
      (
        await fixture.sqs.send(
          new ReceiveMessageCommand({
            QueueUrl: fixture.queues.dlqUrl,
            VisibilityTimeout: 0,
            MessageSystemAttributeNames: ['All'],
          }),
        )
      ).Messages ?? [];
    let sentAt: string | undefined;
    for (let receive = 0; receive <= fixture.route.maxAttempts; receive++) {
      const output = await fixture.sqs.send(
        new ReceiveMessageCommand({
          QueueUrl: fixture.queues.queueUrl,
          VisibilityTimeout: 0,
          MessageSystemAttributeNames: ['All'],
        }),
      );
      sentAt ??= output.Messages?.[0]?.Attributes?.SentTimestamp;
    }
    const [moved] = await dlqMessages();
    expect(moved?.Attributes?.SentTimestamp).toBe(sentAt);
    // The archiver's targets as the stack configures them; a run twelve and a half days after the
    // message arrived, when CloudWatch says the DLQ's oldest message moved five and a half days ago
    // (it spent seven days, the delivery queue's retention, on the delivery queue first)
    const { retention } = DEFAULT_OPERATIONS_CONFIG;
    const targets = archiveTargets(
      { namePrefix: fixture.prefix, urlBase: queueUrlBase(fixture.queues.queueUrl) },
      [fixture.route],
      retention,
    );
    const later = 12.5 * DAY_SECONDS * 1000;
    const oldestAge = async (queueUrl: string) =>
      queueUrl === fixture.queues.dlqUrl ? 5.5 * DAY_SECONDS : 0;

    // Act
    const reports = await archiveExpiring(
      { sqs: fixture.sqs, archive, logger: silent, oldestAge, now: () => Date.now() + later },
      targets,
      Date.now() + later + 20_000,
    );

    // Assess: archived two days before SQS would delete it (fourteen days after it first arrived)
    expect(reports).toContainEqual(
      expect.objectContaining({ source: 'dead-letter-queue', archived: 1, kept: 0 }),
    );
    expect(await archive.get('catering', 'moved-by-sqs')).toMatchObject({ source: 'dead-letter-queue' });
    expect(await dlqMessages()).toEqual([]);
    // AWS's advice: a DLQ keeps messages longer than its source queue
    expect(retention.queueRetentionSeconds).toBeLessThan(DLQ_RETENTION_SECONDS);
  });

  it('lists the archive and redrives from it with the same ids, emptying it', async () => {
    // Prepare
    await sendHourOld('old-1', 1);
    await new SqsMessageQueue(fixture.sqs, fixture.queues.dlqUrl).send(envelope('old/2', HOUR_MS), {
      reason: 'gave up after 4 attempts',
      attempts: 4,
    });
    await run(HOUR_MS);

    // Act
    const listed = await fixture.run(['archive', 'list', '--json']);
    const one = await fixture.run(['redrive', '--from-archive', '--id', 'old/2,missing', '--json']);
    const rest = await fixture.run(['redrive', '--from-archive', '--route', 'catering']);
    const after = await fixture.run(['archive', 'list']);

    // Assess
    expect(listed.code).toBe(0);
    expect(
      listed
        .json<{ id: string }[]>()
        .map((entry) => entry.id)
        .sort(),
    ).toEqual(['old-1', 'old/2']);
    expect(one.json()).toEqual({
      routes: [{ route: 'catering', moved: 1, failed: 0, notFound: ['missing'], errors: [] }],
    });
    expect(rest.code).toBe(0);
    expect(rest.out).toBe('catering: moved 1 archived message(s) back to the delivery queue');
    expect(after.out).toBe('No archived messages.');
    const output = await fixture.sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: fixture.queues.queueUrl,
        MaxNumberOfMessages: 10,
        MessageAttributeNames: ['All'],
      }),
    );
    const byId = new Map(
      (output.Messages ?? []).map((m) => [m.MessageAttributes?.[ATTR.MESSAGE_ID]?.StringValue, m]),
    );
    expect([...byId.keys()].sort()).toEqual(['old-1', 'old/2']);
    expect(byId.get('old/2')?.MessageAttributes?.[ATTR.ATTEMPTS]?.StringValue).toBe('4');
    expect(byId.get('old-1')?.Body).toBe(JSON.stringify({ passengerId: 'old-1' }));
    // Back on the queue for a new stay: its age towards retention counts afresh.
    expect(byId.get('old-1')?.MessageAttributes?.[ATTR.QUEUED_AT]).toBeUndefined();
  });

  it('rejects DLQ filters with --from-archive', async () => {
    // Act
    const result = await fixture.run(['redrive', '--from-archive', '--reason', 'x']);

    // Assess
    expect(result.code).toBe(2);
    expect(result.err).toContain('--from-archive takes --id and --rate, not --reason');
  });
});
