import { createHash } from 'node:crypto';
import type { MessageEnvelope } from './envelope.js';

/**
 * The per-message status record: what became of one message on one route, attempt by attempt.
 * The same record is the forwarder's idempotency record (a record marked delivered is never
 * delivered again) and remembers the body's fingerprint, so a client's `Idempotency-Key` reused
 * with another body is answered 409 instead of being silently dropped.
 */

/** Where a message is in its life, as `GET <route path>/{messageId}` reports it. */
export type MessageState = 'queued' | 'in-failover' | 'retrying' | 'delivered' | 'dead-lettered';

/** Which store took the message at ingest. */
export type AcceptedStore = 'queue' | 'failover';

/** One delivery attempt. */
export interface AttemptEntry {
  /** 1 for the first attempt; keeps counting across a DLQ redrive. */
  readonly attempt: number;
  /** When the attempt started (ISO 8601). */
  readonly at: string;
  /** How long the backend took to answer (or to fail). */
  readonly durationMs: number;
  /** The backend's status, when it answered at all. */
  readonly status?: number;
  /** Why there was no answer (timeout, connection refused, ...). */
  readonly error?: string;
  /** The start of the backend's answer body, at most {@link RESPONSE_SNIPPET_BYTES} bytes. */
  readonly response?: string;
}

/** A message's record, in the shape `GET <route path>/{messageId}` answers. */
export interface MessageRecord {
  readonly messageId: string;
  readonly route: string;
  readonly state: MessageState;
  /** When the ingest accepted the message (ISO 8601). */
  readonly acceptedAt: string;
  readonly store: AcceptedStore;
  /** The body's size in bytes as received (a large one's too, kept in the payload bucket). */
  readonly bodyBytes?: number;
  readonly attempts: readonly AttemptEntry[];
  /** When the next attempt is due, while the state is `retrying`. */
  readonly nextAttemptAt?: string;
  readonly deliveredAt?: string;
  readonly deadLetteredAt?: string;
  /** Why it was dead-lettered. */
  readonly reason?: string;
  /** When it was first attempted again after a DLQ redrive. */
  readonly redrivenAt?: string;
  /** When the drainer moved it from the failover table to the queue. */
  readonly drainedAt?: string;
}

/** A stored record: the view plus what only the services read. */
export interface StoredMessageRecord extends MessageRecord {
  /** SHA-256 of the content type and body: tells "the same message again" from "a key reused". */
  readonly fingerprint: string;
  /** When DynamoDB may delete the record (epoch seconds; the table's TTL attribute). */
  readonly expiresAt?: number;
  /**
   * The delivery lease (ISO 8601): while it lies ahead, the copy that {@link leaseHolder} names is
   * attempting the message and no other copy may. Taken before an attempt, ended by its result write.
   */
  readonly leaseUntil?: string;
  /** The SQS message id of the copy holding the lease (its later receives hold it too). */
  readonly leaseHolder?: string;
  /**
   * The dead letter (its dead-lettered-at) whose redriven copy was last attempted: another redriven
   * copy of the id, from an older dead letter, is a duplicate of it.
   */
  readonly redriveOf?: string;
}

/** The backend's answer is kept up to this many bytes per attempt (the start of its body). */
export const RESPONSE_SNIPPET_BYTES = 1024;

/**
 * Attempts after this many keep no response snippet. A record is one DynamoDB item (400 KB at
 * most), and a route may allow up to 1,000 attempts: 64 snippets of 1 KB and the rest without
 * one stays far below the limit.
 */
export const MAX_ATTEMPTS_WITH_RESPONSE = 64;

/**
 * The fingerprint of a message: SHA-256 over its content type and body bytes. The body is the
 * request's exact UTF-8 text (the ingest refuses anything else), so ingest and forwarder compute
 * the same value from the envelope alone.
 */
export function fingerprintOf(envelope: Pick<MessageEnvelope, 'body' | 'contentType'>): string {
  return createHash('sha256')
    .update(envelope.contentType)
    .update('\n')
    .update(envelope.body)
    .digest('base64url');
}

/** The stored record without its internal fields, in the lookup's field order. */
export function toRecordView(stored: StoredMessageRecord): MessageRecord {
  return definedFields({
    messageId: stored.messageId,
    route: stored.route,
    state: stored.state,
    acceptedAt: stored.acceptedAt,
    store: stored.store,
    bodyBytes: stored.bodyBytes,
    attempts: (stored.attempts ?? []).map((attempt) =>
      definedFields({
        attempt: attempt.attempt,
        at: attempt.at,
        durationMs: attempt.durationMs,
        status: attempt.status,
        error: attempt.error,
        response: attempt.response,
      }),
    ),
    nextAttemptAt: stored.nextAttemptAt,
    deliveredAt: stored.deliveredAt,
    deadLetteredAt: stored.deadLetteredAt,
    reason: stored.reason,
    redrivenAt: stored.redrivenAt,
    drainedAt: stored.drainedAt,
  });
}

/** The object without its undefined fields (they are optional in the JSON, never null). */
function definedFields<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, field]) => field !== undefined)) as T;
}
