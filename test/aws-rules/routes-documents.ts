/**
 * Routes files of every shape the test suites use, as the checks synthesize them: plain, ordered,
 * with a circuit breaker, signed, with a header read from Secrets Manager. Route names and paths
 * are as long as the schema allows, so sizes that grow with names are measured at their worst.
 */

/** The route shapes, one after another across a routes file. */
export const ROUTE_SHAPES = ['plain', 'ordered', 'breaker', 'signed', 'secret-headers'] as const;
export type RouteShape = (typeof ROUTE_SHAPES)[number];

/** A route of `shape`, number `index`, with a 31-character name (the schema's longest). */
export function routeOfShape(shape: RouteShape, index: number): Record<string, unknown> {
  const name = `${shape}-${String(index).padStart(3, '0')}-`.padEnd(31, 'x');
  const route: Record<string, unknown> = {
    name,
    path: `/deliveries/${name}`,
    target: `https://${name}.backend.example.com/deliveries/incoming`,
  };
  switch (shape) {
    case 'ordered':
      return { ...route, ordering: { keyHeader: 'x-order-key' }, batchSize: 10 };
    case 'breaker':
      return { ...route, breaker: { failures: 5, probeSeconds: 60 } };
    case 'signed':
      return { ...route, signing: {} };
    case 'secret-headers':
      return {
        ...route,
        headers: { authorization: { secret: `backend-token-${index}`, field: 'token', prefix: 'Bearer ' } },
      };
    default:
      return route;
  }
}

/** A routes file of `count` routes cycling through every shape; `settings` adds deployment-wide options. */
export function routesDocument(
  count: number,
  settings: Record<string, unknown> = {},
): Record<string, unknown> {
  return {
    routes: Array.from({ length: count }, (_, index) =>
      routeOfShape(ROUTE_SHAPES[index % ROUTE_SHAPES.length] as RouteShape, index),
    ),
    ...settings,
  };
}

/**
 * A routes file of `count` routes with every option of the routes schema mixed in: the shapes above
 * in turn, and across them body schemas, retry schedules, attempts, statuses, concurrency, batch
 * sizes, timeouts, body limits, static headers, secrets encrypted with a customer-managed key and an
 * existing signing secret, each on every few routes, so that no two neighbours look alike.
 */
export function mixedRoutesDocument(count: number, settings: Record<string, unknown> = {}) {
  const routes = Array.from({ length: count }, (_, index) => {
    const shape = ROUTE_SHAPES[index % ROUTE_SHAPES.length] as RouteShape;
    const route = routeOfShape(shape, index);
    const extra: Record<string, unknown> = {};
    if (index % 3 === 0) extra.schema = 'json-object';
    if (index % 4 === 1) extra.retry = { schedule: [5, 30, 120, 600] };
    if (index % 4 === 2) extra.retry = { baseSeconds: 2, maxSeconds: 900 };
    if (index % 7 === 3 && index % 4 !== 1) extra.maxAttempts = 25;
    if (index % 6 === 4) extra.nonRetryableStatuses = [400, 404, 410, 422];
    if (index % 5 === 2) extra.concurrency = 50;
    if (shape !== 'ordered' && index % 8 === 5) extra.batchSize = 1;
    if (index % 9 === 6) extra.timeoutSeconds = 120;
    if (index % 10 === 7) extra.maxBodyBytes = 250_000;
    if (shape === 'plain' && index % 2 === 1) extra.headers = { 'x-tenant': `tenant-${index}` };
    if (shape === 'secret-headers' && index % 3 === 1) {
      extra.headers = {
        authorization: {
          secret: `backend-token-${index}`,
          field: 'token',
          prefix: 'Bearer ',
          kmsKey: 'arn:aws:kms:ap-southeast-2:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab',
        },
      };
    }
    if (shape === 'signed' && index % 2 === 0) extra.signing = { secret: `existing/signing/${index}` };
    return { ...route, ...extra };
  });
  return { routes, ...settings };
}
