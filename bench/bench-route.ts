import { randomUUID } from 'node:crypto';
import { Logger } from '@aws-lambda-powertools/logger';
import type { Metrics } from '@aws-lambda-powertools/metrics';
import { PurgeQueueCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { localFunctionConfigs } from '../local/local-functions.js';
import { provisionRouteQueues, provisionTables, type RouteQueues, type Tables } from '../local/provision.js';
import { createDynamoDbClient, createSqsClient } from '../shared/aws/clients.js';
import type { Env } from '../shared/config/env-names.js';
import { loadDeliveryConfig, parseRoute, type RouteConfig } from '../shared/config/routes.js';
import type { MessageEnvelope } from '../shared/envelope.js';
import { ConfigurationError } from '../shared/errors.js';
import { createMetrics, type ServiceName } from '../shared/metrics.js';

/**
 * A route on the benchmark's AWS endpoint (queue, DLQ, failover and idempotency tables under a
 * fresh prefix), and the functions' configurations the stack's documents would give them.
 */
export interface BenchRoute {
  readonly prefix: string;
  readonly route: RouteConfig;
  readonly queues: RouteQueues;
  readonly tables: Tables;
  /** The functions' configurations, read from the documents the stack writes. */
  readonly configs: ReturnType<typeof localFunctionConfigs>;
  /** An admin SQS client for setup (not the one under measurement). */
  readonly sqs: SQSClient;
}

/** Picks the bench's route from a routes file (`DELIVERY_CONFIG`): `BENCH_ROUTE=<name>`, else its first. */
export const BENCH_ROUTE_ENV = 'BENCH_ROUTE';

/**
 * The route the figures measure: the default route, or with `DELIVERY_CONFIG` the file's route
 * named by `BENCH_ROUTE` (its first by default), so its schema, limits and retry policy apply.
 */
export function benchBaseRoute(env: Env = process.env): RouteConfig {
  const { routes } = loadDeliveryConfig(env);
  const wanted = env[BENCH_ROUTE_ENV]?.trim();
  const route = wanted ? routes.find((r) => r.name === wanted) : routes[0];
  if (!route) {
    throw new ConfigurationError(
      `${BENCH_ROUTE_ENV} is '${wanted}', which is not a route of the configuration (${routes.map((r) => r.name).join(', ')})`,
    );
  }
  return route;
}

/** Provisions the bench's route ({@link benchBaseRoute} with `overrides`) under a fresh prefix. */
export async function createBenchRoute(
  endpoint: string,
  overrides: Partial<RouteConfig> = {},
): Promise<BenchRoute> {
  const prefix = `bench-${randomUUID().slice(0, 8)}`;
  const route = parseRoute({ ...benchBaseRoute(), ...overrides });
  const sqs = createSqsClient({ endpoint });
  const queues = await provisionRouteQueues(sqs, prefix, route);
  const tables = await provisionTables(createDynamoDbClient({ endpoint }), prefix);
  const configs = localFunctionConfigs({ prefix, queueUrl: queues.queueUrl, tables, routes: [route] });
  return { prefix, route, queues, tables, configs, sqs };
}

/** Empties a queue between rounds so each round starts from the same state. */
export async function purge(sqs: SQSClient, queueUrl: string): Promise<void> {
  await sqs.send(new PurgeQueueCommand({ QueueUrl: queueUrl }));
}

/**
 * moto's SQS send cost grows with the queue's depth (measured here: a SendMessageBatch of 10 takes
 * ~90 ms on an empty queue and ~600 ms once 1,000 messages wait), which real SQS does not do. So the
 * clients that fill a queue in a figure get this middleware: after every `every` messages sent
 * through it, it purges the queue (through the admin client, uncounted) before answering. Both sides
 * of a comparison get the same middleware, so they pay the same purges at the same depths.
 */
export function keepQueueShallow(client: SQSClient, admin: SQSClient, queueUrl: string, every = 100): void {
  let sinceLastPurge = 0;
  let purging: Promise<void> | undefined;
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const output = await next(args);
      if (context.commandName === 'SendMessageCommand' || context.commandName === 'SendMessageBatchCommand') {
        const input = args.input as { Entries?: unknown[] };
        sinceLastPurge += input.Entries?.length ?? 1;
        if (sinceLastPurge >= every && !purging) {
          sinceLastPurge = 0;
          purging = purge(admin, queueUrl).finally(() => {
            purging = undefined;
          });
        }
        if (purging) await purging;
      }
      return output;
    },
    { step: 'initialize', name: 'benchKeepQueueShallow' },
  );
}

/**
 * A Powertools logger that formats every entry as in Lambda (so its CPU cost is measured) but writes
 * nowhere, keeping the benchmark's output readable. Powertools writes through its `console` field,
 * as test/support's recording logger relies on too.
 */
export function mutedLogger(serviceName: string): Logger {
  const logger = new Logger({ serviceName, logLevel: 'INFO' });
  const discard = () => undefined;
  (logger as unknown as { console: Console }).console = {
    ...console,
    info: discard,
    warn: discard,
    error: discard,
    debug: discard,
    log: discard,
    trace: discard,
  } as Console;
  return logger;
}

/** The function's Powertools metrics, EMF lines built as in Lambda but written nowhere (same reason). */
export function mutedMetrics(serviceName: ServiceName): Metrics {
  const metrics = createMetrics(serviceName);
  (metrics as unknown as { console: Console }).console = { ...console, log: () => undefined } as Console;
  return metrics;
}

/** A catering registration (the reference scenario's shape) of about 400 bytes, unique per index. */
export function cateringBody(index: number): string {
  return JSON.stringify({
    passengerId: `P-${index.toString().padStart(7, '0')}`,
    class: 'first',
    train: 'IC 1021',
    departure: { time: '2026-11-21T08:05:00Z', station: 'Amsterdam Centraal' },
    arrival: { time: '2026-11-21T10:47:00Z', station: 'Brussels-Midi' },
    duration: 'PT2H42M',
    food: [
      { serving: 'breakfast', type: 'vegetarian', comments: ['no mushrooms'] },
      { serving: 'lunch', type: 'regular' },
    ],
  });
}

/** An envelope as the ingest would make it, for loading queues and tables directly. */
export function benchEnvelope(route: string, index: number, runId: string): MessageEnvelope {
  return {
    id: `${runId}-${index}`,
    route,
    body: cateringBody(index),
    contentType: 'application/json',
    receivedAt: new Date().toISOString(),
    priorAttempts: 0,
  };
}
