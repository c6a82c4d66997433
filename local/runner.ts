// Over 300 lines: startLocalStack is one ordered start sequence in which every step registers its
// stop on one cleanup stack, so a failure halfway stops exactly what started. Its settings and checks
// (runner-settings.ts), the AWS endpoint step (aws-endpoints.ts), each route's forwarder
// (route-forwarder.ts), the scheduled functions (scheduled-functions.ts) and the functions'
// configurations (local-functions.ts) live apart.

import { createIngestHandler } from '../functions/ingest/api-gateway-adapter.js';
import { createIngestDeps, ingestConfig } from '../functions/ingest/ingest-config.js';
import { createDynamoDbClient, createS3Client, createSqsClient } from '../shared/aws/clients.js';
import { type Env, intEnv, USER_ENV } from '../shared/config/env-names.js';
import { forwarderDocument } from '../shared/config/function-config.js';
import { loadOperationsConfig } from '../shared/config/operations.js';
import { routeTableOf } from '../shared/config/route-document.js';
import { type DeliveryConfig, loadDeliveryConfig, type RouteConfig } from '../shared/config/routes.js';
import { ConfigurationError, describeError } from '../shared/errors.js';
import { deliveryQueueSettings } from '../shared/queues.js';
import { queueNames } from '../shared/resource-names.js';
import { type ApiServer, startApiServer } from './api-server.js';
import { startAwsEndpoints } from './aws-endpoints.js';
import { type DemoBackend, parseFailureSpec, startDemoBackend } from './demo-backend.js';
import type { EventSourceMapping } from './event-source-mapping.js';
import { createJourneyLog, type JourneyLog, type LineSink } from './journey-log.js';
import { DRAIN_TIME_BUDGET_SECONDS, localStackBindings } from './local-functions.js';
import { LOCAL_ENV } from './local-stack-contract.js';
import type { EmbeddedAwsEndpoint } from './moto-server.js';
import {
  provisionArchiveBucket,
  provisionPayloadBucket,
  provisionRouteQueues,
  provisionTables,
  type RouteQueues,
  type Tables,
} from './provision.js';
import { publishRoutes } from './published-routes.js';
import { POLL_WAIT_SECONDS, startRouteForwarder } from './route-forwarder.js';
import { describeRetry, ensureAwsDefaults, loadRunnerSettings, wantsDemoBackend } from './runner-settings.js';
import { DRAINER_TIMEOUT_MS, startArchiverSchedule, startDrainerSchedule } from './scheduled-functions.js';
import { localSigningPlan, startLocalSigning } from './signing-secrets.js';

/**
 * The local stack behind `npm start` (docs/local-stack.md): an AWS endpoint (moto started here
 * unless AWS_ENDPOINT_URL is set), the stack's queues and tables provisioned from the same
 * definitions, and the three real functions run in-process with AWS's event shapes: the ingest
 * behind a local API Gateway, the forwarder behind an emulated SQS event source mapping, the
 * drainer on a schedule. Usable in-process (tests) or through local/start.ts.
 */

/** How {@link startLocalStack} runs: its environment and where its lines go. */
export interface LocalStackOptions {
  /** Configuration, as environment variables. @default process.env */
  readonly env?: Env;
  /** Where log lines go. @default stdout */
  readonly sink?: LineSink;
}

/** A route as the local stack runs it. */
export interface LocalRoute {
  readonly config: RouteConfig;
  readonly queues: RouteQueues;
  /** Its forwarder's emulated event source mapping. */
  readonly mapping: EventSourceMapping;
}

/** The running local stack. */
export interface LocalStack {
  /** Base URL of the API (`POST ${apiUrl}/catering/register`). */
  readonly apiUrl: string;
  /** The AWS endpoint (AWS_ENDPOINT_URL, or the moto started here). */
  readonly awsEndpoint: string;
  readonly sqsEndpoint: string;
  readonly dynamoDbEndpoint: string;
  /** Whether this runner started its own moto (and stops it). */
  readonly startedMoto: boolean;
  readonly prefix: string;
  readonly config: DeliveryConfig;
  readonly routes: readonly LocalRoute[];
  readonly tables: Tables;
  /** The archive bucket (messages nearing retention). */
  readonly archiveBucket: string;
  /** The payload bucket (bodies over the claim-check threshold). */
  readonly payloadBucket: string;
  /** The default route's backend URL. */
  readonly backendTarget: string;
  /** Present when CATERING_SERVICE_EP was unset. */
  readonly demoBackend?: DemoBackend;
  /** The `ready ...` line printed once requests are accepted. */
  readonly readyLine: string;
  readonly log: JourneyLog;
  /** Stops accepting, lets in-flight batches and drains finish (bounded), stops what it started. */
  stop(): Promise<void>;
}

/** Starts the local stack; resolves once the API accepts requests (the caller prints `readyLine`). */
export async function startLocalStack(options: LocalStackOptions = {}): Promise<LocalStack> {
  const env = options.env ?? process.env;
  const settings = loadRunnerSettings(env);
  // Validate the user's route configuration (and routes file) before starting anything.
  const configured = loadDeliveryConfig(env);
  localSigningPlan(configured.routes, env, settings.prefix);
  const demoFailure = parseFailureSpec(env[LOCAL_ENV.DEMO_BACKEND_FAIL]);
  ensureAwsDefaults();
  // The functions' EMF metrics are for CloudWatch; the journey view has no use for them (the JSON
  // view prints them unless POWERTOOLS_METRICS_DISABLED says otherwise).
  if (settings.logFormat === 'journey') process.env.POWERTOOLS_METRICS_DISABLED ??= 'true';
  const log = createJourneyLog({
    format: settings.logFormat,
    ...(options.sink ? { sink: options.sink } : {}),
    logLevel: env.POWERTOOLS_LOG_LEVEL?.trim() || 'INFO',
  });

  // Whatever started is stopped again, in reverse order, if a later step fails.
  const cleanups: (() => Promise<void>)[] = [];
  const cleanUp = async () => {
    for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
    cleanups.length = 0;
  };

  try {
    const aws = await startAwsEndpoints(env, settings.awsPort, log);
    if (aws.moto) cleanups.push(() => (aws.moto as EmbeddedAwsEndpoint).stop());
    const { awsEndpoint, sqsEndpoint, dynamoDbEndpoint, moto } = aws;

    let demoBackend: DemoBackend | undefined;
    let userEnv = env;
    if (wantsDemoBackend(env, configured, settings.demoBackendPort)) {
      const demo = await startDemoBackend({
        port: settings.demoBackendPort,
        failure: demoFailure,
        onEvent: (text) => log.note('backend', text),
      });
      demoBackend = demo;
      cleanups.push(() => demo.stop());
      userEnv = { ...env, [USER_ENV.CATERING_SERVICE_EP]: demo.url };
    }
    const config = loadDeliveryConfig(userEnv);
    const { retention } = loadOperationsConfig(env);
    const backendTarget = config.routes[0]?.target ?? '';

    // Provisioning: bookkeeping clients with patient (background) timeouts.
    const sqs = createSqsClient({ endpoint: sqsEndpoint });
    const dynamoDb = createDynamoDbClient({ endpoint: dynamoDbEndpoint });
    const s3 = createS3Client({ endpoint: awsEndpoint });
    cleanups.push(async () => {
      sqs.destroy();
      dynamoDb.destroy();
      s3.destroy();
    });
    let archiveBucket: string;
    let payloadBucket: string;
    let tables: Tables;
    const queuesByRoute = new Map<string, RouteQueues>();
    try {
      tables = await provisionTables(dynamoDb, settings.prefix);
      archiveBucket = await provisionArchiveBucket(s3, settings.prefix);
      payloadBucket = await provisionPayloadBucket(s3, settings.prefix);
      for (const route of config.routes) {
        queuesByRoute.set(
          route.name,
          await provisionRouteQueues(sqs, settings.prefix, route, retention.queueRetentionSeconds),
        );
      }
    } catch (error) {
      throw new ConfigurationError(
        `could not create the local queues and tables (SQS ${sqsEndpoint}, DynamoDB ${dynamoDbEndpoint}): ${describeError(error)}`,
        { cause: error },
      );
    }
    // Signed routes: their secrets in the emulator's Secrets Manager, read by the forwarders as on AWS
    // (so `gd signing rotate` works the same locally). The values are never printed.
    const signing = await startLocalSigning(
      localSigningPlan(config.routes, env, settings.prefix),
      awsEndpoint,
      log.note,
    );
    cleanups.push(signing.stop);
    const signingSecretIds = signing.secretIds;
    // Every function's document names the same tables and queue naming, as the stack's do on AWS.
    const cacheSeconds = env[USER_ENV.SIGNING_SECRET_CACHE_SECONDS]?.trim();
    const stack = localStackBindings({
      prefix: settings.prefix,
      queueUrl: (queuesByRoute.values().next().value as RouteQueues).queueUrl,
      tables,
      payloadBucket,
      logPayloads: env[USER_ENV.LOG_PAYLOADS] === 'true',
      recordRetentionDays: config.recordRetentionDays,
      ...(cacheSeconds
        ? { secretCacheSeconds: intEnv(env, USER_ENV.SIGNING_SECRET_CACHE_SECONDS, 30, 0, 3600) }
        : {}),
    });
    const routeTable = routeTableOf(config.routes);
    for (const route of config.routes) {
      const names = queueNames(settings.prefix, route);
      log.note(
        'provisioned',
        `${route.name}: queue ${names.deliveryQueue} (${deliveryQueueSettings(route).maxReceiveCount} attempts, ` +
          `retry ${describeRetry(route)}, ${route.concurrency} pollers), DLQ ${names.deadLetterQueue}`,
      );
    }
    log.note(
      'provisioned',
      `tables ${tables.failoverTable}, ${tables.messageTable}; archive bucket ${archiveBucket}; payload bucket ${payloadBucket}`,
    );

    // The forwarders, each behind its emulated event source mapping.
    const pollerSqs = createSqsClient({
      endpoint: sqsEndpoint,
      // The long poll itself takes POLL_WAIT_SECONDS; one retry, then the mapping's own backoff.
      timeouts: {
        connectionTimeoutMs: 1_000,
        requestTimeoutMs: (POLL_WAIT_SECONDS + 2) * 1000,
        maxAttempts: 2,
      },
    });
    cleanups.push(async () => pollerSqs.destroy());
    const routes: LocalRoute[] = [];
    const endpoints = { sqsEndpoint, dynamoDbEndpoint };
    for (const route of config.routes) {
      const queues = queuesByRoute.get(route.name) as RouteQueues;
      const forwarder = startRouteForwarder({
        route,
        queues,
        document: forwarderDocument(stack, route, signingSecretIds.get(route.name)),
        pollerSqs,
        endpoints: { awsEndpoint, ...endpoints },
        prefix: settings.prefix,
        log,
      });
      cleanups.push(() => forwarder.stop());
      routes.push({ config: route, queues, mapping: forwarder.mapping });
    }
    // One ingest for every route, as on AWS behind the API's `/{proxy+}` resource.
    const ingest = createIngestHandler(
      createIngestDeps(ingestConfig({ stack }, routeTable), {
        ...endpoints,
        s3Endpoint: awsEndpoint,
        logger: log.logger('ingest'),
      }),
    );

    // The drainer and the archiver on their schedules (EventBridge rules on AWS).
    const scheduledEndpoints = { awsEndpoint, sqsEndpoint, dynamoDbEndpoint };
    const drainerSchedule = startDrainerSchedule({
      document: { stack, timeBudgetSeconds: DRAIN_TIME_BUDGET_SECONDS },
      routeTable,
      intervalSeconds: config.drainIntervalSeconds,
      endpoints: scheduledEndpoints,
      prefix: settings.prefix,
      log,
    });
    cleanups.push(() => drainerSchedule.stop(DRAINER_TIMEOUT_MS));
    const archiverSchedule = startArchiverSchedule({
      document: {
        stack,
        bucketName: archiveBucket,
        queueRetentionSeconds: retention.queueRetentionSeconds,
        archiveMarginSeconds: retention.archiveMarginSeconds,
      },
      routeTable,
      intervalSeconds: retention.archiveIntervalSeconds,
      endpoints: scheduledEndpoints,
      log,
    });
    cleanups.push(() => archiverSchedule.stop());

    // The API last: `ready` means every part behind it is running.
    const api: ApiServer = await startApiServer({
      port: settings.port,
      handler: ingest,
      functionName: `${settings.prefix}-ingest`,
      ...(settings.apiKey ? { apiKey: settings.apiKey } : {}),
      onError: (error) => log.note('api', `handler error: ${describeError(error)}`, 'error'),
    });
    cleanups.push(() => api.stop());
    // What runs, published for `gd --local` as a deployed stack publishes its outputs.
    cleanups.push(await publishRoutes(env, config));

    const routesText = config.routes.map((r) => `POST ${r.path} → ${r.target}`).join(', ');
    const readyLine =
      `ready ${api.url} · ${routesText}${demoBackend ? ' (demo backend)' : ''} · ` +
      `AWS ${awsEndpoint}${moto ? ' (moto, started here)' : ''}` +
      (sqsEndpoint !== awsEndpoint ? ` · SQS ${sqsEndpoint}` : '') +
      (dynamoDbEndpoint !== awsEndpoint ? ` · DynamoDB ${dynamoDbEndpoint}` : '') +
      (settings.apiKey ? ' · x-api-key required' : '');

    let stopping: Promise<void> | undefined;
    return {
      apiUrl: api.url,
      awsEndpoint,
      sqsEndpoint,
      dynamoDbEndpoint,
      startedMoto: moto !== undefined,
      prefix: settings.prefix,
      config,
      routes,
      tables,
      archiveBucket,
      payloadBucket,
      backendTarget,
      ...(demoBackend ? { demoBackend } : {}),
      readyLine,
      log,
      stop() {
        stopping ??= (async () => {
          // Reverse start order: API, drainer, pollers (in-flight batches finish), clients, backend, moto.
          await cleanUp();
          log.note('stopped', 'all local components are down');
        })();
        return stopping;
      },
    };
  } catch (error) {
    await cleanUp();
    throw error;
  }
}
