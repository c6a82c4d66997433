/**
 * Which nested stack holds a route (docs/scaling.md, "Where the routes live"). A route's group
 * follows from its name alone, so adding or removing a route changes its own group and no other,
 * and no route ever moves: moving one would replace its queues (CloudFormation creates the new one
 * before deleting the old, and both have the same name). Never change {@link ROUTE_GROUP_COUNT} or
 * {@link routeGroupOf} on a deployed stack.
 */

/**
 * Nested stacks the routes are spread over. 25 keeps every group far below CloudFormation's 500
 * resources a stack at 200 routes (about 8 routes a group, 17 at most for the names of
 * `npm run test:aws-rules`, of at most about 20 resources each), while a routes file of a few routes
 * makes a few nested stacks only: a group with no route is not created.
 */
export const ROUTE_GROUP_COUNT = 25;

/** The group of a route: FNV-1a of its name, modulo {@link ROUTE_GROUP_COUNT}. Stable across releases. */
export function routeGroupOf(routeName: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < routeName.length; i++) {
    hash ^= routeName.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash % ROUTE_GROUP_COUNT;
}

/** The construct id (and so the nested stack's logical id's start) of a group: `Routes07`. */
export function routeGroupId(group: number): string {
  return `Routes${String(group).padStart(2, '0')}`;
}
