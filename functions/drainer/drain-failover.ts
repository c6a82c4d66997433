import type { Logger } from '@aws-lambda-powertools/logger';
import { SQS_BATCH_LIMIT } from '../../shared/aws/sqs-batch-sender.js';
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
  /** Failover items read per index page. */
  readonly pageSize?: number;
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
}

/** Failover deletes are written in BatchWriteItem-sized groups. */
const DELETE_BATCH = 25;

/**
 * Moves failover items back to their delivery queues, oldest first, ten at a time per route (the
 * queue splits them further by bytes, see SqsMessageQueue.sendBatch). An item is deleted only after
 * SQS confirmed it (so a crash in between re-sends it, and the forwarder's idempotency makes that
 * harmless). An item SQS refuses for itself stays in the table and the run goes on; the run stops as
 * soon as SQS takes nothing of a batch because it is unavailable, or the time budget is spent. Runs
 * only while it holds the single-drainer lease.
 */
export async function drainFailover(deps: DrainerDeps, options: DrainOptions): Promise<DrainReport> {
  const { failover, logger, clock } = deps;
  if (!(await failover.acquireLease(options.owner, options.leaseSeconds))) {
    logger.info('another drainer holds the lease; skipping this run', { event: LOG_EVENT.DRAIN_LEASE_HELD });
    return { moved: 0, failed: 0, refused: 0, unroutable: 0, stoppedEarly: 'lease-held' };
  }
  let moved = 0;
  let failed = 0;
  let refused = 0;
  let unroutable = 0;
  let stoppedEarly: DrainReport['stoppedEarly'];
  const pending = new Map<string, FailoverItem[]>();
  /** Items SQS confirmed, to delete (by the key each was read with: ids are per route). */
  const confirmed: FailoverItem[] = [];
  const unknownRoutes = new Set<string>();
  const ordered = deps.ordered
    ? new OrderedDrain({ ordered: deps.ordered, queueFor: deps.queueFor, logger })
    : undefined;
  const now = () => clock.now().getTime();

  const deleteConfirmed = async (all: boolean) => {
    while (confirmed.length >= DELETE_BATCH || (all && confirmed.length > 0)) {
      const items = confirmed.splice(0, DELETE_BATCH);
      await failover.delete(items);
      moved += items.length;
    }
  };

  /** Sends one route's buffered items; false when SQS is unavailable (it took none, for its own reasons). */
  const flush = async (route: string, queue: MessageQueue): Promise<boolean> => {
    const items = pending.get(route) ?? [];
    pending.delete(route);
    if (items.length === 0) return true;
    const result = await queue.sendBatch(items.map((item) => item.envelope));
    // One route's items, so an id names one message among them.
    const sent = new Set(result.sent);
    const taken = items.filter((item) => sent.has(item.envelope.id));
    confirmed.push(...taken);
    await deps.records.markDrained(taken.map((item) => item.envelope)).catch((error: unknown) =>
      logger.warn('status records of drained messages not updated', {
        event: LOG_EVENT.RECORD_NOT_WRITTEN,
        route,
        error: describeError(error),
      }),
    );
    const unavailable = result.failed.filter((failure) => failure.fault === 'unavailable');
    const refusals = result.failed.filter((failure) => failure.fault === 'refused');
    failed += unavailable.length;
    refused += refusals.length;
    if (unavailable.length > 0) {
      logger.warn('SQS unavailable; failover items stay for the next run', {
        event: LOG_EVENT.DRAIN_SEND_FAILED,
        route,
        failed: unavailable.length,
        firstReason: unavailable[0]?.reason,
      });
    }
    if (refusals.length > 0) {
      // Ids and SQS's reasons, never bodies: enough to find the items in the table.
      logger.error('SQS refused failover items for themselves; they stay in the table', {
        event: LOG_EVENT.DRAIN_REFUSED,
        route,
        refused: refusals.map(({ id, reason }) => ({ messageId: id, reason })),
      });
    }
    await deleteConfirmed(false);
    return result.sent.length > 0 || unavailable.length === 0;
  };

  try {
    for await (const item of failover.oldest(options.pageSize ?? 100)) {
      if (clock.now().getTime() >= options.deadline) {
        stoppedEarly = 'time-budget';
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
      if (buffer.length === SQS_BATCH_LIMIT && !(await flush(route, queue))) {
        stoppedEarly = 'queue-unavailable';
        break;
      }
    }
    if (stoppedEarly !== 'queue-unavailable') {
      for (const route of [...pending.keys()]) {
        const queue = deps.queueFor(route);
        if (queue && !(await flush(route, queue))) stoppedEarly = 'queue-unavailable';
      }
    }
    await deleteConfirmed(true);
    if (ordered && stoppedEarly !== 'queue-unavailable') {
      if (!(await ordered.send(true, options.deadline, now))) stoppedEarly = 'queue-unavailable';
      else if (ordered.left > 0 && now() >= options.deadline) stoppedEarly ??= 'time-budget';
    }
  } catch (error) {
    // Whatever SQS confirmed and we could not delete is sent again next run (harmless, see above).
    logger.error('drain interrupted', {
      event: LOG_EVENT.DRAIN_INTERRUPTED,
      error: describeError(error),
      movedBeforeError: moved,
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
  };
  if (moved > 0 || failed > 0 || refused > 0 || unroutable > 0)
    logger.info('drain finished', { event: LOG_EVENT.DRAIN_FINISHED, ...report });
  return report;
}
