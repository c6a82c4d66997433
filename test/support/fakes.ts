import { Logger } from '@aws-lambda-powertools/logger';
import type { IngestDeps } from '../../functions/ingest/accept-message.js';
import type { DeadLetterInfo, MessageEnvelope } from '../../shared/envelope.js';
import { fingerprintOf, type StoredMessageRecord } from '../../shared/message-record.js';
import {
  type AttemptUpdate,
  type Backend,
  type BatchSendResult,
  type ClaimResult,
  type Clock,
  type DeliveryRequest,
  type DeliveryResponse,
  type FailoverItem,
  type FailoverStore,
  type KeyState,
  type LeaseRequest,
  type LeaseResult,
  type MessageQueue,
  type MessageRecords,
  type OrderedFailoverStore,
  type RecordKey,
  recordKeyOf,
  type SendFault,
  type SkipLedger,
} from '../../shared/ports.js';
import { ingestRules } from './factories.js';

/**
 * In-memory stand-ins for the ports, for unit tests of the plain logic. The integration suite runs
 * the same logic against the real SQS/DynamoDB adapters on the emulator; these fakes exist so unit
 * tests can produce every outcome (partial batch failures, a throwing store) on demand.
 */

/** A logger that records entries instead of printing them, so tests can assert what was logged. */
export function recordingLogger(service: string) {
  const lines: string[] = [];
  const logger = new Logger({
    serviceName: service,
    // Explicit level: wins over POWERTOOLS_LOG_LEVEL=SILENT, which vitest.config.ts sets for the rest.
    logLevel: 'DEBUG',
    logRecordOrder: ['level', 'message'],
  });
  // Powertools writes through console methods; capture instead of printing.
  (logger as unknown as { console: Console }).console = {
    ...console,
    info: (line: string) => lines.push(line),
    warn: (line: string) => lines.push(line),
    error: (line: string) => lines.push(line),
    debug: (line: string) => lines.push(line),
    log: (line: string) => lines.push(line),
  } as Console;
  /** The recorded entries, parsed. */
  const entries = (): Record<string, unknown>[] => lines.map((line) => JSON.parse(line));
  return { logger, lines, entries };
}

/** A logger for tests that do not look at logs (level from the environment: SILENT under vitest). */
export function silentLogger(): Logger {
  return new Logger({ serviceName: 'unit-test' });
}

/** A clock that moves only when told to, or by `stepMs` on every reading. */
export class FakeClock implements Clock {
  private current: number;

  constructor(
    start: Date | number = Date.parse('2025-01-02T03:04:05.000Z'),
    private readonly stepMs = 0,
  ) {
    this.current = typeof start === 'number' ? start : start.getTime();
  }

  now(): Date {
    const reading = new Date(this.current);
    this.current += this.stepMs;
    return reading;
  }

  advance(ms: number): void {
    this.current += ms;
  }
}

/** A {@link MessageQueue} that records what it was given and fails when a test says so. */
export class InMemoryQueue implements MessageQueue {
  readonly sent: { envelope: MessageEnvelope; deadLetter?: DeadLetterInfo }[] = [];
  readonly batches: MessageEnvelope[][] = [];
  readonly delays: { receiptHandle: string; seconds: number }[] = [];
  /** Thrown by `send` when set. */
  sendError: Error | undefined;
  /** Thrown by `delayRedelivery` when set. */
  delayError: Error | undefined;
  /** Thrown by `sendBatch` when set (breaks the port's "never throws" promise, on purpose). */
  batchError: Error | undefined;
  /**
   * Why one batch entry is not taken, or undefined to take it: a reason alone means SQS was
   * unavailable for it; `{ reason, fault: 'refused' }` means SQS refused the entry for itself.
   */
  refuse: (envelope: MessageEnvelope) => string | { reason: string; fault: SendFault } | undefined = () =>
    undefined;

  async send(envelope: MessageEnvelope, deadLetter?: DeadLetterInfo): Promise<void> {
    if (this.sendError) throw this.sendError;
    this.sent.push(deadLetter ? { envelope, deadLetter } : { envelope });
  }

  async sendBatch(envelopes: readonly MessageEnvelope[]): Promise<BatchSendResult> {
    this.batches.push([...envelopes]);
    if (this.batchError) throw this.batchError;
    const sent: string[] = [];
    const failed: { id: string; reason: string; fault: SendFault }[] = [];
    for (const envelope of envelopes) {
      const refusal = this.refuse(envelope);
      if (refusal === undefined) sent.push(envelope.id);
      else if (typeof refusal === 'string')
        failed.push({ id: envelope.id, reason: refusal, fault: 'unavailable' });
      else failed.push({ id: envelope.id, ...refusal });
    }
    return { sent, failed };
  }

  async delayRedelivery(receiptHandle: string, seconds: number): Promise<void> {
    if (this.delayError) throw this.delayError;
    this.delays.push({ receiptHandle, seconds });
  }

  /** Copies put back in place of received messages, with their delay. */
  readonly requeued: { envelope: MessageEnvelope; delaySeconds: number }[] = [];

  async requeue(envelope: MessageEnvelope, delaySeconds: number): Promise<void> {
    if (this.sendError) throw this.sendError;
    this.requeued.push({ envelope, delaySeconds });
  }

  /** Ids of every envelope offered in a batch, in order. */
  batchedIds(): string[] {
    return this.batches.flat().map((envelope) => envelope.id);
  }
}

/** A {@link FailoverStore} on a Map, with a single-holder lease like the DynamoDB one. */
export class InMemoryFailoverStore implements FailoverStore {
  /** Items by route and id ({@link recordKeyOf}): ids are per route. */
  readonly items = new Map<string, FailoverItem>();
  /** The ids of each delete call's items. */
  readonly deleteCalls: string[][] = [];
  readonly leaseCalls: { owner: string; seconds: number }[] = [];
  readonly releases: string[] = [];
  putCalls = 0;
  /** Thrown by `put` when set. */
  putError: Error | undefined;
  /** Thrown by `delete` when set. */
  deleteError: Error | undefined;
  /** Thrown by `releaseLease` when set. */
  releaseError: Error | undefined;
  /** Who holds the drainer lease now. */
  leaseOwner: string | undefined;

  constructor(private readonly clock: Clock = new FakeClock()) {}

  /** Puts an item directly, as if an ingest had failed over at `storedAt`. */
  add(envelope: MessageEnvelope, storedAt: number): void {
    this.items.set(failoverKeyOf(envelope), { envelope, storedAt });
  }

  async put(envelope: MessageEnvelope): Promise<'stored' | 'already-stored' | 'key-reused'> {
    this.putCalls++;
    if (this.putError) throw this.putError;
    const stored = this.items.get(failoverKeyOf(envelope));
    if (stored) {
      return fingerprintOf(stored.envelope) === fingerprintOf(envelope) ? 'already-stored' : 'key-reused';
    }
    this.items.set(failoverKeyOf(envelope), { envelope, storedAt: this.clock.now().getTime() });
    return 'stored';
  }

  async get(key: RecordKey): Promise<FailoverItem | undefined> {
    return this.items.get(recordKeyOf(key));
  }

  /** Oldest first; like the index pages, items deleted meanwhile are not offered again. */
  async *oldest(_pageSize: number): AsyncIterable<FailoverItem> {
    const snapshot = [...this.items.values()].sort((a, b) => a.storedAt - b.storedAt);
    for (const item of snapshot) {
      if (this.items.has(failoverKeyOf(item.envelope))) yield item;
    }
  }

  async delete(items: readonly FailoverItem[]): Promise<void> {
    this.deleteCalls.push(items.map((item) => item.envelope.id));
    if (this.deleteError) throw this.deleteError;
    for (const item of items) this.items.delete(failoverKeyOf(item.envelope));
  }

  async acquireLease(owner: string, seconds: number): Promise<boolean> {
    this.leaseCalls.push({ owner, seconds });
    if (this.leaseOwner !== undefined && this.leaseOwner !== owner) return false;
    this.leaseOwner = owner;
    return true;
  }

  async releaseLease(owner: string): Promise<void> {
    this.releases.push(owner);
    if (this.releaseError) throw this.releaseError;
    if (this.leaseOwner === owner) this.leaseOwner = undefined;
  }

  /** The message ids of the items (of every route). */
  ids(): string[] {
    return [...this.items.values()].map((item) => item.envelope.id);
  }
}

/** The in-memory failover store's key of an envelope: its route and id. */
export const failoverKeyOf = (envelope: Pick<MessageEnvelope, 'route' | 'id'>) =>
  recordKeyOf({ route: envelope.route, messageId: envelope.id });

/** A {@link Backend} that answers from a script and records each request. */
export class ScriptedBackend implements Backend {
  readonly requests: DeliveryRequest[] = [];

  constructor(private readonly answer: (request: DeliveryRequest) => DeliveryResponse) {}

  async post(request: DeliveryRequest): Promise<DeliveryResponse> {
    this.requests.push(request);
    return this.answer(request);
  }
}

/** A {@link MessageRecords} in memory, with the DynamoDB adapter's conditions; fails when told to. */
export class InMemoryMessageRecords implements MessageRecords {
  readonly records = new Map<string, StoredMessageRecord>();
  readonly updates: AttemptUpdate[] = [];
  /** Thrown by every call when set. */
  error: Error | undefined;
  leaseCalls = 0;

  private check(): void {
    if (this.error) throw this.error;
  }

  private keyOf(envelope: MessageEnvelope): string {
    return recordKeyOf({ route: envelope.route, messageId: envelope.id });
  }

  async claim(envelope: MessageEnvelope, fingerprint: string): Promise<ClaimResult> {
    this.check();
    const record = this.records.get(this.keyOf(envelope));
    if (record) return { kind: record.fingerprint === fingerprint ? 'same-message' : 'key-reused', record };
    this.records.set(this.keyOf(envelope), {
      messageId: envelope.id,
      route: envelope.route,
      fingerprint,
      acceptedAt: envelope.receivedAt,
      store: 'queue',
      state: 'queued',
      attempts: [],
    });
    return { kind: 'created' };
  }

  async release(envelope: MessageEnvelope, fingerprint: string): Promise<void> {
    this.check();
    const record = this.records.get(this.keyOf(envelope));
    if (record?.fingerprint === fingerprint && record.state === 'queued')
      this.records.delete(this.keyOf(envelope));
  }

  async markInFailover(envelope: MessageEnvelope): Promise<void> {
    this.check();
    const record = this.records.get(this.keyOf(envelope));
    if (record?.state === 'queued') {
      this.records.set(this.keyOf(envelope), { ...record, state: 'in-failover', store: 'failover' });
    }
  }

  async markDrained(envelopes: readonly MessageEnvelope[]): Promise<void> {
    this.check();
    for (const envelope of envelopes) {
      const record = this.records.get(this.keyOf(envelope));
      if (record?.state === 'in-failover') {
        this.records.set(this.keyOf(envelope), { ...record, state: 'queued', drainedAt: 'drained' });
      }
    }
  }

  async get(key: RecordKey): Promise<StoredMessageRecord | undefined> {
    this.check();
    return this.records.get(recordKeyOf(key));
  }

  async lease(request: LeaseRequest): Promise<LeaseResult> {
    this.leaseCalls++;
    this.check();
    const key = this.keyOf(request.envelope);
    const record = this.records.get(key);
    const leased =
      record?.leaseUntil !== undefined &&
      record.leaseHolder !== request.holder &&
      record.leaseUntil > request.now.toISOString();
    const copyOfDeadLetter =
      record?.state === 'dead-lettered' && request.envelope.deadLetteredAt === undefined;
    if (
      record &&
      (record.deliveredAt !== undefined ||
        record.fingerprint !== request.fingerprint ||
        leased ||
        copyOfDeadLetter)
    ) {
      return { kind: 'refused', record };
    }
    const taken: StoredMessageRecord = {
      ...(record ?? {
        messageId: request.envelope.id,
        route: request.envelope.route,
        fingerprint: request.fingerprint,
        acceptedAt: request.envelope.receivedAt,
        store: 'queue' as const,
        state: 'queued' as const,
        attempts: [],
      }),
      leaseUntil: request.until.toISOString(),
      leaseHolder: request.holder,
    };
    this.records.set(key, taken);
    return { kind: 'leased', record: taken };
  }

  async endLease(envelope: MessageEnvelope, holder: string): Promise<void> {
    this.check();
    const record = this.records.get(this.keyOf(envelope));
    if (record?.leaseHolder !== holder) return;
    const { leaseUntil: _until, leaseHolder: _holder, ...rest } = record;
    this.records.set(this.keyOf(envelope), rest);
  }

  async recordAttempt(update: AttemptUpdate): Promise<'recorded' | 'conflict'> {
    this.check();
    this.updates.push(update);
    const key = this.keyOf(update.envelope);
    const record = this.records.get(key);
    if (record?.deliveredAt !== undefined || (record && record.fingerprint !== update.fingerprint)) {
      return 'conflict';
    }
    const { outcome } = update;
    const now = update.entry.at;
    const ours = update.holder !== undefined && record?.leaseHolder === update.holder;
    const { nextAttemptAt: _next, ...kept } = record ?? {
      messageId: update.envelope.id,
      route: update.envelope.route,
      fingerprint: update.fingerprint,
      acceptedAt: update.envelope.receivedAt,
      store: 'queue' as const,
      state: 'queued' as const,
      attempts: [],
    };
    const { leaseUntil: _until, leaseHolder: _holder, ...unleased } = kept;
    const base = ours ? unleased : kept;
    this.records.set(key, {
      ...base,
      state: outcome.kind,
      attempts: [...base.attempts, update.entry],
      ...(outcome.kind === 'retrying' ? { nextAttemptAt: outcome.nextAttemptAt } : {}),
      ...(outcome.kind === 'delivered' ? { deliveredAt: now } : {}),
      ...(outcome.kind === 'dead-lettered' ? { deadLetteredAt: now, reason: outcome.reason } : {}),
      ...(update.redriveOf === undefined ? {} : { redriveOf: update.redriveOf }),
    });
    return 'recorded';
  }
}

/**
 * The ingest over in-memory stores, with a recording logger, a fixed clock and a fixed id: what a
 * test of `acceptMessage` or of what reads its logs starts from.
 */
export function inMemoryIngest() {
  const queue = new InMemoryQueue();
  const failover = new InMemoryFailoverStore();
  const logs = recordingLogger('ingest');
  const deps: IngestDeps = {
    queue,
    failover,
    records: new InMemoryMessageRecords(),
    logger: logs.logger,
    clock: new FakeClock(Date.parse('2025-01-02T03:04:05.000Z')),
    newId: () => 'new-id-1',
    rules: ingestRules(),
  };
  return { queue, failover, logs, deps };
}

/** A {@link SkipLedger} in memory (the DynamoDB one is tested against the emulator). */
export class InMemorySkipLedger implements SkipLedger {
  readonly skips = new Map<string, number>();

  async recordSkips(route: string, messageIds: readonly string[]): Promise<void> {
    for (const id of messageIds)
      this.skips.set(`${route} ${id}`, (this.skips.get(`${route} ${id}`) ?? 0) + 1);
  }

  async skipsOf(route: string, messageId: string): Promise<number> {
    return this.skips.get(`${route} ${messageId}`) ?? 0;
  }
}

/**
 * An {@link OrderedFailoverStore} over an {@link InMemoryFailoverStore}'s items (keyed by message id
 * here; the DynamoDB one keys them by slot), with the same rules as the DynamoDB one.
 */
export class InMemoryOrderedFailover implements OrderedFailoverStore {
  readonly counters = new Map<string, KeyState>();
  readonly reparked: string[] = [];

  constructor(
    readonly store: InMemoryFailoverStore,
    private readonly clock: Clock = new FakeClock(),
  ) {}

  async keyState(route: string, key: string): Promise<KeyState> {
    return this.counters.get(`${route} ${key}`) ?? { lastSequence: 0, movedThrough: 0 };
  }

  async holdsItems(route: string, key: string): Promise<boolean> {
    const state = await this.keyState(route, key);
    return state.lastSequence > state.movedThrough;
  }

  async putInOrder(envelope: MessageEnvelope): Promise<'stored'> {
    const state = await this.keyState(envelope.route, envelope.orderingKey ?? '');
    const sequence = Math.max(state.lastSequence, state.movedThrough) + 1;
    this.counters.set(`${envelope.route} ${envelope.orderingKey}`, { ...state, lastSequence: sequence });
    this.store.items.set(failoverKeyOf(envelope), {
      envelope,
      storedAt: this.clock.now().getTime(),
      sequence,
    });
    return 'stored';
  }

  async confirmMoved({ envelope, sequence }: FailoverItem): Promise<void> {
    const state = await this.keyState(envelope.route, envelope.orderingKey ?? '');
    if (sequence !== state.movedThrough + 1) throw new Error(`${envelope.id} moved out of order`);
    this.counters.set(`${envelope.route} ${envelope.orderingKey}`, { ...state, movedThrough: sequence });
    this.store.items.delete(failoverKeyOf(envelope));
  }

  async repark(item: FailoverItem): Promise<void> {
    this.reparked.push(item.envelope.id);
    if (!this.store.items.has(failoverKeyOf(item.envelope))) return;
    this.store.items.delete(failoverKeyOf(item.envelope));
    await this.putInOrder(item.envelope);
  }
}
