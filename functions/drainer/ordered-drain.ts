import type { Logger } from '@aws-lambda-powertools/logger';
import { SQS_BATCH_LIMIT } from '../../shared/aws/sqs-batch-sender.js';
import type { FailoverItem, MessageQueue, OrderedFailoverStore } from '../../shared/ports.js';

/** Where one key of an ordered route stands during a drain run. */
interface KeyProgress {
  readonly route: string;
  /** Sequence of the next item to send; items before it are already in SQS. */
  next: number;
  /** Items read but not yet sendable, by sequence: their predecessor has not been sent yet. */
  readonly waiting: Map<number, FailoverItem>;
  /** Items ready to go, in sequence order. */
  readonly ready: FailoverItem[];
  /** SQS refused one of its items this run: the rest of the key waits for the next run. */
  blocked: boolean;
}

export interface OrderedDrainDeps {
  readonly ordered: OrderedFailoverStore;
  readonly queueFor: (route: string) => MessageQueue | undefined;
  readonly logger: Logger;
}

/**
 * The drainer's part for ordered routes: it moves each key's items to SQS strictly in sequence
 * order, whatever order the by-age index lists them in (storedAt comes from the ingest's clocks;
 * the sequence from the table). An item is sent only once its predecessor is in SQS: the key's
 * `movedThrough` mark is read (strongly consistently) the first time the key is seen, and a gap
 * (an item the eventually consistent index does not list yet) stops the key until the next run.
 * A SendMessageBatch holds at most one item per key, so a refused entry can never be overtaken
 * by a later item of its key in the same call; the key's mark moves before the item is deleted.
 */
export class OrderedDrain {
  private readonly keys = new Map<string, KeyProgress>();
  /** Items SQS confirmed and whose move was recorded. */
  moved = 0;
  /** Items SQS refused this run. */
  failed = 0;
  /** Items listed at or below their key's mark (see {@link OrderedFailoverStore.repark}); parked again. */
  reparked = 0;
  /** Whether a whole call was refused: SQS is still down. */
  queueUnavailable = false;

  constructor(private readonly deps: OrderedDrainDeps) {}

  /** Takes an item from the by-age scan (one with an ordering key and a sequence). */
  async offer(item: FailoverItem): Promise<void> {
    const key = item.envelope.orderingKey as string;
    const sequence = item.sequence as number;
    const id = `${item.envelope.route} ${key}`;
    let progress = this.keys.get(id);
    if (!progress) {
      const state = await this.deps.ordered.keyState(item.envelope.route, key);
      progress = {
        route: item.envelope.route,
        next: state.movedThrough + 1,
        waiting: new Map(),
        ready: [],
        blocked: false,
      };
      this.keys.set(id, progress);
    }
    const planned = progress.next + progress.ready.length;
    if (sequence < progress.next) {
      // Moved already (the index lags behind deletes), or left behind by a move whose delete did not
      // happen: parked again at the end of its key if it is still there, never sent from here.
      await this.deps.ordered.repark(item);
      this.reparked++;
      return;
    }
    progress.waiting.set(sequence, item);
    for (let s = planned; progress.waiting.has(s); s++) {
      progress.ready.push(progress.waiting.get(s) as FailoverItem);
      progress.waiting.delete(s);
    }
  }

  /** Keys of `route` with an item ready to send. */
  private readyKeys(): Map<string, KeyProgress[]> {
    const byRoute = new Map<string, KeyProgress[]>();
    for (const progress of this.keys.values()) {
      if (progress.blocked || progress.ready.length === 0) continue;
      const list = byRoute.get(progress.route) ?? [];
      list.push(progress);
      byRoute.set(progress.route, list);
    }
    return byRoute;
  }

  /**
   * Sends rounds of one item per key while a route has a full batch of keys ready (`all`: while
   * any item is ready), until `deadline`. Returns false when SQS refused a whole call.
   */
  async send(all: boolean, deadline: number, now: () => number): Promise<boolean> {
    while (now() < deadline) {
      const routes = [...this.readyKeys()].filter(([, keys]) => all || keys.length >= SQS_BATCH_LIMIT);
      if (routes.length === 0) return true;
      for (const [route, keys] of routes) {
        const queue = this.deps.queueFor(route);
        if (!queue) return true; // the main loop counts and reports unroutable items
        if (!(await this.sendRound(queue, keys.slice(0, SQS_BATCH_LIMIT)))) {
          this.queueUnavailable = true;
          return false;
        }
      }
    }
    return true;
  }

  private async sendRound(queue: MessageQueue, keys: readonly KeyProgress[]): Promise<boolean> {
    const items = keys.map((progress) => progress.ready[0] as FailoverItem);
    const result = await queue.sendBatch(items.map((item) => item.envelope));
    const sent = new Set(result.sent);
    const confirmed = items.filter((item) => sent.has(item.envelope.id));
    // Recorded before the keys move on: if this throws, the run ends and the items are sent again
    // next run (deduplicated by SQS within five minutes, by the forwarder's idempotency after that).
    // One item per key, so the keys' records are independent of each other.
    await Promise.all(confirmed.map((item) => this.deps.ordered.confirmMoved(item)));
    this.moved += confirmed.length;
    for (const progress of keys) {
      const item = progress.ready[0] as FailoverItem;
      if (sent.has(item.envelope.id)) {
        progress.ready.shift();
        progress.next++;
      } else {
        progress.blocked = true;
        this.failed++;
      }
    }
    if (result.failed.length > 0) {
      this.deps.logger.warn(
        'SQS did not take some ordered failover items; their keys wait for the next run',
        {
          failed: result.failed.length,
          firstReason: result.failed[0]?.reason,
        },
      );
    }
    return confirmed.length > 0;
  }

  /** Items read this run and left for the next one (a refused key, a gap, the time budget). */
  get left(): number {
    let left = 0;
    for (const progress of this.keys.values()) left += progress.ready.length + progress.waiting.size;
    return left;
  }
}
