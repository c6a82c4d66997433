import { describe, expect, it } from 'vitest';
import { archiverConfig } from '../../functions/archiver/archiver-config.js';
import { drainerConfig } from '../../functions/drainer/drainer-config.js';
import { forwarderConfig, loadForwarderConfig } from '../../functions/forwarder/forwarder-config.js';
import { ingestConfig, loadBodySchema, schemaNameOf } from '../../functions/ingest/ingest-config.js';
import { ENV } from '../../shared/config/env-names.js';
import {
  forwarderDocument,
  functionEnvironment,
  type StackBindings,
} from '../../shared/config/function-config.js';
import { routeTableOf, toRouteDocument } from '../../shared/config/route-document.js';
import { DEFAULT_ROUTE, parseRoute } from '../../shared/config/routes.js';
import { DLQ_RETENTION_SECONDS } from '../../shared/queues.js';
import { configurationError } from '../support/configuration-error.js';
import { ORDERS_ROUTE } from '../support/route-fixtures.js';

const STACK: StackBindings = {
  failoverTable: 'failover',
  messageTable: 'messages',
  queues: { namePrefix: 'gd', urlBase: 'https://sqs.eu-west-1.amazonaws.com/111111111111/' },
};

describe("a forwarder's document", () => {
  it('is the route as the routes file has it, delivery options as a sub-object, read back whole', () => {
    // Prepare
    const route = parseRoute({
      ...ORDERS_ROUTE,
      retry: { schedule: [5, 60] },
      maxAttempts: 3,
      headers: { 'X-Tenant': 'acme', Authorization: { secret: 'orders/token', prefix: 'Bearer ' } },
      breaker: { failures: 5, probeSeconds: 30 },
    });

    // Act
    const document = forwarderDocument(STACK, route);
    const config = loadForwarderConfig(functionEnvironment(document));

    // Assess
    expect(document.route).toMatchObject({ name: 'order-events', delivery: { target: route.target } });
    expect(config).toEqual({
      route: 'order-events',
      queueUrl: 'https://sqs.eu-west-1.amazonaws.com/111111111111/gd_q_order-events',
      dlqUrl: 'https://sqs.eu-west-1.amazonaws.com/111111111111/gd_dlq_order-events',
      messageTableName: 'messages',
      recordRetentionSeconds: 30 * 86_400,
      targetUrl: route.target,
      timeoutSeconds: route.timeoutSeconds,
      maxAttempts: 3,
      retry: { schedule: [5, 60] },
      nonRetryableStatuses: new Set(route.nonRetryableStatuses),
      logPayloads: false,
      signingSecretCacheSeconds: 30,
      headers: route.headers,
      breaker: { failures: 5, probeSeconds: 30, concurrency: route.concurrency },
    });
  });

  it('names the signing secret the stack made; an ordered route derives FIFO queue names', () => {
    // Prepare
    const route = parseRoute({ ...ORDERS_ROUTE, signing: true, ordering: { keyHeader: 'Ordering-Key' } });

    // Act
    const config = forwarderConfig(
      forwarderDocument(
        STACK,
        route,
        'arn:aws:secretsmanager:eu-west-1:111111111111:secret:orders-signing-AbC123',
      ),
    );

    // Assess
    expect(config.signingSecretId).toBe(
      'arn:aws:secretsmanager:eu-west-1:111111111111:secret:orders-signing-AbC123',
    );
    expect(config.queueUrl).toMatch(/gd_q_order-events\.fifo$/);
    expect(config.dlqUrl).toMatch(/gd_dlq_order-events\.fifo$/);
  });

  it('fails naming the field, with the route schema’s own message, never the value', () => {
    // Prepare
    const document = forwarderDocument(STACK, DEFAULT_ROUTE);
    const bad = {
      ...document,
      route: { ...document.route, delivery: { ...document.route.delivery, maxAttempts: 0 } },
    };

    // Act
    const { message } = configurationError(() => forwarderConfig(bad));

    // Assess
    expect(message).toBe(
      `Invalid forwarder configuration (${ENV.FUNCTION_CONFIG}): route.delivery.maxAttempts: use a whole number from 1 to 1000`,
    );
  });

  it('fails at cold start without the variable, or with one that is not JSON', () => {
    expect(configurationError(() => loadForwarderConfig({})).message).toBe(
      `${ENV.FUNCTION_CONFIG} environment variable is not set`,
    );
    expect(configurationError(() => loadForwarderConfig({ [ENV.FUNCTION_CONFIG]: '{' })).message).toMatch(
      new RegExp(`^${ENV.FUNCTION_CONFIG} is not a JSON document`),
    );
  });

  it('refuses a signed route whose secret was not made', () => {
    expect(() => forwarderDocument(STACK, parseRoute({ ...ORDERS_ROUTE, signing: true }))).toThrow(
      /route order-events is signed but no signing secret was made for it/,
    );
  });

  it('round-trips a route through its document', () => {
    // Prepare
    const route = parseRoute({ ...ORDERS_ROUTE, retry: { baseSeconds: 3, maxSeconds: 30 } });

    // Act
    const read = forwarderConfig({ stack: STACK, route: JSON.parse(JSON.stringify(toRouteDocument(route))) });

    // Assess
    expect(read.retry).toEqual({ baseSeconds: 3, maxSeconds: 30 });
    expect(read.maxAttempts).toBe(route.maxAttempts);
  });
});

describe('the route table of the functions that serve every route', () => {
  const routes = [DEFAULT_ROUTE, parseRoute({ ...ORDERS_ROUTE, ordering: { keyPointer: '/id' } })];

  it('gives the ingest each route by path, with its body schema compiled on first use', () => {
    // Act
    const config = ingestConfig({ stack: STACK }, routeTableOf(routes));

    // Assess
    expect(config.routes.map((r) => [r.name, r.path, r.maxBodyBytes])).toEqual([
      ['catering', '/catering/register', 5_000_000],
      ['order-events', '/orders/events', 100_000],
    ]);
    expect(schemaNameOf(config.routes[0] ?? {})).toBe('catering-registration');
    expect(loadBodySchema({ name: 'x', schema: 'json-object' }).safeParse([]).success).toBe(false);
  });

  it('gives the drainer its time budget (default 50 s, at most 840) and every route', () => {
    // Act
    const config = drainerConfig({ stack: STACK }, routeTableOf(routes));

    // Assess
    expect(config.timeBudgetSeconds).toBe(50);
    expect(config.routes.map((r) => r.name)).toEqual(['catering', 'order-events']);
    expect(() => drainerConfig({ stack: STACK, timeBudgetSeconds: 841 }, routeTableOf(routes))).toThrow(
      /timeBudgetSeconds/,
    );
  });

  it('gives the archiver both queues of every route, with the age each is archived at', () => {
    // Act
    const config = archiverConfig(
      { stack: STACK, bucketName: 'b', queueRetentionSeconds: 604_800, archiveMarginSeconds: 172_800 },
      routeTableOf(routes),
    );

    // Assess
    expect(config.targets).toContainEqual({
      route: 'order-events',
      source: 'dead-letter-queue',
      queueUrl: 'https://sqs.eu-west-1.amazonaws.com/111111111111/gd_dlq_order-events.fifo',
      archiveAfterSeconds: DLQ_RETENTION_SECONDS - 172_800,
      // FIFO: SQS resets a dead letter's enqueue time on the move, so CloudWatch's age is its age.
      walkAfterSeconds: DLQ_RETENTION_SECONDS - 172_800,
    });
    expect(config.targets).toHaveLength(4);
  });

  it('fails on a malformed table, naming the route field', () => {
    expect(() => ingestConfig({ stack: STACK }, { routes: [{ name: 'x', path: 'no-slash' }] })).toThrow(
      /routes\[0\]\.path|routes\.0\.path/,
    );
  });
});
