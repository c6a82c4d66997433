import { z } from 'zod';
import type { BreakerSettings } from '../circuit-breaker.js';

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
  /**
   * Start of every route's continuing-delivery state machine ARN (the route's name follows); only
   * when the stack has continuing delivery (AUTO_REDRIVE is not false).
   */
  CONTINUING_DELIVERY_ARN_PREFIX: 'ContinuingDeliveryArnPrefix',
  /** What a queue's URL starts with (`https://sqs.<region>.<domain>/<account>/`): its name follows. */
  QUEUE_URL_BASE: 'QueueUrlBase',
  /** Managed policy with what gd's read-only commands need (status, dlq list/show, message, archive list). */
  OPERATOR_READ_ONLY_POLICY_ARN: 'OperatorReadOnlyPolicyArn',
  /** Managed policy with what gd's state-changing commands need on top of the read-only one. */
  OPERATOR_POLICY_ARN: 'OperatorPolicyArn',
  DASHBOARD_NAME: 'DashboardName',
  /** Only when alarms notify a topic. */
  ALARM_TOPIC_ARN: 'AlarmTopicArn',
} as const;

/**
 * The routes are not one output each (a stack has at most 200 outputs, "CloudFormation quotas"): each
 * nested stack of routes (shared/config/route-groups.ts) writes its routes as one JSON output of this
 * key, and the stack repeats it as an output named after the group (`RouteGroup07`). Queue URLs and
 * the forwarder's name are derived from {@link STACK_OUTPUT.RESOURCE_PREFIX} and the route's name.
 */
export const ROUTE_GROUP_OUTPUT = 'Routes';

/** The start of {@link routeGroupOutputKey}'s keys. */
const ROUTE_GROUP_OUTPUT_PREFIX = 'RouteGroup';

/** The output key of a group's routes in the stack: `RouteGroup07`. */
export function routeGroupOutputKey(group: number): string {
  return `${ROUTE_GROUP_OUTPUT_PREFIX}${String(group).padStart(2, '0')}`;
}

/** Whether an output key is one of {@link routeGroupOutputKey}'s. */
export function isRouteGroupOutputKey(key: string): boolean {
  return new RegExp(`^${ROUTE_GROUP_OUTPUT_PREFIX}\\d{2}$`).test(key);
}

/** One route of a group's output. */
export interface DeployedRouteEntry {
  readonly name: string;
  readonly path: string;
  /** The event source mapping's id: disabled to pause the route's deliveries, enabled to resume them. */
  readonly mapping: string;
  /** Present on an ordered route (FIFO queues, `.fifo` at the end of their names). */
  readonly ordered?: true;
  /** Only for a route with a circuit breaker: `gd status` shows it, `gd pause` notes the pause on it. */
  readonly breaker?: BreakerSettings;
  /** Only for a signed route: its signing secret's ARN (or the name it was given), not its value. */
  readonly signingSecret?: string;
}

const positive = z.number().int().positive();
const deployedRouteEntrySchema = z.object({
  name: z.string().min(1),
  path: z.string().startsWith('/'),
  mapping: z.string().min(1),
  ordered: z.literal(true).optional(),
  breaker: z.object({ failures: positive, probeSeconds: positive }).optional(),
  signingSecret: z.string().min(1).optional(),
});

/** Reads a group's routes output back; undefined when it is not such a value. */
export function parseRouteGroupOutput(value: string): DeployedRouteEntry[] | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch {
    return undefined;
  }
  const result = z.array(deployedRouteEntrySchema).safeParse(parsed);
  return result.success ? (result.data as DeployedRouteEntry[]) : undefined;
}
