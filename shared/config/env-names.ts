import { ConfigurationError } from '../errors.js';
import type { OrderingRule } from '../ordering.js';
import { MESSAGE_TABLE } from '../resources.js';
import { parseWholeNumber } from './numbers.js';

/**
 * Names of the environment variables the functions read. The stack sets them through these
 * same constants, so it cannot set a name a function does not read (and vice versa).
 */
export const ENV = {
  /** Name of the route a function serves (ingest, forwarder). */
  ROUTE_NAME: 'ROUTE_NAME',
  /** URL of the route's delivery queue. */
  QUEUE_URL: 'QUEUE_URL',
  /** URL of the route's fail-messages dead-letter queue. */
  DLQ_URL: 'DLQ_URL',
  /** Name of the failover table (ingest writes, drainer reads). */
  FAILOVER_TABLE_NAME: 'FAILOVER_TABLE_NAME',
  /** Name of the message table: per-message status records, also the forwarder's idempotency records. */
  MESSAGE_TABLE_NAME: 'MESSAGE_TABLE_NAME',
  /** Seconds a status record is kept after its last write (the table's TTL). */
  RECORD_RETENTION_SECONDS: 'RECORD_RETENTION_SECONDS',
  /** Backend URL the forwarder POSTs to. */
  TARGET_URL: 'TARGET_URL',
  /** Per-attempt backend timeout, in seconds. */
  TARGET_TIMEOUT_SECONDS: 'TARGET_TIMEOUT_SECONDS',
  /** Delivery attempts before a message is dead-lettered (the queue's maxReceiveCount). */
  MAX_ATTEMPTS: 'MAX_ATTEMPTS',
  /** Exponential backoff base, in seconds. */
  RETRY_BASE_SECONDS: 'RETRY_BASE_SECONDS',
  /** Exponential backoff cap, in seconds. */
  RETRY_MAX_SECONDS: 'RETRY_MAX_SECONDS',
  /** Comma-separated retry delays in seconds (a route's retry schedule); when set, it replaces the exponential backoff. */
  RETRY_SCHEDULE_SECONDS: 'RETRY_SCHEDULE_SECONDS',
  /** JSON object of static headers sent with every delivery attempt (never logged). */
  TARGET_HEADERS: 'TARGET_HEADERS',
  /** Comma-separated backend statuses that go straight to the DLQ. */
  NON_RETRYABLE_STATUSES: 'NON_RETRYABLE_STATUSES',
  /** Largest accepted request body, in bytes. */
  MAX_BODY_BYTES: 'MAX_BODY_BYTES',
  /** Name of the body schema the ingest validates against (see shared/schemas). */
  BODY_SCHEMA: 'BODY_SCHEMA',
  /** JSON object mapping route name to delivery queue URL (drainer). */
  ROUTE_QUEUE_URLS: 'ROUTE_QUEUE_URLS',
  /** Seconds the drainer may spend per run before it stops and leaves the rest for the next run. */
  DRAIN_TIME_BUDGET_SECONDS: 'DRAIN_TIME_BUDGET_SECONDS',
  /** Name or ARN of the route's Secrets Manager signing secret (forwarder); unset means unsigned deliveries. */
  SIGNING_SECRET_ID: 'SIGNING_SECRET_ID',
  /** Seconds a forwarder caches its signing secret: Powertools parameters' own variable. @default 30 */
  SIGNING_SECRET_CACHE_SECONDS: 'POWERTOOLS_PARAMETERS_MAX_AGE',
  /** Ordered route: the request header that carries each message's ordering key. */
  ORDERING_KEY_HEADER: 'ORDERING_KEY_HEADER',
  /** Ordered route: the JSON pointer to each message's ordering key in the body. */
  ORDERING_KEY_POINTER: 'ORDERING_KEY_POINTER',
  /** `true` to log message bodies (off by default: payloads may hold personal data). */
  LOG_PAYLOADS: 'LOG_PAYLOADS',
  /** Circuit breaker: consecutive failed attempts that open it (forwarder); unset = no breaker. */
  BREAKER_FAILURES: 'BREAKER_FAILURES',
  /** Circuit breaker: seconds between probes while open (forwarder). */
  BREAKER_PROBE_SECONDS: 'BREAKER_PROBE_SECONDS',
  /** The route's batches at once (its mapping's maximum concurrency): where a breaker's ramp-up ends. */
  MAX_CONCURRENCY: 'MAX_CONCURRENCY',
  /** Name of the S3 bucket messages nearing retention are archived to (archiver). */
  ARCHIVE_BUCKET_NAME: 'ARCHIVE_BUCKET_NAME',
  /** JSON list of the queues the archiver watches: `[{route, source, queueUrl, archiveAfterSeconds}]`. */
  ARCHIVE_TARGETS: 'ARCHIVE_TARGETS',
} as const;

/**
 * Variables a user sets, locally and at synth time. Without a routes file the default route's
 * variables (CATERING_SERVICE_EP, MAX_ATTEMPTS, RETRY_*, TARGET_TIMEOUT_SECONDS) shape it.
 */
export const USER_ENV = {
  /** Path of the routes file; unset = the one default catering route. */
  DELIVERY_CONFIG: 'DELIVERY_CONFIG',
  CATERING_SERVICE_EP: 'CATERING_SERVICE_EP',
  PORT: 'PORT',
  MAX_ATTEMPTS: 'MAX_ATTEMPTS',
  RETRY_BASE_SECONDS: 'RETRY_BASE_SECONDS',
  RETRY_MAX_SECONDS: 'RETRY_MAX_SECONDS',
  /** Per-attempt backend timeout of the default route: the same name the forwarder reads. */
  TARGET_TIMEOUT_SECONDS: 'TARGET_TIMEOUT_SECONDS',
  DRAIN_INTERVAL_SECONDS: 'DRAIN_INTERVAL_SECONDS',
  API_KEY_REQUIRED: 'API_KEY_REQUIRED',
  /** Days a message's status record is kept (at least the queue's plus the DLQ's retention). */
  RECORD_RETENTION_DAYS: 'RECORD_RETENTION_DAYS',
} as const;

/** Reads the status records' retention (ENV.RECORD_RETENTION_SECONDS), as the functions get it. */
export function recordRetentionSecondsEnv(env: Env): number {
  return intEnv(
    env,
    ENV.RECORD_RETENTION_SECONDS,
    MESSAGE_TABLE.defaultRetentionDays * 86_400,
    MESSAGE_TABLE.minRetentionSeconds,
    // A sane upper bound: ten years.
    10 * 365 * 86_400,
  );
}

/** An environment as the functions, the stack and the runner read it (`process.env`, or a test's). */
export type Env = Readonly<Record<string, string | undefined>>;

/** Reads a variable that must be set; the message names it so a misconfigured deploy is obvious. */
export function requireEnv(env: Env, name: string): string {
  const value = env[name];
  if (value === undefined || value.trim() === '') {
    throw new ConfigurationError(`${name} environment variable is not set`);
  }
  return value;
}

/** The ordering rule of an ordered route's functions (one of the two variables), or undefined. */
export function orderingFromEnv(env: Env): OrderingRule | undefined {
  const header = env[ENV.ORDERING_KEY_HEADER]?.trim();
  const pointer = env[ENV.ORDERING_KEY_POINTER];
  if (header && pointer) {
    throw new ConfigurationError(
      `set one of ${ENV.ORDERING_KEY_HEADER} and ${ENV.ORDERING_KEY_POINTER}, not both (got '${header}' and '${pointer}')`,
    );
  }
  if (header) return { keyHeader: header };
  if (pointer === undefined || pointer === '') return undefined;
  if (!pointer.startsWith('/')) {
    throw new ConfigurationError(
      `${ENV.ORDERING_KEY_POINTER} must be a JSON pointer such as /passengerId, got '${pointer}'`,
    );
  }
  return { keyPointer: pointer };
}

/** Reads an integer variable within bounds, or the fallback when it is unset. */
export function intEnv(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw.trim() === '') return fallback;
  const value = parseWholeNumber(raw, min, max);
  if (value === undefined) {
    throw new ConfigurationError(`${name} must be a whole number from ${min} to ${max}, got '${raw}'`);
  }
  return value;
}
