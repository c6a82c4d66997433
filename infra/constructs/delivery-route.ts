// Over 300 lines: a route is one unit (its queues, forwarder, grants, secrets and breaker), each
// grant beside the reason it exists; the breaker and secret grants are in files of their own.
import { Duration, Validations } from 'aws-cdk-lib';
import type { Metric, MetricOptions } from 'aws-cdk-lib/aws-cloudwatch';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import { Grant } from 'aws-cdk-lib/aws-iam';
import { EventSourceMapping } from 'aws-cdk-lib/aws-lambda';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import type { ILogGroup } from 'aws-cdk-lib/aws-logs';
import { type ISecret, Secret } from 'aws-cdk-lib/aws-secretsmanager';
import { DeduplicationScope, FifoThroughputLimit, Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { forwarderDocument, type StackBindings } from '../../shared/config/function-config.js';
import { isSecretHeaderValue } from '../../shared/config/header-value.js';
import { parseRoute, type RouteConfig } from '../../shared/config/routes.js';
import { ConfigurationError } from '../../shared/errors.js';
import {
  DLQ_RETENTION_SECONDS,
  deliveryQueueSettings,
  forwarderBatchSize,
  forwarderTimeoutSeconds,
  MAX_QUEUE_RETENTION_SECONDS,
} from '../../shared/queues.js';
import { forwarderFunctionName, queueNames, signingSecretName } from '../../shared/resource-names.js';
import { GENERATED_SECRET_LENGTH } from '../../shared/signing/signing-secret-value.js';
import { definedOnly } from './defined-props.js';
import { DEFAULT_MEMORY_MB, DeliveryFunction } from './delivery-function.js';
import type { PayloadBucket } from './payload-bucket.js';
import { RouteBreaker } from './route-breaker.js';
import { grantSecretKeysDecrypt } from './secret-key-grants.js';

/** Lambda's limit on an SQS event source's batching window. */
const MAX_BATCHING_WINDOW_SECONDS = 300;

/**
 * What makes an ordered route's delivery queue FIFO: the high-throughput mode the local runner sets
 * from HIGH_THROUGHPUT_FIFO (shared/queues.ts; the infra tests compare the two).
 */
const ORDERED_QUEUE_PROPS = {
  fifo: true,
  deduplicationScope: DeduplicationScope.MESSAGE_GROUP,
  fifoThroughputLimit: FifoThroughputLimit.PER_MESSAGE_GROUP_ID,
} as const;

/** Defaults of the optional {@link DeliveryRouteProps}, kept in one place and merged in the constructor. */
export const DELIVERY_ROUTE_DEFAULTS = {
  /**
   * One second: a burst fills batches (fewer invocations, fewer concurrent calls to the backend)
   * while a single message still waits at most a second before its first delivery attempt.
   */
  maxBatchingWindow: Duration.seconds(1),
  forwarderMemorySize: DEFAULT_MEMORY_MB,
} as const;

/** Properties of a {@link DeliveryRoute}. */
export interface DeliveryRouteProps {
  /** The route: path, target, retry policy, concurrency (shared/config/routes.ts). Validated again here. */
  readonly route: RouteConfig;
  /** What every function of the stack is told (tables, queue naming): the `stack` of its document. */
  readonly bindings: StackBindings;
  /** The stack's resource prefix: the route's queues and forwarder are named from it. */
  readonly namePrefix: string;
  /** The message table: status records, written by the forwarder. */
  readonly messageTable: ITable;
  /**
   * Where bodies over the claim-check threshold are; the forwarder may only get, under its route's prefix.
   * @default - none
   */
  readonly payloads?: PayloadBucket;
  /**
   * The log group the forwarder writes to (all forwarders share one; their streams carry the
   * function's name).
   * @default - a log group of the forwarder's own
   */
  readonly forwarderLogGroup?: ILogGroup;
  /**
   * How long the event source gathers records before invoking the forwarder (0-300 s).
   * @default Duration.seconds(1)
   */
  readonly maxBatchingWindow?: Duration;
  /**
   * Forwarder memory in MB.
   * @default 256
   */
  readonly forwarderMemorySize?: number;
  /** Whether each queue has its own TLS-only queue policy (a route group gives its queues one). @default true */
  readonly ownQueuePolicies?: boolean;
  /**
   * How long the delivery queue keeps a message: 1 minute to 13 days, less than its DLQ's 14
   * (queues.ts, MAX_QUEUE_RETENTION_SECONDS).
   * @default Duration.seconds(DEFAULT_QUEUE_RETENTION_SECONDS), 7 days
   */
  readonly queueRetention?: Duration;
}

/**
 * One delivery route (the README's flow, once per route): delivery queue → forwarder → backend, with
 * the route's `fail-messages` dead-letter queue; the one ingest of the stack (DeliveryIngest) writes
 * to its queue. Each route has its own queue, DLQ and forwarder so one failing backend cannot slow
 * the others. The queues and the forwarder have names derived from the stack's prefix and the
 * route's name (shared/resource-names.ts), which is how the functions serving every route, and `gd`,
 * find them without a list that grows with the routes.
 */
export class DeliveryRoute extends Construct {
  /** The validated route configuration. */
  public readonly route: RouteConfig;
  /** Messages waiting for delivery. */
  public readonly queue: Queue;
  /** The `fail-messages` dead-letter queue: non-retryable answers and exhausted attempts. */
  public readonly deadLetterQueue: Queue;
  /** Delivers queued messages to the route's target. */
  public readonly forwarderFunction: DeliveryFunction;
  /** The forwarder's SQS event source. */
  public readonly eventSource: SqsEventSource;
  /** The event source mapping (disable it to pause delivery; its id is a stack output). */
  public readonly eventSourceMapping: EventSourceMapping;
  /** The secret the forwarder signs deliveries with, when the route's `signing` is on. */
  public readonly signingSecret?: ISecret;
  /** How the forwarder and `gd` name that secret: the name or ARN it was given, or the new secret's ARN. */
  public readonly signingSecretId?: string;
  /** The route's circuit breaker on AWS (grants, probe schedule), when its `breaker` is set. */
  public readonly breaker?: RouteBreaker;

  constructor(scope: Construct, id: string, props: DeliveryRouteProps) {
    // Validation first, before the construct joins the tree: a rejected route leaves nothing behind.
    const settings = { ...DELIVERY_ROUTE_DEFAULTS, ...definedOnly(props) };
    const route = validateRoute(props.route);
    const batchingSeconds = settings.maxBatchingWindow.toSeconds();
    if (batchingSeconds > MAX_BATCHING_WINDOW_SECONDS) {
      throw new ConfigurationError(
        `DeliveryRoute '${route.name}': maxBatchingWindow must be at most ${MAX_BATCHING_WINDOW_SECONDS} seconds, got ${batchingSeconds}`,
      );
    }
    const retentionSeconds = settings.queueRetention?.toSeconds();
    if (retentionSeconds !== undefined && retentionSeconds > MAX_QUEUE_RETENTION_SECONDS) {
      throw new ConfigurationError(
        `DeliveryRoute '${route.name}': queueRetention must be at most ${MAX_QUEUE_RETENTION_SECONDS} seconds, less than its DLQ's ${DLQ_RETENTION_SECONDS} (a dead letter SQS moves keeps its original enqueue time), got ${retentionSeconds}`,
      );
    }
    super(scope, id);
    this.route = route;
    const queueSettings = deliveryQueueSettings(route, settings.queueRetention?.toSeconds());

    // Names derived from the stack's prefix and the route's name: the ingest, the drainer, the
    // archiver and gd derive them the same way. (A deploy within a minute of deleting the stack meets
    // SQS's 60-second ban on a deleted queue's name: wait, then deploy again.)
    const names = queueNames(props.namePrefix, route);
    const ownQueuePolicies = props.ownQueuePolicies ?? true;
    this.deadLetterQueue = new Queue(this, 'FailMessages', {
      queueName: names.deadLetterQueue,
      retentionPeriod: Duration.seconds(DLQ_RETENTION_SECONDS),
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: ownQueuePolicies,
      // SQS: the dead-letter queue of a FIFO queue must itself be FIFO.
      ...(queueSettings.fifo ? { fifo: true } : {}),
    });

    this.queue = new Queue(this, 'Delivery', {
      queueName: names.deliveryQueue,
      visibilityTimeout: Duration.seconds(queueSettings.visibilityTimeoutSeconds),
      retentionPeriod: Duration.seconds(queueSettings.retentionSeconds),
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: ownQueuePolicies,
      deadLetterQueue: { queue: this.deadLetterQueue, maxReceiveCount: queueSettings.maxReceiveCount },
      // An ordered route: one message group per key, in high-throughput FIFO mode (shared/queues.ts).
      ...(queueSettings.fifo ? ORDERED_QUEUE_PROPS : {}),
    });

    if (route.signing) {
      this.signingSecret = this.createSigningSecret(route.signing.secret, props.namePrefix);
      this.signingSecretId = route.signing.secret ?? this.signingSecret.secretArn;
    }

    this.forwarderFunction = new DeliveryFunction(this, 'Forwarder', {
      name: 'forwarder',
      route: route.name,
      functionName: forwarderFunctionName(props.namePrefix, route),
      ...(props.forwarderLogGroup ? { logGroup: props.forwarderLogGroup } : {}),
      // With a breaker, the handler that also answers the probe schedule and holds the Lambda client.
      ...(route.breaker ? { handlerFile: 'breaker-handler.ts' } : {}),
      description: `Delivers the ${route.name} queue to ${route.target}`,
      memorySize: settings.forwarderMemorySize,
      timeout: Duration.seconds(forwarderTimeoutSeconds(route)),
    });
    const forwarder = this.forwarderFunction;
    // The route's whole configuration, one document, checked at cold start by the routes file's schema.
    forwarder.setConfigDocument(
      forwarderDocument(props.bindings, route, this.signingSecretId),
      `route ${route.name}'s forwarder`,
    );
    // Backoff: the forwarder sets the visibility of a record it failed to deliver.
    this.queue.grant(forwarder, 'sqs:ChangeMessageVisibility');
    this.deadLetterQueue.grantSendMessages(forwarder);
    // A copy that finds another copy of its id holding the delivery lease goes back to its own queue
    // as a fresh copy (SendMessage with DelaySeconds); an ordered route's is hidden instead, in place.
    if (!route.ordering) this.queue.grant(forwarder, 'sqs:SendMessage');
    // Two UpdateItems per attempt: the delivery lease before it (which returns the record, so it is
    // the idempotency read too) and the result after it; an ordered route's forwarder also reads a
    // message's skip count (a consistent GetItem, dynamodb-skip-ledger.ts) on every receive after its
    // first, and writes it (UpdateItem). The table only: it has no indexes.
    Grant.addToPrincipal({
      grantee: forwarder,
      actions: ['dynamodb:UpdateItem', ...(route.ordering ? ['dynamodb:GetItem'] : [])],
      resourceArns: [props.messageTable.tableArn],
    });
    if (this.signingSecret) {
      // Only this route's forwarder reads it; the value never enters the template or the environment.
      this.signingSecret.grantRead(forwarder);
    }
    // Header values read from Secrets Manager: this route's forwarder alone may read each secret it
    // names (GetSecretValue, DescribeSecret); the template holds the reference, never the value.
    const headerSecrets = new Set(
      Object.values(route.headers ?? {})
        .filter(isSecretHeaderValue)
        .map((value) => value.secret),
    );
    [...headerSecrets].forEach((secretId, index) => {
      existingSecret(this, `HeaderSecret${index}`, secretId).grantRead(forwarder);
    });
    // A large body is fetched before each attempt (shared/payloads.ts).
    props.payloads?.grantReadPayloads(forwarder, [route.name]);
    // Those of its secrets (header or signing) encrypted with a customer-managed key: kms:Decrypt on it.
    grantSecretKeysDecrypt(forwarder, route);

    // Grants the consume actions (receive, delete, change visibility) on the queue.
    this.eventSource = new SqsEventSource(this.queue, {
      // An ordered route's batch fits its in-turn deliveries into the function's timeout.
      batchSize: forwarderBatchSize(route),
      // Lambda has no batching window for FIFO queues (CDK refuses one).
      ...(queueSettings.fifo ? {} : { maxBatchingWindow: settings.maxBatchingWindow }),
      // member.count of the reference: at most this many batches reach the backend at once.
      maxConcurrency: route.concurrency,
      reportBatchItemFailures: true,
    });
    forwarder.addEventSource(this.eventSource);
    const mapping = forwarder.node.children.find((child) => child instanceof EventSourceMapping);
    if (!(mapping instanceof EventSourceMapping)) {
      throw new Error(`DeliveryRoute '${route.name}': the forwarder's event source mapping was not created`);
    }
    this.eventSourceMapping = mapping;

    if (route.breaker) {
      this.breaker = new RouteBreaker(this, 'Breaker', {
        route: { name: route.name, breaker: route.breaker, ordering: route.ordering },
        forwarder,
        queue: this.queue,
        eventSourceMapping: mapping,
        messageTable: props.messageTable,
      });
    }
  }

  /**
   * The route's signing secret: an existing one by name or ARN, or a new one whose `current` is
   * generated by Secrets Manager at deploy time (letters and digits are valid base64, so it is a
   * `whsec_` secret once prefixed; `gd signing show` prints it in that form).
   */
  private createSigningSecret(existing: string | undefined, namePrefix: string): ISecret {
    if (existing) return existingSecret(this, 'SigningSecret', existing);
    const secret = new Secret(this, 'SigningSecret', {
      secretName: signingSecretName(namePrefix, this.route.name),
      description: `Standard Webhooks signing secret of the ${this.route.name} route (rotate with gd signing rotate)`,
      generateSecretString: {
        secretStringTemplate: JSON.stringify({ previous: [] }),
        generateStringKey: 'current',
        passwordLength: GENERATED_SECRET_LENGTH,
        excludePunctuation: true,
        includeSpace: false,
      },
    });
    Validations.of(secret).acknowledge({
      id: 'AwsSolutions-SMG4',
      reason:
        'Rotation is operator-driven (gd signing rotate) with a grace period: each receiver must be given the new secret, which an automatic rotation Lambda cannot do.',
    });
    return secret;
  }

  /** Dead letters waiting for attention: anything above zero means a message could not be delivered. */
  public metricDeadLetters(options?: MetricOptions): Metric {
    return this.deadLetterQueue.metricApproximateNumberOfMessagesVisible(options);
  }

  /** Age of the oldest message waiting for delivery: grows while the backend is down or slow. */
  public metricOldestMessageAge(options?: MetricOptions): Metric {
    return this.queue.metricApproximateAgeOfOldestMessage(options);
  }
}

/** Re-checks the route with its schema so a hand-built RouteConfig fails here, naming field and value. */
function validateRoute(route: RouteConfig): RouteConfig {
  try {
    return parseRoute(route);
  } catch (error) {
    throw new ConfigurationError(`DeliveryRoute: props.route is invalid: ${(error as Error).message}`, {
      cause: error,
    });
  }
}

/** An existing Secrets Manager secret by name, partial ARN or complete ARN. */
function existingSecret(scope: Construct, id: string, nameOrArn: string): ISecret {
  if (nameOrArn.startsWith('arn:')) {
    // A complete ARN ends in Secrets Manager's 6-character suffix; a partial one is a name's ARN.
    return /-[A-Za-z0-9]{6}$/.test(nameOrArn)
      ? Secret.fromSecretCompleteArn(scope, id, nameOrArn)
      : Secret.fromSecretPartialArn(scope, id, nameOrArn);
  }
  return Secret.fromSecretNameV2(scope, id, nameOrArn);
}
