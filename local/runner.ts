// Over 250 lines: startLocalStack is one ordered start sequence in which every step registers its
// stop on one cleanup stack, so a failure halfway stops exactly what started. Its settings and checks
// (runner-settings.ts), the AWS endpoint step (aws-endpoints.ts), each route's forwarder
// (route-forwarder.ts) and the scheduled functions (scheduled-functions.ts) live apart.
import { createIngestHandler } from '../functions/ingest/api-gateway-adapter.js';
import { createIngestDeps, loadIngestConfig } from '../functions/ingest/ingest-config.js';
import { createDynamoDbClient, createS3Client, createSqsClient } from '../shared/aws/clients.js';
import { ENV, type Env, USER_ENV } from '../shared/config/env-names.js';
import { loadOperationsConfig } from '../shared/config/operations.js';
import {
  drainerEnvironment,
  type RouteFunctionEnvironments,
  routeEnvironments,
} from '../shared/config/route-environment.js';
import { type DeliveryConfig, loadDeliveryConfig, type RouteConfig } from '../shared/config/routes.js';
import { ConfigurationError, describeError } from '../shared/errors.js';
import { deliveryQueueSettings, localQueueNames, MESSAGE_TABLE } from '../shared/resources.js';
import { type ApiServer, startApiServer } from './api-server.js';
import { startAwsEndpoints } from './aws-endpoints.js';
import { type DemoBackend, parseFailureSpec, startDemoBackend } from './demo-backend.js';
import type { EventSourceMapping } from './event-source-mapping.js';
import { createJourneyLog, type JourneyLog, type LineSink } from './journey-log.js';
import { LOCAL_ENV } from './local-stack-contract.js';
import type { EmbeddedAwsEndpoint } from './moto-server.js';
import {
  provisionArchiveBucket,
  provisionRouteQueues,
  provisionTables,
  type RouteQueues,
  type Tables,
} from './provision.js';
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

/** The drainer's time budget per run locally (its Lambda gets {@link DRAINER_TIMEOUT_MS}). */
const DRAIN_TIME_BUDGET_SECONDS = 20;

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

/** Each local function's environment: the stack's mapping (shared/config/route-environment.ts) with
 * the runner's real queue URLs and table names, plus LOG_PAYLOADS, which only the runner passes on. */
export interface LocalFunctionEnvironments extends RouteFunctionEnvironments {
  readonly drainer: Readonly<Record<string, string>>;
}

/**
 * The environments of a route's functions and of the drainer, built by the same functions the stack
 * uses, so the handlers read their configuration exactly as they do on AWS.
 */
export function localFunctionEnvironments(
  route: RouteConfig,
  queues: RouteQueues,
  tables: Tables,
  routeQueueUrls: Readonly<Record<string, string>>,
  logPayloads: boolean,
  recordRetentionDays: number = MESSAGE_TABLE.defaultRetentionDays,
  signingSecretId?: string,
): LocalFunctionEnvironments {
  const extra: Record<string, string> = logPayloads ? { [ENV.LOG_PAYLOADS]: 'true' } : {};
  const perRoute = routeEnvironments(route, {
    ...(signingSecretId ? { signingSecretId } : {}),
    queueUrl: queues.queueUrl,
    dlqUrl: queues.dlqUrl,
    failoverTableName: tables.failoverTable,
    messageTableName: tables.messageTable,
    recordRetentionDays,
  });
  const drainer = drainerEnvironment({
    failoverTableName: tables.failoverTable,
    messageTableName: tables.messageTable,
    recordRetentionDays,
    routeQueueUrlsJson: JSON.stringify(routeQueueUrls),
    timeBudgetSeconds: DRAIN_TIME_BUDGET_SECONDS,
  });
  return {
    ingest: { ...perRoute.ingest, ...extra },
    forwarder: { ...perRoute.forwarder, ...extra },
    drainer: { ...drainer, ...extra },
  };
}

/**
 * Every variable of a route's three functions in one environment (tests and the bench build each
 * handler from it, as the runner does from {@link localFunctionEnvironments}).
 */
export function functionEnvironment(
  route: RouteConfig,
  queues: RouteQueues,
  tables: Tables,
  routeQueueUrls: Readonly<Record<string, string>>,
  logPayloads: boolean,
  recordRetentionDays: number = MESSAGE_TABLE.defaultRetentionDays,
  signingSecretId?: string,
): Record<string, string> {
  const environments = localFunctionEnvironments(
    route,
    queues,
    tables,
    routeQueueUrls,
    logPayloads,
    recordRetentionDays,
    signingSecretId,
  );
  return { ...environments.ingest, ...environments.forwarder, ...environments.drainer };
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
    let tables: Tables;
    const queuesByRoute = new Map<string, RouteQueues>();
    try {
      tables = await provisionTables(dynamoDb, settings.prefix);
      archiveBucket = await provisionArchiveBucket(s3, settings.prefix);
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
    const routeQueueUrls = Object.fromEntries([...queuesByRoute].map(([name, q]) => [name, q.queueUrl]));
    const logPayloads = env[ENV.LOG_PAYLOADS] === 'true';
    for (const route of config.routes) {
      const names = localQueueNames(settings.prefix, route);
      log.note(
        'provisioned',
        `${route.name}: queue ${names.deliveryQueue} (${deliveryQueueSettings(route).maxReceiveCount} attempts, ` +
          `retry ${describeRetry(route)}, ${route.concurrency} pollers), DLQ ${names.deadLetterQueue}`,
      );
    }
    log.note(
      'provisioned',
      `tables ${tables.failoverTable}, ${tables.messageTable}; archive bucket ${archiveBucket}`,
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
    const ingestRoutes = [];
    for (const route of config.routes) {
      const queues = queuesByRoute.get(route.name) as RouteQueues;
      const fnEnv = localFunctionEnvironments(
        route,
        queues,
        tables,
        routeQueueUrls,
        logPayloads,
        config.recordRetentionDays,
        signingSecretIds.get(route.name),
      );
      const endpoints = { sqsEndpoint, dynamoDbEndpoint };
      ingestRoutes.push({
        path: route.path,
        functionName: `${settings.prefix}-${route.name}-ingest`,
        handler: createIngestHandler(
          createIngestDeps(loadIngestConfig(fnEnv.ingest), { ...endpoints, logger: log.logger('ingest') }),
        ),
      });
      const forwarder = startRouteForwarder({
        route,
        queues,
        environment: fnEnv.forwarder,
        env,
        pollerSqs,
        endpoints: { awsEndpoint, ...endpoints },
        prefix: settings.prefix,
        log,
      });
      cleanups.push(() => forwarder.stop());
      routes.push({ config: route, queues, mapping: forwarder.mapping });
    }

    // The drainer and the archiver on their schedules (EventBridge rules on AWS).
    const scheduledEndpoints = { awsEndpoint, sqsEndpoint, dynamoDbEndpoint };
    const firstRoute = config.routes[0] as RouteConfig;
    const drainerSchedule = startDrainerSchedule({
      environment: localFunctionEnvironments(
        firstRoute,
        queuesByRoute.get(firstRoute.name) as RouteQueues,
        tables,
        routeQueueUrls,
        logPayloads,
        config.recordRetentionDays,
      ).drainer,
      intervalSeconds: config.drainIntervalSeconds,
      endpoints: scheduledEndpoints,
      prefix: settings.prefix,
      log,
    });
    cleanups.push(() => drainerSchedule.stop(DRAINER_TIMEOUT_MS));
    const archiverSchedule = startArchiverSchedule({
      routes: config.routes,
      queuesByRoute,
      retention,
      bucketName: archiveBucket,
      endpoints: scheduledEndpoints,
      log,
    });
    cleanups.push(() => archiverSchedule.stop());

    // The API last: `ready` means every part behind it is running.
    const api: ApiServer = await startApiServer({
      port: settings.port,
      routes: ingestRoutes,
      ...(settings.apiKey ? { apiKey: settings.apiKey } : {}),
      onError: (error) => log.note('api', `handler error: ${describeError(error)}`, 'error'),
    });
    cleanups.push(() => api.stop());

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
