import type { MessageEnvelope } from '../../shared/envelope.js';
import { describeError } from '../../shared/errors.js';
import { type HttpResponse, jsonResponse } from '../../shared/http-response.js';
import { fingerprintOf } from '../../shared/message-record.js';
import {
  type IngestDeps,
  keyReused,
  keyReusedError,
  logAccepted,
  logRejected,
  NOT_STORED_ERROR,
  RETRY_AFTER_SECONDS,
  type StoreName,
  type StoreOutcome,
  storeEnvelope,
  storeInFailover,
} from './accept-message.js';
import { checkLargeBody, PAYLOAD_NOT_STORED_ERROR } from './claim-check.js';
import { parseBatchRequest } from './parse-batch.js';
import type { IngestRequest } from './parse-request.js';
import { parseRequest } from './parse-request.js';
import { recordAcceptance } from './record-acceptance.js';

/** One message's answer in a batch: accepted (durable, as a single POST's 202) or not, and why. */
export type BatchResult =
  | { readonly messageId: string; readonly store: StoreName }
  | ({ readonly status: number; readonly error: string } & Record<string, unknown>);

/** The batch's answer, and each message's result for the handler's metrics. */
export interface BatchOutcome {
  readonly response: HttpResponse;
  /** One per message, in request order; empty when the batch as a whole was refused. */
  readonly results: readonly BatchResult[];
}

/** Status of a batch in which every message was accepted. */
export const BATCH_ALL_ACCEPTED = 202;
/** Status of a batch in which some messages were accepted and some not (WebDAV's Multi-Status). */
export const BATCH_SOME_ACCEPTED = 207;

/** Whether a batch entry's result is an acceptance (stored durably, with its message id). */
export const isAccepted = (result: BatchResult): result is { messageId: string; store: StoreName } =>
  'store' in result;

/**
 * `POST <route path>/batch`: each message validated on its own by the single POST's rules, the valid
 * ones written with SendMessageBatch, those SQS does not acknowledge put into the failover table one
 * by one, and one result per message in request order. A result is `{messageId, store}` only once
 * that store acknowledged the write; the HTTP status says whether all, some or none were accepted
 * ({@link batchStatus}).
 */
export async function acceptBatch(request: IngestRequest, deps: IngestDeps): Promise<BatchOutcome> {
  const parsed = parseBatchRequest(request);
  if (!parsed.ok) {
    logRejected(parsed.response, deps);
    return { response: parsed.response, results: [] };
  }
  const now = deps.clock.now();
  const results: BatchResult[] = [];
  /** Envelopes to store, each once, with the positions whose result it decides. */
  const toStore = new Map<string, { envelope: MessageEnvelope; positions: number[] }>();
  /** The first message of each idempotency key in this batch. */
  const firstByKey = new Map<string, { body: string; position: number }>();

  parsed.entries.forEach((entry, position) => {
    const single = entry.ok
      ? parseRequest(withBatchKeyHeader(entry.request, request, deps), deps.rules, deps.newId, now)
      : entry;
    if (!single.ok) {
      logRejected(single.response, deps, position);
      results[position] = { status: single.response.statusCode, ...JSON.parse(single.response.body) };
      return;
    }
    const { envelope } = single;
    const key = entry.ok ? entry.idempotencyKey : undefined;
    const first = key === undefined ? undefined : firstByKey.get(key);
    if (key !== undefined && first) {
      if (first.body === envelope.body) {
        // The same key and body twice is one message, as a client retry of a single POST is.
        toStore.get(envelope.id)?.positions.push(position);
      } else {
        results[position] = {
          status: 409,
          error: `Idempotency-Key '${key}' was already used in this batch (message ${first.position}) with a different body`,
          idempotencyKey: key,
        };
        logRejected(jsonResponse(409, results[position]), deps, position);
      }
      return;
    }
    if (key !== undefined) firstByKey.set(key, { body: envelope.body, position });
    toStore.set(envelope.id, { envelope, positions: [position] });
  });

  // Large bodies to S3 first, all at once; an entry whose body S3 did not take is not stored (503).
  const checked = await Promise.all(
    [...toStore.values()].map(async ({ envelope, positions }) => ({
      id: envelope.id,
      positions,
      envelope: await checkLargeBody(envelope, deps),
    })),
  );
  const stored = await storeAll(
    checked.flatMap((item) => (item.envelope ? [item.envelope] : [])),
    deps,
  );
  for (const { id, envelope, positions } of checked) {
    if (!envelope) {
      const result = notStoredResult(id, PAYLOAD_NOT_STORED_ERROR);
      for (const position of positions) results[position] = result;
      continue;
    }
    const store = stored.get(envelope.id);
    if (store === 'key-reused') {
      const result: BatchResult = { status: 409, ...keyReusedError(envelope.id) };
      for (const position of positions) results[position] = result;
      continue;
    }
    if (store) logAccepted(envelope, store, deps);
    const result: BatchResult = store
      ? { messageId: envelope.id, store }
      : notStoredResult(envelope.id, NOT_STORED_ERROR);
    for (const position of positions) results[position] = result;
  }
  return { response: batchResponse(results), results };
}

/** A batch entry's result when it was not stored (503, as a single POST's answer). */
function notStoredResult(messageId: string, error: string): BatchResult {
  return { status: 503, error, messageId, retryAfterSeconds: RETRY_AFTER_SECONDS };
}

/**
 * Claims each envelope's status record (all at once), then writes those not refused for a reused key
 * to the queue in SendMessageBatch requests, then each one SQS did not acknowledge to the failover
 * table, as a single POST does. Resolves to each id's store, 'key-reused' for a key another request
 * holds with another body, or undefined for an id neither store acknowledged.
 */
async function storeAll(
  envelopes: readonly MessageEnvelope[],
  deps: IngestDeps,
): Promise<Map<string, StoreOutcome>> {
  const stores = new Map<string, StoreOutcome>();
  if (envelopes.length === 0) return stores;
  if (deps.ordered) return storeInOrder(envelopes, deps);
  const records = await Promise.all(
    envelopes.map((envelope) =>
      recordAcceptance(envelope, fingerprintOf(envelope), deps.records, deps.logger),
    ),
  );
  const recordOf = new Map(envelopes.map((envelope, i) => [envelope.id, records[i] ?? 'unrecorded']));
  const toSend = envelopes.filter((envelope) => {
    if (recordOf.get(envelope.id) !== 'key-reused') return true;
    stores.set(envelope.id, keyReused(envelope, deps));
    return false;
  });
  if (toSend.length === 0) return stores;
  let failed: readonly { id: string; reason: string }[];
  try {
    const sent = await deps.queue.sendBatch(toSend);
    for (const id of sent.sent) stores.set(id, 'queue');
    failed = sent.failed;
  } catch (error) {
    // The port promises not to throw; if it does anyway, nothing it was given counts as queued.
    const reason = describeError(error);
    failed = toSend.map((envelope) => ({ id: envelope.id, reason }));
  }
  const byId = new Map(toSend.map((envelope) => [envelope.id, envelope]));
  await Promise.all(
    failed.map(async ({ id, reason }) => {
      const envelope = byId.get(id);
      if (envelope && !stores.has(id)) {
        stores.set(id, await storeInFailover(envelope, deps, reason, recordOf.get(id) ?? 'unrecorded'));
      }
    }),
  );
  return stores;
}

/**
 * On a route ordered by a header, the batch request's header is the key of each of its messages
 * (an entry carries only a body and an idempotency key).
 */
function withBatchKeyHeader(entry: IngestRequest, batch: IngestRequest, deps: IngestDeps): IngestRequest {
  const rule = deps.rules.ordering;
  if (!rule || !('keyHeader' in rule)) return entry;
  const name = rule.keyHeader.toLowerCase();
  return { ...entry, headers: { ...entry.headers, [name]: batch.headers[name] } };
}

/**
 * An ordered route's batch: one message at a time, in request order, each as a single POST is
 * stored (behind its key's parked items). A SendMessageBatch could take a key's later message and
 * refuse an earlier one, which would then come after it. Once one message of a key was not stored,
 * the key's later messages in the batch are not stored either: they would overtake it.
 */
async function storeInOrder(
  envelopes: readonly MessageEnvelope[],
  deps: IngestDeps,
): Promise<Map<string, StoreOutcome>> {
  const stores = new Map<string, StoreOutcome>();
  const refusedKeys = new Set<string>();
  for (const envelope of envelopes) {
    const key = envelope.orderingKey ?? '';
    const store = refusedKeys.has(key) ? undefined : await storeEnvelope(envelope, deps);
    if (store !== 'queue' && store !== 'failover') refusedKeys.add(key);
    stores.set(envelope.id, store);
  }
  return stores;
}

/**
 * The batch's HTTP answer: 202 when every message was accepted, 207 when some were, and when none
 * was, 503 with Retry-After if any failed only because both stores were unavailable (retrying can
 * help), otherwise the status all results share (400, 409, 413...), or 400 when they differ.
 */
export function batchResponse(results: readonly BatchResult[]): HttpResponse {
  const accepted = results.filter(isAccepted).length;
  const statuses = results.flatMap((result) => ('status' in result ? [result.status] : []));
  const retry = statuses.includes(503) ? { 'retry-after': String(RETRY_AFTER_SECONDS) } : undefined;
  const body = { accepted, rejected: results.length - accepted, results };
  if (accepted === results.length) return jsonResponse(BATCH_ALL_ACCEPTED, body);
  if (accepted > 0) return jsonResponse(BATCH_SOME_ACCEPTED, body, retry);
  const [firstStatus = 400] = statuses;
  const status = retry ? 503 : statuses.every((s) => s === firstStatus) ? firstStatus : 400;
  return jsonResponse(
    status,
    { error: `none of the ${results.length} messages was accepted`, ...body },
    retry,
  );
}
