import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { type Message, ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import type { APIGatewayProxyResult } from 'aws-lambda';
import { inject } from 'vitest';
import { createDrainerDeps } from '../../functions/drainer/drainer-config.js';
import { createDrainerHandler } from '../../functions/drainer/schedule-adapter.js';
import { createForwarderDeps } from '../../functions/forwarder/forwarder-config.js';
import { createProbeHandler } from '../../functions/forwarder/probe-adapter.js';
import { createForwarderHandler } from '../../functions/forwarder/sqs-batch-adapter.js';
import type { IngestDeps } from '../../functions/ingest/accept-message.js';
import { createIngestHandler } from '../../functions/ingest/api-gateway-adapter.js';
import { createIngestDeps, mapIngestDeps } from '../../functions/ingest/ingest-config.js';
import { apiGatewayEvent, lambdaContext, scheduledEvent } from '../../local/aws-events.js';
import { QueueTagSwitch } from '../../local/breaker-switch.js';
import { localFunctionConfigs } from '../../local/local-functions.js';
import {
  provisionPayloadBucket,
  provisionRouteQueues,
  provisionTables,
  type Tables,
} from '../../local/provision.js';
import { pollOnce } from '../../local/sqs-poller.js';
import {
  createDocumentClient,
  createDynamoDbClient,
  createS3Client,
  createSqsClient,
} from '../../shared/aws/clients.js';
import { DynamoDbBreakerStore } from '../../shared/aws/dynamodb-breaker-store.js';
import { DynamoDbMessageRecords } from '../../shared/aws/dynamodb-message-records.js';
import { queueCounts } from '../../shared/aws/sqs-message-queue.js';
import { batchPath } from '../../shared/config/batch-ingest.js';
import { MESSAGE_ID_PATH_PARAMETER } from '../../shared/config/message-lookup.js';
import { DEFAULT_ROUTE, parseRoute, type RouteConfig } from '../../shared/config/routes.js';
import type { DeliverySwitch } from '../../shared/ports.js';
import { forwarderBatchSize, forwarderTimeoutSeconds } from '../../shared/queues.js';
import { failoverIds } from './failover-items.js';
import { recordingLogger } from './fakes.js';

export interface TestRouteOptions {
  /** Backend URL (usually a LoopbackBackend's). */
  readonly target: string;
  readonly route?: Partial<RouteConfig>;
  /** Where the ingest sends SQS calls (a dead endpoint to force failover); the emulator by default. */
  readonly ingestSqsEndpoint?: string;
  /** Where the ingest sends DynamoDB calls. */
  readonly ingestDynamoDbEndpoint?: string;
  /** Where the ingest sends S3 calls (the payload bucket's). */
  readonly ingestS3Endpoint?: string;
  /** Where the forwarder sends S3 calls (the payload bucket's). */
  readonly forwarderS3Endpoint?: string;
  /** Where the drainer sends SQS calls. */
  readonly drainerSqsEndpoint?: string;
  /** Changes the ingest's deps before its handler is built (e.g. a queue on a client with an injected fault). */
  readonly ingestDeps?: (deps: IngestDeps) => IngestDeps;
  /** Share another test route's tables (two routes of one deployment) instead of creating new ones. */
  readonly tables?: Tables;
  /** A circuit breaker's switch; the local runner's queue tag by default. */
  readonly deliveries?: DeliverySwitch;
}

/**
 * A whole delivery route (queue, DLQ, failover and message tables) on the test's AWS emulator,
 * under a unique prefix, with the three real handlers wired to it exactly as the stack wires them:
 * through their environment variables.
 */
export async function createTestRoute(options: TestRouteOptions) {
  const endpoint = inject('awsEndpoint');
  const prefix = `t-${randomUUID().slice(0, 8)}`;
  const route = parseRoute({
    ...DEFAULT_ROUTE,
    schema: 'json-object',
    ...options.route,
    target: options.target,
  });
  const sqs = createSqsClient({ endpoint });
  const dynamoDb = createDynamoDbClient({ endpoint });
  const queues = await provisionRouteQueues(sqs, prefix, route);
  const tables = options.tables ?? (await provisionTables(dynamoDb, prefix));
  const s3 = createS3Client({ endpoint });
  const payloadBucket = await provisionPayloadBucket(s3, prefix);
  const records = new DynamoDbMessageRecords(
    createDocumentClient(dynamoDb),
    tables.messageTable,
    86_400 * 30,
  );

  const configs = localFunctionConfigs({
    prefix,
    queueUrl: queues.queueUrl,
    tables,
    payloadBucket,
    routes: [route],
  });
  const logs = {
    ingest: recordingLogger('ingest'),
    forwarder: recordingLogger('forwarder'),
    drainer: recordingLogger('drainer'),
  };

  const ingestRoutes = createIngestDeps(configs.ingest, {
    sqsEndpoint: options.ingestSqsEndpoint ?? endpoint,
    dynamoDbEndpoint: options.ingestDynamoDbEndpoint ?? endpoint,
    s3Endpoint: options.ingestS3Endpoint ?? endpoint,
    logger: logs.ingest.logger,
  });
  const ingest = createIngestHandler(
    options.ingestDeps ? mapIngestDeps(ingestRoutes, options.ingestDeps) : ingestRoutes,
  );
  const forwarderParts = createForwarderDeps(configs.forwarder(route), {
    sqsEndpoint: endpoint,
    dynamoDbEndpoint: endpoint,
    secretsManagerEndpoint: endpoint,
    s3Endpoint: options.forwarderS3Endpoint ?? endpoint,
    logger: logs.forwarder.logger,
    deliveries: options.deliveries ?? new QueueTagSwitch(sqs, queues.queueUrl),
  });
  const forwarder = createForwarderHandler(forwarderParts);
  const probe = createProbeHandler(forwarderParts);
  const drainerConfig = configs.drainer;
  const drainer = createDrainerHandler(
    createDrainerDeps(drainerConfig, {
      sqsEndpoint: options.drainerSqsEndpoint ?? endpoint,
      dynamoDbEndpoint: endpoint,
      logger: logs.drainer.logger,
    }),
    drainerConfig.timeBudgetSeconds,
  );

  const receiveAll = async (queueUrl: string, visibilityTimeout = 0): Promise<Message[]> => {
    const output = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: queueUrl,
        MaxNumberOfMessages: 10,
        VisibilityTimeout: visibilityTimeout,
        MessageAttributeNames: ['All'],
        MessageSystemAttributeNames: ['All'],
      }),
    );
    return output.Messages ?? [];
  };

  return {
    route,
    /** The ingest handler itself, for an event the helpers below do not build. */
    ingest,
    queues,
    tables,
    sqs,
    dynamoDb,
    /** An S3 client on the emulator, and the route's payload bucket. */
    s3,
    payloadBucket,
    logs,
    /** POSTs through the real ingest handler with an API Gateway proxy event. */
    async post(body: unknown, headers: Record<string, string> = {}): Promise<APIGatewayProxyResult> {
      const text = typeof body === 'string' ? body : JSON.stringify(body);
      return ingest(
        apiGatewayEvent({
          method: 'POST',
          path: route.path,
          headers: { 'Content-Type': 'application/json', ...headers },
          body: text,
        }),
        lambdaContext('ingest'),
      );
    },
    /**
     * `GET <route path>/{messageId}` through the real ingest handler, as a REST API passes it: the
     * path segment as the client sent it (percent-encoded), in the path and the path parameter.
     */
    async lookup(segment: string): Promise<{ statusCode: number; body: Record<string, unknown> }> {
      const response = await ingest(
        apiGatewayEvent({
          method: 'GET',
          path: `${route.path}/${segment}`,
          resource: `${route.path}/{${MESSAGE_ID_PATH_PARAMETER}}`,
          pathParameters: { [MESSAGE_ID_PATH_PARAMETER]: segment },
          headers: {},
          body: null,
        }),
        lambdaContext('ingest'),
      );
      return { statusCode: response.statusCode, body: JSON.parse(response.body) };
    },
    /** POSTs `{"messages": [...]}` to `<route path>/batch` through the real ingest handler. */
    async postBatch(messages: readonly { body: unknown; idempotencyKey?: string }[]) {
      const response = await ingest(
        apiGatewayEvent({
          method: 'POST',
          path: batchPath(route.path),
          headers: { 'Content-Type': 'application/json' },
          body: JSON.stringify({ messages }),
        }),
        lambdaContext('ingest'),
      );
      return {
        statusCode: response.statusCode,
        headers: response.headers ?? {},
        body: JSON.parse(response.body),
      };
    },
    /** One event source mapping turn of the forwarder. */
    forwardOnce() {
      return pollOnce(
        sqs,
        {
          queueUrl: queues.queueUrl,
          queueArn: queues.queueArn,
          functionName: `${prefix}-forwarder`,
          batchSize: forwarderBatchSize(route),
          timeoutMs: forwarderTimeoutSeconds(route) * 1000,
        },
        forwarder,
      );
    },
    /** One tick of the route's circuit breaker probe schedule. */
    probe,
    /** The route's circuit breaker item, as stored. */
    breaker: () => new DynamoDbBreakerStore(dynamoDb, tables.messageTable).read(route.name, true),
    /** One scheduled run of the drainer. */
    drain() {
      return drainer(scheduledEvent('drain'), lambdaContext(`${prefix}-drainer`, 60_000));
    },
    /** Messages now visible on the delivery queue (each made visible again at once). */
    visibleOnQueue: () => receiveAll(queues.queueUrl),
    /** Dead letters (each made visible again at once). */
    deadLetters: () => receiveAll(queues.dlqUrl),
    /** Visible and in-flight messages of a queue (delayed ones are never used here). */
    async queueCounts(queueUrl = queues.queueUrl) {
      const { visible, inFlight } = await queueCounts(sqs, queueUrl);
      return { visible, inFlight };
    },
    /** The status record of a message on this route, as stored. */
    record: (messageId: string) => records.get({ route: route.name, messageId }),
    /** Message ids in the failover table (the lease item excluded). */
    async failoverIds(): Promise<string[]> {
      return failoverIds(dynamoDb, tables.failoverTable);
    },
  };
}

export type TestRoute = Awaited<ReturnType<typeof createTestRoute>>;

/** Polls the forwarder until the backend has seen `count` requests or `ms` passed. */
export async function forwardUntil(
  route: { forwardOnce: () => Promise<unknown> },
  backend: { readonly requests: readonly unknown[] },
  count: number,
  ms = 8_000,
): Promise<void> {
  const deadline = Date.now() + ms;
  while (backend.requests.length < count && Date.now() < deadline) {
    await route.forwardOnce();
    await sleep(100);
  }
}
