import type { DeadLetterInfo, MessageEnvelope } from './envelope.js';

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
}

/** A message parked in the failover table while SQS was unavailable. */
export interface FailoverItem {
  readonly envelope: MessageEnvelope;
  /** When it was written to the table (epoch ms); the drainer moves the oldest first. */
  readonly storedAt: number;
}

/** The DynamoDB failover table. */
export interface FailoverStore {
  /** Writes an envelope unless one with its id is already there (a client retry). */
  put(envelope: MessageEnvelope): Promise<'stored' | 'already-stored'>;
  /** Items, oldest first, read lazily page by page. */
  oldest(pageSize: number): AsyncIterable<FailoverItem>;
  /** Deletes items by message id (after SQS confirmed them). */
  delete(ids: readonly string[]): Promise<void>;
  /** Takes the single-drainer lease for `seconds` unless someone else holds a live one. */
  acquireLease(owner: string, seconds: number): Promise<boolean>;
  /** Gives the lease back early (only if `owner` still holds it). */
  releaseLease(owner: string): Promise<void>;
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
  | { readonly kind: 'answered'; readonly status: number; readonly retryAfterSeconds?: number }
  | { readonly kind: 'no-answer'; readonly error: string };

/** The HTTP backend. Never throws: a network error or timeout is a `no-answer` response. */
export interface Backend {
  post(request: DeliveryRequest): Promise<DeliveryResponse>;
}

/** Time, injectable so tests can control it. */
export interface Clock {
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };
