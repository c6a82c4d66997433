import { setTimeout as sleep } from 'node:timers/promises';
import {
  ListMessageMoveTasksCommand,
  type ListMessageMoveTasksResultEntry,
  type SQSClient,
  StartMessageMoveTaskCommand,
} from '@aws-sdk/client-sqs';
import { redriveDeadLetters } from '../../shared/aws/dead-letter-redrive.js';
import { isActiveMoveTask } from '../../shared/aws/message-move-tasks.js';
import { queueArn, queueCounts } from '../../shared/aws/sqs-message-queue.js';
import { type DeadLetterFilter, isNarrowing, matchesDeadLetter } from '../../shared/dead-letter-filter.js';
import { OperationFailedError } from '../errors.js';
import type { RedriveOptions, RedriveOutcome, RouteTarget } from './stack-target.js';

/** How often a running message move task is looked at. */
const DEFAULT_POLL_MS = 2_000;

/** Error names SQS (or an emulator) gives for an action it does not have. */
const UNSUPPORTED_NAMES = new Set([
  'UnsupportedOperation',
  'AWS.SimpleQueueService.UnsupportedOperation',
  'InvalidAction',
  'UnknownOperationException',
  'NotImplemented',
]);

/**
 * Whether StartMessageMoveTask is missing where we called it. moto 5.2.1 answers actions it does
 * not implement with an HTML 500 page, which the SDK reports as a deserialization SyntaxError.
 */
export function isMoveTaskUnsupported(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  if (UNSUPPORTED_NAMES.has(error.name)) return true;
  const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
  return error.name === 'SyntaxError' && (status === 500 || status === 501);
}

/**
 * Moves a route's dead letters back to its delivery queue with their body and attributes (so the
 * message id, and with it idempotency, is kept). SQS's own message move task where the API has it:
 * it runs server-side at the given rate and survives this process; the batched receive / send /
 * delete of shared/aws/dead-letter-redrive.ts where it does not (moto).
 */
export async function redriveRoute(
  sqs: SQSClient,
  route: RouteTarget,
  options: RedriveOptions & { pollIntervalMs?: number },
): Promise<RedriveOutcome> {
  const counts = await queueCounts(sqs, route.dlqUrl);
  const total = counts.visible + counts.inFlight;
  if (total === 0) return { method: 'message-move-task', moved: 0, failed: 0, refused: 0, skipped: 0 };
  // A move task moves a whole queue: choosing dead letters needs to look at each one here.
  if (isNarrowing(options.filter)) return receiveSendDelete(sqs, route, total, options, options.filter);
  const [sourceArn, destinationArn] = await Promise.all([
    queueArn(sqs, route.dlqUrl),
    queueArn(sqs, route.queueUrl),
  ]);
  try {
    await sqs.send(
      new StartMessageMoveTaskCommand({
        SourceArn: sourceArn,
        DestinationArn: destinationArn,
        ...(options.ratePerSecond === undefined
          ? {}
          : { MaxNumberOfMessagesPerSecond: options.ratePerSecond }),
      }),
    );
  } catch (error) {
    if (!isMoveTaskUnsupported(error)) throw error;
    return receiveSendDelete(sqs, route, total, options);
  }
  const task = await followMoveTask(sqs, sourceArn, total, options);
  return {
    method: 'message-move-task',
    moved: task.ApproximateNumberOfMessagesMoved ?? 0,
    failed: 0,
    refused: 0,
    skipped: 0,
  };
}

/**
 * The batched receive / send / delete, optionally of only the dead letters `filter` matches. With a
 * filter the bar counts dead letters looked at (moved or left), since how many match is not known
 * before the DLQ has been walked.
 */
async function receiveSendDelete(
  sqs: SQSClient,
  route: RouteTarget,
  total: number,
  options: RedriveOptions,
  filter?: DeadLetterFilter,
): Promise<RedriveOutcome> {
  const result = await redriveDeadLetters(sqs, {
    dlqUrl: route.dlqUrl,
    queueUrl: route.queueUrl,
    // What the DLQ held when this redrive started, counted once more here.
    maxMessages: total,
    ...(options.ratePerSecond === undefined ? {} : { ratePerSecond: options.ratePerSecond }),
    ...(filter === undefined ? {} : { select: (message) => matchesDeadLetter(message, filter) }),
    onProgress: (progress) =>
      options.onProgress?.({ done: progress.moved + (filter ? progress.skipped : 0), total }),
  });
  return {
    method: 'receive-send-delete',
    moved: result.moved,
    failed: result.failed,
    refused: result.refused,
    skipped: result.skipped,
    ...(result.refusedReason ? { refusedReason: result.refusedReason } : {}),
    ...(result.stoppedEarly ? { stoppedEarly: result.stoppedEarly } : {}),
  };
}

/** Polls ListMessageMoveTasks until the newest task of the source queue is no longer running. */
async function followMoveTask(
  sqs: SQSClient,
  sourceArn: string,
  total: number,
  options: RedriveOptions & { pollIntervalMs?: number },
): Promise<ListMessageMoveTasksResultEntry> {
  while (true) {
    const output = await sqs.send(new ListMessageMoveTasksCommand({ SourceArn: sourceArn, MaxResults: 1 }));
    const task = output.Results?.[0];
    if (!task) throw new OperationFailedError(`the message move task of ${sourceArn} disappeared`);
    options.onProgress?.({
      done: task.ApproximateNumberOfMessagesMoved ?? 0,
      total: task.ApproximateNumberOfMessagesToMove ?? total,
    });
    if (task.Status === 'COMPLETED') return task;
    // A task being cancelled is still moving what it had started; follow it to its end.
    if (!isActiveMoveTask(task.Status)) {
      throw new OperationFailedError(
        `message move task ${task.Status?.toLowerCase() ?? 'ended'} after moving ` +
          `${task.ApproximateNumberOfMessagesMoved ?? 0} message(s)` +
          (task.FailureReason ? `: ${task.FailureReason}` : ''),
      );
    }
    await sleep(options.pollIntervalMs ?? DEFAULT_POLL_MS);
  }
}
