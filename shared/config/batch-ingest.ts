/**
 * The batch ingest's contract: `POST <route path>/batch` with `{"messages": [...]}`. Shared by the
 * ingest (which enforces it), the stack and the local API (which route the path to it) and the docs.
 */

/** Appended to a route's path for its batch endpoint. */
export const BATCH_PATH_SUFFIX = '/batch';

/** Most messages one batch request may carry. */
export const BATCH_MAX_MESSAGES = 100;

/**
 * Largest batch request body. Lambda takes at most 6 MB (6,291,456 bytes) per synchronous
 * invocation, the whole proxy event included, and API Gateway puts the body into that event as a
 * JSON string, in which every `"` and `\` of the body is escaped to two bytes. 3,000,000 bytes is
 * the largest body whose event stays inside Lambda's limit even if every byte needed escaping;
 * API Gateway's own 10 MB payload limit never binds first. Each message is further held to its
 * route's `maxBodyBytes`.
 */
export const BATCH_MAX_REQUEST_BYTES = 3_000_000;

/** The batch endpoint of a route path. */
export function batchPath(routePath: string): string {
  return `${routePath}${BATCH_PATH_SUFFIX}`;
}
