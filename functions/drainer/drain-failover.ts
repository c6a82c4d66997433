import type { Logger } from '@aws-lambda-powertools/logger';
import { SQS_BATCH_LIMIT } from '../../shared/aws/sqs-batch-sender.js';
import { DEFAULT_DRAIN_CONCURRENCY } from '../../shared/drain-budget.js';
import { describeError } from '../../shared/errors.js';
import { LOG_EVENT } from '../../shared/log-events.js';
import type {
  Clock,
  FailoverItem,
  FailoverStore,
  MessageQueue,
  MessageRecords,
  OrderedFailoverStore,
} from '../../shared/ports.js';
import { OrderedDrain } from './ordered-drain.js';
import { SendPipeline } from './send-pipeline.js';

/** Failover items read per index page; each shard's next page is read while this one is sent. */
const DEFAULT_DRAIN_PAGE_SIZE = 100;

/** The drainer's ports: the failover table, the status records, the queues, a logger and a clock. */
export interface DrainerDeps {
  readonly failover: FailoverStore;
  /** Status records: each moved message's record says it left the failover table. */
  readonly records: MessageRecords;
  /** The delivery queue of a route, or undefined for a route this deployment does not have. */
  readonly queueFor: (route: string) => MessageQueue | undefined;
  readonly logger: Logger;
  readonly clock: Clock;
  /** The table's ordered side: items of ordered routes move per key, in sequence (ordered-drain.ts). */
  readonly ordered?: OrderedFailoverStore;
}

/** Limits of one drainer run: its deadline and its lease on the single-drainer lock. */
export interface DrainOptions {
  /** Stop starting new batches after this moment (epoch ms). */
  readonly deadline: number;
  /** Who holds the single-drainer lease (the invocation's request id). */
  readonly owner: string;
  /** How long the lease lasts if this drainer dies without giving it back. */
  readonly leaseSeconds: number;
  /** Failover items read per index page (DEFAULT_DRAIN_PAGE_SIZE). */
  readonly pageSize?: number;
  /** SendMessageBatch calls in flight at once (DEFAULT_DRAIN_CONCURRENCY). */
  readonly concurrency?: number;
}

/** What one drainer run did; the handler turns it into metrics and `gd drain` prints it. */
export interface DrainReport {
  /** Items SQS confirmed and that were then deleted from the failover table. */
  readonly moved: number;
  /** Items SQS did not take because it was unavailable (SQS down); they stay for the next run. */
  readonly failed: number;
  /**
   * Items SQS refused for themselves (SenderFault: too large for a message, characters SQS does not
   * allow). They stay in the table, logged with their ids and SQS's reasons, and did not stop the rest.
   */
  readonly refused: number;
  /** Items whose route has no queue in this deployment (a configuration problem, logged). */
  readonly unroutable: number;
  /**
   * Why the run ended before the table was empty, if it did. `queue-unavailable`: SQS took nothing of
   * a batch because it failed (never because it refused entries for themselves).
   */
  readonly stoppedEarly?: 'lease-held' | 'queue-unavailable' | 'time-budget';
  /**
   * When the run ran out of time: the storedAt (epoch ms) of the first item it read and of the
   * oldest item it left, the span of the backlog it got through (drain-estimate.ts).
   */
  readonly progress?: { readonly firstStoredAt: number; readonly oldestLeftStoredAt: number };
}

/**
 * Moves failover items back to their delivery queues, oldest first, ten at a time per route (the
 * queue splits them further by bytes, see SqsMessageQueue.sendBatch), with up to `concurrency`
 * batches in flight (send-pipeline.ts): the deletes, the record marks and the next index pages
 * overlap the sends. An item is deleted only after SQS confirmed it (so a crash in between re-sends
 * it, and the forwarder's idempotency makes that harmless). An item SQS refuses for itself stays in
 * the table and the run goes on; the run stops as soon as SQS takes nothing of a batch because it is
 * unavailable, or the time budget is spent. Ordered routes' items go through {@link OrderedDrain},
 * one key at a time in sequence. Runs only while it holds the single-drainer lease.
 */
export async function drainFailover(deps: DrainerDeps, options: DrainOptions): Promise<DrainReport> {
  const { failover, logger, clock } = deps;
  if (!(await failover.acquireLease(options.owner, options.leaseSeconds))) {
    logger.info('another drainer holds the lease; skipping this run', { event: LOG_EVENT.DRAIN_LEASE_HELD });
    return { moved: 0, failed: 0, refused: 0, unroutable: 0, stoppedEarly: 'lease-held' };
  }
  let unroutable = 0;
  let stoppedEarly: DrainReport['stoppedEarly'];
  const pending = new Map<string, FailoverItem[]>();
  const unknownRoutes = new Set<string>();
  const pipeline = new SendPipeline(deps, options.concurrency ?? DEFAULT_DRAIN_CONCURRENCY);
  const ordered = deps.ordered
    ? new OrderedDrain({ ordered: deps.ordered, queueFor: deps.queueFor, logger })
    : undefined;
  const now = () => clock.now().getTime();
  let firstStoredAt: number | undefined;
  let oldestLeft: number | undefined;

  try {
    for await (const item of failover.oldest(options.pageSize ?? DEFAULT_DRAIN_PAGE_SIZE)) {
      firstStoredAt ??= item.storedAt;
      if (clock.now().getTime() >= options.deadline) {
        stoppedEarly = 'time-budget';
        oldestLeft = item.storedAt;
        break;
      }
      if (pipeline.unavailable) {
        stoppedEarly = 'queue-unavailable';
        break;
      }
      const route = item.envelope.route;
      const queue = deps.queueFor(route);
      if (!queue) {
        unroutable++;
        if (!unknownRoutes.has(route))
          logger.error('failover item for a route with no queue; left in place', {
            event: LOG_EVENT.DRAIN_UNROUTABLE,
            route,
          });
        unknownRoutes.add(route);
        continue;
      }
      if (ordered && item.sequence !== undefined && item.envelope.orderingKey !== undefined) {
        await ordered.offer(item);
        if (!(await ordered.send(false, options.deadline, now))) {
          stoppedEarly = 'queue-unavailable';
          break;
        }
        continue;
      }
      const buffer = pending.get(route) ?? [];
      buffer.push(item);
      pending.set(route, buffer);
      if (buffer.length === SQS_BATCH_LIMIT) {
        pending.delete(route);
        await pipeline.submit(route, queue, buffer);
      }
    }
    if (stoppedEarly !== 'queue-unavailable') {
      for (const [route, items] of pending) {
        const queue = deps.queueFor(route);
        if (queue) await pipeline.submit(route, queue, items);
      }
    }
    await pipeline.finish();
    if (pipeline.unavailable) stoppedEarly = 'queue-unavailable';
    if (ordered && stoppedEarly !== 'queue-unavailable') {
      if (!(await ordered.send(true, options.deadline, now))) stoppedEarly = 'queue-unavailable';
      else if (ordered.left > 0 && now() >= options.deadline) stoppedEarly ??= 'time-budget';
    }
  } catch (error) {
    // Whatever SQS confirmed and we could not delete is sent again next run (harmless, see above).
    logger.error('drain interrupted', {
      event: LOG_EVENT.DRAIN_INTERRUPTED,
      error: describeError(error),
      movedBeforeError: pipeline.moved,
    });
    throw error;
  } finally {
    await failover.releaseLease(options.owner).catch((error: unknown) =>
      logger.warn('could not release the drainer lease; it expires on its own', {
        event: LOG_EVENT.DRAIN_LEASE_NOT_RELEASED,
        error: describeError(error),
      }),
    );
  }
  let { moved, failed } = pipeline;
  const { refused } = pipeline;
  if (ordered) {
    moved += ordered.moved;
    failed += ordered.failed;
  }
  const report: DrainReport = {
    moved,
    failed,
    refused,
    unroutable,
    ...(stoppedEarly ? { stoppedEarly } : {}),
    ...(oldestLeft === undefined || firstStoredAt === undefined
      ? {}
      : { progress: { firstStoredAt, oldestLeftStoredAt: oldestLeft } }),
  };
  if (moved > 0 || failed > 0 || refused > 0 || unroutable > 0)
    logger.info('drain finished', { event: LOG_EVENT.DRAIN_FINISHED, ...report });
  return report;
}
