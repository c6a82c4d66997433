import { batchPath } from './batch-ingest.js';
import { MESSAGE_ID_PATH_PARAMETER } from './message-lookup.js';

/**
 * What makes a set of route paths servable side by side. Each route owns three endpoints,
 * `POST <path>`, `POST <path>/batch` and `GET <path>/{messageId}`, so a path that is another route's
 * path plus one segment is already that route's (its batch, or a lookup of the id named by the
 * segment), and a path with a dot segment cannot be called as written. The routes file's schema
 * (synth, `npm start`, `gd`) and the loader of given routes refuse both with these words.
 */

/** The first dot segment (`.` or `..`) of a path, or undefined when it has none. */
export function dotSegmentOf(path: string): string | undefined {
  return path.split('/').find((segment) => segment === '.' || segment === '..');
}

/** Why a path with this dot segment is refused. */
export function dotSegmentReason(segment: string): string {
  return `the segment '${segment}' is a dot segment, which clients and proxies resolve away (RFC 3986, 5.2.4) before a request reaches the API, so this path could never be called as written; remove it`;
}

/** A route as far as its path goes. */
export interface RoutePath {
  readonly name: string;
  readonly path: string;
}

/** A route whose path takes one of another route's endpoints: the route (by position) and why. */
export interface PathCollision {
  readonly index: number;
  readonly reason: string;
}

/**
 * Routes whose path is another route's path plus one segment, each with the reason naming the other
 * route. Exact duplicates are the schema's own check (every path unique).
 */
export function pathCollisions(routes: readonly RoutePath[]): PathCollision[] {
  const byPath = new Map(routes.map((route) => [route.path, route]));
  const collisions: PathCollision[] = [];
  routes.forEach((route, index) => {
    const parent = byPath.get(route.path.slice(0, route.path.lastIndexOf('/')));
    if (!parent || parent === route) return;
    collisions.push({ index, reason: collisionReason(parent) });
  });
  return collisions;
}

function collisionReason(owner: RoutePath): string {
  const { name, path } = owner;
  return (
    `collides with route '${name}' (path '${path}'): POST ${batchPath(path)} is route '${name}''s batch and ` +
    `GET ${path}/{${MESSAGE_ID_PATH_PARAMETER}} its status lookup, so this route's requests would reach route ` +
    `'${name}' (or API Gateway could not build both); use a path that is not another route's path plus one segment`
  );
}
