import { createHash, randomBytes } from 'node:crypto';

/**
 * W3C Trace Context (https://www.w3.org/TR/trace-context/): the `traceparent` a client sends with
 * its POST travels with the message to the backend, so a receiver can join the producer's trace.
 * Every delivery attempt is a new span of that one trace: same trace id, a new parent id.
 */

/** The two headers, in the spec's lower-case spelling. */
export const TRACE_HEADER = {
  TRACEPARENT: 'traceparent',
  TRACESTATE: 'tracestate',
} as const;

/** `version-traceid-parentid-flags`; version `ff` is forbidden, later versions may append fields. */
const TRACEPARENT = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(-.*)?$/;
const ZERO_TRACE_ID = '0'.repeat(32);
const ZERO_PARENT_ID = '0'.repeat(16);
/** The spec lets a vendor cut tracestate beyond 512 characters; we drop it rather than cut a member. */
export const MAX_TRACESTATE_LENGTH = 512;
const SAMPLED = '01';

/** A parsed, valid `traceparent`. */
export interface TraceParent {
  readonly traceId: string;
  readonly parentId: string;
  readonly flags: string;
}

/**
 * Parses a `traceparent` as the spec's processing model says: version 00 exactly 55 characters,
 * a later version read for its first four fields, and all-zero ids invalid. Undefined when invalid.
 */
export function parseTraceparent(value: string | undefined): TraceParent | undefined {
  const text = value?.trim().toLowerCase();
  if (!text) return undefined;
  const match = TRACEPARENT.exec(text);
  if (!match) return undefined;
  const [, version, traceId = '', parentId = '', flags = '', rest] = match;
  if (version === 'ff' || traceId === ZERO_TRACE_ID || parentId === ZERO_PARENT_ID) return undefined;
  if (version === '00' && rest !== undefined) return undefined;
  return { traceId, parentId, flags };
}

/** Formats a version-00 `traceparent`. */
export function formatTraceparent(trace: TraceParent): string {
  return `00-${trace.traceId}-${trace.parentId}-${trace.flags}`;
}

function newParentId(): string {
  let id: string;
  do id = randomBytes(8).toString('hex');
  while (id === ZERO_PARENT_ID);
  return id;
}

/** The trace context a message is stored with. */
export interface MessageTrace {
  readonly traceparent: string;
  readonly tracestate?: string;
}

/**
 * What the ingest stores: the client's `traceparent` (and its `tracestate`) when valid; otherwise a
 * new sampled trace, and no tracestate (the spec: a tracestate without a valid traceparent is ignored).
 */
export function traceFromRequest(headers: Readonly<Record<string, string | undefined>>): MessageTrace {
  const parent = parseTraceparent(headers[TRACE_HEADER.TRACEPARENT]);
  if (!parent) {
    return {
      traceparent: formatTraceparent({
        traceId: randomBytes(16).toString('hex'),
        parentId: newParentId(),
        flags: SAMPLED,
      }),
    };
  }
  const state = headers[TRACE_HEADER.TRACESTATE]?.trim();
  return {
    traceparent: formatTraceparent(parent),
    ...(state && state.length <= MAX_TRACESTATE_LENGTH ? { tracestate: state } : {}),
  };
}

/**
 * The headers of one delivery attempt: the message's trace id with a new parent id (this attempt's
 * span). A message stored without a trace (sent to the queue by hand) gets a trace id derived from
 * its message id, so every attempt of it still shares one trace.
 */
export function attemptTraceHeaders(messageId: string, trace: Partial<MessageTrace>): Record<string, string> {
  const parent = parseTraceparent(trace.traceparent);
  const traceId = parent?.traceId ?? createHash('sha256').update(messageId).digest('hex').slice(0, 32);
  const headers: Record<string, string> = {
    [TRACE_HEADER.TRACEPARENT]: formatTraceparent({
      traceId,
      parentId: newParentId(),
      flags: parent?.flags ?? SAMPLED,
    }),
  };
  if (parent && trace.tracestate) headers[TRACE_HEADER.TRACESTATE] = trace.tracestate;
  return headers;
}
