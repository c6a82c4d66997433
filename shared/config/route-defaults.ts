import { DEFAULT_MAX_BODY_BYTES } from '../payloads.js';

// Kept apart from the zod schema so that a function needing only the defaults, such as the
// forwarder, does not bundle zod: a smaller bundle is a faster cold start.

/** The reference scenario's backend, which does not exist: every delivery fails until
 * `CATERING_SERVICE_EP` points at a real one. */
export const REFERENCE_CATERING_ENDPOINT = 'http://www.urldoesnotexist.com';

/**
 * The value every optional route setting takes when a route leaves it out: the one place defaults
 * live. The routes-file schema applies them (and publishes them in its JSON Schema), the default
 * route (default-route.ts) is built from them, and the functions fall back to them when a variable is unset.
 */
export const ROUTE_DEFAULTS = {
  /** Delivery attempts before the dead-letter queue. */
  maxAttempts: 4,
  /** Exponential backoff: base * 2^(attempt-1) seconds, capped at maxSeconds, with jitter. */
  retry: { baseSeconds: 2, maxSeconds: 300 },
  /** Backend answers that will not get better by retrying. */
  nonRetryableStatuses: [400, 401, 403, 404, 405, 410, 413, 415, 422],
  /** Batches delivered at once (the forwarder's maximum concurrency). */
  concurrency: 2,
  /** Messages per forwarder invocation. */
  batchSize: 10,
  /** Seconds one delivery attempt may take. */
  timeoutSeconds: 10,
  /** Largest accepted body, in bytes (bodies over 250,000 go by S3: shared/payloads.ts). */
  maxBodyBytes: DEFAULT_MAX_BODY_BYTES,
} as const;

/** The body schema of a route that names none: any well-formed JSON document. */
export const DEFAULT_BODY_SCHEMA = 'json';

/** How often the drainer runs unless configured otherwise, in seconds. */
export const DEFAULT_DRAIN_INTERVAL_SECONDS = 60;
/** Whether the deployed API requires an API key unless configured otherwise. */
export const DEFAULT_API_KEY_REQUIRED = true;
