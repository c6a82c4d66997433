import { REFERENCE_CATERING_ENDPOINT, ROUTE_DEFAULTS } from './route-defaults.js';
import type { RouteConfig } from './route-schema.js';

// Apart from route-defaults.ts, which the schema imports: typed as RouteConfig, which the schema infers.
/** The one route of a deployment without a routes file: the reference's catering scenario. */
export const DEFAULT_ROUTE: RouteConfig = {
  name: 'catering',
  path: '/catering/register',
  target: REFERENCE_CATERING_ENDPOINT,
  schema: 'catering-registration',
  ...ROUTE_DEFAULTS,
  retry: { ...ROUTE_DEFAULTS.retry },
  nonRetryableStatuses: [...ROUTE_DEFAULTS.nonRetryableStatuses],
};
