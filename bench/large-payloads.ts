import { performance } from 'node:perf_hooks';
import { createForwarderDeps } from '../functions/forwarder/forwarder-config.js';
import { createForwarderHandler } from '../functions/forwarder/sqs-batch-adapter.js';
import { createIngestHandler } from '../functions/ingest/api-gateway-adapter.js';
import { createIngestDeps } from '../functions/ingest/ingest-config.js';
import { apiGatewayEvent, lambdaContext } from '../local/aws-events.js';
import { localFunctionConfigs } from '../local/local-functions.js';
import { provisionPayloadBucket } from '../local/provision.js';
import { pollOnce } from '../local/sqs-poller.js';
import { createS3Client } from '../shared/aws/clients.js';
import { CLAIM_CHECK_THRESHOLD_BYTES } from '../shared/payloads.js';
import { forwarderTimeoutSeconds } from '../shared/queues.js';
import { createBenchRoute, mutedLogger, mutedMetrics, purge } from './bench-route.js';
import type { BenchContext } from './context.js';
import { fixedLatencyBackend } from './loopback.js';
import { PRICES } from './prices.js';
import { type LatencySummary, summarize } from './stats.js';

/** The body sizes of figure 9: inline, just over the claim-check threshold, 1 MB, 4.5 MB. */
export const LARGE_PAYLOAD_SIZES = [10_000, 300_000, 1_000_000, 4_500_000] as const;

/** Messages per size: fewer of the larger ones, so each size takes a comparable time. */
const COUNTS: Readonly<Record<number, number>> = { 10000: 60, 300000: 40, 1000000: 30, 4500000: 16 };

/** One body size's figures. */
export interface PayloadSizeResult {
  readonly bytes: number;
  readonly byS3: boolean;
  readonly messages: number;
  /** One POST at a time through the real ingest handler. */
  readonly ingestMsgPerSec: number;
  readonly ingestMBPerSec: number;
  readonly ingest: LatencySummary;
  /** One message per forwarder invocation (batch size 1), one poller: receive, fetch, check, POST, settle. */
  readonly deliveryMsgPerSec: number;
  readonly delivery: LatencySummary;
}

export interface LargePayloadResult {
  readonly backendLatencyMs: number;
  readonly sizes: PayloadSizeResult[];
}

/** A compact JSON object of about `bytes` bytes, as integration traffic sends. */
export function jsonOfSize(bytes: number, seed: number): string {
  const head = JSON.stringify({ seed, text: '' });
  return JSON.stringify({ seed, text: 'x'.repeat(Math.max(0, bytes - head.length)) });
}

/**
 * Figure 9: the real ingest and forwarder handlers with a body of each size, in the same run, against
 * the emulator's SQS, DynamoDB and S3 and a loopback backend answering after 5 ms. Bodies over
 * 250,000 bytes take the claim-check path: PutObject at ingest, GetObject and a SHA-256 check before
 * each delivery. One request at a time, so each latency is one message's own.
 */
export async function benchLargePayloads(ctx: BenchContext): Promise<LargePayloadResult> {
  const backend = await fixedLatencyBackend(5);
  const sizes: PayloadSizeResult[] = [];
  try {
    const bench = await createBenchRoute(ctx.endpoint, {
      target: backend.url,
      schema: 'json-object',
      batchSize: 1,
      maxBodyBytes: 5_000_000,
    });
    const payloadBucket = await provisionPayloadBucket(
      createS3Client({ endpoint: ctx.endpoint }),
      bench.prefix,
    );
    const configs = localFunctionConfigs({
      prefix: bench.prefix,
      queueUrl: bench.queues.queueUrl,
      tables: bench.tables,
      payloadBucket,
      routes: [bench.route],
    });
    const endpoints = { sqsEndpoint: ctx.endpoint, dynamoDbEndpoint: ctx.endpoint, s3Endpoint: ctx.endpoint };
    const ingest = createIngestHandler(
      createIngestDeps(configs.ingest, {
        ...endpoints,
        logger: mutedLogger('ingest'),
      }),
      mutedMetrics('ingest'),
    );
    const forward = createForwarderHandler(
      createForwarderDeps(configs.forwarder(bench.route), {
        ...endpoints,
        logger: mutedLogger('forwarder'),
      }),
      mutedMetrics('forwarder'),
    );
    for (const bytes of LARGE_PAYLOAD_SIZES) {
      const count = ctx.quick ? 4 : (COUNTS[bytes] ?? 10);
      ctx.log(`large payloads: ${count} × ${bytes} bytes`);
      await purge(bench.sqs, bench.queues.queueUrl);
      const ingestMs: number[] = [];
      const ingestStart = performance.now();
      for (let i = 0; i < count; i++) {
        const body = jsonOfSize(bytes, i);
        const t0 = performance.now();
        const answer = await ingest(
          apiGatewayEvent({
            method: 'POST',
            path: bench.route.path,
            headers: { 'Content-Type': 'application/json', 'Idempotency-Key': `${bytes}-${i}` },
            body,
          }),
          lambdaContext('ingest'),
        );
        ingestMs.push(performance.now() - t0);
        if (answer.statusCode !== 202)
          throw new Error(`ingest of ${bytes} bytes answered ${answer.statusCode}`);
      }
      const ingestSeconds = (performance.now() - ingestStart) / 1000;
      const deliveryMs: number[] = [];
      const before = backend.answered();
      const deliveryStart = performance.now();
      // Bounded: each message is one invocation; a few spare polls for a slow receive.
      for (let poll = 0; poll < count * 3 && backend.answered() - before < count; poll++) {
        const t0 = performance.now();
        const handled = await pollOnce(
          bench.sqs,
          {
            queueUrl: bench.queues.queueUrl,
            queueArn: bench.queues.queueArn,
            functionName: `${bench.prefix}-forwarder`,
            batchSize: 1,
            timeoutMs: forwarderTimeoutSeconds(bench.route) * 1000,
          },
          forward,
        );
        if (handled.received > 0) deliveryMs.push(performance.now() - t0);
      }
      const deliverySeconds = (performance.now() - deliveryStart) / 1000;
      const delivered = backend.answered() - before;
      if (delivered < count) throw new Error(`delivered ${delivered} of ${count} bodies of ${bytes} bytes`);
      sizes.push({
        bytes,
        byS3: bytes > CLAIM_CHECK_THRESHOLD_BYTES,
        messages: count,
        ingestMsgPerSec: count / ingestSeconds,
        ingestMBPerSec: (count * bytes) / 1e6 / ingestSeconds,
        ingest: summarize(ingestMs),
        deliveryMsgPerSec: delivered / deliverySeconds,
        delivery: summarize(deliveryMs),
      });
    }
  } finally {
    await backend.close();
  }
  return { backendLatencyMs: 5, sizes };
}

/** Days a large body is kept: the payload bucket's expiry (the archive's 365, longer than the record's 30). */
export const PAYLOAD_RETENTION_DAYS = 365;

/** Added cost per million messages of one size that go by S3: one PUT, one GET per attempt, storage. */
export interface PayloadCost {
  readonly bytes: number;
  readonly putUsd: number;
  readonly getUsd: number;
  /** Storage for {@link PAYLOAD_RETENTION_DAYS} days. */
  readonly storageUsd: number;
  /** Storage if objects expired with the status record (30 days): the floor the lifecycle may not go under. */
  readonly storage30DaysUsd: number;
  readonly totalUsd: number;
}

/** The S3 lines per million large messages of each size over the threshold (one delivery attempt each). */
export function payloadCosts(sizes: readonly number[]): PayloadCost[] {
  const put = (PRICES.s3PutPerThousand.usd / 1000) * 1e6;
  const get = (PRICES.s3GetPerThousand.usd / 1000) * 1e6;
  // S3 bills storage in GB-months of 2^30 bytes, prorated by the hour.
  const storageFor = (bytes: number, days: number) =>
    ((bytes * 1e6) / 2 ** 30) * PRICES.s3StandardGbMonth.usd * (days / (365 / 12));
  return sizes
    .filter((bytes) => bytes > CLAIM_CHECK_THRESHOLD_BYTES)
    .map((bytes) => {
      const storageUsd = storageFor(bytes, PAYLOAD_RETENTION_DAYS);
      return {
        bytes,
        putUsd: put,
        getUsd: get,
        storageUsd,
        storage30DaysUsd: storageFor(bytes, 30),
        totalUsd: put + get + storageUsd,
      };
    });
}

const size = (bytes: number) => (bytes >= 1e6 ? `${bytes / 1e6} MB` : `${bytes / 1e3} KB`);
const ms = (value: number) => `${value.toFixed(0)} ms`;

/** Figure 9's rows of the summary table. */
export function largePayloadRows(result: LargePayloadResult): string[][] {
  const inline = result.sizes.find((entry) => !entry.byS3);
  return result.sizes.map((entry) => [
    `9 Body of ${size(entry.bytes)}${entry.byS3 ? ' (by S3)' : ' (inline)'}, ${entry.messages} msgs one at a time, backend ${result.backendLatencyMs} ms`,
    `ingest ${entry.ingestMsgPerSec.toFixed(1)} msg/s (${entry.ingestMBPerSec.toFixed(1)} MB/s), p50 ${ms(entry.ingest.p50Ms)} / p99 ${ms(entry.ingest.p99Ms)}; delivery ${entry.deliveryMsgPerSec.toFixed(1)} msg/s, p50 ${ms(entry.delivery.p50Ms)} / p99 ${ms(entry.delivery.p99Ms)}`,
    inline && entry !== inline
      ? `${size(inline.bytes)} inline: ingest p50 ${ms(inline.ingest.p50Ms)}, delivery p50 ${ms(inline.delivery.p50Ms)}`
      : '',
    inline && entry !== inline
      ? `${(entry.ingest.p50Ms / inline.ingest.p50Ms).toFixed(1)}× ingest p50, ${(entry.delivery.p50Ms / inline.delivery.p50Ms).toFixed(1)}× delivery p50`
      : '',
    entry.byS3
      ? 'PutObject before the message is stored; GetObject and a SHA-256 check before the POST'
      : 'the body travels in the queue message',
  ]);
}

/** The added cost per million large messages, as Markdown. */
export function renderPayloadCostTable(costs: readonly PayloadCost[]): string {
  const usd = (value: number) => `$${value.toFixed(2)}`;
  const header = [
    'body',
    'S3 PUT',
    'S3 GET (1 attempt)',
    `storage, ${PAYLOAD_RETENTION_DAYS} days`,
    'added per 1M',
    'storage if kept 30 days',
  ];
  const rows = costs.map((cost) => [
    size(cost.bytes),
    usd(cost.putUsd),
    usd(cost.getUsd),
    usd(cost.storageUsd),
    usd(cost.totalUsd),
    usd(cost.storage30DaysUsd),
  ]);
  return [header, header.map(() => '---'), ...rows].map((row) => `| ${row.join(' | ')} |`).join('\n');
}
