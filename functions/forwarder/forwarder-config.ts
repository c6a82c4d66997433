import { IdempotencyConfig, makeIdempotent } from '@aws-lambda-powertools/idempotency';
import { DynamoDBPersistenceLayer } from '@aws-lambda-powertools/idempotency/dynamodb';
import type { Logger } from '@aws-lambda-powertools/logger';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { createDynamoDbClient, createSqsClient } from '../../shared/aws/clients.js';
import { SqsMessageQueue } from '../../shared/aws/sqs-message-queue.js';
import { ENV, type Env, intEnv, requireEnv } from '../../shared/config/env-names.js';
import { ROUTE_DEFAULTS } from '../../shared/config/route-defaults.js';
import { ConfigurationError } from '../../shared/errors.js';
import { createLogger } from '../../shared/logger.js';
import { SERVICE } from '../../shared/metrics.js';
import type { Backend } from '../../shared/ports.js';
import { IDEMPOTENCY_TABLE } from '../../shared/resources.js';
import {
  createDeliveryAttempt,
  type DeliverOnce,
  type DeliveryInput,
  type ForwarderDeps,
  type ForwarderSettings,
} from './forward-record.js';
import { MAX_VISIBILITY_SECONDS, type RetryPolicy } from './backoff.js';
import { FetchBackend } from './http-backend.js';

/** The forwarder's settings, read from its environment once at cold start. */
export interface ForwarderConfig extends ForwarderSettings {
  readonly queueUrl: string;
  readonly dlqUrl: string;
  readonly idempotencyTableName: string;
}

/** Parses NON_RETRYABLE_STATUSES ("400,404,422"); empty means "retry everything". */
export function parseStatuses(raw: string | undefined, fallback: readonly number[]): ReadonlySet<number> {
  if (raw === undefined) return new Set(fallback);
  const parts = raw
    .split(',')
    .map((part) => part.trim())
    .filter(Boolean);
  const statuses = parts.map(Number);
  const bad = parts.filter(
    (_, i) => !Number.isInteger(statuses[i]) || (statuses[i] ?? 0) < 100 || (statuses[i] ?? 0) > 599,
  );
  if (bad.length > 0) {
    throw new ConfigurationError(
      `${ENV.NON_RETRYABLE_STATUSES} must be comma-separated HTTP statuses, got '${bad.join(',')}'`,
    );
  }
  return new Set(statuses);
}

/** The route's retry policy: its schedule when RETRY_SCHEDULE_SECONDS is set, else exponential backoff. */
export function loadRetryPolicy(env: Env): RetryPolicy {
  const schedule = env[ENV.RETRY_SCHEDULE_SECONDS]?.trim();
  if (schedule) {
    const parts = schedule.split(',').map((part) => part.trim());
    const delays = parts.map(Number);
    if (delays.some((delay) => !Number.isInteger(delay) || delay < 1 || delay > MAX_VISIBILITY_SECONDS)) {
      throw new ConfigurationError(
        `${ENV.RETRY_SCHEDULE_SECONDS} must be comma-separated whole seconds from 1 to ${MAX_VISIBILITY_SECONDS}, got '${schedule}'`,
      );
    }
    return { schedule: delays };
  }
  const defaults = ROUTE_DEFAULTS.retry;
  const baseSeconds = intEnv(env, ENV.RETRY_BASE_SECONDS, defaults.baseSeconds, 1, MAX_VISIBILITY_SECONDS);
  const maxSeconds = intEnv(env, ENV.RETRY_MAX_SECONDS, defaults.maxSeconds, baseSeconds, MAX_VISIBILITY_SECONDS);
  return { baseSeconds, maxSeconds };
}

/** Reads and checks the forwarder's environment; throws naming the variable at fault. */
export function loadForwarderConfig(env: Env): ForwarderConfig {
  const targetUrl = requireEnv(env, ENV.TARGET_URL);
  if (!URL.canParse(targetUrl))
    throw new ConfigurationError(`${ENV.TARGET_URL} must be a URL, got '${targetUrl}'`);
  return {
    route: requireEnv(env, ENV.ROUTE_NAME),
    queueUrl: requireEnv(env, ENV.QUEUE_URL),
    dlqUrl: requireEnv(env, ENV.DLQ_URL),
    idempotencyTableName: requireEnv(env, ENV.IDEMPOTENCY_TABLE_NAME),
    targetUrl,
    timeoutSeconds: intEnv(env, ENV.TARGET_TIMEOUT_SECONDS, ROUTE_DEFAULTS.timeoutSeconds, 1, 300),
    maxAttempts: intEnv(env, ENV.MAX_ATTEMPTS, ROUTE_DEFAULTS.maxAttempts, 1, 1000),
    retry: loadRetryPolicy(env),
    nonRetryableStatuses: parseStatuses(env[ENV.NON_RETRYABLE_STATUSES], ROUTE_DEFAULTS.nonRetryableStatuses),
    logPayloads: env[ENV.LOG_PAYLOADS] === 'true',
  };
}

/** The Powertools idempotency config; the handler registers each invocation's context on it. */
export function createIdempotencyConfig(): IdempotencyConfig {
  return new IdempotencyConfig({
    eventKeyJmesPath: 'messageId',
    expiresAfterSeconds: IDEMPOTENCY_TABLE.recordTtlSeconds,
  });
}

/**
 * Wraps one delivery attempt so a message id delivered once is never delivered again: Powertools
 * keeps an INPROGRESS record during the call (its expiry bounded by the Lambda's remaining time, so
 * a crashed attempt does not block the id), COMPLETED after a 2xx, and deletes it when the call throws.
 */
export function createDeliverOnce(
  backend: Backend,
  settings: ForwarderSettings,
  dynamoDb: DynamoDBClient,
  tableName: string,
  config: IdempotencyConfig,
): DeliverOnce {
  const persistenceStore = new DynamoDBPersistenceLayer({ tableName, awsSdkV3Client: dynamoDb });
  // keyPrefix: the route, not the function name, so records survive a function's replacement.
  return makeIdempotent((input: DeliveryInput) => createDeliveryAttempt(backend, settings)(input), {
    persistenceStore,
    config,
    keyPrefix: settings.route,
  });
}

export interface ForwarderOverrides {
  readonly sqsEndpoint?: string;
  readonly dynamoDbEndpoint?: string;
  readonly logger?: Logger;
  readonly backend?: Backend;
}

/** Builds the forwarder's dependencies and the idempotency config its handler needs. */
export function createForwarderDeps(config: ForwarderConfig, overrides: ForwarderOverrides = {}) {
  const sqs = createSqsClient({ endpoint: overrides.sqsEndpoint });
  const dynamoDb = createDynamoDbClient({ endpoint: overrides.dynamoDbEndpoint });
  const idempotencyConfig = createIdempotencyConfig();
  const deps: ForwarderDeps = {
    queue: new SqsMessageQueue(sqs, config.queueUrl),
    deadLetters: new SqsMessageQueue(sqs, config.dlqUrl),
    deliverOnce: createDeliverOnce(
      overrides.backend ?? new FetchBackend(),
      config,
      dynamoDb,
      config.idempotencyTableName,
      idempotencyConfig,
    ),
    logger: overrides.logger ?? createLogger(SERVICE.FORWARDER),
    settings: config,
  };
  return { deps, idempotencyConfig };
}
