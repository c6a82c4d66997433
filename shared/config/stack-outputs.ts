import type { BreakerSettings } from '../circuit-breaker.js';
import { routeOutputPrefix } from './route-output-prefix.js';

/**
 * The deployed stack's contract with `gd`: its default name and the CloudFormation output keys
 * infra/ writes and cli/stack/deployed-stack-outputs.ts reads. Both sides import these names; a test reads
 * them back from a synthesized template.
 */

/** Stack id and CloudFormation name when neither `STACK_NAME` (synth) nor `--stack` (gd) names one. */
export const DEFAULT_STACK_NAME = 'GuaranteedDelivery';

/** Output keys of the stack as a whole. */
export const STACK_OUTPUT = {
  /** Base URL of the API stage. */
  API_URL: 'ApiUrl',
  /** `rest` or `http-api`: which API Gateway flavour the stack's front door is. */
  FRONT_DOOR: 'FrontDoor',
  /** Id of the default API key; only when the API requires keys. */
  API_KEY_ID: 'ApiKeyId',
  /** Whether the API logs, and through which account CloudWatch role (API_LOGGING in infra). */
  API_LOGGING: 'ApiLogging',
  FAILOVER_TABLE_NAME: 'FailoverTableName',
  /** The message table: per-message status records (`gd message` reads it). */
  MESSAGE_TABLE_NAME: 'MessageTableName',
  DRAINER_FUNCTION_NAME: 'DrainerFunctionName',
  /** The one ingest of every route. */
  INGEST_FUNCTION_NAME: 'IngestFunctionName',
  /** Start of the derived names of the routes' queues and forwarders (shared/resource-names.ts). */
  RESOURCE_PREFIX: 'ResourcePrefix',
  /** The archive bucket of messages taken off queues before SQS retention; absent on older stacks. */
  ARCHIVE_BUCKET_NAME: 'ArchiveBucketName',
  /** The payload bucket of bodies over the claim-check threshold; absent on older stacks. */
  PAYLOAD_BUCKET_NAME: 'PayloadBucketName',
  /** The route names, joined by {@link ROUTE_NAMES_SEPARATOR}; each has the {@link ROUTE_OUTPUT} keys. */
  ROUTE_NAMES: 'RouteNames',
  /** Managed policy with what gd's read-only commands need (status, dlq list/show, message, archive list). */
  OPERATOR_READ_ONLY_POLICY_ARN: 'OperatorReadOnlyPolicyArn',
  /** Managed policy with what gd's state-changing commands need on top of the read-only one. */
  OPERATOR_POLICY_ARN: 'OperatorPolicyArn',
  DASHBOARD_NAME: 'DashboardName',
  /** Only when alarms notify a topic. */
  ALARM_TOPIC_ARN: 'AlarmTopicArn',
} as const;

/** Separator of the route names in the {@link STACK_OUTPUT.ROUTE_NAMES} output. */
export const ROUTE_NAMES_SEPARATOR = ',';

/** Per-route output keys, each written after the route's {@link routeOutputPrefix} (`CateringQueueUrl`). */
export const ROUTE_OUTPUT = {
  ROUTE_PATH: 'RoutePath',
  QUEUE_URL: 'QueueUrl',
  DLQ_URL: 'DlqUrl',
  FORWARDER_FUNCTION_NAME: 'ForwarderFunctionName',
  /** Disabled to pause the route's deliveries, enabled to resume them. */
  EVENT_SOURCE_MAPPING_ID: 'EventSourceMappingId',
  /** Only when the stack has continuing delivery (AUTO_REDRIVE is not false). */
  CONTINUING_DELIVERY_ARN: 'ContinuingDeliveryArn',
  /** Only for a signed route: its signing secret's ARN (or the name it was given), not its value. */
  SIGNING_SECRET_ID: 'SigningSecretId',
  /**
   * Only for a route with a circuit breaker: its settings, {@link breakerOutputValue}. `gd status` shows
   * the breaker of these routes, and `gd pause` / `gd resume` record the operator's pause for its probe.
   */
  BREAKER: 'Breaker',
} as const;

/** One of {@link ROUTE_OUTPUT}'s keys. */
export type RouteOutput = (typeof ROUTE_OUTPUT)[keyof typeof ROUTE_OUTPUT];

/** The output key of one route's value: `('order-events', ROUTE_OUTPUT.QUEUE_URL)` → `OrderEventsQueueUrl`. */
export function routeOutputKey(routeName: string, key: RouteOutput): string {
  return `${routeOutputPrefix(routeName)}${key}`;
}

/** The value of a route's {@link ROUTE_OUTPUT.BREAKER} output: its settings as JSON. */
export function breakerOutputValue(settings: BreakerSettings): string {
  return JSON.stringify({ failures: settings.failures, probeSeconds: settings.probeSeconds });
}

/** Reads a {@link ROUTE_OUTPUT.BREAKER} output back; undefined when it is not such a value. */
export function parseBreakerOutput(value: string): BreakerSettings | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch {
    return undefined;
  }
  const { failures, probeSeconds } = (parsed ?? {}) as Record<string, unknown>;
  const positive = (n: unknown): n is number => Number.isInteger(n) && (n as number) > 0;
  return positive(failures) && positive(probeSeconds) ? { failures, probeSeconds } : undefined;
}
