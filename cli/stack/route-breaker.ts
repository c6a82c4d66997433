import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDbBreakerStore } from '../../shared/aws/dynamodb-breaker-store.js';
import type { BreakerState } from '../../shared/circuit-breaker.js';
import type { RouteTarget } from './stack-target.js';

/** Where a stack keeps its routes' circuit breakers: one item per route in its message table. */
export interface BreakerTable {
  readonly dynamoDb: DynamoDBClient;
  readonly messageTableName: string;
}

/** The store of a stack's breaker items, the one the forwarders and their probes write. */
export function breakerStore(table: BreakerTable): DynamoDbBreakerStore {
  return new DynamoDbBreakerStore(table.dynamoDb, table.messageTableName);
}

/**
 * The route's breaker as it stands now (a consistent read: `gd resume` decides on it), or undefined
 * for a route without a breaker. A breaker that never moved reads as closed.
 */
export async function readRouteBreaker(
  table: BreakerTable,
  route: RouteTarget,
): Promise<BreakerState | undefined> {
  return route.breaker ? breakerStore(table).read(route.name, true) : undefined;
}
