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
