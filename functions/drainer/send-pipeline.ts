import type { Logger } from '@aws-lambda-powertools/logger';
import { describeError } from '../../shared/errors.js';
import { LOG_EVENT } from '../../shared/log-events.js';
import type { FailoverItem, FailoverStore, MessageQueue, MessageRecords } from '../../shared/ports.js';

/** Failover deletes are written in BatchWriteItem-sized groups. */
const DELETE_BATCH = 25;

export interface SendPipelineDeps {
  readonly failover: FailoverStore;
  readonly records: MessageRecords;
  readonly logger: Logger;
}

/**
 * The drainer's unordered sends, pipelined: up to `concurrency` SendMessageBatch calls in flight,
 * while what follows a confirmed send (the status records' `drained` mark, then the failover delete
 * in groups of 25) runs beside the next sends instead of before them. An item is deleted only after
 * SQS confirmed it and its record was marked, as in a sequential drain. Batches start in the order
 * they were handed in (oldest first); a FIFO queue (an ordered route's items without a sequence)
 * gets one call at a time, because SQS keeps a group's order only across calls sent one after another.
 */
export class SendPipeline {
  moved = 0;
  failed = 0;
  refused = 0;
  /** A batch of which SQS took nothing because it was unavailable: stop handing in more. */
  unavailable = false;
  private readonly sends = new Set<Promise<void>>();
  private readonly bookkeeping = new Set<Promise<void>>();
  /** Per FIFO route: the call in flight, which the next one of that route waits for. */
  private readonly fifoTail = new Map<string, Promise<void>>();
  private readonly confirmed: FailoverItem[] = [];
  private error: unknown;

  constructor(
    private readonly deps: SendPipelineDeps,
    private readonly concurrency: number,
  ) {}

  /** The first error of a background step (a send that threw, a delete that failed), if any. */
  get failure(): unknown {
    return this.error;
  }

  /** Starts sending one route's batch once a slot is free; resolves when it has started. */
  async submit(route: string, queue: MessageQueue, items: readonly FailoverItem[]): Promise<void> {
    while (this.sends.size >= this.concurrency || this.bookkeeping.size >= this.concurrency) {
      await Promise.race([...this.sends, ...this.bookkeeping]);
    }
    this.throwIfFailed();
    const before = queue.fifo ? this.fifoTail.get(route) : undefined;
    const send = this.track(
      this.sends,
      (async () => {
        await before;
        await this.send(route, queue, items);
      })(),
    );
    if (queue.fifo) this.fifoTail.set(route, send);
  }

  /** Waits for every send and its bookkeeping, deletes what is left, and rethrows a failure. */
  async finish(): Promise<void> {
    while (this.sends.size > 0 || this.bookkeeping.size > 0) {
      await Promise.allSettled([...this.sends, ...this.bookkeeping]);
    }
    this.throwIfFailed();
    if (this.confirmed.length > 0) await this.deleteGroup(this.confirmed.splice(0));
  }

  private throwIfFailed(): void {
    if (this.error !== undefined) throw this.error;
  }

  private track(set: Set<Promise<void>>, work: Promise<void>): Promise<void> {
    const tracked = work.then(
      () => {
        set.delete(tracked);
      },
      (error: unknown) => {
        set.delete(tracked);
        this.error ??= error;
      },
    );
    set.add(tracked);
    return tracked;
  }

  private async send(route: string, queue: MessageQueue, items: readonly FailoverItem[]): Promise<void> {
    const result = await queue.sendBatch(items.map((item) => item.envelope));
    // One route's items, so an id names one message among them.
    const sent = new Set(result.sent);
    const taken = items.filter((item) => sent.has(item.envelope.id));
    const unavailable = result.failed.filter((failure) => failure.fault === 'unavailable');
    const refusals = result.failed.filter((failure) => failure.fault === 'refused');
    this.failed += unavailable.length;
    this.refused += refusals.length;
    if (unavailable.length > 0) {
      if (taken.length === 0) this.unavailable = true;
      this.deps.logger.warn('SQS unavailable; failover items stay for the next run', {
        event: LOG_EVENT.DRAIN_SEND_FAILED,
        route,
        failed: unavailable.length,
        firstReason: unavailable[0]?.reason,
      });
    }
    if (refusals.length > 0) {
      // Ids and SQS's reasons, never bodies: enough to find the items in the table.
      this.deps.logger.error('SQS refused failover items for themselves; they stay in the table', {
        event: LOG_EVENT.DRAIN_REFUSED,
        route,
        refused: refusals.map(({ id, reason }) => ({ messageId: id, reason })),
      });
    }
    if (taken.length > 0) this.track(this.bookkeeping, this.settle(route, taken));
  }

  /** After SQS confirmed them: the records say the items left the table, then they are deleted. */
  private async settle(route: string, taken: readonly FailoverItem[]): Promise<void> {
    await this.deps.records.markDrained(taken.map((item) => item.envelope)).catch((error: unknown) =>
      this.deps.logger.warn('status records of drained messages not updated', {
        event: LOG_EVENT.RECORD_NOT_WRITTEN,
        route,
        error: describeError(error),
      }),
    );
    this.confirmed.push(...taken);
    while (this.confirmed.length >= DELETE_BATCH) {
      await this.deleteGroup(this.confirmed.splice(0, DELETE_BATCH));
    }
  }

  private async deleteGroup(items: readonly FailoverItem[]): Promise<void> {
    await this.deps.failover.delete(items);
    this.moved += items.length;
  }
}
