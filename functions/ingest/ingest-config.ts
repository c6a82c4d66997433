import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { basename, resolve } from 'node:path';
import type { Logger } from '@aws-lambda-powertools/logger';
import {
  createDocumentClient,
  createDynamoDbClient,
  createSqsClient,
  FAST_FAILOVER_TIMEOUTS,
} from '../../shared/aws/clients.js';
import { DynamoDbFailoverStore } from '../../shared/aws/dynamodb-failover-store.js';
import { DynamoDbMessageRecords } from '../../shared/aws/dynamodb-message-records.js';
import { DynamoDbOrderedFailover } from '../../shared/aws/dynamodb-ordered-failover.js';
import { SqsMessageQueue } from '../../shared/aws/sqs-message-queue.js';
import {
  ENV,
  type Env,
  intEnv,
  orderingFromEnv,
  recordRetentionSecondsEnv,
  requireEnv,
} from '../../shared/config/env-names.js';
import { ConfigurationError } from '../../shared/errors.js';
import { createLogger } from '../../shared/logger.js';
import { SERVICE } from '../../shared/metrics.js';
import type { OrderingRule } from '../../shared/ordering.js';
import { systemClock } from '../../shared/ports.js';
import {
  BODY_SCHEMA_NAMES,
  type BodySchema,
  type BodySchemaName,
  builtInBodySchema,
  compileBodySchema,
  isBuiltInBodySchema,
} from '../../shared/schemas/body-schemas.js';
import type { IngestDeps } from './accept-message.js';

/** The ingest's settings, read from its environment once at cold start. */
export interface IngestConfig {
  readonly routeName: string;
  readonly queueUrl: string;
  readonly failoverTableName: string;
  readonly messageTableName: string;
  readonly recordRetentionSeconds: number;
  readonly maxBodyBytes: number;
  /** The body schema's name in 400 answers: a built-in's name, or the file's name without `.json`. */
  readonly schemaName: string;
  /** The JSON Schema file's path, when the route has its own schema rather than a built-in. */
  readonly schemaFile?: string;
  readonly logPayloads: boolean;
  /** Present on an ordered route. */
  readonly ordering?: OrderingRule;
}

/** Reads and checks the environment; throws naming the variable at fault. */
export function loadIngestConfig(env: Env): IngestConfig {
  const schemaSource = env[ENV.BODY_SCHEMA] ?? 'json-object';
  if (!isBuiltInBodySchema(schemaSource) && !schemaSource.endsWith('.json')) {
    throw new ConfigurationError(
      `${ENV.BODY_SCHEMA} must be one of ${BODY_SCHEMA_NAMES.join(', ')} or the path of a .json JSON Schema file, got '${schemaSource}'`,
    );
  }
  const ordering = orderingFromEnv(env);
  return {
    routeName: requireEnv(env, ENV.ROUTE_NAME),
    queueUrl: requireEnv(env, ENV.QUEUE_URL),
    failoverTableName: requireEnv(env, ENV.FAILOVER_TABLE_NAME),
    messageTableName: requireEnv(env, ENV.MESSAGE_TABLE_NAME),
    recordRetentionSeconds: recordRetentionSecondsEnv(env),
    maxBodyBytes: intEnv(env, ENV.MAX_BODY_BYTES, 250_000, 1, 250_000),
    schemaName: isBuiltInBodySchema(schemaSource)
      ? schemaSource
      : basename(schemaSource).replace(/(\.schema)?\.json$/, ''),
    ...(isBuiltInBodySchema(schemaSource) ? {} : { schemaFile: schemaSource }),
    logPayloads: env[ENV.LOG_PAYLOADS] === 'true',
    ...(ordering ? { ordering } : {}),
  };
}

/**
 * The route's body schema, compiled once (per container): a built-in, or a JSON Schema file read
 * from the function's directory on Lambda (the stack copies it into the asset) or its path locally.
 */
export function loadBodySchema(config: IngestConfig): BodySchema {
  if (config.schemaFile === undefined) return builtInBodySchema(config.schemaName as BodySchemaName);
  const path = resolve(process.env.LAMBDA_TASK_ROOT ?? process.cwd(), config.schemaFile);
  let document: unknown;
  try {
    document = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new ConfigurationError(
      `${ENV.BODY_SCHEMA} file ${path} cannot be read as JSON: ${(error as Error).message}`,
      {
        cause: error,
      },
    );
  }
  try {
    // The routes file's loader checked it against the meta-schema when the stack was synthesized.
    return compileBodySchema(document, { checked: true });
  } catch (error) {
    throw new ConfigurationError(`${ENV.BODY_SCHEMA} file ${path}: ${(error as Error).message}`, {
      cause: error,
    });
  }
}

/** Endpoints and logger a caller may impose (the local runner, tests); otherwise the SDK's own resolution. */
export interface DepsOverrides {
  readonly sqsEndpoint?: string;
  readonly dynamoDbEndpoint?: string;
  readonly logger?: Logger;
}

/**
 * Builds the ingest's dependencies. Both clients use the fast-failover timeouts: a silent SQS must
 * become a failover write in about a second, and a silent DynamoDB a 503 just as fast (the status
 * record is claimed before the queue write, so a silent DynamoDB delays an answer by that much).
 */
export function createIngestDeps(config: IngestConfig, overrides: DepsOverrides = {}): IngestDeps {
  const sqs = createSqsClient({ timeouts: FAST_FAILOVER_TIMEOUTS, endpoint: overrides.sqsEndpoint });
  const dynamoDb = createDynamoDbClient({
    timeouts: FAST_FAILOVER_TIMEOUTS,
    endpoint: overrides.dynamoDbEndpoint,
  });
  const documents = createDocumentClient(dynamoDb);
  return {
    queue: new SqsMessageQueue(sqs, config.queueUrl),
    failover: new DynamoDbFailoverStore(documents, config.failoverTableName),
    records: new DynamoDbMessageRecords(documents, config.messageTableName, config.recordRetentionSeconds),
    ...(config.ordering ? { ordered: new DynamoDbOrderedFailover(documents, config.failoverTableName) } : {}),
    logger: overrides.logger ?? createLogger(SERVICE.INGEST),
    clock: systemClock,
    newId: randomUUID,
    logPayloads: config.logPayloads,
    rules: {
      route: config.routeName,
      maxBodyBytes: config.maxBodyBytes,
      schemaName: config.schemaName,
      schema: loadBodySchema(config),
      ...(config.ordering ? { ordering: config.ordering } : {}),
    },
  };
}
