import type { Logger } from '@aws-lambda-powertools/logger';
import { SecretsProvider } from '@aws-lambda-powertools/parameters/secrets';
import {
  createDocumentClient,
  createDynamoDbClient,
  createSecretsManagerClient,
  createSqsClient,
} from '../../shared/aws/clients.js';
import { DynamoDbBreakerStore } from '../../shared/aws/dynamodb-breaker-store.js';
import { DynamoDbMessageRecords } from '../../shared/aws/dynamodb-message-records.js';
import { DynamoDbSkipLedger } from '../../shared/aws/dynamodb-skip-ledger.js';
import { SqsMessageQueue } from '../../shared/aws/sqs-message-queue.js';
import { type BreakerSettings, RAMP_START_CONCURRENCY } from '../../shared/circuit-breaker.js';
import {
  ENV,
  type Env,
  intEnv,
  recordRetentionSecondsEnv,
  requireEnv,
} from '../../shared/config/env-names.js';
import { type HeaderValue, isHeaderValue, isSecretHeaderValue } from '../../shared/config/header-value.js';
import { ROUTE_DEFAULTS } from '../../shared/config/route-defaults.js';
import { ConfigurationError } from '../../shared/errors.js';
import { createLogger } from '../../shared/logger.js';
import { SERVICE } from '../../shared/metrics.js';
import { isFifoQueue } from '../../shared/ordering.js';
import { type Backend, type DeliverySwitch, systemClock } from '../../shared/ports.js';
import {
  SecretsManagerSigningKeys,
  SIGNING_SECRET_CACHE_SECONDS,
} from '../../shared/signing/signing-keys.js';
import { MAX_VISIBILITY_SECONDS, type RetryPolicy } from './backoff.js';
import type { ForwarderDeps, ForwarderSettings } from './forwarder-deps.js';
import { FetchBackend } from './http-backend.js';
import { cachedSecretReader } from './route-headers.js';

/** The forwarder's settings, read from its environment once at cold start. */
export interface ForwarderConfig extends ForwarderSettings {
  readonly queueUrl: string;
  readonly dlqUrl: string;
  readonly messageTableName: string;
  readonly recordRetentionSeconds: number;
  /** The route's signing secret (name or ARN); undefined for an unsigned route. */
  readonly signingSecretId?: string;
  /** Seconds the container keeps the secret before reading it again. */
  readonly signingSecretCacheSeconds: number;
}

/** The route's circuit breaker: both variables or neither. */
export function loadBreakerSettings(env: Env): { breaker?: BreakerSettings } {
  const failures = env[ENV.BREAKER_FAILURES]?.trim();
  const probe = env[ENV.BREAKER_PROBE_SECONDS]?.trim();
  if (!failures && !probe) return {};
  if (!failures || !probe) {
    throw new ConfigurationError(
      `set both ${ENV.BREAKER_FAILURES} and ${ENV.BREAKER_PROBE_SECONDS} for a circuit breaker, or neither`,
    );
  }
  return {
    breaker: {
      failures: intEnv(env, ENV.BREAKER_FAILURES, 0, 1, 1000),
      probeSeconds: intEnv(env, ENV.BREAKER_PROBE_SECONDS, 0, 1, 3600),
      concurrency: intEnv(env, ENV.MAX_CONCURRENCY, RAMP_START_CONCURRENCY, RAMP_START_CONCURRENCY, 1000),
    },
  };
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
  const maxSeconds = intEnv(
    env,
    ENV.RETRY_MAX_SECONDS,
    defaults.maxSeconds,
    baseSeconds,
    MAX_VISIBILITY_SECONDS,
  );
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
    messageTableName: requireEnv(env, ENV.MESSAGE_TABLE_NAME),
    recordRetentionSeconds: recordRetentionSecondsEnv(env),
    targetUrl,
    timeoutSeconds: intEnv(env, ENV.TARGET_TIMEOUT_SECONDS, ROUTE_DEFAULTS.timeoutSeconds, 1, 300),
    maxAttempts: intEnv(env, ENV.MAX_ATTEMPTS, ROUTE_DEFAULTS.maxAttempts, 1, 1000),
    retry: loadRetryPolicy(env),
    nonRetryableStatuses: parseStatuses(env[ENV.NON_RETRYABLE_STATUSES], ROUTE_DEFAULTS.nonRetryableStatuses),
    logPayloads: env[ENV.LOG_PAYLOADS] === 'true',
    ...(env[ENV.SIGNING_SECRET_ID]?.trim() ? { signingSecretId: env[ENV.SIGNING_SECRET_ID]?.trim() } : {}),
    signingSecretCacheSeconds: intEnv(
      env,
      ENV.SIGNING_SECRET_CACHE_SECONDS,
      SIGNING_SECRET_CACHE_SECONDS,
      0,
      3600,
    ),
    ...parseHeaders(env[ENV.TARGET_HEADERS]),
    ...loadBreakerSettings(env),
  };
}

/**
 * Parses TARGET_HEADERS (a JSON object of header name to text or secret reference); the message
 * never echoes a value: they may be secrets.
 */
export function parseHeaders(raw: string | undefined): { headers?: Readonly<Record<string, HeaderValue>> } {
  if (raw === undefined || raw.trim() === '') return {};
  let headers: unknown;
  try {
    headers = JSON.parse(raw);
  } catch {
    headers = undefined;
  }
  if (
    typeof headers !== 'object' ||
    headers === null ||
    Array.isArray(headers) ||
    !Object.values(headers).every(isHeaderValue)
  ) {
    throw new ConfigurationError(
      `${ENV.TARGET_HEADERS} must be a JSON object of header name to text value or {"secret": "<name or ARN>", "field"?: "...", "prefix"?: "..."}`,
    );
  }
  return { headers: headers as Record<string, HeaderValue> };
}

/** What a caller outside Lambda (the local runner, tests, the bench) sets instead of the defaults. */
export interface ForwarderOverrides {
  readonly sqsEndpoint?: string;
  readonly dynamoDbEndpoint?: string;
  readonly secretsManagerEndpoint?: string;
  readonly logger?: Logger;
  readonly backend?: Backend;
  /** What a circuit breaker stops deliveries with; on AWS, the function's event source mapping. */
  readonly deliveries?: DeliverySwitch;
}

/**
 * The signing keys and the header secrets' reader, over one SecretsProvider created once per
 * container: its cache spares a Secrets Manager call per delivery, and serves both.
 */
function secretDeps(
  config: ForwarderConfig,
  overrides: ForwarderOverrides,
): Pick<ForwarderDeps, 'signing' | 'secrets'> {
  const referencesSecret = Object.values(config.headers ?? {}).some(isSecretHeaderValue);
  if (!config.signingSecretId && !referencesSecret) return {};
  const provider = new SecretsProvider({
    awsSdkV3Client: createSecretsManagerClient({ endpoint: overrides.secretsManagerEndpoint }),
  });
  return {
    ...(config.signingSecretId
      ? {
          signing: new SecretsManagerSigningKeys(
            provider,
            config.signingSecretId,
            config.signingSecretCacheSeconds,
          ),
        }
      : {}),
    ...(referencesSecret ? { secrets: cachedSecretReader(provider, config.signingSecretCacheSeconds) } : {}),
  };
}

/** Builds the forwarder's dependencies (bookkeeping clients with the patient background timeouts). */
export function createForwarderDeps(
  config: ForwarderConfig,
  overrides: ForwarderOverrides = {},
): ForwarderDeps {
  const sqs = createSqsClient({ endpoint: overrides.sqsEndpoint });
  const dynamoDb = createDynamoDbClient({ endpoint: overrides.dynamoDbEndpoint });
  const queue = new SqsMessageQueue(sqs, config.queueUrl);
  return {
    queue,
    deadLetters: new SqsMessageQueue(sqs, config.dlqUrl),
    backend: overrides.backend ?? new FetchBackend(),
    records: new DynamoDbMessageRecords(
      createDocumentClient(dynamoDb),
      config.messageTableName,
      config.recordRetentionSeconds,
    ),
    logger: overrides.logger ?? createLogger(SERVICE.FORWARDER),
    clock: systemClock,
    settings: config,
    // Created once per container; the provider's cache spares a Secrets Manager call per delivery.
    ...secretDeps(config, overrides),
    // An ordered route's queue is FIFO: records skipped behind a failed one are counted apart.
    ...(isFifoQueue(config.queueUrl)
      ? { skips: new DynamoDbSkipLedger(dynamoDb, config.messageTableName) }
      : {}),
    ...(config.breaker
      ? {
          breaker: {
            store: new DynamoDbBreakerStore(dynamoDb, config.messageTableName),
            deliveries: overrides.deliveries ?? missingSwitch(),
            source: queue,
          },
        }
      : {}),
  };
}

/**
 * A breaker route's forwarder needs a switch for its deliveries: in Lambda, breaker-handler.ts passes
 * the event source mapping's; the local runner passes its queue tag.
 */
function missingSwitch(): never {
  throw new ConfigurationError(
    `${ENV.BREAKER_FAILURES} is set but this forwarder has no delivery switch: a route with a circuit breaker runs functions/forwarder/breaker-handler.ts`,
  );
}
