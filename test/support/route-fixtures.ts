import { DEFAULT_ROUTE, type RouteConfig } from '../../shared/config/routes.js';

/** A second route with a value other than the default route's in every field, to check that
 * everything per route is per route. */
export const ORDERS_ROUTE: RouteConfig = {
  ...DEFAULT_ROUTE,
  name: 'order-events',
  path: '/orders/events',
  target: 'https://orders.example.com/events',
  schema: 'json-object',
  maxAttempts: 7,
  retry: { baseSeconds: 5, maxSeconds: 600 },
  nonRetryableStatuses: [400, 422],
  concurrency: 5,
  batchSize: 4,
  timeoutSeconds: 25,
  maxBodyBytes: 100_000,
};
