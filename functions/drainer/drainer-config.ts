import type { Logger } from '@aws-lambda-powertools/logger';
import { createDocumentClient, createDynamoDbClient, createSqsClient } from '../../shared/aws/clients.js';
import { DynamoDbFailoverStore } from '../../shared/aws/dynamodb-failover-store.js';
import { SqsMessageQueue } from '../../shared/aws/sqs-message-queue.js';
import { ENV, type Env, intEnv, requireEnv } from '../../shared/config/env-names.js';
import { ConfigurationError } from '../../shared/errors.js';
import { createLogger } from '../../shared/logger.js';
import { SERVICE } from '../../shared/metrics.js';
import { type MessageQueue, systemClock } from '../../shared/ports.js';
import type { DrainerDeps } from './drain-failover.js';

export interface DrainerConfig {
  readonly failoverTableName: string;
  /** Route name → delivery queue URL. */
  readonly routeQueueUrls: Readonly<Record<string, string>>;
  readonly timeBudgetSeconds: number;
}

export function loadDrainerConfig(env: Env): DrainerConfig {
  const raw = requireEnv(env, ENV.ROUTE_QUEUE_URLS);
  let routeQueueUrls: unknown;
  try {
    routeQueueUrls = JSON.parse(raw);
  } catch {
    throw new ConfigurationError(
      `${ENV.ROUTE_QUEUE_URLS} must be a JSON object of route name to queue URL, got '${raw}'`,
    );
  }
  if (
    typeof routeQueueUrls !== 'object' ||
    routeQueueUrls === null ||
    Array.isArray(routeQueueUrls) ||
    Object.values(routeQueueUrls).some((url) => typeof url !== 'string')
  ) {
    throw new ConfigurationError(
      `${ENV.ROUTE_QUEUE_URLS} must be a JSON object of route name to queue URL, got '${raw}'`,
    );
  }
  return {
    failoverTableName: requireEnv(env, ENV.FAILOVER_TABLE_NAME),
    routeQueueUrls: routeQueueUrls as Record<string, string>,
    timeBudgetSeconds: intEnv(env, ENV.DRAIN_TIME_BUDGET_SECONDS, 50, 1, 840),
  };
}

export interface DrainerOverrides {
  readonly sqsEndpoint?: string;
  readonly dynamoDbEndpoint?: string;
  readonly logger?: Logger;
}

export function createDrainerDeps(config: DrainerConfig, overrides: DrainerOverrides = {}): DrainerDeps {
  const sqs = createSqsClient({ endpoint: overrides.sqsEndpoint });
  const dynamoDb = createDynamoDbClient({ endpoint: overrides.dynamoDbEndpoint });
  const queues = new Map<string, MessageQueue>(
    Object.entries(config.routeQueueUrls).map(([route, url]) => [route, new SqsMessageQueue(sqs, url)]),
  );
  return {
    failover: new DynamoDbFailoverStore(createDocumentClient(dynamoDb), config.failoverTableName),
    queueFor: (route) => queues.get(route),
    logger: overrides.logger ?? createLogger(SERVICE.DRAINER),
    clock: systemClock,
  };
}
