import type { Logger } from '@aws-lambda-powertools/logger';
import {
  DeleteMessageBatchCommand,
  type Message,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import { type ArchiveSource, toArchivedMessage } from '../../shared/archived-message.js';
import { copyEntry } from '../../shared/aws/dead-letter-redrive.js';
import type { QueueAge } from '../../shared/aws/queue-age.js';
import type { S3ArchiveStore } from '../../shared/aws/s3-archive-store.js';
import { SQS_BATCH_LIMIT } from '../../shared/aws/sqs-batch-sender.js';
import { releaseMessages } from '../../shared/aws/sqs-message-queue.js';
import { ATTR } from '../../shared/envelope.js';
import { describeError } from '../../shared/errors.js';

/** One queue the archiver watches. */
export interface ArchiveTarget {
  readonly route: string;
  readonly source: ArchiveSource;
  readonly queueUrl: string;
  /** Archive messages at least this old (seconds): the queue's retention minus the margin. */
  readonly archiveAfterSeconds: number;
  /**
   * Walk the queue once its oldest message is this old as {@link ArchiverDeps.oldestAge} reports it
   * (seconds). @default archiveAfterSeconds. Less on a standard DLQ, whose reported age counts from
   * a dead letter's move while its retention counts from its first arrival (operations.ts,
   * deadLetterThresholds).
   */
  readonly walkAfterSeconds?: number;
}

export interface ArchiverDeps {
  readonly sqs: SQSClient;
  readonly archive: Pick<S3ArchiveStore, 'put'>;
  /**
   * Age of a queue's oldest message (CloudWatch on AWS): the archiver walks a queue only when it is
   * old enough. Without it (an emulator has no CloudWatch) every run walks every queue.
   */
  readonly oldestAge?: QueueAge;
  readonly logger: Logger;
  readonly now?: () => number;
}

/** What one run did on one queue. */
export interface ArchiveQueueReport {
  readonly route: string;
  readonly source: ArchiveSource;
  /** Messages put in the archive and then deleted from the queue. */
  readonly archived: number;
  /** Messages looked at and not old enough: put back (see {@link archiveExpiring}). */
  readonly kept: number;
  /** The oldest message's age in seconds when the run looked, if known. */
  readonly oldestAgeSeconds?: number;
  readonly error?: string;
}

/**
 * How long a walked message stays hidden. A walk ends within {@link MAX_WALK_MS}, so the messages it
 * keeps are still hidden (their receipt handles valid) when they are put back at its end.
 */
const WALK_VISIBILITY_SECONDS = 300;
const MAX_WALK_MS = 240_000;

/**
 * Moves messages nearing their queue's retention to the archive, before SQS deletes them unseen:
 * for each queue whose oldest message is at least `archiveAfterSeconds` old, receive its messages
 * (hidden while the walk goes on), put each old one in the archive and only then delete it from the
 * queue. A crash between the put and the delete leaves the message in both places; redriven twice,
 * it is still delivered once (the forwarder's idempotency is keyed on the message id).
 *
 * Age counts from the message's arrival on the queue: SentTimestamp (which a dead letter SQS moved
 * out of a standard queue keeps, as its retention does), or the `queued-at` attribute of a copy this
 * archiver re-sent. Younger messages are put back. On a DLQ they are made visible
 * again at the end (a receive count means nothing there). On a delivery queue the walk's receive
 * would count towards maxReceiveCount, which on a paused route would walk messages into the DLQ
 * without a single delivery attempt: so they are re-sent as they were (id and every attribute;
 * `queue-attempts` the delivery attempts made on this queue, so their attempt budget goes on;
 * `queued-at` set) and the received copy deleted.
 */
export async function archiveExpiring(
  deps: ArchiverDeps,
  targets: readonly ArchiveTarget[],
  deadline: number,
): Promise<ArchiveQueueReport[]> {
  const reports: ArchiveQueueReport[] = [];
  for (const target of targets) {
    const base = { route: target.route, source: target.source };
    try {
      const oldest = deps.oldestAge ? await deps.oldestAge(target.queueUrl) : undefined;
      const age = oldest === undefined ? {} : { oldestAgeSeconds: oldest };
      const walkAfter = target.walkAfterSeconds ?? target.archiveAfterSeconds;
      if (deps.oldestAge && (oldest === undefined || oldest < walkAfter)) {
        reports.push({ ...base, archived: 0, kept: 0, ...age });
        continue;
      }
      reports.push({ ...base, ...(await walkQueue(deps, target, deadline)), ...age });
    } catch (error) {
      deps.logger.error('archive run failed', { ...base, error: describeError(error) });
      reports.push({ ...base, archived: 0, kept: 0, error: describeError(error) });
    }
  }
  return reports;
}

async function walkQueue(
  deps: ArchiverDeps,
  target: ArchiveTarget,
  deadline: number,
): Promise<{ archived: number; kept: number }> {
  const now = deps.now ?? Date.now;
  const end = Math.min(deadline, now() + MAX_WALK_MS);
  const young: Message[] = [];
  const seen = new Set<string>();
  let archived = 0;
  try {
    while (now() < end) {
      const output = await deps.sqs.send(
        new ReceiveMessageCommand({
          QueueUrl: target.queueUrl,
          MaxNumberOfMessages: SQS_BATCH_LIMIT,
          VisibilityTimeout: WALK_VISIBILITY_SECONDS,
          WaitTimeSeconds: 1,
          MessageAttributeNames: ['All'],
          MessageSystemAttributeNames: ['All'],
        }),
      );
      const page = (output.Messages ?? []).filter((message) => !seen.has(message.MessageId ?? ''));
      if (page.length === 0) break;
      const old: Message[] = [];
      for (const message of page) {
        seen.add(message.MessageId ?? '');
        (ageSeconds(message, now()) >= target.archiveAfterSeconds ? old : young).push(message);
      }
      archived += await archiveAndDelete(deps, target, old, new Date(now()));
    }
  } finally {
    // Put back only at the end: a copy re-sent during the walk would be received again by it.
    const toRelease =
      target.source === 'delivery-queue' ? await requeueAll(deps.sqs, target.queueUrl, young) : young;
    await releaseMessages(deps.sqs, target.queueUrl, toRelease);
  }
  return { archived, kept: young.length };
}

/** {@link requeue} in batches; returns the messages that could not be re-sent (to be released). */
async function requeueAll(sqs: SQSClient, queueUrl: string, messages: readonly Message[]) {
  const unsent: Message[] = [];
  for (let start = 0; start < messages.length; start += SQS_BATCH_LIMIT) {
    await requeue(sqs, queueUrl, messages.slice(start, start + SQS_BATCH_LIMIT), unsent);
  }
  return unsent;
}

/** When the message arrived on its queue: `queued-at` if an earlier walk re-sent it, else SentTimestamp. */
function queuedAtMs(message: Message): number {
  const kept = Date.parse(message.MessageAttributes?.[ATTR.QUEUED_AT]?.StringValue ?? '');
  return Number.isFinite(kept) ? kept : Number(message.Attributes?.SentTimestamp);
}

/** Seconds the message has been on its queue; unknown counts as old (archive rather than lose it). */
function ageSeconds(message: Message, now: number): number {
  const since = queuedAtMs(message);
  return Number.isFinite(since) ? (now - since) / 1000 : Number.POSITIVE_INFINITY;
}

/** Puts each message in the archive, then deletes those stored from the queue; returns how many. */
async function archiveAndDelete(
  deps: ArchiverDeps,
  target: ArchiveTarget,
  messages: readonly Message[],
  archivedAt: Date,
): Promise<number> {
  const stored: Message[] = [];
  for (const message of messages) {
    const record = toArchivedMessage(message, target.route, target.source, archivedAt);
    try {
      await deps.archive.put(record);
      stored.push(message);
      deps.logger.warn('archived before retention', {
        messageId: record.id,
        route: record.route,
        source: record.source,
        attempts: record.attempts,
        sentAt: record.sentAt,
      });
    } catch (error) {
      // Left hidden; it comes back after the walk's visibility timeout, for the next run.
      deps.logger.error('could not archive; left on the queue', {
        messageId: record.id,
        route: record.route,
        error: describeError(error),
      });
    }
  }
  await deleteReceived(deps.sqs, target.queueUrl, stored);
  return stored.length;
}

async function deleteReceived(sqs: SQSClient, queueUrl: string, messages: readonly Message[]) {
  if (messages.length === 0) return;
  await sqs.send(
    new DeleteMessageBatchCommand({
      QueueUrl: queueUrl,
      Entries: messages.map((message, index) => ({
        Id: String(index),
        ReceiptHandle: message.ReceiptHandle ?? '',
      })),
    }),
  );
}

/**
 * Re-sends delivery-queue messages as they were, with `queue-attempts` raised by the delivery
 * attempts this copy had (its receives before the walk's own), then deletes the received copies. Those the
 * send did not confirm go to `unsent`, to be released.
 */
async function requeue(
  sqs: SQSClient,
  queueUrl: string,
  messages: readonly Message[],
  unsent: Message[],
): Promise<void> {
  const entries = messages.map((message, index) => {
    const entry = { ...copyEntry(message), Id: String(index) };
    const receives = Number(message.Attributes?.ApproximateReceiveCount ?? 1);
    const carried = Number(message.MessageAttributes?.[ATTR.QUEUE_ATTEMPTS]?.StringValue ?? 0) || 0;
    const attemptsHere = carried + Math.max(0, receives - 1);
    const queuedAt = queuedAtMs(message);
    return {
      ...entry,
      MessageAttributes: {
        ...entry.MessageAttributes,
        ...(attemptsHere > 0
          ? { [ATTR.QUEUE_ATTEMPTS]: { DataType: 'Number', StringValue: String(attemptsHere) } }
          : {}),
        ...(Number.isFinite(queuedAt)
          ? { [ATTR.QUEUED_AT]: { DataType: 'String', StringValue: new Date(queuedAt).toISOString() } }
          : {}),
      },
    };
  });
  let sent: Message[] = [];
  try {
    const output = await sqs.send(new SendMessageBatchCommand({ QueueUrl: queueUrl, Entries: entries }));
    sent = (output.Successful ?? []).flatMap((entry) => messages[Number(entry.Id)] ?? []);
  } catch {
    // Nothing re-sent: all of them are released, their receive counted once.
  }
  unsent.push(...messages.filter((message) => !sent.includes(message)));
  await deleteReceived(sqs, queueUrl, sent);
}
