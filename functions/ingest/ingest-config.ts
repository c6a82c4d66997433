import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { basename, resolve } from 'node:path';
import type { Logger } from '@aws-lambda-powertools/logger';
import {
  createDocumentClient,
  createDynamoDbClient,
  createS3Client,
  createSqsClient,
  FAST_FAILOVER_TIMEOUTS,
  PAYLOAD_WRITE_TIMEOUTS,
} from '../../shared/aws/clients.js';
import { DynamoDbFailoverStore } from '../../shared/aws/dynamodb-failover-store.js';
import { DynamoDbMessageRecords } from '../../shared/aws/dynamodb-message-records.js';
import { DynamoDbOrderedFailover } from '../../shared/aws/dynamodb-ordered-failover.js';
import { S3PayloadStore } from '../../shared/aws/s3-payload-store.js';
import { SqsMessageQueue } from '../../shared/aws/sqs-message-queue.js';
import type { Env } from '../../shared/config/env-names.js';
import {
  ingestDocumentSchema,
  parseConfigDocument,
  readConfigDocument,
  type StackSettings,
} from '../../shared/config/function-config.js';
import { DEFAULT_BODY_SCHEMA } from '../../shared/config/route-defaults.js';
import type { RouteIntake } from '../../shared/config/route-document.js';
import { readRouteTable, routeTableFromAsset } from '../../shared/config/route-table.js';
import { ConfigurationError } from '../../shared/errors.js';
import { createLogger } from '../../shared/logger.js';
import { SERVICE } from '../../shared/metrics.js';
import { CLAIM_CHECK_THRESHOLD_BYTES } from '../../shared/payloads.js';
import { systemClock } from '../../shared/ports.js';
import { queueUrls } from '../../shared/resource-names.js';
import {
  type BodySchema,
  builtInBodySchema,
  compileBodySchema,
  isBuiltInBodySchema,
} from '../../shared/schemas/body-schemas.js';
import type { IngestDeps } from './accept-message.js';
import { type RouteMatcher, routeMatcher } from './match-route.js';

/** The ingest's configuration: the stack it writes to and the routes it serves. */
export interface IngestConfig {
  readonly stack: StackSettings;
  readonly routes: readonly RouteIntake[];
}

/** The ingest's configuration from its document and its route table; throws naming the field at fault. */
export function ingestConfig(document: unknown, routeTable: unknown): IngestConfig {
  const { stack } = parseConfigDocument(ingestDocumentSchema, document, 'ingest');
  return { stack, routes: readRouteTable(routeTable, 'ingest route table') };
}

/** On Lambda: the document in FUNCTION_CONFIG, the route table from the asset. */
export function loadIngestConfig(env: Env): IngestConfig {
  return ingestConfig(readConfigDocument(env), routeTableFromAsset());
}

/** The body schema's name in 400 answers: a built-in's name, or the file's name without `.json`. */
export function schemaNameOf(route: Pick<RouteIntake, 'schema'>): string {
  const schema = route.schema ?? DEFAULT_BODY_SCHEMA;
  return isBuiltInBodySchema(schema) ? schema : basename(schema).replace(/(\.schema)?\.json$/, '');
}

/**
 * The route's body schema, compiled on the route's first request (a deployment of hundreds of routes
 * must not compile them all at cold start): a built-in, or a JSON Schema file read from the function's
 * directory on Lambda (the stack copies it into the asset) or its path locally.
 */
export function loadBodySchema(route: Pick<RouteIntake, 'name' | 'schema'>): BodySchema {
  const schema = route.schema ?? DEFAULT_BODY_SCHEMA;
  if (isBuiltInBodySchema(schema)) return builtInBodySchema(schema);
  const path = resolve(process.env.LAMBDA_TASK_ROOT ?? process.cwd(), schema);
  let document: unknown;
  try {
    document = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new ConfigurationError(
      `route ${route.name}: the schema file ${path} cannot be read as JSON: ${(error as Error).message}`,
      { cause: error },
    );
  }
  try {
    // The routes file's loader checked it against the meta-schema when the stack was synthesized.
    return compileBodySchema(document, { checked: true });
  } catch (error) {
    throw new ConfigurationError(`route ${route.name}: schema file ${path}: ${(error as Error).message}`, {
      cause: error,
    });
  }
}

/** Endpoints and logger a caller may impose (the local runner, tests); otherwise the SDK's own resolution. */
export interface DepsOverrides {
  readonly sqsEndpoint?: string;
  readonly dynamoDbEndpoint?: string;
  /** Where the payload bucket is (an emulator's S3). */
  readonly s3Endpoint?: string;
  readonly logger?: Logger;
}

/** The routes the ingest serves: each path to its route's dependencies, built on its first request. */
export interface IngestRoutes extends RouteMatcher<RouteIntake> {
  /** The dependencies of a route (its queue, its rules; the stores and clients all routes share). */
  depsOf(route: RouteIntake): IngestDeps;
}

/**
 * Builds the ingest's dependencies. Both clients use the fast-failover timeouts: a silent SQS must
 * become a failover write in about a second, and a silent DynamoDB a 503 just as fast (the status
 * record is claimed before the queue write, so a silent DynamoDB delays an answer by that much).
 * One set of clients and stores serves every route; a route's queue and rules are made on its first
 * request and kept.
 */
export function createIngestDeps(config: IngestConfig, overrides: DepsOverrides = {}): IngestRoutes {
  const sqs = createSqsClient({ timeouts: FAST_FAILOVER_TIMEOUTS, endpoint: overrides.sqsEndpoint });
  const dynamoDb = createDynamoDbClient({
    timeouts: FAST_FAILOVER_TIMEOUTS,
    endpoint: overrides.dynamoDbEndpoint,
  });
  const documents = createDocumentClient(dynamoDb);
  const { stack } = config;
  const shared = {
    failover: new DynamoDbFailoverStore(documents, stack.failoverTable),
    records: new DynamoDbMessageRecords(documents, stack.messageTable, stack.recordRetentionSeconds),
    logger: overrides.logger ?? createLogger(SERVICE.INGEST),
    clock: systemClock,
    newId: randomUUID,
    logPayloads: stack.logPayloads,
    ...(stack.payloadBucket
      ? {
          payloads: new S3PayloadStore(
            createS3Client({ timeouts: PAYLOAD_WRITE_TIMEOUTS, endpoint: overrides.s3Endpoint }),
            stack.payloadBucket,
          ),
        }
      : {}),
  };
  const ordered = new DynamoDbOrderedFailover(documents, stack.failoverTable);
  const built = new Map<string, IngestDeps>();
  const matcher = routeMatcher(config.routes);
  return {
    match: matcher.match,
    depsOf(route) {
      let deps = built.get(route.name);
      if (!deps) {
        deps = {
          ...shared,
          queue: new SqsMessageQueue(sqs, queueUrls(stack.queues, route).queueUrl),
          ...(route.ordering ? { ordered } : {}),
          rules: {
            route: route.name,
            // Without a payload bucket no body larger than the stores take can be kept.
            maxBodyBytes: stack.payloadBucket
              ? route.maxBodyBytes
              : Math.min(route.maxBodyBytes, CLAIM_CHECK_THRESHOLD_BYTES),
            schemaName: schemaNameOf(route),
            schema: loadBodySchema(route),
            ...(route.ordering ? { ordering: route.ordering } : {}),
          },
        };
        built.set(route.name, deps);
      }
      return deps;
    },
  };
}

/**
 * The same routes with each route's dependencies changed by `change` (made once per route): how a
 * test or the bench puts a client with a fault or a call counter under the real handler.
 */
export function mapIngestDeps(routes: IngestRoutes, change: (deps: IngestDeps) => IngestDeps): IngestRoutes {
  const changed = new Map<string, IngestDeps>();
  return {
    match: routes.match,
    depsOf(route) {
      let deps = changed.get(route.name);
      if (!deps) {
        deps = change(routes.depsOf(route));
        changed.set(route.name, deps);
      }
      return deps;
    },
  };
}
