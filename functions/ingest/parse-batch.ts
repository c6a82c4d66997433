import { BATCH_MAX_MESSAGES, BATCH_MAX_REQUEST_BYTES } from '../../shared/config/batch-ingest.js';
import type { HttpResponse } from '../../shared/http-response.js';
import { TRACE_HEADER } from '../../shared/trace-context.js';
import { type IngestRequest, jsonDepth, MAX_JSON_DEPTH, readJsonText, refuse } from './parse-request.js';

/**
 * One message of a batch, ready for the single-message rules: a request of its own (its body as
 * JSON text, its idempotency key as the header), or the 400 that says why the entry is malformed.
 */
export type BatchEntry =
  | { readonly ok: true; readonly request: IngestRequest; readonly idempotencyKey?: string }
  | { readonly ok: false; readonly response: HttpResponse };

/** The batch's entries, each still to be validated on its own, or the answer that refuses the whole batch. */
export type BatchParseResult =
  | { readonly ok: true; readonly entries: readonly BatchEntry[] }
  | { readonly ok: false; readonly response: HttpResponse };

/** The batch's own nesting (object, `messages` array, entry object) on top of each message's. */
const BATCH_NESTING = 3;

const ENTRY_FIELDS = new Set(['body', 'idempotencyKey']);

const fail = refuse;

/**
 * Checks the batch as a whole (method, content type, size, JSON, `{"messages": [...]}` with 1 to
 * {@link BATCH_MAX_MESSAGES} entries) and splits it into per-message requests. What is wrong with
 * one entry is that entry's answer, not the batch's: each message is then validated on its own by
 * the same rules as a single POST.
 */
export function parseBatchRequest(request: IngestRequest): BatchParseResult {
  const read = readJsonText(request, BATCH_MAX_REQUEST_BYTES, 'send {"messages": [...]}');
  if (!read.ok) return read;
  const { text, contentType } = read;
  const depth = jsonDepth(text);
  if (depth > MAX_JSON_DEPTH + BATCH_NESTING) {
    return fail(400, `body nests ${depth} levels deep; the limit is ${MAX_JSON_DEPTH + BATCH_NESTING}`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    return fail(400, 'body is not valid JSON', { detail: (error as Error).message });
  }
  const messages = (parsed as { messages?: unknown } | null)?.messages;
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed) || !Array.isArray(messages)) {
    return fail(400, 'body must be {"messages": [{"body": ..., "idempotencyKey"?: "..."}, ...]}');
  }
  if (messages.length === 0) return fail(400, 'messages is empty; send 1 to 100 messages');
  if (messages.length > BATCH_MAX_MESSAGES) {
    return fail(413, `batch has ${messages.length} messages; the limit is ${BATCH_MAX_MESSAGES}`, {
      limitMessages: BATCH_MAX_MESSAGES,
    });
  }
  return {
    ok: true,
    entries: messages.map((message) =>
      toEntry(message, contentType ?? 'application/json', traceHeaders(request.headers)),
    ),
  };
}

/** The batch POST's trace context: every message of the batch joins the client's one trace. */
function traceHeaders(headers: IngestRequest['headers']): Record<string, string | undefined> {
  return {
    [TRACE_HEADER.TRACEPARENT]: headers[TRACE_HEADER.TRACEPARENT],
    [TRACE_HEADER.TRACESTATE]: headers[TRACE_HEADER.TRACESTATE],
  };
}

function toEntry(
  message: unknown,
  contentType: string,
  trace: Record<string, string | undefined>,
): BatchEntry {
  if (typeof message !== 'object' || message === null || Array.isArray(message)) {
    return fail(400, 'each message must be an object {"body": ..., "idempotencyKey"?: "..."}');
  }
  const unknown = Object.keys(message).filter((field) => !ENTRY_FIELDS.has(field));
  if (unknown.length > 0) {
    // A misspelt idempotencyKey would otherwise be ignored silently, and a retry would duplicate.
    return fail(400, `unknown message field(s) ${unknown.map((f) => `'${f}'`).join(', ')}`, {
      allowed: [...ENTRY_FIELDS],
    });
  }
  const { body, idempotencyKey } = message as { body?: unknown; idempotencyKey?: unknown };
  if (body === undefined) return fail(400, 'message has no body');
  if (idempotencyKey !== undefined && typeof idempotencyKey !== 'string') {
    return fail(400, 'idempotencyKey must be a string');
  }
  const headers: Record<string, string | undefined> = { ...trace, 'content-type': contentType };
  if (idempotencyKey !== undefined) headers['idempotency-key'] = idempotencyKey;
  return {
    ok: true,
    request: { method: 'POST', headers, body: JSON.stringify(body), isBase64Encoded: false },
    ...(idempotencyKey === undefined ? {} : { idempotencyKey }),
  };
}
