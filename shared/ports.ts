import type { SQSRecord } from 'aws-lambda';
import type { BreakerState } from './circuit-breaker.js';
import type { DeadLetterInfo, MessageEnvelope } from './envelope.js';
import type { AttemptEntry, StoredMessageRecord } from './message-record.js';
import type { PayloadReference } from './payloads.js';

/**
 * The small interfaces the core logic depends on. Adapters for SQS, DynamoDB and HTTP implement
 * them (shared/aws, functions/forwarder/http-backend.ts); tests pass the real adapters pointed at a
 * local emulator, or a fake where a fault cannot be produced for real.
 */

/**
 * Why SQS did not take a message: `unavailable` (SQS failed: network, timeout, 5xx, throttling;
 * it will likely take it later) or `refused` (SQS rejected this message for itself, a SenderFault:
 * too large, characters it does not allow; trying again will not help).
 */
export type SendFault = 'unavailable' | 'refused';

/** Result of a batch send: which envelope ids SQS acknowledged and which it did not, and why. */
export interface BatchSendResult {
  readonly sent: readonly string[];
  readonly failed: readonly { readonly id: string; readonly reason: string; readonly fault: SendFault }[];
}

/** One SQS queue (a route's delivery queue or its DLQ). */
export interface MessageQueue {
  /** A FIFO queue: it keeps a group's order only across calls sent one after another. */
  readonly fifo?: boolean;
  /** Writes one message; resolves only once SQS acknowledged it. */
  send(envelope: MessageEnvelope, deadLetter?: DeadLetterInfo): Promise<void>;
  /**
   * Writes messages with SendMessageBatch, in as many requests as SQS's limits need (10 entries and
   * 1 MiB each); never throws: each envelope id is reported either sent or failed, with its reason
   * and fault.
   */
  sendBatch(envelopes: readonly MessageEnvelope[]): Promise<BatchSendResult>;
  /** Hides a received message for `seconds` before SQS offers it again (the retry backoff). */
  delayRedelivery(receiptHandle: string, seconds: number): Promise<void>;
  /**
   * Sends a copy to stand in for a received message (which the caller then deletes), offered after
   * `delaySeconds` (at most SQS's 900): a fresh receive count, its attempts carried in the envelope.
   */
  requeue(envelope: MessageEnvelope, delaySeconds: number): Promise<void>;
}

/** What a circuit breaker's probe takes its one message from: the route's delivery queue. */
export interface ProbeSource {
  /** Receives at most one message, hidden for `visibilitySeconds`, in the shape Lambda delivers it. */
  receiveOne(visibilitySeconds: number): Promise<SQSRecord | undefined>;
  /** Deletes a received message. */
  delete(receiptHandle: string): Promise<void>;
}

/** A message parked in the failover table while SQS was unavailable. */
export interface FailoverItem {
  readonly envelope: MessageEnvelope;
  /**
   * The item's own key in the table, as read from it (the store's adapter sets it; {@link
   * FailoverStore.delete} deletes by it). Absent on an item not read from a table.
   */
  readonly storeKey?: string;
  /** When it was written to the table (epoch ms); the drainer moves the oldest first. */
  readonly storedAt: number;
  /**
   * On an ordered route: the item's place in its key's order (1, 2, 3, ... per route and key, no
   * gaps), given by the table itself, so no clock decides the order of a key.
   */
  readonly sequence?: number;
}

/** The DynamoDB failover table. */
export interface FailoverStore {
  /**
   * Writes an envelope unless one with its route and id is already there: `already-stored` when
   * that one has the same body (a client retry), `key-reused` when it has another. Ids are per
   * route: another route's item with the same id is another message.
   */
  put(envelope: MessageEnvelope): Promise<'stored' | 'already-stored' | 'key-reused'>;
  /** One item by route and message id (the lookup of a message whose status record is missing). */
  get(key: RecordKey): Promise<FailoverItem | undefined>;
  /** Items, oldest first, read lazily page by page. */
  oldest(pageSize: number): AsyncIterable<FailoverItem>;
  /** Deletes items read by {@link oldest} (after SQS confirmed them). */
  delete(items: readonly FailoverItem[]): Promise<void>;
  /** Takes the single-drainer lease for `seconds` unless someone else holds a live one. */
  acquireLease(owner: string, seconds: number): Promise<boolean>;
  /** Gives the lease back early (only if `owner` still holds it). */
  releaseLease(owner: string): Promise<void>;
}

/** Identifies a message's record: ids are per route. */
export interface RecordKey {
  readonly route: string;
  readonly messageId: string;
}

/** What {@link MessageRecords.claim} found. */
export type ClaimResult =
  | { readonly kind: 'created' }
  /** The id was taken by the same body: a client retry, the same message. */
  | { readonly kind: 'same-message'; readonly record: StoredMessageRecord }
  /** The id was taken by another body: the client reused its Idempotency-Key (answered 409). */
  | { readonly kind: 'key-reused'; readonly record: StoredMessageRecord };

/** How a delivery attempt ended, as recorded. */
export type AttemptOutcome =
  | { readonly kind: 'delivered' }
  | { readonly kind: 'retrying'; readonly nextAttemptAt: string }
  | { readonly kind: 'dead-lettered'; readonly reason: string };

/** One attempt to record, with what the forwarder knows of the message. */
export interface AttemptUpdate {
  readonly envelope: MessageEnvelope;
  readonly fingerprint: string;
  readonly entry: AttemptEntry;
  readonly outcome: AttemptOutcome;
  /** The record said dead-lettered before this attempt: the message was redriven. */
  readonly redriven?: boolean;
  /** With `redriven`: the dead letter the attempted copy was redriven from (its dead-lettered-at). */
  readonly redriveOf?: string;
  /** The lease the attempt was made under ({@link LeaseRequest.holder}): the write ends it. */
  readonly holder?: string;
}

/** A delivery lease to take on a message's record before attempting it. */
export interface LeaseRequest {
  readonly envelope: MessageEnvelope;
  readonly fingerprint: string;
  /** Who takes it: the SQS message id of the received copy (its own later receives may take it again). */
  readonly holder: string;
  /** Now, as the forwarder's clock tells it: a lease ending before this is over. */
  readonly now: Date;
  /** When the lease ends unless a result write ends it first. */
  readonly until: Date;
}

/**
 * What {@link MessageRecords.lease} found. Either way the record comes with it, so the lease is also
 * the forwarder's idempotency read.
 */
export type LeaseResult =
  /** Taken: the record as it is now, lease included. */
  | { readonly kind: 'leased'; readonly record: StoredMessageRecord }
  /**
   * Refused, with the record that refused it: delivered, another body's, the live lease of another
   * copy, or (for a copy that was never dead-lettered itself) already dead-lettered.
   */
  | { readonly kind: 'refused'; readonly record: StoredMessageRecord };

/** The message table: one status record per message and route. */
export interface MessageRecords {
  /** Creates the record of a message being accepted, unless its id is already taken on the route. */
  claim(envelope: MessageEnvelope, fingerprint: string): Promise<ClaimResult>;
  /** Removes a record {@link claim} created for a message no store then took (answered 503). */
  release(envelope: MessageEnvelope, fingerprint: string): Promise<void>;
  /** Notes that the ingest stored the message in the failover table. */
  markInFailover(envelope: MessageEnvelope): Promise<void>;
  /** Notes that the drainer moved these messages from the failover table to their queues. */
  markDrained(envelopes: readonly MessageEnvelope[]): Promise<void>;
  /** Reads one record. */
  get(key: RecordKey): Promise<StoredMessageRecord | undefined>;
  /**
   * Takes the delivery lease on a message's record with one conditional write: only if the record
   * is not delivered, is this body's, no live lease of another copy holds it, and, for a copy that
   * was never dead-lettered itself, the id is not dead-lettered (a record the ingest could not write
   * is created). The lease ends with {@link recordAttempt}, or by itself.
   */
  lease(request: LeaseRequest): Promise<LeaseResult>;
  /** Ends a lease without recording an attempt (a probe's try put back as it was); only its holder's. */
  endLease(envelope: MessageEnvelope, holder: string): Promise<void>;
  /**
   * Records one delivery attempt and ends its lease (`update.holder`); `conflict` when the record
   * refused it: another copy was recorded delivered first, or the record belongs to another body.
   */
  recordAttempt(update: AttemptUpdate): Promise<'recorded' | 'conflict'>;
}

/** A record's key as one string (route and id), for maps of records. */
export function recordKeyOf(key: RecordKey): string {
  return `${key.route}\u0000${key.messageId}`;
}

/** Where a key of an ordered route stands in the failover table (its counter item). */
export interface KeyState {
  /** Highest sequence number known to be taken (a hint: it may lag behind, never run ahead). */
  readonly lastSequence: number;
  /** Sequence up to which the key's items were moved to SQS (0 when none). */
  readonly movedThrough: number;
}

/**
 * The failover table's ordered side. Each item of an ordered route is stored under its key's next
 * sequence number (the item's own table key is that slot, claimed with a conditional put, so two
 * items can never share a number and numbers have no gaps), and each key has a counter item with
 * the drainer's `movedThrough` mark. Single-item conditional writes only, no transactions.
 */
export interface OrderedFailoverStore {
  /** The key's counter, read strongly consistently. */
  keyState(route: string, key: string): Promise<KeyState>;
  /** Whether the key has items parked (strongly consistent reads): a new message must queue behind them. */
  holdsItems(route: string, key: string): Promise<boolean>;
  /** Parks an envelope (with `orderingKey`) as its key's next item. */
  putInOrder(envelope: MessageEnvelope): Promise<'stored'>;
  /** After SQS confirmed it: moves the key's mark past the item, then deletes the item. */
  confirmMoved(item: FailoverItem): Promise<void>;
  /**
   * An item found at or below its key's mark that still exists (its move was recorded but its
   * delete was not, or a concurrent put of the key reused the number after the move): parked again
   * at the end of its key, then deleted at its old place, so it is never lost.
   */
  repark(item: FailoverItem): Promise<void>;
}

/**
 * Counts, per message, the receives in which the forwarder did not attempt it because an earlier
 * message of its FIFO group failed in the same batch. SQS counts those receives too
 * (ApproximateReceiveCount), so without this a message would use up its attempts waiting.
 */
export interface SkipLedger {
  /** Adds one skipped receive to each message. */
  recordSkips(route: string, messageIds: readonly string[]): Promise<void>;
  /** Skipped receives of a message so far (strongly consistent). */
  skipsOf(route: string, messageId: string): Promise<number>;
}

/**
 * A route's circuit breaker state (shared/circuit-breaker.ts). Every change of position is
 * conditional, so concurrent forwarders and probes agree on one.
 */
export interface BreakerStore {
  /** The route's breaker; closed when it never moved. */
  read(route: string, consistent?: boolean): Promise<BreakerState>;
  /** Counts one failed attempt while closed; the new count, or undefined when it is not closed. */
  countFailure(route: string): Promise<number | undefined>;
  /** A delivery while closed: back to zero failures (a no-op write when already zero). */
  resetFailures(route: string): Promise<void>;
  /** closed → open when the count reached `threshold`; true for the one caller that opened it. */
  open(route: string, threshold: number, now: Date, probeAt: Date): Promise<boolean>;
  /** open → half-open once `probeAt` has passed; true for the one caller that may probe. */
  startProbe(route: string, now: Date, leaseUntil: Date): Promise<boolean>;
  /** half-open → open, the next probe at `probeAt`. */
  reopen(route: string, probeAt: Date): Promise<void>;
  /**
   * half-open → closed, deliveries ramping up from `rampConcurrency` when given; the closed state,
   * or undefined when it was not half-open.
   */
  close(route: string, now: Date, rampConcurrency?: number): Promise<BreakerState | undefined>;
  /** One ramp step while closed: from `from` batches at once to `to` (undefined: the ramp is over). */
  advanceRamp(route: string, from: number, to: number | undefined): Promise<boolean>;
  /** `gd pause` / `gd resume` on AWS: whether the operator holds deliveries stopped. */
  setManualPause(route: string, paused: boolean): Promise<BreakerState>;
}

/**
 * Starts and stops a route's deliveries: its event source mapping on AWS, a queue tag read by the
 * local runner's emulated mapping.
 */
export interface DeliverySwitch {
  stop(): Promise<void>;
  /** Starts deliveries; with `concurrency`, at most that many batches at once until {@link limit} raises it. */
  start(concurrency?: number): Promise<void>;
  /** Sets how many batches may run at once; undefined = the route's own `concurrency` again. */
  limit(concurrency: number | undefined): Promise<void>;
}

/** Where the ingest writes a body over the claim-check threshold before it stores the message. */
export interface PayloadStore {
  /** Writes the body's exact bytes under the reference's key; resolves only once S3 acknowledged them. */
  put(reference: PayloadReference, body: Uint8Array | string, contentType: string): Promise<void>;
}

/**
 * What the forwarder's fetch of a large body came to: its bytes; `missing` (no object under the key:
 * it was deleted or expired, and waiting will not bring it back); or `unavailable` (S3 failed: network,
 * timeout, 5xx, throttling, denied; it may answer later).
 */
export type PayloadFetch =
  | { readonly kind: 'found'; readonly bytes: Uint8Array }
  | { readonly kind: 'missing'; readonly reason: string }
  | { readonly kind: 'unavailable'; readonly reason: string };

/** Where the forwarder reads a large body from. */
export interface PayloadSource {
  /** Never throws: a failure is a {@link PayloadFetch} with its reason. */
  fetch(reference: PayloadReference): Promise<PayloadFetch>;
}

/** What the forwarder sends to a backend. */
export interface DeliveryRequest {
  readonly url: string;
  readonly body: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly timeoutMs: number;
}

/** What came back: a status, or no answer at all. */
export type DeliveryResponse =
  | {
      readonly kind: 'answered';
      readonly status: number;
      readonly retryAfterSeconds?: number;
      /** The start of the answer's body (the status record keeps it), when it had one. */
      readonly body?: string;
    }
  | { readonly kind: 'no-answer'; readonly error: string };

/** The HTTP backend. Never throws: a network error or timeout is a `no-answer` response. */
export interface Backend {
  post(request: DeliveryRequest): Promise<DeliveryResponse>;
}

/** Time, injectable so tests can control it. */
export interface Clock {
  now(): Date;
}

/** The real clock, for the functions; tests hand in a fake one. */
export const systemClock: Clock = { now: () => new Date() };
