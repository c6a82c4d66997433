import type { SQSClient } from '@aws-sdk/client-sqs';
import { createForwarderDeps, forwarderConfig } from '../functions/forwarder/forwarder-config.js';
import { createProbeHandler } from '../functions/forwarder/probe-adapter.js';
import { createForwarderHandler } from '../functions/forwarder/sqs-batch-adapter.js';
import type { ForwarderDocument } from '../shared/config/function-config.js';
import type { RouteConfig } from '../shared/config/routes.js';
import { describeError } from '../shared/errors.js';
import { forwarderBatchSize, forwarderTimeoutSeconds } from '../shared/queues.js';
import { QueueTagSwitch } from './breaker-switch.js';
import { type EventSourceMapping, startEventSourceMapping } from './event-source-mapping.js';
import type { JourneyLog } from './journey-log.js';
import type { RouteQueues } from './provision.js';
import { startSchedule } from './schedule.js';

/** Long-poll wait of the emulated event source mapping: short, so Ctrl-C is quick. */
export const POLL_WAIT_SECONDS = 1;

/** What a route's local forwarder is started with. */
export interface RouteForwarderOptions {
  readonly route: RouteConfig;
  readonly queues: RouteQueues;
  /** The forwarder's document, as the stack writes it on AWS. */
  readonly document: ForwarderDocument;
  /** The client the emulated mapping polls with (short timeouts for its long polls). */
  readonly pollerSqs: SQSClient;
  readonly endpoints: {
    readonly awsEndpoint: string;
    readonly sqsEndpoint: string;
    readonly dynamoDbEndpoint: string;
  };
  readonly prefix: string;
  readonly log: JourneyLog;
}

/** A route's running forwarder. */
export interface RouteForwarder {
  readonly mapping: EventSourceMapping;
  /** Stops the probes and the mapping, letting batches under way finish. */
  stop(): Promise<void>;
}

/** The breaker's probe every `probeSeconds`; a tick that tried a message (or failed) is reported. */
function startProbes(
  routeName: string,
  probeSeconds: number,
  probe: ReturnType<typeof createProbeHandler>,
  log: JourneyLog,
) {
  return startSchedule(probeSeconds * 1000, async () => {
    const report = await probe().catch((error) => ({
      state: 'unknown',
      attempts: 0,
      detail: describeError(error),
    }));
    if (report.attempts > 0 || report.state === 'unknown') {
      log.note('breaker', `${routeName}: probe ${report.detail}; breaker ${report.state}`);
    }
  });
}

/**
 * A route's forwarder as Lambda runs it: the real handler behind an emulated SQS event source
 * mapping; with a circuit breaker, its probe every `probeSeconds` (on AWS an EventBridge rule every
 * minute) and the queue tag as its switch, since there is no mapping to disable here.
 */
export function startRouteForwarder(options: RouteForwarderOptions): RouteForwarder {
  const { route, queues, pollerSqs, endpoints, log } = options;
  const forwarder = createForwarderDeps(forwarderConfig(options.document), {
    sqsEndpoint: endpoints.sqsEndpoint,
    dynamoDbEndpoint: endpoints.dynamoDbEndpoint,
    secretsManagerEndpoint: endpoints.awsEndpoint,
    s3Endpoint: endpoints.awsEndpoint,
    logger: log.logger('forwarder'),
    ...(route.breaker ? { deliveries: new QueueTagSwitch(pollerSqs, queues.queueUrl) } : {}),
  });
  const timeoutMs = forwarderTimeoutSeconds(route) * 1000;
  const mapping = startEventSourceMapping({
    sqs: pollerSqs,
    target: {
      queueUrl: queues.queueUrl,
      queueArn: queues.queueArn,
      functionName: `${options.prefix}-${route.name}-forwarder`,
      batchSize: forwarderBatchSize(route),
      timeoutMs,
      waitTimeSeconds: POLL_WAIT_SECONDS,
    },
    handler: createForwarderHandler(forwarder),
    concurrency: route.concurrency,
    name: route.name,
    report: log.note,
  });
  const probes = route.breaker
    ? startProbes(route.name, route.breaker.probeSeconds, createProbeHandler(forwarder), log)
    : undefined;
  return {
    mapping,
    async stop() {
      await probes?.stop(timeoutMs);
      await mapping.stop(timeoutMs);
    },
  };
}
