import { z } from 'zod';
import { ConfigurationError } from '../errors.js';
import { BODY_SCHEMA_NAMES } from '../schemas/body-schemas.js';
import { type Env, USER_ENV } from './env-names.js';
import { DEFAULT_DRAIN_INTERVAL_SECONDS, DEFAULT_ROUTE } from './route-defaults.js';

/**
 * Typed configuration of one delivery route: where messages come in, where they go, and how hard
 * the forwarder tries. Shared by the CDK stack and the local runner, so both build the same thing.
 * Reference mapping (seeds/000): `maxAttempts` = max.delivery.attempts, `retry.baseSeconds` =
 * client.retry.interval, `concurrency` = member.count.
 */
export const routeConfigSchema = z.object({
  /** Short name used in resource names and logs: lowercase letters, digits and dashes. */
  name: z.string().regex(/^[a-z][a-z0-9-]{0,30}$/, 'use 1-31 lowercase letters, digits or dashes'),
  /** API path, e.g. `/catering/register`. */
  path: z.string().regex(/^(\/[A-Za-z0-9._-]+)+$/, 'use a path like /catering/register'),
  /** Backend URL the forwarder POSTs each message to. */
  target: z.url({ protocol: /^https?$/, error: 'use an http(s) URL' }),
  /** Body schema the ingest validates against (shared/schemas). */
  schema: z.enum(BODY_SCHEMA_NAMES),
  /** Delivery attempts before the dead-letter queue; SQS allows 1-1000. */
  maxAttempts: z.number().int().min(1).max(1000),
  /** Exponential backoff between attempts: base * 2^(attempt-1), capped, with jitter. */
  retry: z
    .object({
      baseSeconds: z.number().int().min(1).max(43_200),
      maxSeconds: z.number().int().min(1).max(43_200),
    })
    .refine((r) => r.maxSeconds >= r.baseSeconds, 'retry.maxSeconds must be >= retry.baseSeconds'),
  /** Backend statuses that will not get better by retrying: dead-lettered at once, reason recorded. */
  nonRetryableStatuses: z.array(z.number().int().min(100).max(599)),
  /** Forwarder maximum concurrency (event source mapping); protects the backend. SQS allows 2-1000. */
  concurrency: z.number().int().min(2).max(1000),
  /** Records per forwarder invocation. */
  batchSize: z.number().int().min(1).max(10),
  /** Per-attempt backend timeout in seconds. */
  timeoutSeconds: z.number().int().min(1).max(300),
  /** Largest accepted body. 250,000 bytes keeps a message, with its attributes, inside both the SQS
   * message limit (256 KiB) and the DynamoDB item limit (400 KB) so failover can always hold it. */
  maxBodyBytes: z.number().int().min(1).max(250_000),
});

export type RouteConfig = z.infer<typeof routeConfigSchema>;

/** Configuration of a whole deployment: its routes and what they share. */
export interface DeliveryConfig {
  readonly routes: readonly RouteConfig[];
  /** How often the drainer moves failover items back to their queues. */
  readonly drainIntervalSeconds: number;
  /** Whether the API requires an API key (usage plan). On by default on AWS. */
  readonly apiKeyRequired: boolean;
}

export {
  DEFAULT_DRAIN_INTERVAL_SECONDS,
  DEFAULT_ROUTE,
  REFERENCE_CATERING_ENDPOINT,
} from './route-defaults.js';

/** Parses a route, turning schema failures into one message that names each bad field and value. */
export function parseRoute(input: unknown): RouteConfig {
  const result = routeConfigSchema.safeParse(input);
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => {
    const path = issue.path.join('.');
    const value = issue.path.reduce<unknown>(
      (node, key) => (node as Record<PropertyKey, unknown> | undefined)?.[key as PropertyKey],
      input,
    );
    return `${path || 'route'}: ${issue.message} (got ${JSON.stringify(value)})`;
  });
  throw new ConfigurationError(`Invalid route configuration: ${problems.join('; ')}`);
}

function numberFromEnv(env: Env, name: string): number | undefined {
  const raw = env[name];
  if (raw === undefined || raw.trim() === '') return undefined;
  const value = Number(raw);
  if (!Number.isFinite(value)) {
    throw new ConfigurationError(`${name} must be a number, got '${raw}'`);
  }
  return value;
}

/**
 * Builds the deployment configuration: the default route with the user's environment overrides
 * (DESIGN.md's table), validated. Used by `cdk synth` and by the local runner alike.
 */
export function loadDeliveryConfig(
  env: Env,
  routes: readonly RouteConfig[] = [DEFAULT_ROUTE],
): DeliveryConfig {
  const [first, ...rest] = routes;
  if (!first) throw new ConfigurationError('At least one route must be configured');
  const overridden = {
    ...first,
    target: env[USER_ENV.CATERING_SERVICE_EP]?.trim() || first.target,
    maxAttempts: numberFromEnv(env, USER_ENV.MAX_ATTEMPTS) ?? first.maxAttempts,
    retry: {
      baseSeconds: numberFromEnv(env, USER_ENV.RETRY_BASE_SECONDS) ?? first.retry.baseSeconds,
      maxSeconds: numberFromEnv(env, USER_ENV.RETRY_MAX_SECONDS) ?? first.retry.maxSeconds,
    },
  };
  const parsed = [overridden, ...rest].map(parseRoute);
  const names = new Set<string>();
  const paths = new Set<string>();
  for (const route of parsed) {
    if (names.has(route.name)) throw new ConfigurationError(`Route name '${route.name}' is used twice`);
    if (paths.has(route.path)) throw new ConfigurationError(`Route path '${route.path}' is used twice`);
    names.add(route.name);
    paths.add(route.path);
  }
  const drainIntervalSeconds =
    numberFromEnv(env, USER_ENV.DRAIN_INTERVAL_SECONDS) ?? DEFAULT_DRAIN_INTERVAL_SECONDS;
  if (!Number.isInteger(drainIntervalSeconds) || drainIntervalSeconds < 1) {
    throw new ConfigurationError(
      `${USER_ENV.DRAIN_INTERVAL_SECONDS} must be a whole number of seconds >= 1, got '${drainIntervalSeconds}'`,
    );
  }
  const apiKey = env[USER_ENV.API_KEY_REQUIRED]?.trim().toLowerCase();
  if (apiKey !== undefined && apiKey !== '' && apiKey !== 'true' && apiKey !== 'false') {
    throw new ConfigurationError(`${USER_ENV.API_KEY_REQUIRED} must be 'true' or 'false', got '${apiKey}'`);
  }
  return { routes: parsed, drainIntervalSeconds, apiKeyRequired: apiKey !== 'false' };
}
