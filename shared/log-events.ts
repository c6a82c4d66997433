/**
 * Stable names of the functions' log records. Every record a function writes carries one as its
 * `event` field; whatever reads the logs (the local runner's journey view, a CloudWatch Logs
 * Insights query such as `filter event = "dead-lettered"`) matches on it. The human `message` text
 * beside it is free to change.
 */
export const LOG_EVENT = {
  /** Ingest: the message is durable in the queue or the failover table (202). */
  ACCEPTED: 'accepted',
  /** Ingest: a request or batch entry was refused for bad input (4xx); `status` and `reason` say why. */
  REJECTED: 'rejected',
  /** Ingest: SQS did not acknowledge the write; the failover table is tried next. */
  QUEUE_WRITE_FAILED: 'queue-write-failed',
  /** Ingest: the failover table already held this id (a client's retry of a failed-over message). */
  FAILOVER_DUPLICATE: 'failover-duplicate',
  /** Ingest: neither store acknowledged the write; the client gets 503. */
  NOT_STORED: 'not-stored',
  /** Ingest: a body over the claim-check threshold could not be written to S3; the client gets 503. */
  PAYLOAD_NOT_WRITTEN: 'payload-not-written',
  /** Forwarder: a large body could not be sent: its object is missing or its SHA-256 differs (`reason`). */
  PAYLOAD_REFUSED: 'payload-refused',
  /** Ingest: the client's Idempotency-Key is taken by another body; the client gets 409. */
  KEY_REUSED: 'key-reused',
  /** Ingest, forwarder, drainer: a message's status record could not be written; the message goes on. */
  RECORD_NOT_WRITTEN: 'record-not-written',
  /** Ingest, ordered route: the key still has items in the failover table; the message joins them there. */
  PARKED_BEHIND_KEY: 'parked-behind-key',
  /** Forwarder: the backend answered 2xx. */
  DELIVERED: 'delivered',
  /**
   * Forwarder: the id was delivered before, or has its dead letter and this copy is not its redrive
   * (its status record says so); this copy was dropped.
   */
  DUPLICATE_SUPPRESSED: 'duplicate-suppressed',
  /**
   * Forwarder: another copy of the id holds its delivery lease (it is being attempted); this copy was
   * put back until the lease ends, no attempt counted.
   */
  COPY_PUT_BACK: 'copy-put-back',
  /** Forwarder: another copy of the id was recorded delivered at the very same moment. */
  DELIVERED_CONCURRENTLY: 'delivered-concurrently',
  /** Forwarder: the attempt failed and the message comes back after `retryInSeconds`. */
  ATTEMPT_FAILED: 'attempt-failed',
  /** Forwarder: the retry delay could not be set; the queue's visibility timeout applies instead. */
  RETRY_DELAY_NOT_SET: 'retry-delay-not-set',
  /** Forwarder: the message went to the dead-letter queue with its `reason`. */
  DEAD_LETTERED: 'dead-lettered',
  /**
   * Forwarder, ordered route: records skipped behind a failed one of their key could not be made
   * visible again; they come back after the queue's visibility timeout instead.
   */
  SKIPPED_NOT_RELEASED: 'skipped-not-released',
  /** Forwarder: the route's circuit breaker opened after `failures` consecutive failed attempts; deliveries stop. */
  BREAKER_OPENED: 'breaker-opened',
  /** Forwarder: records received while the breaker was open went back to the queue, no attempt counted. */
  BREAKER_HELD: 'breaker-held',
  /** Forwarder probe: the breaker went half-open; one message is about to be tried. */
  BREAKER_PROBING: 'breaker-probing',
  /** Forwarder probe: the one message tried while open failed (or there was none); the breaker stays open. */
  BREAKER_PROBE_FAILED: 'breaker-probe-failed',
  /** Forwarder probe: the tried message got an answer; the breaker closed and deliveries resume. */
  BREAKER_CLOSED: 'breaker-closed',
  /** Forwarder: the route's deliveries could not be stopped or started (the next probe tries again). */
  BREAKER_SWITCH_FAILED: 'breaker-switch-failed',
  /** Drainer: another drainer holds the lease; this run does nothing. */
  DRAIN_LEASE_HELD: 'drain-lease-held',
  /** Drainer: SQS was unavailable for some failover items (down, 5xx, throttled); they stay for the next run. */
  DRAIN_SEND_FAILED: 'drain-send-failed',
  /**
   * Drainer: SQS refused some failover items for themselves (SenderFault: too large, characters it
   * does not allow); they stay in the table, the run goes on, and retrying will not help.
   */
  DRAIN_REFUSED: 'drain-refused',
  /** Drainer: a failover item names a route with no queue; it is left in place. */
  DRAIN_UNROUTABLE: 'drain-unroutable',
  /** Drainer: the run stopped on an error after moving `movedBeforeError` items. */
  DRAIN_INTERRUPTED: 'drain-interrupted',
  /** Drainer: the lease could not be released; it expires on its own. */
  DRAIN_LEASE_NOT_RELEASED: 'drain-lease-not-released',
  /** Drainer: a run that moved, failed or skipped something, with its counts. */
  DRAIN_FINISHED: 'drain-finished',
} as const;

/** One of {@link LOG_EVENT}'s names. */
export type LogEvent = (typeof LOG_EVENT)[keyof typeof LOG_EVENT];
