/**
 * The status lookup's contract: `GET <route path>/{messageId}`. Shared by the ingest (which answers
 * it), the stack and the local API (which route the path to it).
 */

/** Name of the path parameter that carries the message id (`{messageId}` in the API resource). */
export const MESSAGE_ID_PATH_PARAMETER = 'messageId';

/**
 * Name of the greedy path parameter of the API's one resource, `/{proxy+}`: every route's paths reach
 * the ingest through it, which routes by path itself (functions/ingest/match-route.ts).
 */
export const PROXY_PATH_PARAMETER = 'proxy';
