import { describe, expect, it } from 'vitest';
import { loadForwarderConfig } from '../../functions/forwarder/forwarder-config.js';
import { loadIngestConfig } from '../../functions/ingest/ingest-config.js';
import { type RouteResourceNames, routeEnvironments } from '../../shared/config/route-environment.js';
import { DEFAULT_ROUTE, parseRoute, type RouteConfig } from '../../shared/config/routes.js';
import { SIGNING_SECRET_CACHE_SECONDS } from '../../shared/signing/signing-keys.js';
import { configurationError } from '../support/configuration-error.js';
import { ORDERS_ROUTE } from '../support/route-fixtures.js';

const RESOURCES: RouteResourceNames = {
  queueUrl: 'http://sqs.local/000000000000/orders-delivery',
  dlqUrl: 'http://sqs.local/000000000000/orders-fail-messages',
  failoverTableName: 'failover',
  messageTableName: 'messages',
  recordRetentionDays: 30,
};

/**
 * A value other than the default route's for every route field. Typed Required<RouteConfig>, so a
 * field added to the routes schema does not compile here until it has a value, and the test below
 * then shows whether it reaches a function.
 */
const CHANGED: Required<RouteConfig> = {
  ...ORDERS_ROUTE,
  schema: 'json-object',
  signing: {},
  headers: { Authorization: { secret: 'orders/backend-token', prefix: 'Bearer ' }, 'X-Tenant': 'acme' },
  ordering: { keyPointer: '/orderId' },
  breaker: { failures: 6, probeSeconds: 45 },
};

/** CHANGED less its breaker: a route cannot have both a breaker and ordering (yet). */
const { breaker: _breaker, ...CHANGED_ORDERED } = CHANGED;

/**
 * Fields the functions never read: the stack and the local runner use them to build resources
 * (`signing` makes a secret, whose id reaches the forwarder: tested below).
 */
const RESOURCE_ONLY_FIELDS = new Set<keyof RouteConfig>(['path', 'concurrency', 'batchSize', 'signing']);

describe('routeEnvironments (the stack and the local runner both use it)', () => {
  it('gives the ingest and the forwarder a route that they read back setting for setting', () => {
    // Prepare
    const route = parseRoute(CHANGED_ORDERED);

    // Act
    const environments = routeEnvironments(route, { ...RESOURCES, signingSecretId: 'orders/signing' });
    const ingest = loadIngestConfig(environments.ingest);
    const forwarder = loadForwarderConfig(environments.forwarder);

    // Assess
    expect(ingest).toEqual({
      routeName: 'order-events',
      queueUrl: RESOURCES.queueUrl,
      failoverTableName: 'failover',
      messageTableName: 'messages',
      recordRetentionSeconds: 30 * 86_400,
      maxBodyBytes: 100_000,
      schemaName: 'json-object',
      logPayloads: false,
      ordering: { keyPointer: '/orderId' },
    });
    expect(forwarder).toEqual({
      route: 'order-events',
      queueUrl: RESOURCES.queueUrl,
      dlqUrl: RESOURCES.dlqUrl,
      messageTableName: 'messages',
      recordRetentionSeconds: 30 * 86_400,
      targetUrl: CHANGED.target,
      timeoutSeconds: 25,
      maxAttempts: 7,
      retry: CHANGED.retry,
      nonRetryableStatuses: new Set([400, 422]),
      logPayloads: false,
      signingSecretId: 'orders/signing',
      signingSecretCacheSeconds: SIGNING_SECRET_CACHE_SECONDS,
      headers: { Authorization: { secret: 'orders/backend-token', prefix: 'Bearer ' }, 'X-Tenant': 'acme' },
    });
  });

  it("gives a route's forwarder its circuit breaker, read back as it was set", () => {
    // Prepare
    const route = parseRoute({ ...DEFAULT_ROUTE, breaker: CHANGED.breaker });

    // Act
    const forwarder = loadForwarderConfig(routeEnvironments(route, RESOURCES).forwarder);
    const withoutBreaker = loadForwarderConfig(routeEnvironments(DEFAULT_ROUTE, RESOURCES).forwarder);

    // Assess
    expect(forwarder.breaker).toEqual({
      failures: 6,
      probeSeconds: 45,
      concurrency: DEFAULT_ROUTE.concurrency,
    });
    expect(withoutBreaker.breaker).toBeUndefined();
  });

  it('fails for a forwarder given half a circuit breaker, naming both variables', () => {
    // Prepare
    const env = { ...routeEnvironments(DEFAULT_ROUTE, RESOURCES).forwarder, BREAKER_FAILURES: '5' };

    // Act
    const { message } = configurationError(() => loadForwarderConfig(env));

    // Assess
    expect(message).toBe(
      'set both BREAKER_FAILURES and BREAKER_PROBE_SECONDS for a circuit breaker, or neither',
    );
  });

  it('fails for a signed route without its secret, so it never delivers unsigned', () => {
    // Act
    const { message } = configurationError(() => routeEnvironments(parseRoute(CHANGED_ORDERED), RESOURCES));

    // Assess
    expect(message).toMatch(/route order-events is signed but no signing secret was made for it/);
  });

  it.each(Object.keys(CHANGED).filter((field) => !RESOURCE_ONLY_FIELDS.has(field as keyof RouteConfig)))(
    'carries a change of %s to a function',
    (field) => {
      // Prepare
      const changed = parseRoute({ ...DEFAULT_ROUTE, [field]: CHANGED[field as keyof typeof CHANGED] });

      // Act
      const before = routeEnvironments(DEFAULT_ROUTE, RESOURCES);
      const after = routeEnvironments(changed, RESOURCES);

      // Assess
      expect(after).not.toEqual(before);
    },
  );

  it('sets "any JSON" for a route without a body schema', () => {
    // Prepare
    const { schema: _none, ...route } = DEFAULT_ROUTE;

    // Act
    const ingest = loadIngestConfig(routeEnvironments(parseRoute(route), RESOURCES).ingest);

    // Assess
    expect(ingest.schemaName).toBe('json');
  });

  it('gives the forwarder a retry schedule and the attempts that follow it', () => {
    // Prepare
    const route = parseRoute({
      ...DEFAULT_ROUTE,
      maxAttempts: undefined,
      retry: { schedule: [5, 300, 1800] },
    });

    // Act
    const forwarder = loadForwarderConfig(routeEnvironments(route, RESOURCES).forwarder);

    // Assess
    expect(forwarder).toMatchObject({ retry: { schedule: [5, 300, 1800] }, maxAttempts: 4 });
  });

  it('fails on a retry schedule variable that is not a list of whole seconds, naming it and the value', () => {
    // Prepare
    const env = {
      ...routeEnvironments(DEFAULT_ROUTE, RESOURCES).forwarder,
      RETRY_SCHEDULE_SECONDS: '5,soon',
    };

    // Act
    const error = configurationError(() => loadForwarderConfig(env));

    // Assess
    expect(error.message).toBe(
      "RETRY_SCHEDULE_SECONDS must be comma-separated whole seconds from 1 to 43200, got '5,soon'",
    );
  });
});
