import type { Context, SQSEvent } from 'aws-lambda';
import { createForwarderDeps, loadForwarderConfig } from './forwarder-config.js';
import { createProbeHandler } from './probe-adapter.js';
import { isProbeEvent } from './probe-breaker.js';
import { createForwarderHandler } from './sqs-batch-adapter.js';

// Once per container: a missing variable fails the cold start, not a delivery.
const deps = createForwarderDeps(loadForwarderConfig(process.env));
const forward = createForwarderHandler(deps);
const probe = createProbeHandler(deps);

/**
 * SQS event source (ReportBatchItemFailures) → forwardRecord for each record; on a route with a
 * circuit breaker, also its probe schedule's `{"probe": "circuit-breaker"}` → one probe.
 */
export const handler = (event: SQSEvent | { probe: string }, context: Context) =>
  isProbeEvent(event) ? probe() : forward(event as SQSEvent, context);
