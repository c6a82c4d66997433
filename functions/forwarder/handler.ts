import { createForwarderDeps, loadForwarderConfig } from './forwarder-config.js';
import { createForwarderHandler } from './sqs-batch-adapter.js';

// Once per container: a missing variable fails the cold start, not a delivery.
const deps = createForwarderDeps(loadForwarderConfig(process.env));

/**
 * SQS event source (ReportBatchItemFailures) → forwardMessage for each record. A route with a
 * circuit breaker runs breaker-handler.ts instead (it fails here at cold start, saying so).
 */
export const handler = createForwarderHandler(deps);
