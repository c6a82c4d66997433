import type { RouteConfig } from './routes.js';

// Kept apart from routes.ts (and its zod schema) so that a function needing only the defaults,
// such as the forwarder, does not bundle zod: a smaller bundle is a faster cold start.

/** The reference scenario's backend (seeds/003), which does not exist: every delivery fails until
 * `CATERING_SERVICE_EP` points at a real one. */
export const REFERENCE_CATERING_ENDPOINT = 'http://www.urldoesnotexist.com';

/** The default route: the catering scenario of seeds/003. */
export const DEFAULT_ROUTE: RouteConfig = {
  name: 'catering',
  path: '/catering/register',
  target: REFERENCE_CATERING_ENDPOINT,
  schema: 'catering-registration',
  maxAttempts: 4,
  retry: { baseSeconds: 2, maxSeconds: 300 },
  nonRetryableStatuses: [400, 401, 403, 404, 405, 410, 413, 415, 422],
  concurrency: 2,
  batchSize: 10,
  timeoutSeconds: 10,
  maxBodyBytes: 250_000,
};

export const DEFAULT_DRAIN_INTERVAL_SECONDS = 60;
