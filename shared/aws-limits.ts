/**
 * Limits AWS sets, each with the page that states it. Everything that sizes a setting against one of
 * them (the stack, the routes file's schema, the functions, the local runner) imports it from here.
 */

/**
 * Lambda's longest function timeout: 900 seconds ("Lambda quotas", Function configuration,
 * deployment, and execution: https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html).
 */
export const MAX_LAMBDA_TIMEOUT_SECONDS = 900;

/**
 * SQS's longest retention, 14 days (MessageRetentionPeriod "from 60 seconds (1 minute) to
 * 1,209,600 seconds (14 days)", Amazon SQS API Reference, SetQueueAttributes).
 */
export const MAX_SQS_RETENTION_SECONDS = 1_209_600;

/** SQS's shortest retention (same page). */
export const MIN_SQS_RETENTION_SECONDS = 60;

/**
 * SQS's ceiling on a redrive policy's maxReceiveCount ("Using dead-letter queues in Amazon SQS",
 * SQS Developer Guide: maxReceiveCount from 1 to 1,000).
 */
export const MAX_RECEIVE_COUNT = 1000;

/**
 * Lambda's synchronous invocation payload, request and response alike: 6 MB, 6,291,456 bytes
 * ("Lambda quotas", Function configuration, deployment, and execution:
 * https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html). API Gateway's proxy
 * event holds the whole request, so it binds before either front door's own 10 MB payload limit.
 */
export const LAMBDA_SYNC_PAYLOAD_BYTES = 6_291_456;

/**
 * SQS's message size, attributes included, as moto 5.2.1 enforces it: 256 KiB. AWS raised its own
 * to 1 MiB in August 2025 ("Amazon SQS message quotas":
 * https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/quotas-messages.html);
 * the smaller one is what every store must take.
 */
export const SQS_MESSAGE_BYTES = 262_144;

/**
 * DynamoDB's item size, attribute names included: 400 KB ("Quotas in Amazon DynamoDB":
 * https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/ServiceQuotas.html).
 */
export const DYNAMODB_ITEM_BYTES = 409_600;
