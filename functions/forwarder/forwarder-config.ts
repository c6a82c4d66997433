import type { Logger } from '@aws-lambda-powertools/logger';
import { SecretsProvider } from '@aws-lambda-powertools/parameters/secrets';
import {
  createDocumentClient,
  createDynamoDbClient,
  createS3Client,
  createSecretsManagerClient,
  createSqsClient,
} from '../../shared/aws/clients.js';
import { DynamoDbBreakerStore } from '../../shared/aws/dynamodb-breaker-store.js';
import { DynamoDbMessageRecords } from '../../shared/aws/dynamodb-message-records.js';
import { DynamoDbSkipLedger } from '../../shared/aws/dynamodb-skip-ledger.js';
import { S3PayloadStore } from '../../shared/aws/s3-payload-store.js';
import { SqsMessageQueue } from '../../shared/aws/sqs-message-queue.js';
import type { Env } from '../../shared/config/env-names.js';
import {
  forwarderDocumentSchema,
  parseConfigDocument,
  readConfigDocument,
} from '../../shared/config/function-config.js';
import { isSecretHeaderValue } from '../../shared/config/header-value.js';
import { ConfigurationError } from '../../shared/errors.js';
import { createLogger } from '../../shared/logger.js';
import { SERVICE } from '../../shared/metrics.js';
import { isFifoQueue } from '../../shared/ordering.js';
import { type Backend, type DeliverySwitch, systemClock } from '../../shared/ports.js';
import { queueUrls } from '../../shared/resource-names.js';
import { SecretsManagerSigningKeys } from '../../shared/signing/signing-keys.js';
import type { ForwarderDeps, ForwarderSettings } from './forwarder-deps.js';
import { FetchBackend } from './http-backend.js';
import { cachedSecretReader } from './route-headers.js';

/** The forwarder's settings, read from its document once at cold start. */
export interface ForwarderConfig extends ForwarderSettings {
  readonly queueUrl: string;
  readonly dlqUrl: string;
  readonly messageTableName: string;
  readonly recordRetentionSeconds: number;
  /** The payload bucket, where large bodies are (shared/payloads.ts); undefined when there is none. */
  readonly payloadBucket?: string;
  /** The route's signing secret (name or ARN); undefined for an unsigned route. */
  readonly signingSecretId?: string;
  /** Seconds the container keeps the secret before reading it again. */
  readonly signingSecretCacheSeconds: number;
}

/**
 * The forwarder's configuration from its document, checked by the routes file's schema; its queues
 * are derived from the stack's naming and the route's name. Throws naming each field at fault.
 */
export function forwarderConfig(document: unknown): ForwarderConfig {
  const { stack, route } = parseConfigDocument(forwarderDocumentSchema, document, 'forwarder');
  if (route.signing && !route.signing.secret) {
    throw new ConfigurationError(
      `route ${route.name} is signed but its document names no signing secret (route.delivery.signing.secret): the stack or the runner resolves it when it creates the secret`,
    );
  }
  return {
    route: route.name,
    ...queueUrls(stack.queues, route),
    messageTableName: stack.messageTable,
    recordRetentionSeconds: stack.recordRetentionSeconds,
    ...(stack.payloadBucket ? { payloadBucket: stack.payloadBucket } : {}),
    targetUrl: route.target,
    timeoutSeconds: route.timeoutSeconds,
    maxAttempts: route.maxAttempts,
    retry: route.retry,
    nonRetryableStatuses: new Set(route.nonRetryableStatuses),
    logPayloads: stack.logPayloads,
    ...(route.signing?.secret ? { signingSecretId: route.signing.secret } : {}),
    signingSecretCacheSeconds: stack.secretCacheSeconds,
    ...(route.headers ? { headers: route.headers } : {}),
    ...(route.breaker ? { breaker: { ...route.breaker, concurrency: route.concurrency } } : {}),
  };
}

/** On Lambda: the document in FUNCTION_CONFIG. */
export function loadForwarderConfig(env: Env): ForwarderConfig {
  return forwarderConfig(readConfigDocument(env));
}

/** What a caller outside Lambda (the local runner, tests, the bench) sets instead of the defaults. */
export interface ForwarderOverrides {
  readonly sqsEndpoint?: string;
  readonly dynamoDbEndpoint?: string;
  readonly secretsManagerEndpoint?: string;
  /** Where the payload bucket is (an emulator's S3). */
  readonly s3Endpoint?: string;
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
    ...(config.payloadBucket
      ? {
          payloads: new S3PayloadStore(
            createS3Client({ endpoint: overrides.s3Endpoint }),
            config.payloadBucket,
          ),
        }
      : {}),
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
    `route.delivery.breaker is set but this forwarder has no delivery switch: a route with a circuit breaker runs functions/forwarder/breaker-handler.ts`,
  );
}
