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
