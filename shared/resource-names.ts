import { createHash } from 'node:crypto';
import { z } from 'zod';
import { FIFO_SUFFIX } from './ordering.js';

/**
 * Names every part of a deployment derives the same way: the stack when it creates a route's queues
 * and forwarder, each function when it needs a route's queue, the local runner, and `gd`. Because a
 * name follows from the stack's prefix and the route's name, no function needs a list of queue URLs
 * that grows with the routes, and no stack output needs to carry one.
 *
 * A route's queues are `<prefix>_q_<unit>` and `<prefix>_dlq_<unit>` (`.fifo` added on an ordered
 * route); its forwarder is `<prefix>_fwd_<unit>`. The unit is the route's name today, and is what a
 * route's destination would become (`<route>_<destination>`) once routes fan out. Neither a stack
 * name nor a route name holds an underscore, so `<prefix>_q_*` names this stack's delivery queues
 * and nothing else (not its DLQs, not another stack's queues): the grants of the functions that
 * serve every route use these patterns rather than lists that grow with the routes.
 */

/** Longest resource prefix, so that every derived name fits its service's limit (below). */
export const MAX_RESOURCE_PREFIX_LENGTH = 24;

/**
 * SQS queue names: 1-80 letters, digits, `-` and `_`, `.fifo` included
 * (https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_CreateQueue.html).
 * Prefix 24 + `_dlq_` 5 + route name 31 + `.fifo` 5 = 65.
 */
export const MAX_QUEUE_NAME_LENGTH = 80;

/**
 * Lambda function names: 1-64 letters, digits, `-` and `_`
 * (https://docs.aws.amazon.com/lambda/latest/api/API_CreateFunction.html). Prefix 24 + `_fwd_` 5 + 31 = 60.
 */
export const MAX_FUNCTION_NAME_LENGTH = 64;

/** How a deployment's queues are named and reached (part of every function's configuration). */
export const queueNamingSchema = z.strictObject({
  /** Start of every queue's name: the stack's resource prefix, or the local runner's prefix. */
  namePrefix: z.string().regex(/^[A-Za-z0-9_-]{1,24}$/, { error: 'use 1-24 letters, digits, - or _' }),
  /** A queue's URL is this followed by its name: `https://sqs.<region>.<domain>/<account>/`. */
  urlBase: z.string().regex(/^https?:\/\/[^/]+\/[^/]+\/$/, {
    error: 'use an SQS URL base such as https://sqs.eu-west-1.amazonaws.com/123456789012/',
  }),
});

/** How a deployment's queues are named and reached. */
export type QueueNaming = z.output<typeof queueNamingSchema>;

/** What a route's derived names follow from: its name, and whether it is ordered (FIFO queues). */
export interface NamedRoute {
  readonly name: string;
  readonly ordering?: unknown;
}

/**
 * The stack's resource prefix: its name when that fits, else the start of it with a hash of the
 * whole, so two stacks of one account never share names.
 */
export function resourcePrefix(stackName: string): string {
  if (/^[A-Za-z][A-Za-z0-9-]*$/.test(stackName) && stackName.length <= MAX_RESOURCE_PREFIX_LENGTH) {
    return stackName;
  }
  const hash = createHash('sha256').update(stackName).digest('hex').slice(0, 8);
  const start = stackName
    .replace(/[^A-Za-z0-9-]/g, '-')
    .slice(0, MAX_RESOURCE_PREFIX_LENGTH - hash.length - 1);
  return `${start}-${hash}`;
}

/** A route's delivery queue and dead-letter queue names. */
export function queueNames(prefix: string, route: NamedRoute) {
  const suffix = route.ordering ? FIFO_SUFFIX : '';
  return {
    deliveryQueue: `${prefix}_q_${route.name}${suffix}`,
    deadLetterQueue: `${prefix}_dlq_${route.name}${suffix}`,
  };
}

/** Patterns that match every delivery queue, and every DLQ, of a prefix (IAM resource wildcards). */
export function queueNamePatterns(prefix: string) {
  return { deliveryQueues: `${prefix}_q_*`, deadLetterQueues: `${prefix}_dlq_*` };
}

/** A route's queue URLs, derived from the deployment's naming. */
export function queueUrls(naming: QueueNaming, route: NamedRoute) {
  const names = queueNames(naming.namePrefix, route);
  return {
    queueUrl: `${naming.urlBase}${names.deliveryQueue}`,
    dlqUrl: `${naming.urlBase}${names.deadLetterQueue}`,
  };
}

/** The name of a route's forwarder function. */
export function forwarderFunctionName(prefix: string, route: NamedRoute): string {
  return `${prefix}_fwd_${route.name}`;
}

/** The URL base of a queue URL (everything before its name), as {@link QueueNaming.urlBase}. */
export function queueUrlBase(queueUrl: string): string {
  return queueUrl.slice(0, queueUrl.lastIndexOf('/') + 1);
}

/** Physical table names used by the local runner (the stack lets CloudFormation name its tables). */
export function localTableNames(prefix: string) {
  return { failoverTable: `${prefix}-failover`, messageTable: `${prefix}-messages` };
}

/** Name of a signed route's generated secret, deployed (`<prefix>/<route>/signing`) and local alike. */
export function signingSecretName(prefix: string, routeName: string): string {
  return `${prefix}/${routeName}/signing`;
}

/** Name of a signed route's secret in the local stack's Secrets Manager (the emulator's). */
export const localSigningSecretName = signingSecretName;

/** What matches every generated signing secret's ARN of a prefix (Secrets Manager adds `-` and 6 characters). */
export function signingSecretPattern(prefix: string): string {
  return `${prefix}/*/signing-??????`;
}

/** A route's continuing-delivery state machine (Step Functions names: at most 80 characters; 24 + 4 + 31). */
export function continuingDeliveryName(prefix: string, routeName: string): string {
  return `${prefix}_cd_${routeName}`;
}

/** Physical name of the local archive bucket (S3 names: lowercase, so the prefix is lowercased). */
export function localArchiveBucketName(prefix: string): string {
  return `${prefix.toLowerCase().replaceAll('_', '-')}-archive`;
}

/** Physical name of the local payload bucket (bodies over the claim-check threshold). */
export function localPayloadBucketName(prefix: string): string {
  return `${prefix.toLowerCase().replaceAll('_', '-')}-payloads`;
}
