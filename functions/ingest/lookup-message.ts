import { describeError } from '../../shared/errors.js';
import { findMessage, type LookupDeps } from '../../shared/find-message.js';
import { errorResponse, type HttpResponse, jsonResponse } from '../../shared/http-response.js';
import { RETRY_AFTER_SECONDS } from './accept-message.js';
import { IDEMPOTENCY_KEY } from './parse-request.js';

/**
 * `GET <route path>/{messageId}` from the path segment as the front door hands it over: percent-encoded
 * as the client sent it (`decoded: false`, a REST API), or decoded already (an HTTP API). A segment
 * that is not valid percent-encoding of UTF-8 (`%ZZ`, an overlong `%C0%AF`, a surrogate `%ED%A0%80`)
 * is answered 400 naming it; it is never decoded twice, so an id may hold a `%` of its own.
 */
export async function lookupPathSegment(
  segment: string | undefined,
  decoded: boolean,
  deps: LookupDeps,
): Promise<HttpResponse> {
  if (segment === undefined || decoded) return lookupMessage(segment, deps);
  let messageId: string;
  try {
    messageId = decodeURIComponent(segment);
  } catch {
    return errorResponse(
      400,
      `the message id '${segment}' in the path is not valid percent-encoding of UTF-8; encode each reserved character of the id as %XX (encodeURIComponent)`,
      { messageId: segment },
    );
  }
  return lookupMessage(messageId, deps);
}

/** `GET <route path>/{messageId}`: 200 with the record, 404 for an id never accepted, 503 if unreadable. */
export async function lookupMessage(messageId: string | undefined, deps: LookupDeps): Promise<HttpResponse> {
  const notFound = () =>
    errorResponse(404, `no message '${messageId ?? ''}' was accepted on route '${deps.rules.route}'`, {
      messageId: messageId ?? null,
    });
  // An id no message can have (too long for a key, say) was never accepted: no need to ask the tables.
  if (!messageId || !IDEMPOTENCY_KEY.test(messageId)) return notFound();
  try {
    const found = await findMessage(messageId, deps);
    return found ? jsonResponse(200, found) : notFound();
  } catch (error) {
    return errorResponse(
      503,
      `the message's status could not be read (${describeError(error)}); try again`,
      { messageId, retryAfterSeconds: RETRY_AFTER_SECONDS },
      { 'retry-after': String(RETRY_AFTER_SECONDS) },
    );
  }
}
