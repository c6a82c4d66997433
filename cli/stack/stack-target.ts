import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { SQSClient } from '@aws-sdk/client-sqs';
import type { DrainReport } from '../../functions/drainer/drain-failover.js';
import type { S3ArchiveStore } from '../../shared/aws/s3-archive-store.js';
import type { BreakerSettings, BreakerState } from '../../shared/circuit-breaker.js';
import type { DeadLetterFilter } from '../../shared/dead-letter-filter.js';
import type { PayloadSource } from '../../shared/ports.js';
import { UsageError } from '../errors.js';
import type { Progress } from '../progress-bar.js';
import type { KeepTryingOutcome } from './continuing-delivery-rounds.js';
import type { RecentOutcomes } from './recent-outcomes.js';

/** One delivery route of a stack: its API path and its two queues. */
export interface RouteTarget {
  readonly name: string;
  /** API path, e.g. `/catering/register`. */
  readonly path: string;
  readonly queueUrl: string;
  readonly dlqUrl: string;
  /**
   * Its signing secret's name or ARN: from the stack's outputs on AWS (signed routes only); locally
   * the name it has when signed (whether the secret exists says whether the route is signed).
   */
  readonly signingSecretId?: string;
  /**
   * Its circuit breaker's settings, for a route that has one: from the routes file locally, from the
   * stack's outputs on AWS (a stack deployed before breakers existed has none).
   */
  readonly breaker?: BreakerSettings;
}

/** Whether a route's deliveries flow, and what stops them. */
export interface DeliveryState {
  /**
   * An operator stopped them (`gd pause`): they stay stopped, whatever the breaker does, until
   * `gd resume`.
   */
  readonly paused: boolean;
  /** The route's circuit breaker is open (or probing): a successful probe restarts deliveries by itself. */
  readonly heldByBreaker: boolean;
  /** The breaker's item, for a route that has a breaker. */
  readonly breaker?: BreakerState;
}

/** How the age of a queue's oldest message was found (SQS's API has no such attribute). */
export type AgeMethod =
  /** CloudWatch's `ApproximateAgeOfOldestMessage` metric (AWS; a minute or more behind). */
  | 'cloudwatch'
  /** Oldest `SentTimestamp` of a peek (local stack with `--peek`; counts as a receive). */
  | 'peek'
  /** Not measured (local stack without `--peek`). */
  | 'not-measured';

/** The age of a queue's oldest message and how it was found. */
export interface OldestAge {
  /** Age in seconds; undefined when the queue is empty or the age was not measured. */
  readonly seconds?: number;
  readonly method: AgeMethod;
}

/** How `gd redrive` moves a route's dead letters: pace, filter, progress. */
export interface RedriveOptions {
  /** Messages per second; undefined for as fast as SQS goes. */
  readonly ratePerSecond?: number;
  /** Only the dead letters this matches move; the rest stay in the DLQ. @default every one */
  readonly filter?: DeadLetterFilter;
  readonly onProgress?: (progress: Progress) => void;
}

/** What a redrive of one route did. */
export interface RedriveOutcome {
  /** `message-move-task`: SQS's StartMessageMoveTask; `receive-send-delete`: the batched fallback. */
  readonly method: 'message-move-task' | 'receive-send-delete';
  readonly moved: number;
  /** Messages that stayed in the DLQ because SQS failed; they can be redriven again. */
  readonly failed: number;
  /** Dead letters the filter did not match: left in the DLQ as they were. */
  readonly skipped: number;
  /**
   * Messages that stayed in the DLQ because SQS refused them for themselves (SenderFault: too large,
   * characters it does not allow); redriving again will not help.
   */
  readonly refused: number;
  /** SQS's reason for the first refused message, when some were refused. */
  readonly refusedReason?: string;
  /** Why it stopped before the DLQ was empty (`SQS unavailable: ...`), if it did. */
  readonly stoppedEarly?: string;
}

/** How `gd keep-trying` runs. */
export interface KeepTryingOptions {
  /** Wait for the run to end (true) or return once it started (false; AWS only). */
  readonly follow: boolean;
  /** Local stack: overrides of the operations configuration's waits and rounds. */
  readonly initialWaitSeconds?: number;
  readonly maxWaitSeconds?: number;
  readonly maxRounds?: number;
  /** One line per step (round made, status change), for a person watching. */
  readonly onUpdate?: (line: string) => void;
}

/** Where `gd send` posts. */
export interface ApiEndpoint {
  /** Base URL the route path is appended to. */
  readonly baseUrl: string;
  /** Value for the `x-api-key` header when the API requires one. */
  readonly apiKey?: string;
}

/**
 * The stack the CLI operates on: a deployed CloudFormation stack or the local stack on an emulator.
 * Commands only use this interface, so each one works on both. Reads that are the same on both
 * (queue attributes, dead letters, the failover table) go through `sqs` / `dynamoDb` directly.
 */
export interface StackTarget {
  readonly kind: 'deployed' | 'local';
  /** One line saying which stack this is, for the top of human output. */
  readonly description: string;
  readonly routes: readonly RouteTarget[];
  readonly sqs: SQSClient;
  readonly dynamoDb: DynamoDBClient;
  /** Where the routes' signing secrets are (`gd signing`). */
  readonly secretsManager: SecretsManagerClient;
  readonly failoverTableName: string;
  /** The message table: one status record per message and route (`gd message`). */
  readonly messageTableName: string;
  /** Where messages nearing retention were archived; undefined for a stack deployed without it. */
  readonly archive?: S3ArchiveStore;
  /** Where bodies over the claim-check threshold are (`gd dlq show`); undefined for a stack without it. */
  readonly payloads?: PayloadSource;
  /** Age of the oldest message on the route's delivery queue; `peek` allows a receive locally. */
  oldestMessageAge(route: RouteTarget, options: { peek: boolean }): Promise<OldestAge>;
  /**
   * Messages each route delivered and dead-lettered over the last `windowSeconds`: CloudWatch's
   * metrics on AWS, the message table's status records locally.
   */
  recentOutcomes(routes: readonly RouteTarget[], windowSeconds: number): Promise<RecentOutcomes>;
  /** Whether deliveries of the route are stopped, by an operator or by its circuit breaker. */
  deliveryState(route: RouteTarget): Promise<DeliveryState>;
  /**
   * Stops (true) or restarts (false) deliveries: the event source mapping on AWS, a queue tag locally.
   * A restart leaves deliveries stopped while the route's circuit breaker is open: its probe restarts
   * them. A stop outlasts the breaker closing.
   */
  setPaused(route: RouteTarget, paused: boolean): Promise<void>;
  /** Runs the drainer once now: failover table → delivery queues. */
  drain(): Promise<DrainReport>;
  /** Moves the route's dead letters back to its delivery queue, ids and attributes kept. */
  redrive(route: RouteTarget, options: RedriveOptions): Promise<RedriveOutcome>;
  /** Where the API answers, and the API key when one is needed. */
  api(): Promise<ApiEndpoint>;
  /**
   * "Keep trying until delivered": redrive the route's DLQ with growing waits until it stays empty
   * or the rounds run out. On AWS, an execution of the route's continuing-delivery state machine;
   * locally the same rounds in-process.
   */
  keepTrying(route: RouteTarget, options: KeepTryingOptions): Promise<KeepTryingOutcome>;
}

/** The route called `name`, or a usage error that lists the routes there are. */
export function findRoute(stack: StackTarget, name: string): RouteTarget {
  const route = stack.routes.find((candidate) => candidate.name === name);
  if (!route) {
    const known = stack.routes.map((candidate) => candidate.name).join(', ') || 'none';
    throw new UsageError(`unknown route '${name}'; this stack has: ${known}`);
  }
  return route;
}

/**
 * The routes a command acts on: all of them, the one `--route` names, or those its glob matches
 * (`*` any characters, `?` one; a route name holds neither).
 */
export function selectRoutes(stack: StackTarget, name: string | undefined): readonly RouteTarget[] {
  if (name === undefined) return stack.routes;
  if (!/[*?]/.test(name)) return [findRoute(stack, name)];
  const pattern = new RegExp(
    `^${name
      .replace(/[.+^${}()|[\]\\-]/g, '\\$&')
      .replaceAll('*', '.*')
      .replaceAll('?', '.')}$`,
  );
  const matched = stack.routes.filter((route) => pattern.test(route.name));
  if (matched.length === 0) {
    throw new UsageError(`no route matches '${name}'; this stack has ${stack.routes.length} route(s)`);
  }
  return matched;
}
