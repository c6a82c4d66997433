import type { MessageEnvelope } from '../../shared/envelope.js';
import { errorResponse, type HttpResponse } from '../../shared/http-response.js';
import type { OrderingRule } from '../../shared/ordering.js';
import type { BodySchema } from '../../shared/schemas/body-schemas.js';
import { traceFromRequest } from '../../shared/trace-context.js';
import { extractOrderingKey } from './ordering-key.js';

/** The parts of an HTTP request the ingest looks at; header names lower-cased. */
export interface IngestRequest {
  readonly method: string;
  readonly headers: Readonly<Record<string, string | undefined>>;
  readonly body: string | null;
  readonly isBase64Encoded: boolean;
}

/** What the ingest validates a request against. */
export interface IngestRules {
  readonly route: string;
  readonly maxBodyBytes: number;
  readonly schemaName: string;
  readonly schema: BodySchema;
  /** Present on an ordered route: where each message's ordering key is. */
  readonly ordering?: OrderingRule;
}

/** A valid request's envelope, or the 4xx answer that refuses it. */
export type ParseResult =
  | { readonly ok: true; readonly envelope: MessageEnvelope }
  | { readonly ok: false; readonly response: HttpResponse };

/** Deeper JSON than this is refused: no real payload needs it, and deep trees make every later step slow. */
export const MAX_JSON_DEPTH = 64;

/**
 * A client's Idempotency-Key: printable ASCII without spaces, as Stripe-style keys are. Every message
 * id matches it (a generated id is a UUID), so the status lookup answers anything else at once.
 */
export const IDEMPOTENCY_KEY = /^[\x21-\x7e]{1,255}$/;

/**
 * Characters SQS refuses in a message body (anything outside XML's character range). Such a body
 * would fail in SQS *and* be stuck in the failover table for ever, so it is refused at the door.
 */
// biome-ignore lint/suspicious/noControlCharactersInRegex: these are exactly the characters to find.
const NOT_SQS_SAFE = /[^\x09\x0a\x0d\x20-\ud7ff\ue000-\ufffd\u{10000}-\u{10ffff}]/u;

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** A refusal, in the shape every parse result of the ingest shares. */
export const refuse = (
  statusCode: number,
  error: string,
  details?: Record<string, unknown>,
  headers?: Record<string, string>,
) => ({ ok: false as const, response: errorResponse(statusCode, error, details, headers) });
const fail = refuse;

/** Accepts `application/json` and `application/<anything>+json`, in UTF-8 (JSON's only charset). */
export function isJsonContentType(contentType: string | undefined): boolean {
  if (!contentType) return false;
  const [mediaType = '', ...params] = contentType.split(';').map((part) => part.trim().toLowerCase());
  if (mediaType !== 'application/json' && !/^application\/[a-z0-9!#$&^_.-]+\+json$/.test(mediaType))
    return false;
  return params.every((param) => {
    const [name, value = ''] = param.split('=').map((s) => s.trim());
    return name !== 'charset' || ['utf-8', 'utf8', '"utf-8"'].includes(value);
  });
}

/** How deep arrays and objects nest, counted without recursion (the input may be hostile). */
export function jsonDepth(text: string): number {
  let depth = 0;
  let max = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c)
        i++; // backslash: skip the escaped character
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x7b || c === 0x5b) max = Math.max(max, ++depth);
    else if (c === 0x7d || c === 0x5d) depth--;
  }
  return max;
}

/** The request's body as text, or the answer that says why it cannot be read as JSON. */
export type JsonTextResult =
  | { readonly ok: true; readonly text: string; readonly contentType: string }
  | { readonly ok: false; readonly response: HttpResponse };

/**
 * What a single POST and a batch check first, alike: POST, a JSON content type, at most `limitBytes`,
 * not empty, valid UTF-8. `beforeSize` runs after the content type and before the size (the single
 * POST's Idempotency-Key check), so a request gets the same answer as before batches existed.
 */
export function readJsonText(
  request: IngestRequest,
  limitBytes: number,
  emptyHint: string,
  beforeSize?: () => ReturnType<typeof refuse> | undefined,
): JsonTextResult {
  if (request.method.toUpperCase() !== 'POST') {
    return fail(405, `method ${request.method} is not allowed; use POST`, {}, { allow: 'POST' });
  }
  const contentType = request.headers['content-type'];
  if (!isJsonContentType(contentType)) {
    return fail(415, 'Content-Type must be application/json (UTF-8)', {
      contentType: contentType ?? null,
    });
  }
  const early = beforeSize?.();
  if (early) return early;
  const bytes = Buffer.from(request.body ?? '', request.isBase64Encoded ? 'base64' : 'utf8');
  if (bytes.length > limitBytes) {
    return fail(413, `body is ${bytes.length} bytes; the limit is ${limitBytes}`, {
      limitBytes,
    });
  }
  if (bytes.length === 0) return fail(400, `body is empty; ${emptyHint}`);
  try {
    return { ok: true, text: utf8.decode(bytes), contentType: contentType ?? 'application/json' };
  } catch {
    return fail(400, 'body is not valid UTF-8');
  }
}

/**
 * Turns a request into an envelope, or into the 4xx answer that says what is wrong with it
 * (promise 5 of docs/http-contract.md: 400, 413, 415, never a 5xx for bad input).
 */
export function parseRequest(
  request: IngestRequest,
  rules: IngestRules,
  newId: () => string,
  now: Date,
): ParseResult {
  const key = request.headers['idempotency-key'];
  const read = readJsonText(request, rules.maxBodyBytes, 'send a JSON document', () =>
    key !== undefined && !IDEMPOTENCY_KEY.test(key)
      ? fail(400, 'Idempotency-Key must be 1-255 printable ASCII characters without spaces')
      : undefined,
  );
  if (!read.ok) return read;
  const { text, contentType } = read;
  const unsafe = NOT_SQS_SAFE.exec(text);
  if (unsafe) {
    const codePoint = unsafe[0].codePointAt(0) ?? 0;
    return fail(
      400,
      `body contains the character U+${codePoint.toString(16).toUpperCase().padStart(4, '0')}, which cannot be queued; escape it in a JSON string`,
      {
        offset: unsafe.index,
      },
    );
  }
  const depth = jsonDepth(text);
  if (depth > MAX_JSON_DEPTH) {
    return fail(400, `body nests ${depth} levels deep; the limit is ${MAX_JSON_DEPTH}`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    return fail(400, 'body is not valid JSON', { detail: (error as Error).message });
  }
  const validation = rules.schema.safeParse(parsed);
  if (!validation.success) {
    return fail(400, `body does not match the ${rules.schemaName} schema`, {
      issues: validation.error.issues.slice(0, 20).map((issue) => ({
        path: issue.path.map(String).join('.'),
        message: issue.message,
      })),
    });
  }
  let orderingKey: string | undefined;
  if (rules.ordering) {
    const extracted = extractOrderingKey(rules.ordering, request.headers, parsed);
    if (!extracted.ok) return fail(400, extracted.error, extracted.details);
    orderingKey = extracted.key;
  }
  return {
    ok: true,
    envelope: {
      id: key ?? newId(),
      route: rules.route,
      body: text,
      contentType,
      receivedAt: now.toISOString(),
      priorAttempts: 0,
      // The client's trace (or a new one) rides with the message to every delivery attempt.
      ...traceFromRequest(request.headers),
      ...(orderingKey === undefined ? {} : { orderingKey }),
    },
  };
}
