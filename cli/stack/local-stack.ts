import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { Logger } from '@aws-lambda-powertools/logger';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import {
  GetQueueUrlCommand,
  ListQueueTagsCommand,
  type SQSClient,
  TagQueueCommand,
  UntagQueueCommand,
} from '@aws-sdk/client-sqs';
import { type DrainReport, drainFailover } from '../../functions/drainer/drain-failover.js';
import { createDrainerDeps } from '../../functions/drainer/drainer-config.js';
import {
  BREAKER_TAG,
  emulatorCredentials,
  localEndpoints,
  localPrefix,
  PAUSE_TAG,
  publishedRoutesPath,
} from '../../local/local-stack-contract.js';
import {
  createDynamoDbClient,
  createS3Client,
  createSecretsManagerClient,
  createSqsClient,
} from '../../shared/aws/clients.js';
import { peekOldestAgeSeconds } from '../../shared/aws/queue-age.js';
import { S3ArchiveStore } from '../../shared/aws/s3-archive-store.js';
import { S3PayloadStore } from '../../shared/aws/s3-payload-store.js';
import { queueCounts } from '../../shared/aws/sqs-message-queue.js';
import { isTripped } from '../../shared/circuit-breaker.js';
import { type Env, USER_ENV } from '../../shared/config/env-names.js';
import { loadOperationsConfig } from '../../shared/config/operations.js';
import { loadDeliveryConfig } from '../../shared/config/routes.js';
import { DEFAULT_DRAIN_CONCURRENCY, DEFAULT_DRAIN_TIME_BUDGET_SECONDS } from '../../shared/drain-budget.js';
import { describeError } from '../../shared/errors.js';
import { isFifoQueue } from '../../shared/ordering.js';
import {
  localArchiveBucketName,
  localPayloadBucketName,
  localSigningSecretName,
  localTableNames,
  queueNames,
  queueUrlBase,
} from '../../shared/resource-names.js';
import { StackAccessError } from '../errors.js';
import { type KeepTryingOutcome, runContinuingDelivery } from './continuing-delivery-rounds.js';
import { type RecentOutcomes, statusRecordOutcomes } from './recent-outcomes.js';
import { redriveRoute } from './redrive-route.js';
import { readRouteBreaker } from './route-breaker.js';
import type {
  ApiEndpoint,
  DeliveryState,
  KeepTryingOptions,
  OldestAge,
  RedriveOptions,
  RedriveOutcome,
  RouteTarget,
  StackTarget,
} from './stack-target.js';

/** The local stack of `npm start` on an emulator: resources named from LOCAL_PREFIX and the route config. */
class LocalStack implements StackTarget {
  readonly kind = 'local';

  constructor(
    readonly description: string,
    readonly routes: readonly RouteTarget[],
    readonly sqs: SQSClient,
    readonly dynamoDb: DynamoDBClient,
    readonly failoverTableName: string,
    readonly messageTableName: string,
    private readonly recordRetentionSeconds: number,
    readonly archive: S3ArchiveStore,
    readonly payloads: S3PayloadStore,
    private readonly prefix: string,
    private readonly endpoints: ReturnType<typeof localEndpoints>,
    /** The environment `gd` was given: the source of the credentials and of the operations settings. */
    private readonly env: Env,
  ) {}

  private secrets?: SecretsManagerClient;

  /** Created on first use: only `gd signing` needs it. Secrets Manager has no per-service variable here. */
  get secretsManager(): SecretsManagerClient {
    this.secrets ??= createSecretsManagerClient({
      endpoint: this.endpoints.base,
      region: this.env.AWS_REGION?.trim() || 'us-east-1',
      credentials: emulatorCredentials(this.env),
    });
    return this.secrets;
  }

  async oldestMessageAge(route: RouteTarget, options: { peek: boolean }): Promise<OldestAge> {
    if (!options.peek) return { method: 'not-measured' };
    const seconds = await peekOldestAgeSeconds(this.sqs, route.queueUrl);
    return seconds === undefined ? { method: 'peek' } : { seconds, method: 'peek' };
  }

  /** No CloudWatch locally (and the local functions write no metrics): the status records say it. */
  recentOutcomes(routes: readonly RouteTarget[], windowSeconds: number): Promise<RecentOutcomes> {
    return statusRecordOutcomes(this.dynamoDb, this.messageTableName, routes, windowSeconds);
  }

  /**
   * Two queue tags stop the local runner's emulated mapping (local/event-source-mapping.ts): the
   * operator's pause tag and the breaker's own, which the forwarder sets while the breaker is open.
   */
  async deliveryState(route: RouteTarget): Promise<DeliveryState> {
    const [output, breaker] = await Promise.all([
      this.sqs.send(new ListQueueTagsCommand({ QueueUrl: route.queueUrl })),
      readRouteBreaker(this, route),
    ]);
    const tags = output.Tags ?? {};
    // The forwarder also holds back what it receives while the item says open, tag or no tag.
    const heldByBreaker = tags[BREAKER_TAG] !== undefined || (breaker !== undefined && isTripped(breaker));
    return { paused: tags[PAUSE_TAG] === 'true', heldByBreaker, ...(breaker ? { breaker } : {}) };
  }

  /**
   * The pause tag; the breaker's tag stays while the breaker is open (its probe clears it). A resume
   * also clears the breaker's tag when the breaker is closed, as on AWS it enables the shared mapping:
   * such a tag is left over from a probe's restart that failed, and nothing else would clear it.
   */
  async setPaused(route: RouteTarget, paused: boolean): Promise<void> {
    if (paused) {
      await this.sqs.send(new TagQueueCommand({ QueueUrl: route.queueUrl, Tags: { [PAUSE_TAG]: 'true' } }));
      return;
    }
    const breaker = await readRouteBreaker(this, route);
    const stale = breaker !== undefined && !isTripped(breaker);
    await this.sqs.send(
      new UntagQueueCommand({
        QueueUrl: route.queueUrl,
        TagKeys: stale ? [PAUSE_TAG, BREAKER_TAG] : [PAUSE_TAG],
      }),
    );
  }

  /** The drainer's own logic, run here with the local names (there is no Lambda to invoke). */
  drain(): Promise<DrainReport> {
    const deps = createDrainerDeps(
      {
        stack: {
          failoverTable: this.failoverTableName,
          messageTable: this.messageTableName,
          recordRetentionSeconds: this.recordRetentionSeconds,
          queues: { namePrefix: this.prefix, urlBase: queueUrlBase(this.routes[0]?.queueUrl ?? '') },
          logPayloads: false,
          secretCacheSeconds: 0,
        },
        // Queue names follow from the route's name and whether its queues are FIFO (ordered).
        routes: this.routes.map((route) => ({
          name: route.name,
          ...(isFifoQueue(route.queueUrl) ? { ordering: true } : {}),
        })),
        timeBudgetSeconds: DEFAULT_DRAIN_TIME_BUDGET_SECONDS,
        concurrency: DEFAULT_DRAIN_CONCURRENCY,
      },
      {
        sqsEndpoint: this.endpoints.sqs,
        dynamoDbEndpoint: this.endpoints.dynamoDb,
        credentials: emulatorCredentials(this.env),
        // The report is the output; the drainer's JSON log lines would only garble it.
        logger: new Logger({ serviceName: 'drainer', logLevel: 'SILENT' }),
      },
    );
    return drainFailover(deps, {
      deadline: Date.now() + DEFAULT_DRAIN_TIME_BUDGET_SECONDS * 1000,
      owner: `gd-cli-${randomUUID()}`,
      leaseSeconds: DEFAULT_DRAIN_TIME_BUDGET_SECONDS + 10,
    });
  }

  redrive(route: RouteTarget, options: RedriveOptions): Promise<RedriveOutcome> {
    return redriveRoute(this.sqs, route, options);
  }

  async api(): Promise<ApiEndpoint> {
    const { api, apiKey } = this.endpoints;
    return apiKey === undefined ? { baseUrl: api } : { baseUrl: api, apiKey };
  }

  /** No Step Functions locally: the state machine's rounds run here, with the same configuration. */
  keepTrying(route: RouteTarget, options: KeepTryingOptions): Promise<KeepTryingOutcome> {
    const configured = loadOperationsConfig(this.env).continuingDelivery;
    const policy = {
      initialWaitSeconds: options.initialWaitSeconds ?? configured.initialWaitSeconds,
      maxWaitSeconds:
        options.maxWaitSeconds ?? Math.max(configured.maxWaitSeconds, options.initialWaitSeconds ?? 0),
      maxRounds: options.maxRounds ?? configured.maxRounds,
    };
    return runContinuingDelivery(
      {
        countDeadLetters: async () => (await queueCounts(this.sqs, route.dlqUrl)).visible,
        redrive: async () => (await this.redrive(route, {})).moved,
        sleep: (seconds) => sleep(seconds * 1000),
        onRound: (round, moved, wait) =>
          options.onUpdate?.(
            `${route.name}: round ${round}: redrove ${moved}; checking the DLQ again in ${wait}s`,
          ),
      },
      policy,
    );
  }
}

/**
 * The routes the local stack runs: those it published (a routes file, read as `DELIVERY_CONFIG` is);
 * without one (a stack not started by `npm start` here, such as queues provisioned by a test), the
 * route configuration of `gd`'s own environment, with the same overrides as `npm start`.
 */
function localDeliveryConfig(env: Env) {
  const published = publishedRoutesPath(env);
  return existsSync(published)
    ? loadDeliveryConfig({ [USER_ENV.DELIVERY_CONFIG]: published })
    : loadDeliveryConfig(env);
}

/**
 * Opens the local stack: the routes it runs ({@link localDeliveryConfig}), queue and table names from shared/resource-names.ts under LOCAL_PREFIX. Checks that
 * each route's queues exist, so a stack that is not running is reported here, once and clearly.
 */
export async function openLocalStack(env: Env): Promise<StackTarget> {
  const endpoints = localEndpoints(env);
  const prefix = localPrefix(env);
  const region = env.AWS_REGION?.trim() || 'us-east-1';
  // As the runner does: an emulator gets stand-in keys (or the shell's own), never an AWS_PROFILE's.
  const credentials = emulatorCredentials(env);
  const sqs = createSqsClient({ endpoint: endpoints.sqs, region, credentials });
  const dynamoDb = createDynamoDbClient({ endpoint: endpoints.dynamoDb, region, credentials });
  const config = localDeliveryConfig(env);
  const queueUrl = async (name: string) => {
    try {
      const output = await sqs.send(new GetQueueUrlCommand({ QueueName: name }));
      return output.QueueUrl ?? '';
    } catch (error) {
      const answered = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
      throw new StackAccessError(
        answered
          ? `the local stack '${prefix}' has no queue ${name} at ${endpoints.sqs}; start it with ` +
              '`npm start`, or set LOCAL_PREFIX to the prefix it runs with'
          : `no AWS emulator answers at ${endpoints.sqs} (${describeError(error)}); start the local ` +
              'stack with `npm start`, or set AWS_ENDPOINT_URL to where it runs',
        { cause: error },
      );
    }
  };
  const routes = await Promise.all(
    config.routes.map(async (route) => {
      const names = queueNames(prefix, route);
      return {
        name: route.name,
        path: route.path,
        queueUrl: await queueUrl(names.deliveryQueue),
        dlqUrl: await queueUrl(names.deadLetterQueue),
        signingSecretId: localSigningSecretName(prefix, route.name),
        ...(route.breaker ? { breaker: route.breaker } : {}),
      };
    }),
  );
  const s3 = createS3Client({ endpoint: endpoints.base, region, credentials });
  return new LocalStack(
    `local stack '${prefix}' at ${endpoints.base}`,
    routes,
    sqs,
    dynamoDb,
    localTableNames(prefix).failoverTable,
    localTableNames(prefix).messageTable,
    config.recordRetentionDays * 86_400,
    new S3ArchiveStore(s3, localArchiveBucketName(prefix)),
    new S3PayloadStore(s3, localPayloadBucketName(prefix)),
    prefix,
    endpoints,
    env,
  );
}
