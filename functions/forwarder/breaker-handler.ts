import type { Context, SQSEvent } from 'aws-lambda';
import { EventSourceMappingSwitch } from '../../shared/aws/event-source-mapping-switch.js';
import { RAMP_START_CONCURRENCY } from '../../shared/circuit-breaker.js';
import { requireEnv } from '../../shared/config/env-names.js';
import { createForwarderDeps, loadForwarderConfig } from './forwarder-config.js';
import { createProbeHandler } from './probe-adapter.js';
import { isProbeEvent } from './probe-breaker.js';
import { createForwarderHandler } from './sqs-batch-adapter.js';

/** Lambda's own variable naming the running function: the switch finds its mapping by it. */
const LAMBDA_FUNCTION_NAME = 'AWS_LAMBDA_FUNCTION_NAME';

// Once per container: a missing variable fails the cold start, not a delivery.
const config = loadForwarderConfig(process.env);
const deps = createForwarderDeps(config, {
  deliveries: new EventSourceMappingSwitch(
    requireEnv(process.env, LAMBDA_FUNCTION_NAME),
    config.breaker?.concurrency ?? RAMP_START_CONCURRENCY,
  ),
});
const forward = createForwarderHandler(deps);
const probe = createProbeHandler(deps);

/**
 * The forwarder of a route with a circuit breaker (handler.ts for the others, which do not bundle
 * the Lambda client): SQS event source → forwardMessage for each record, and its probe schedule's
 * `{"probe": "circuit-breaker"}` → one probe. One function for both, so the probe delivers with
 * exactly the forwarder's code, settings, secrets and permissions.
 */
export const handler = (event: SQSEvent | { probe: string }, context: Context) =>
  isProbeEvent(event) ? probe() : forward(event as SQSEvent, context);
