import { describeError } from '../../shared/errors.js';
import { findMessage, type LookupDeps } from '../../shared/find-message.js';
import { errorResponse, type HttpResponse, jsonResponse } from '../../shared/http-response.js';
import { RETRY_AFTER_SECONDS } from './accept-message.js';

/** `GET <route path>/{messageId}`: 200 with the record, 404 for an id never accepted, 503 if unreadable. */
export async function lookupMessage(messageId: string | undefined, deps: LookupDeps): Promise<HttpResponse> {
  const notFound = () =>
    errorResponse(404, `no message '${messageId ?? ''}' was accepted on route '${deps.rules.route}'`, {
      messageId: messageId ?? null,
    });
  if (!messageId) return notFound();
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
