import { performance } from 'node:perf_hooks';
import { createForwarderDeps } from '../functions/forwarder/forwarder-config.js';
import { createForwarderHandler } from '../functions/forwarder/sqs-batch-adapter.js';
import { createIngestHandler } from '../functions/ingest/api-gateway-adapter.js';
import { createIngestDeps } from '../functions/ingest/ingest-config.js';
import { apiGatewayEvent, lambdaContext } from '../local/aws-events.js';
import { pollOnce } from '../local/sqs-poller.js';
import { createSqsClient } from '../shared/aws/clients.js';
import { forwarderTimeoutSeconds } from '../shared/queues.js';
import { type BenchRoute, cateringBody, createBenchRoute, mutedLogger, mutedMetrics } from './bench-route.js';
import type { BenchContext } from './context.js';
import { fixedLatencyBackend } from './loopback.js';

/** Keys the messages are spread over, the same for both routes. */
const KEYS = 20;
const BACKEND_LATENCY_MS = 20;
const CONCURRENCY = 4;
const RUN_BOUND_MS = 120_000;

/** One route's figures. */
export interface OrderingSide {
  /** POSTs through the real ingest handler: keys at once, each key's messages one after another. */
  readonly ingestMsgPerSec: number;
  /** Messages delivered by the real forwarder handler from a queue holding them all. */
  readonly forwarderMsgPerSec: number;
}

export interface OrderingResult {
  readonly keys: number;
  readonly messages: number;
  readonly concurrency: number;
  readonly batchSize: number;
  readonly backendLatencyMs: number;
  readonly unordered: OrderingSide;
  readonly ordered: OrderingSide;
  /** ordered / unordered. */
  readonly ingestRatio: number;
  readonly forwarderRatio: number;
}

/**
 * Figure 7: an ordered route (SQS FIFO, one group per key; the ingest checks each key's failover
 * items first) against the same route unordered, with the same messages spread over the same
 * 20 keys: ingest throughput (keys concurrently, sequential within a key, as an ordered client
 * sends), then forwarder throughput from a queue holding all of them (CONCURRENCY pollers of the
 * real forwarder, backend answering 200 after 20 ms).
 */
export async function benchOrdering(ctx: BenchContext): Promise<OrderingResult> {
  const messages = ctx.quick ? 100 : 400;
  const backend = await fixedLatencyBackend(BACKEND_LATENCY_MS);
  const common = {
    target: backend.url,
    schema: 'json-object' as const,
    concurrency: CONCURRENCY,
    batchSize: 10,
  };
  const unorderedRoute = await createBenchRoute(ctx.endpoint, { ...common, name: 'unordered' });
  const orderedRoute = await createBenchRoute(ctx.endpoint, {
    ...common,
    name: 'ordered',
    ordering: { keyHeader: 'Ordering-Key' },
  });
  try {
    const unordered = await measure(ctx, unorderedRoute, messages);
    const ordered = await measure(ctx, orderedRoute, messages);
    return {
      keys: KEYS,
      messages,
      concurrency: CONCURRENCY,
      batchSize: 10,
      backendLatencyMs: BACKEND_LATENCY_MS,
      unordered,
      ordered,
      ingestRatio: ordered.ingestMsgPerSec / unordered.ingestMsgPerSec,
      forwarderRatio: ordered.forwarderMsgPerSec / unordered.forwarderMsgPerSec,
    };
  } finally {
    await backend.close();
    unorderedRoute.sqs.destroy();
    orderedRoute.sqs.destroy();
  }
}

async function measure(ctx: BenchContext, bench: BenchRoute, messages: number): Promise<OrderingSide> {
  const endpoints = { sqsEndpoint: ctx.endpoint, dynamoDbEndpoint: ctx.endpoint };
  const ingest = createIngestHandler(
    createIngestDeps(bench.configs.ingest, { ...endpoints, logger: mutedLogger('ingest') }),
    mutedMetrics('ingest'),
  );
  const perKey = Math.ceil(messages / KEYS);
  const t0 = performance.now();
  let accepted = 0;
  await Promise.all(
    Array.from({ length: KEYS }, async (_, k) => {
      for (let n = 0; n < perKey; n++) {
        const result = await ingest(
          apiGatewayEvent({
            method: 'POST',
            path: bench.route.path,
            headers: { 'content-type': 'application/json', 'ordering-key': `key-${k}` },
            body: cateringBody(k * perKey + n),
          }),
          lambdaContext('ingest'),
        );
        if (result.statusCode === 202) accepted++;
      }
    }),
  );
  const ingestMsgPerSec = accepted / ((performance.now() - t0) / 1000);
  ctx.log(`ordering ${bench.route.name}: ingest ${ingestMsgPerSec.toFixed(0)} msg/s (${accepted} accepted)`);

  // The forwarder, from a queue that holds the messages (the ones just posted).
  const config = bench.configs.forwarder(bench.route);
  const forwarder = createForwarderDeps(config, { ...endpoints, logger: mutedLogger('forwarder') });
  const handler = createForwarderHandler(forwarder, mutedMetrics('forwarder'));
  const sqs = createSqsClient({ endpoint: ctx.endpoint });
  const target = {
    queueUrl: bench.queues.queueUrl,
    queueArn: bench.queues.queueArn,
    functionName: `${bench.prefix}-forwarder`,
    batchSize: bench.route.batchSize,
    timeoutMs: forwarderTimeoutSeconds(bench.route) * 1000,
    waitTimeSeconds: 0,
  };
  let deleted = 0;
  const deadline = Date.now() + RUN_BOUND_MS;
  const f0 = performance.now();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (deleted < accepted && Date.now() < deadline) {
        const result = await pollOnce(sqs, target, handler);
        deleted += result.deleted;
        if (result.received === 0) await new Promise((resolve) => setTimeout(resolve, 5));
      }
    }),
  );
  const forwarderMsgPerSec = deleted / ((performance.now() - f0) / 1000);
  ctx.log(
    `ordering ${bench.route.name}: forwarder ${forwarderMsgPerSec.toFixed(0)} msg/s (${deleted} delivered)`,
  );
  sqs.destroy();
  return { ingestMsgPerSec, forwarderMsgPerSec };
}
