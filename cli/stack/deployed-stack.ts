import { setTimeout as sleep } from 'node:timers/promises';
import { APIGatewayClient, GetApiKeyCommand } from '@aws-sdk/client-api-gateway';
import {
  CloudFormationClient,
  DescribeStacksCommand,
  type Output as StackOutput,
} from '@aws-sdk/client-cloudformation';
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { GetEventSourceMappingCommand, InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { S3Client } from '@aws-sdk/client-s3';
import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { DescribeExecutionCommand, SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import type { SQSClient } from '@aws-sdk/client-sqs';
import type { DrainReport } from '../../functions/drainer/drain-failover.js';
import {
  type ClientOptions,
  type ClientTimeouts,
  createAwsClient,
  createDynamoDbClient,
  createSecretsManagerClient,
  createSqsClient,
  OPERATOR_TIMEOUTS,
} from '../../shared/aws/clients.js';
import { updateMappingWhenSettled } from '../../shared/aws/event-source-mapping-switch.js';
import { cloudWatchQueueAge } from '../../shared/aws/queue-age.js';
import { S3ArchiveStore } from '../../shared/aws/s3-archive-store.js';
import { S3PayloadStore } from '../../shared/aws/s3-payload-store.js';
import { MAX_LAMBDA_TIMEOUT_SECONDS } from '../../shared/aws-limits.js';
import { isTripped } from '../../shared/circuit-breaker.js';
import { DEFAULT_STACK_NAME } from '../../shared/config/stack-outputs.js';
import { OperationFailedError, StackAccessError } from '../errors.js';
import type { KeepTryingOutcome, KeepTryingStatus } from './continuing-delivery-rounds.js';
import {
  type DeployedRoute,
  type DeployedStackOutputs,
  explainAccessError,
  parseStackOutputs,
} from './deployed-stack-outputs.js';
import { cloudWatchOutcomes, type RecentOutcomes } from './recent-outcomes.js';
import { redriveRoute } from './redrive-route.js';
import { breakerStore, readRouteBreaker } from './route-breaker.js';
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

/** The drainer's invocation waits for the whole run: up to Lambda's longest timeout, tried once. */
const DRAIN_INVOKE_TIMEOUTS: ClientTimeouts = {
  ...OPERATOR_TIMEOUTS,
  requestTimeoutMs: MAX_LAMBDA_TIMEOUT_SECONDS * 1000,
  maxAttempts: 1,
};

/** A deployed stack, found by name through its CloudFormation outputs. */
class DeployedStack implements StackTarget {
  readonly kind = 'deployed';
  readonly routes: readonly DeployedRoute[];
  readonly failoverTableName: string;
  readonly messageTableName: string;
  readonly archive?: S3ArchiveStore;
  readonly payloads?: S3PayloadStore;

  constructor(
    readonly description: string,
    private readonly outputs: DeployedStackOutputs,
    readonly sqs: SQSClient,
    readonly dynamoDb: DynamoDBClient,
    private readonly clients: {
      readonly lambda: LambdaClient;
      readonly drainInvoker: LambdaClient;
      readonly cloudWatch: CloudWatchClient;
      readonly apiGateway: APIGatewayClient;
      readonly stepFunctions: SFNClient;
      readonly secretsManager: SecretsManagerClient;
      readonly s3: S3Client;
    },
    /** Seconds between checks of a followed execution. */
    private readonly followIntervalSeconds = 15,
  ) {
    this.routes = outputs.routes;
    this.failoverTableName = outputs.failoverTableName;
    this.messageTableName = outputs.messageTableName;
    if (outputs.archiveBucketName) this.archive = new S3ArchiveStore(clients.s3, outputs.archiveBucketName);
    if (outputs.payloadBucketName) this.payloads = new S3PayloadStore(clients.s3, outputs.payloadBucketName);
  }

  get secretsManager(): SecretsManagerClient {
    return this.clients.secretsManager;
  }

  private deployed(route: RouteTarget): DeployedRoute {
    const found = this.routes.find((candidate) => candidate.name === route.name);
    if (!found) throw new StackAccessError(`route ${route.name} is not in this stack`);
    return found;
  }

  /** CloudWatch's ApproximateAgeOfOldestMessage: SQS's API has no such attribute. */
  async oldestMessageAge(route: RouteTarget): Promise<OldestAge> {
    const latest = await cloudWatchQueueAge(this.clients.cloudWatch)(route.queueUrl);
    return latest === undefined ? { method: 'cloudwatch' } : { seconds: latest, method: 'cloudwatch' };
  }

  /** The forwarders' Delivered and DeadLettered metrics. */
  recentOutcomes(routes: readonly RouteTarget[], windowSeconds: number): Promise<RecentOutcomes> {
    return cloudWatchOutcomes(this.clients.cloudWatch, routes, windowSeconds);
  }

  /**
   * On AWS the operator and the breaker share one switch, the event source mapping: a disabled
   * mapping is the operator's pause when the breaker item records one (`gd pause`), or when the
   * breaker is closed (paused from the console, or by a `gd` that predates breakers).
   */
  async deliveryState(route: RouteTarget): Promise<DeliveryState> {
    const [mapping, breaker] = await Promise.all([
      this.clients.lambda.send(
        new GetEventSourceMappingCommand({ UUID: this.deployed(route).eventSourceMappingId }),
      ),
      readRouteBreaker(this, this.deployed(route)),
    ]);
    // 'Disabling' already stops new batches; report it as stopped so `resume` is the obvious next step.
    const stopped = mapping.State === 'Disabled' || mapping.State === 'Disabling';
    // The forwarder also holds back what it receives while the item says open, mapping on or off.
    const heldByBreaker = breaker !== undefined && isTripped(breaker);
    const paused = stopped && (!heldByBreaker || breaker?.manualPause === true);
    return { paused, heldByBreaker, ...(breaker ? { breaker } : {}) };
  }

  /**
   * For a route with a breaker, the pause is recorded in the breaker's item as well, because the
   * probe that closes the breaker enables the mapping unless it finds one. Recorded before the
   * mapping is disabled, so a probe closing meanwhile either sees it or is undone by the disable.
   */
  async setPaused(route: RouteTarget, paused: boolean): Promise<void> {
    const deployed = this.deployed(route);
    const store = deployed.breaker ? breakerStore(this) : undefined;
    const breaker = await store?.setManualPause(deployed.name, paused);
    // Resuming while the breaker is open would deliver into a backend known to be down: its probe
    // enables the mapping once a message gets through (it reads manualPause, now false).
    if (!paused && breaker && isTripped(breaker)) return;
    // Retried while the mapping is still busy with a change (the breaker's probe starting it).
    await updateMappingWhenSettled(this.clients.lambda, {
      UUID: deployed.eventSourceMappingId,
      Enabled: !paused,
    });
  }

  /** Invokes the drainer function and waits for its report. */
  async drain(): Promise<DrainReport> {
    const output = await this.clients.drainInvoker.send(
      new InvokeCommand({
        FunctionName: this.outputs.drainerFunctionName,
        InvocationType: 'RequestResponse',
        Payload: new TextEncoder().encode(JSON.stringify({ source: 'gd.cli', 'detail-type': 'Drain now' })),
      }),
    );
    const text = output.Payload ? new TextDecoder().decode(output.Payload) : '';
    if (output.FunctionError) {
      const detail = safeJson(text) as { errorType?: string; errorMessage?: string } | undefined;
      throw new OperationFailedError(
        `the drainer ${this.outputs.drainerFunctionName} failed: ${detail?.errorType ?? output.FunctionError}: ` +
          `${detail?.errorMessage ?? text}`,
      );
    }
    const report = safeJson(text) as DrainReport | undefined;
    if (!report || typeof report.moved !== 'number') {
      throw new OperationFailedError(`the drainer answered something that is not a drain report: ${text}`);
    }
    // A drainer deployed before refusals were reported separately counts them in `failed`.
    return { ...report, refused: report.refused ?? 0 };
  }

  redrive(route: RouteTarget, options: RedriveOptions): Promise<RedriveOutcome> {
    return redriveRoute(this.sqs, route, options);
  }

  async api(): Promise<ApiEndpoint> {
    if (!this.outputs.apiKeyId) return { baseUrl: this.outputs.apiUrl };
    const key = await this.clients.apiGateway.send(
      new GetApiKeyCommand({ apiKey: this.outputs.apiKeyId, includeValue: true }),
    );
    if (!key.value) throw new OperationFailedError(`API key ${this.outputs.apiKeyId} has no readable value`);
    return { baseUrl: this.outputs.apiUrl, apiKey: key.value };
  }

  /** Starts the route's continuing-delivery execution and, when following, reports each status change. */
  async keepTrying(route: RouteTarget, options: KeepTryingOptions): Promise<KeepTryingOutcome> {
    const stateMachineArn = this.deployed(route).continuingDeliveryArn;
    if (!stateMachineArn) {
      throw new OperationFailedError(
        `route ${route.name} has no continuing-delivery state machine (deployed with AUTO_REDRIVE=false); ` +
          'redeploy without it, or use gd redrive',
      );
    }
    const { stepFunctions } = this.clients;
    const started = await stepFunctions.send(
      new StartExecutionCommand({ stateMachineArn, name: `gd-${route.name}-${Date.now()}` }),
    );
    const executionArn = started.executionArn ?? '';
    options.onUpdate?.(`${route.name}: started ${executionArn}`);
    if (!options.follow) return { status: 'RUNNING', executionArn };
    for (;;) {
      const execution = await stepFunctions.send(new DescribeExecutionCommand({ executionArn }));
      const status = (execution.status ?? 'RUNNING') as KeepTryingStatus;
      if (status !== 'RUNNING') {
        return { status, executionArn, ...(execution.cause ? { cause: execution.cause } : {}) };
      }
      await sleep(this.followIntervalSeconds * 1000);
    }
  }
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** Which deployed stack to open, and where. */
export interface DeployedStackOptions {
  /** @default DEFAULT_STACK_NAME */
  readonly stackName?: string;
  /** @default the SDK's (AWS_REGION, the profile's region) */
  readonly region?: string;
  /** An endpoint for every service (LocalStack, moto); the SDK's AWS_ENDPOINT_URL* otherwise. */
  readonly endpoint?: string;
  /** Seconds between checks of a followed continuing-delivery execution. @default 15 */
  readonly followIntervalSeconds?: number;
}

/** Finds the stack by name and reads its outputs; errors say what to do (deploy, set credentials, ...). */
export async function openDeployedStack(options: DeployedStackOptions = {}): Promise<StackTarget> {
  const stackName = options.stackName ?? DEFAULT_STACK_NAME;
  const calls: ClientOptions = {
    timeouts: OPERATOR_TIMEOUTS,
    ...(options.region ? { region: options.region } : {}),
    ...(options.endpoint ? { endpoint: options.endpoint } : {}),
  };
  const cloudFormation = createAwsClient(CloudFormationClient, calls);
  let region: string;
  try {
    region = await cloudFormation.config.region();
  } catch (error) {
    throw new StackAccessError(
      "no AWS region set; set AWS_REGION (or the profile's region) or pass --region",
      {
        cause: error,
      },
    );
  }
  let outputs: StackOutput[];
  try {
    const described = await cloudFormation.send(new DescribeStacksCommand({ StackName: stackName }));
    outputs = described.Stacks?.[0]?.Outputs ?? [];
  } catch (error) {
    throw explainAccessError(error, stackName, region);
  }
  const parsed = parseStackOutputs(stackName, outputs);
  const services: ClientOptions = { ...calls, region };
  return new DeployedStack(
    `stack ${stackName} in ${region}`,
    parsed,
    createSqsClient(services),
    createDynamoDbClient(services),
    {
      lambda: createAwsClient(LambdaClient, services),
      drainInvoker: createAwsClient(LambdaClient, { ...services, timeouts: DRAIN_INVOKE_TIMEOUTS }),
      cloudWatch: createAwsClient(CloudWatchClient, services),
      apiGateway: createAwsClient(APIGatewayClient, services),
      stepFunctions: createAwsClient(SFNClient, services),
      secretsManager: createSecretsManagerClient(services),
      s3: createAwsClient(S3Client, services),
    },
    options.followIntervalSeconds,
  );
}
