import type { Logger } from '@aws-lambda-powertools/logger';
import type { MessageEnvelope } from '../../shared/envelope.js';
import { describeError } from '../../shared/errors.js';
import { errorResponse, type HttpResponse, jsonResponse } from '../../shared/http-response.js';
import { LOG_EVENT } from '../../shared/log-events.js';
import type { Clock, FailoverStore, MessageQueue } from '../../shared/ports.js';
import { type IngestRequest, type IngestRules, parseRequest } from './parse-request.js';

/** What the ingest needs; built once per container by the handler, or by a test. */
export interface IngestDeps {
  readonly queue: MessageQueue;
  readonly failover: FailoverStore;
  readonly logger: Logger;
  readonly clock: Clock;
  readonly newId: () => string;
  readonly rules: IngestRules;
  /** Log message bodies too. Off by default: payloads may hold personal data. */
  readonly logPayloads?: boolean;
}

/** Seconds a client is asked to wait when neither store took the message. */
export const RETRY_AFTER_SECONDS = 5;

/** Where an accepted message was stored, as the 202 body says. */
export type StoreName = 'queue' | 'failover';

/**
 * Stores a valid envelope durably: the delivery queue first, the failover table when the queue
 * write fails. Resolves to the store that acknowledged it, or undefined when neither did.
 */
export async function storeEnvelope(
  envelope: MessageEnvelope,
  deps: IngestDeps,
): Promise<StoreName | undefined> {
  try {
    await deps.queue.send(envelope);
    return 'queue';
  } catch (queueError) {
    return storeInFailover(envelope, deps, describeError(queueError));
  }
}

/**
 * The fallback of every ingest write, single or batch: the failover table, for an envelope the queue
 * did not acknowledge (`queueError` says why). Resolves to 'failover', or undefined when the table
 * did not acknowledge it either.
 */
export async function storeInFailover(
  envelope: MessageEnvelope,
  deps: IngestDeps,
  queueError: string,
): Promise<'failover' | undefined> {
  const context = { messageId: envelope.id, route: envelope.route };
  deps.logger.warn('queue write failed, trying the failover table', {
    event: LOG_EVENT.QUEUE_WRITE_FAILED,
    ...context,
    error: queueError,
  });
  try {
    const outcome = await deps.failover.put(envelope);
    if (outcome === 'already-stored') {
      deps.logger.info('already in the failover table', { event: LOG_EVENT.FAILOVER_DUPLICATE, ...context });
    }
    return 'failover';
  } catch (failoverError) {
    deps.logger.error('failover write failed too; answering 503', {
      event: LOG_EVENT.NOT_STORED,
      ...context,
      error: describeError(failoverError),
    });
    return undefined;
  }
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
    bytes: Buffer.byteLength(envelope.body),
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

/** The whole ingest: validate, store, answer 202 (durable), 4xx (bad input) or 503 (nothing stored). */
export async function acceptMessage(request: IngestRequest, deps: IngestDeps): Promise<HttpResponse> {
  const parsed = parseRequest(request, deps.rules, deps.newId, deps.clock.now());
  if (!parsed.ok) {
    logRejected(parsed.response, deps);
    return parsed.response;
  }
  const { envelope } = parsed;
  const store = await storeEnvelope(envelope, deps);
  if (!store) {
    // The id goes back even on a 503: a write that timed out may still have landed in a store, and
    // a client that retries with `Idempotency-Key: <messageId>` then gets one message, not two.
    return errorResponse(
      503,
      NOT_STORED_ERROR,
      { messageId: envelope.id, retryAfterSeconds: RETRY_AFTER_SECONDS },
      { 'retry-after': String(RETRY_AFTER_SECONDS) },
    );
  }
  logAccepted(envelope, store, deps);
  return jsonResponse(202, { messageId: envelope.id, store });
}
