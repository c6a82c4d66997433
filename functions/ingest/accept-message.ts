import type { Logger } from '@aws-lambda-powertools/logger';
import type { MessageEnvelope } from '../../shared/envelope.js';
import { describeError } from '../../shared/errors.js';
import { errorResponse, type HttpResponse, jsonResponse } from '../../shared/http-response.js';
import { LOG_EVENT } from '../../shared/log-events.js';
import { fingerprintOf } from '../../shared/message-record.js';
import { bodyBytesOf } from '../../shared/payloads.js';
import type {
  Clock,
  FailoverStore,
  MessageQueue,
  MessageRecords,
  OrderedFailoverStore,
  PayloadStore,
} from '../../shared/ports.js';
import { checkLargeBody, PAYLOAD_NOT_STORED_ERROR } from './claim-check.js';
import { type IngestRequest, type IngestRules, parseRequest } from './parse-request.js';
import { type AcceptanceRecord, recordAcceptance } from './record-acceptance.js';

/** What the ingest needs; built once per container by the handler, or by a test. */
export interface IngestDeps {
  readonly queue: MessageQueue;
  readonly failover: FailoverStore;
  /** The message table: each message's status record, claimed before the message is stored. */
  readonly records: MessageRecords;
  readonly logger: Logger;
  readonly clock: Clock;
  readonly newId: () => string;
  readonly rules: IngestRules;
  /** The payload bucket, for bodies over the claim-check threshold (claim-check.ts); absent: none is larger. */
  readonly payloads?: PayloadStore;
  /** The failover table's ordered side; present on an ordered route. */
  readonly ordered?: OrderedFailoverStore;
  /** Log message bodies too. Off by default: payloads may hold personal data. */
  readonly logPayloads?: boolean;
}

/** Seconds a client is asked to wait when neither store took the message. */
export const RETRY_AFTER_SECONDS = 5;

/** Where an accepted message was stored, as the 202 body says. */
export type StoreName = 'queue' | 'failover';

/** What became of one valid message: stored (durably), refused for a reused key, or not stored. */
export type StoreOutcome = StoreName | 'key-reused' | undefined;

/**
 * Stores a valid envelope durably: its status record is claimed first (one conditional PutItem), then
 * the delivery queue takes it, or the failover table when the queue write fails. A key already taken
 * on the route by another body is refused before anything is stored: by the record, or by the
 * failover table's own copy when the record could not be written.
 *
 * Claim, then send: starting both at once would save the claim's round trip, single-digit
 * milliseconds on DynamoDB (bench figure 8 measures it), at the price of a refused body's copy
 * reaching the queue, to be noted on the record and dropped by the forwarder.
 */
export async function storeEnvelope(envelope: MessageEnvelope, deps: IngestDeps): Promise<StoreOutcome> {
  const key = envelope.orderingKey;
  let behindKey = false;
  if (key !== undefined && deps.ordered) {
    // An ordered message queues behind its key's items still in the failover table, even though SQS
    // answers: sent to SQS it would overtake them. When that cannot be known, nothing is stored.
    const context = { messageId: envelope.id, route: envelope.route, orderingKey: key };
    try {
      behindKey = await deps.ordered.holdsItems(envelope.route, key);
    } catch (error) {
      deps.logger.error('cannot tell whether the key has messages in the failover table; answering 503', {
        event: LOG_EVENT.NOT_STORED,
        ...context,
        error: describeError(error),
      });
      return undefined;
    }
    if (behindKey) {
      deps.logger.info('key has messages in the failover table; parked behind them', {
        event: LOG_EVENT.PARKED_BEHIND_KEY,
        ...context,
      });
    }
  }
  const record = await recordAcceptance(envelope, fingerprintOf(envelope), deps.records, deps.logger);
  if (record === 'key-reused') return keyReused(envelope, deps);
  if (behindKey) return storeInFailover(envelope, deps, 'the key has messages in the failover table', record);
  try {
    await deps.queue.send(envelope);
    return 'queue';
  } catch (error) {
    return storeInFailover(envelope, deps, describeError(error), record);
  }
}

/**
 * The fallback of every ingest write, single or batch: the failover table, for an envelope the queue
 * did not acknowledge (`queueError` says why). Resolves to 'failover', 'key-reused' when the table
 * holds another body under the id, or undefined when the table did not acknowledge it either.
 * `record` is what the status record said at acceptance: the record follows the message's store.
 */
export async function storeInFailover(
  envelope: MessageEnvelope,
  deps: IngestDeps,
  queueError: string,
  record: AcceptanceRecord,
): Promise<StoreOutcome> {
  const context = { messageId: envelope.id, route: envelope.route };
  deps.logger.warn('queue write failed, trying the failover table', {
    event: LOG_EVENT.QUEUE_WRITE_FAILED,
    ...context,
    error: queueError,
  });
  const followUp = (what: string, write: () => Promise<void>) =>
    record === 'created'
      ? write().catch((error: unknown) =>
          deps.logger.warn(`status record not ${what}`, {
            event: LOG_EVENT.RECORD_NOT_WRITTEN,
            ...context,
            error: describeError(error),
          }),
        )
      : undefined;
  try {
    // An ordered message takes its key's next place (dynamodb-ordered-failover.ts).
    const outcome =
      envelope.orderingKey !== undefined && deps.ordered
        ? await deps.ordered.putInOrder(envelope)
        : await deps.failover.put(envelope);
    if (outcome === 'key-reused') {
      // The record just claimed holds the refused body: it goes, so the lookup and the forwarder find
      // the body the table holds under the key, not this one.
      await followUp('removed', () => deps.records.release(envelope, fingerprintOf(envelope)));
      return keyReused(envelope, deps);
    }
    if (outcome === 'already-stored') {
      deps.logger.info('already in the failover table', { event: LOG_EVENT.FAILOVER_DUPLICATE, ...context });
    }
    await followUp('updated to in-failover', () => deps.records.markInFailover(envelope));
    return 'failover';
  } catch (failoverError) {
    deps.logger.error('failover write failed too; answering 503', {
      event: LOG_EVENT.NOT_STORED,
      ...context,
      error: describeError(failoverError),
    });
    // Nothing is half-stored: the record claimed for it goes again (a retry claims it anew).
    await followUp('removed', () => deps.records.release(envelope, fingerprintOf(envelope)));
    return undefined;
  }
}

/** Logs a message refused for a key its route holds with another body, single or batch entry. */
export function keyReused(envelope: MessageEnvelope, deps: IngestDeps): 'key-reused' {
  deps.logger.warn('refused: Idempotency-Key reused with another body', {
    event: LOG_EVENT.KEY_REUSED,
    messageId: envelope.id,
    route: envelope.route,
  });
  return 'key-reused';
}

/** The error of a client that reused its Idempotency-Key with another body (409), single or batch. */
export function keyReusedError(key: string) {
  return {
    error: `Idempotency-Key '${key}' was already used with another body; send a new message with a new key`,
    idempotencyKey: key,
  };
}

/** The answer's words for a message neither store took: the same for a single POST and a batch entry. */
export const NOT_STORED_ERROR =
  'message not accepted: neither the queue nor the failover table is available; retry with the same Idempotency-Key';

/** The log line of an accepted message, the same for a single POST and a batch entry. */
export function logAccepted(envelope: MessageEnvelope, store: StoreName, deps: IngestDeps): void {
  deps.logger.info('accepted', {
    event: LOG_EVENT.ACCEPTED,
    messageId: envelope.id,
    route: envelope.route,
    store,
    bytes: bodyBytesOf(envelope),
    ...(deps.logPayloads ? { body: envelope.body } : {}),
  });
}

/** Logs a refused request (or batch entry) with its status and reason, never its body. */
export function logRejected(response: HttpResponse, deps: IngestDeps, index?: number): void {
  deps.logger.info('rejected', {
    event: LOG_EVENT.REJECTED,
    route: deps.rules.route,
    status: response.statusCode,
    reason: JSON.parse(response.body).error,
    ...(index === undefined ? {} : { index }),
  });
}

/**
 * What a single POST came to: `stored` in a store (202), `not-stored` (503, neither store took it),
 * or `rejected` (4xx: bad input, or a key reused with another body). Typed, so the adapter counts
 * outcomes without reading its own answer back.
 */
export type AcceptOutcome = StoreName | 'not-stored' | 'rejected';

/** The answer to a single POST and the outcome behind it. */
export interface AcceptResult {
  readonly response: HttpResponse;
  readonly outcome: AcceptOutcome;
}

/**
 * The 503 of a message not stored. The id goes back: a write that timed out may still have landed in
 * a store, and a client that retries with `Idempotency-Key: <messageId>` then gets one message, not two.
 */
function notStoredResponse(messageId: string, error: string): HttpResponse {
  return errorResponse(
    503,
    error,
    { messageId, retryAfterSeconds: RETRY_AFTER_SECONDS },
    { 'retry-after': String(RETRY_AFTER_SECONDS) },
  );
}

/** The whole ingest: validate, store, answer 202 (durable), 4xx (bad input) or 503 (nothing stored). */
export async function acceptMessage(request: IngestRequest, deps: IngestDeps): Promise<AcceptResult> {
  const parsed = parseRequest(request, deps.rules, deps.newId, deps.clock.now());
  if (!parsed.ok) {
    logRejected(parsed.response, deps);
    return { response: parsed.response, outcome: 'rejected' };
  }
  // A large body goes to S3 first: a message is never stored without its body.
  const envelope = await checkLargeBody(parsed.envelope, deps);
  if (!envelope) {
    return {
      response: notStoredResponse(parsed.envelope.id, PAYLOAD_NOT_STORED_ERROR),
      outcome: 'not-stored',
    };
  }
  const store = await storeEnvelope(envelope, deps);
  if (store === 'key-reused') {
    return { response: jsonResponse(409, keyReusedError(envelope.id)), outcome: 'rejected' };
  }
  if (!store) {
    return { response: notStoredResponse(envelope.id, NOT_STORED_ERROR), outcome: 'not-stored' };
  }
  logAccepted(envelope, store, deps);
  return { response: jsonResponse(202, { messageId: envelope.id, store }), outcome: store };
}
