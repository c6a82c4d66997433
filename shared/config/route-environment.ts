import { ConfigurationError } from '../errors.js';
import { isBuiltInBodySchema } from '../schemas/body-schemas.js';
import { ENV } from './env-names.js';
import { type HeaderValue, isSecretHeaderValue } from './header-value.js';
import type { RouteConfig } from './route-schema.js';

/**
 * The one mapping from a route to its functions' environment variables, used by the CDK stack
 * (`addEnvironment` with CloudFormation tokens as values) and by the local runner (real queue URLs
 * and table names) alike, so a route setting reaches a function the same way on AWS and locally.
 * A new route setting is one more line here (and its read in the function's config).
 */

function retentionSeconds(days: number): string {
  return String(days * 86_400);
}

/** Where a route's functions find what was created for them: names, URLs or CDK tokens. */
export interface RouteResourceNames {
  /** The route's delivery queue. */
  readonly queueUrl: string;
  /** The route's fail-messages dead-letter queue. */
  readonly dlqUrl: string;
  /** The failover table all routes share. */
  readonly failoverTableName: string;
  /** The message table: status records, also the forwarders' idempotency records. */
  readonly messageTableName: string;
  /** Days a status record is kept after its last write (the deployment's `recordRetentionDays`). */
  readonly recordRetentionDays: number;
  /** A signed route's secret (name or ARN): the stack's, or the local runner's in the emulator. */
  readonly signingSecretId?: string;
  /**
   * Where the ingest finds the route's JSON Schema file when it has one: the stack copies the file
   * into the function's asset and passes its name there.
   * @default - the route's own path (the local runner reads the file where it is)
   */
  readonly bodySchemaFile?: string;
}

/** Each function of a route with exactly the variables it reads. */
export interface RouteFunctionEnvironments {
  readonly ingest: Readonly<Record<string, string>>;
  readonly forwarder: Readonly<Record<string, string>>;
}

/** The environments of a route's ingest and forwarder. */
export function routeEnvironments(
  route: RouteConfig,
  resources: RouteResourceNames,
): RouteFunctionEnvironments {
  if (route.signing && !resources.signingSecretId) {
    throw new ConfigurationError(
      `route ${route.name} is signed but no signing secret was made for it; create its secret before its functions`,
    );
  }
  return {
    ingest: {
      [ENV.ROUTE_NAME]: route.name,
      [ENV.QUEUE_URL]: resources.queueUrl,
      [ENV.FAILOVER_TABLE_NAME]: resources.failoverTableName,
      [ENV.MESSAGE_TABLE_NAME]: resources.messageTableName,
      [ENV.RECORD_RETENTION_SECONDS]: retentionSeconds(resources.recordRetentionDays),
      [ENV.MAX_BODY_BYTES]: String(route.maxBodyBytes),
      // Absent = any JSON: the ingest still requires a well-formed JSON document.
      [ENV.BODY_SCHEMA]:
        route.schema === undefined || isBuiltInBodySchema(route.schema)
          ? (route.schema ?? 'json')
          : (resources.bodySchemaFile ?? route.schema),
      ...orderingEnvironment(route),
    },
    forwarder: {
      [ENV.ROUTE_NAME]: route.name,
      [ENV.QUEUE_URL]: resources.queueUrl,
      [ENV.DLQ_URL]: resources.dlqUrl,
      [ENV.MESSAGE_TABLE_NAME]: resources.messageTableName,
      [ENV.RECORD_RETENTION_SECONDS]: retentionSeconds(resources.recordRetentionDays),
      [ENV.TARGET_URL]: route.target,
      [ENV.TARGET_TIMEOUT_SECONDS]: String(route.timeoutSeconds),
      [ENV.MAX_ATTEMPTS]: String(route.maxAttempts),
      ...('schedule' in route.retry
        ? { [ENV.RETRY_SCHEDULE_SECONDS]: route.retry.schedule.join(',') }
        : {
            [ENV.RETRY_BASE_SECONDS]: String(route.retry.baseSeconds),
            [ENV.RETRY_MAX_SECONDS]: String(route.retry.maxSeconds),
          }),
      [ENV.NON_RETRYABLE_STATUSES]: route.nonRetryableStatuses.join(','),
      ...(resources.signingSecretId ? { [ENV.SIGNING_SECRET_ID]: resources.signingSecretId } : {}),
      ...(route.headers ? { [ENV.TARGET_HEADERS]: JSON.stringify(forwarderHeaders(route.headers)) } : {}),
      ...(route.breaker
        ? {
            [ENV.BREAKER_FAILURES]: String(route.breaker.failures),
            [ENV.BREAKER_PROBE_SECONDS]: String(route.breaker.probeSeconds),
            [ENV.MAX_CONCURRENCY]: String(route.concurrency),
          }
        : {}),
    },
  };
}

/**
 * The headers as the forwarder reads them: a secret's `kmsKey` is for the stack's grant only (Secrets
 * Manager decrypts; the forwarder never calls KMS), so it stays out of the environment.
 */
function forwarderHeaders(headers: NonNullable<RouteConfig['headers']>): Record<string, HeaderValue> {
  return Object.fromEntries(
    Object.entries(headers).map(([name, value]) => {
      if (!isSecretHeaderValue(value)) return [name, value];
      const { kmsKey: _kmsKey, ...reference } = value;
      return [name, reference];
    }),
  );
}

/** An ordered route's ingest variables: where each message's key is (read back by `orderingFromEnv`). */
function orderingEnvironment(route: RouteConfig): Record<string, string> {
  if (!route.ordering) return {};
  return 'keyHeader' in route.ordering
    ? { [ENV.ORDERING_KEY_HEADER]: route.ordering.keyHeader }
    : { [ENV.ORDERING_KEY_POINTER]: route.ordering.keyPointer };
}

/** What the drainer, which serves every route, is told. */
export interface DrainerResourceNames {
  readonly failoverTableName: string;
  /** The message table (the drainer notes on each moved message's record that it left failover). */
  readonly messageTableName: string;
  readonly recordRetentionDays: number;
  /** JSON object of route name → delivery queue URL (the stack passes `Stack.toJsonString`). */
  readonly routeQueueUrlsJson: string;
  /** Seconds a run may spend before it leaves the rest to the next run. */
  readonly timeBudgetSeconds: number;
}

/** The drainer's environment. */
export function drainerEnvironment(resources: DrainerResourceNames): Readonly<Record<string, string>> {
  return {
    [ENV.FAILOVER_TABLE_NAME]: resources.failoverTableName,
    [ENV.MESSAGE_TABLE_NAME]: resources.messageTableName,
    [ENV.RECORD_RETENTION_SECONDS]: retentionSeconds(resources.recordRetentionDays),
    [ENV.ROUTE_QUEUE_URLS]: resources.routeQueueUrlsJson,
    [ENV.DRAIN_TIME_BUDGET_SECONDS]: String(resources.timeBudgetSeconds),
  };
}
