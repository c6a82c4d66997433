import { DEFAULT_MAX_BODY_BYTES } from '../payloads.js';

/**
 * The batch ingest's contract: `POST <route path>/batch` with `{"messages": [...]}`. Shared by the
 * ingest (which enforces it), the stack and the local API (which route the path to it) and the docs.
 */

/** Appended to a route's path for its batch endpoint. */
export const BATCH_PATH_SUFFIX = '/batch';

/** Most messages one batch request may carry. */
export const BATCH_MAX_MESSAGES = 100;

/**
 * Largest batch request body: the same 5,000,000 bytes as a single POST's default limit, for the same
 * reason. Lambda takes at most 6 MB (6,291,456 bytes) per synchronous invocation, the whole proxy
 * event included, and API Gateway puts the body into that event as a JSON string, in which every `"`
 * and `\` of the body is escaped to two bytes: 5,000,000 bytes leaves about 1.2 MB for that and the
 * rest of the event. API Gateway's own 10 MB payload limit never binds. Each message is further held
 * to its route's `maxBodyBytes`, and each one over the claim-check threshold goes by S3 on its own
 * (shared/payloads.ts), so the stores' limits do not bound the batch.
 */
export const BATCH_MAX_REQUEST_BYTES = DEFAULT_MAX_BODY_BYTES;

/** The batch endpoint of a route path. */
export function batchPath(routePath: string): string {
  return `${routePath}${BATCH_PATH_SUFFIX}`;
}
