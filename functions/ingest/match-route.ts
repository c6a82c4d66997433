import { BATCH_PATH_SUFFIX } from '../../shared/config/batch-ingest.js';
import { errorResponse, type HttpResponse } from '../../shared/http-response.js';

/**
 * Which route and which endpoint a request is for, from its method and path: the one routing of the
 * API, used by the ingest behind API Gateway's greedy `/{proxy+}` resource and by the local API
 * server alike. `POST <path>` one message, `POST <path>/batch` a batch, `GET <path>/{messageId}` a
 * lookup (its path segment as the front door gave it: lookup-message.ts decodes it, or answers 400 for
 * malformed encoding); anything else is answered here (404 unknown path, 405 wrong method).
 */

/** The endpoint a request reached on a route. */
export type RouteEndpoint =
  | { readonly kind: 'message' }
  | { readonly kind: 'batch' }
  | { readonly kind: 'lookup'; readonly segment: string };

/** A request routed to one of the routes, or the answer when it reaches none. */
export type RouteMatch<Route> =
  | { readonly route: Route; readonly endpoint: RouteEndpoint }
  | { readonly answer: HttpResponse };

/** How many route paths a 404 lists (a deployment may have hundreds). */
const LISTED_PATHS = 20;

/** Routes by path, with the answers for requests that reach none. */
export interface RouteMatcher<Route> {
  match(method: string, path: string): RouteMatch<Route>;
}

/** A matcher over routes with unique paths (the routes file's schema refuses paths that collide). */
export function routeMatcher<Route extends { readonly path: string }>(
  routes: readonly Route[],
): RouteMatcher<Route> {
  const byPath = new Map(routes.map((route) => [route.path, route]));
  const paths = routes.map((route) => route.path);
  const notAllowed = (method: string, path: string, allowed: string) =>
    errorResponse(405, `method ${method} is not allowed on ${path}; use ${allowed}`, {}, { allow: allowed });
  return {
    match(method, rawPath) {
      // A trailing slash names the same resource, as API Gateway treats it.
      const path = rawPath.length > 1 ? rawPath.replace(/\/+$/, '') : rawPath;
      const exact = byPath.get(path);
      if (exact) {
        return method === 'POST'
          ? { route: exact, endpoint: { kind: 'message' } }
          : { answer: notAllowed(method, path, 'POST') };
      }
      const slash = path.lastIndexOf('/');
      const parent = byPath.get(path.slice(0, slash));
      if (parent && slash < path.length - 1) {
        if (path.endsWith(BATCH_PATH_SUFFIX)) {
          return method === 'POST'
            ? { route: parent, endpoint: { kind: 'batch' } }
            : { answer: notAllowed(method, path, 'POST') };
        }
        if (method !== 'GET') return { answer: notAllowed(method, path, 'GET') };
        return { route: parent, endpoint: { kind: 'lookup', segment: path.slice(slash + 1) } };
      }
      return {
        answer: errorResponse(404, `no route for ${path}`, {
          routes: paths.slice(0, LISTED_PATHS),
          ...(paths.length > LISTED_PATHS ? { moreRoutes: paths.length - LISTED_PATHS } : {}),
        }),
      };
    },
  };
}
