/**
 * A route name as it appears in the stack's output keys and construct ids: `catering` → `Catering`,
 * `order-events` → `OrderEvents`. The stack writes `<prefix>QueueUrl` and friends, and `gd` reads
 * them back by the same function, so the two cannot drift apart.
 */
export function routeOutputPrefix(routeName: string): string {
  return routeName
    .split(/[^A-Za-z0-9]+/)
    .filter(Boolean)
    .map((part) => part.charAt(0).toUpperCase() + part.slice(1))
    .join('');
}
