import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import type { SQSClient } from '@aws-sdk/client-sqs';
import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { Context, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { createForwarderDeps } from '../functions/forwarder/forwarder-config.js';
import { FetchBackend } from '../functions/forwarder/http-backend.js';
import { createForwarderHandler } from '../functions/forwarder/sqs-batch-adapter.js';
import { pollOnce, type SqsBatchHandler } from '../local/sqs-poller.js';
import { createDocumentClient, createDynamoDbClient, createSqsClient } from '../shared/aws/clients.js';
import { DynamoDbMessageRecords } from '../shared/aws/dynamodb-message-records.js';
import { SqsMessageQueue } from '../shared/aws/sqs-message-queue.js';
import { forwarderTimeoutSeconds } from '../shared/queues.js';
import { AwsCallCounter, type CallCounts } from './aws-call-counter.js';
import { benchEnvelope, createBenchRoute, mutedLogger, mutedMetrics, purge } from './bench-route.js';
import type { BenchContext } from './context.js';
import { fixedLatencyBackend } from './loopback.js';
import { median } from './stats.js';

/** Figure 4's backend latency. */
export const BACKEND_LATENCY_MS = 20;
/** Messages the feeder keeps waiting in the queue (a few batches per poller). */
const FEED_DEPTH = 60;
/** A loop stops when nothing was delivered for this long after the last message was loaded. */
const STALL_MS = 5_000;
/** Upper bound on one loop's run. */
const RUN_BOUND_MS = 90_000;

export interface ForwarderRound {
  readonly messages: number;
  readonly forwarderMsgPerSec: number;
  readonly bareMsgPerSec: number;
  /** The bare loop that also reads-and-claims and writes each message's status record. */
  readonly floorMsgPerSec: number;
  readonly invocations: number;
  readonly medianInvocationMs: number;
}

export interface ForwarderResult {
  readonly concurrency: number;
  readonly batchSize: number;
  readonly backendLatencyMs: number;
  /** concurrency × batchSize / latency: every poller always holds a full batch, all in flight at once. */
  readonly idealMsgPerSec: number;
  readonly rounds: ForwarderRound[];
  readonly medianMsgPerSec: number;
  readonly medianBareMsgPerSec: number;
  readonly ratioToIdeal: number;
  /** Median over rounds of forwarder / bare poll loop, measured back to back. */
  readonly ratioToBare: number;
  readonly medianFloorMsgPerSec: number;
  /** Median over rounds of forwarder / the design's floor (bare loop with the record read and write). */
  readonly ratioToFloor: number;
  /** HTTP attempts per delivered message, by command (SQS and DynamoDB), over all rounds. */
  readonly attemptsPerMessage: CallCounts;
  readonly totalAttemptsPerMessage: number;
  readonly dynamoDbWritesPerMessage: number;
  readonly invocationsPerMessage: number;
  /** Median duration of one forwarder invocation (a batch), ms: what Lambda would bill here. */
  readonly medianInvocationMs: number;
}

/**
 * Figure 4: the real forwarder handler (Powertools batch + status records on DynamoDB + fetch backend)
 * fed like Lambda's event source mapping: DEFAULT_ROUTE.concurrency pollers, each a loop of pollOnce
 * (ReceiveMessage of up to batchSize, invoke, DeleteMessageBatch of the successes), delivering to a
 * loopback backend that answers 200 after a fixed 20 ms. Reference measured in the same rounds: the
 * same poll loop with a bare handler that only POSTs each record (no idempotency, no logging), and
 * the ideal, concurrency × batchSize / latency.
 */
export async function benchForwarder(ctx: BenchContext): Promise<ForwarderResult> {
  const rounds = ctx.quick ? 1 : 3;
  const perRound = ctx.quick ? 100 : 300;
  const backend = await fixedLatencyBackend(BACKEND_LATENCY_MS);
  const bench = await createBenchRoute(ctx.endpoint, {
    target: backend.url,
    schema: 'catering-registration',
  });
  const config = bench.configs.forwarder(bench.route);
  const concurrency = bench.route.concurrency;
  const batchSize = bench.route.batchSize;

  // Built as createForwarderDeps builds them (same client factory and settings, same status-record
  // adapter), on clients carrying the call counter.
  const counter = new AwsCallCounter();
  const sqs = counter.attach(createSqsClient({ endpoint: ctx.endpoint }));
  const dynamoDb = counter.attach(createDynamoDbClient({ endpoint: ctx.endpoint }));
  const base = createForwarderDeps(config, {
    sqsEndpoint: ctx.endpoint,
    dynamoDbEndpoint: ctx.endpoint,
    logger: mutedLogger('forwarder'),
  });
  const deps = {
    ...base,
    queue: new SqsMessageQueue(sqs, config.queueUrl),
    deadLetters: new SqsMessageQueue(sqs, config.dlqUrl),
    records: new DynamoDbMessageRecords(
      createDocumentClient(dynamoDb),
      config.messageTableName,
      config.recordRetentionSeconds,
    ),
  };
  const forwarder = createForwarderHandler(deps, mutedMetrics('forwarder'));
  // The reference's receives and deletes go through an uncounted client with the same settings.
  const bareSqs = createSqsClient({ endpoint: ctx.endpoint });
  const bareBackend = new FetchBackend();
  const bare: SqsBatchHandler = async (event: SQSEvent): Promise<SQSBatchResponse> => {
    await Promise.all(
      event.Records.map((record) =>
        bareBackend.post({
          url: config.targetUrl,
          body: record.body,
          headers: { 'content-type': 'application/json' },
          timeoutMs: config.timeoutSeconds * 1000,
        }),
      ),
    );
    return { batchItemFailures: [] };
  };

  // The design's floor: the bare loop plus, per record, the status-record read-and-claim before the
  // POST (one UpdateItem returning the record, as the delivery lease does) and the result write.
  const floorSqs = createSqsClient({ endpoint: ctx.endpoint });
  const floorRecords = createDocumentClient(createDynamoDbClient({ endpoint: ctx.endpoint }));
  const recordKey = (record: SQSEvent['Records'][number]) => ({
    messageId: record.messageAttributes?.['message-id']?.stringValue ?? record.messageId,
    route: bench.route.name,
  });
  const floor: SqsBatchHandler = async (event: SQSEvent): Promise<SQSBatchResponse> => {
    await Promise.all(
      event.Records.map(async (record) => {
        await floorRecords.send(
          new UpdateCommand({
            TableName: config.messageTableName,
            Key: recordKey(record),
            UpdateExpression: 'SET leaseUntil = :until',
            ExpressionAttributeValues: { ':until': Date.now() + 60_000 },
            ReturnValues: 'ALL_NEW',
          }),
        );
        await bareBackend.post({
          url: config.targetUrl,
          body: record.body,
          headers: { 'content-type': 'application/json' },
          timeoutMs: config.timeoutSeconds * 1000,
        });
        await floorRecords.send(
          new UpdateCommand({
            TableName: config.messageTableName,
            Key: recordKey(record),
            UpdateExpression: 'SET #state = :state REMOVE leaseUntil',
            ExpressionAttributeNames: { '#state': 'state' },
            ExpressionAttributeValues: { ':state': 'delivered' },
          }),
        );
      }),
    );
    return { batchItemFailures: [] };
  };

  const loader = new SqsMessageQueue(createSqsClient({ endpoint: ctx.endpoint }), config.queueUrl);
  const target = {
    queueUrl: bench.queues.queueUrl,
    queueArn: bench.queues.queueArn,
    functionName: `${bench.prefix}-forwarder`,
    batchSize,
    timeoutMs: forwarderTimeoutSeconds(bench.route) * 1000,
    waitTimeSeconds: 0,
  };

  /**
   * Runs the pollers until `count` messages were delivered and deleted. A feeder keeps about
   * FEED_DEPTH messages waiting rather than loading all up front: moto's ReceiveMessage and
   * DeleteMessageBatch slow down with the queue's depth (real SQS does not), and a short queue keeps
   * that artifact equal and small for both loops.
   */
  const runPollers = async (handler: SqsBatchHandler, pollerSqs: SQSClient, count: number) => {
    await purge(bench.sqs, config.queueUrl);
    const runId = randomUUID().slice(0, 8);
    let loaded = 0;
    let deleted = 0;
    const feedOnce = async () => {
      const n = Math.min(10, count - loaded);
      const from = loaded;
      loaded += n;
      await loader.sendBatch(
        Array.from({ length: n }, (_, i) => benchEnvelope(bench.route.name, from + i, runId)),
      );
    };
    while (loaded < Math.min(count, FEED_DEPTH)) await feedOnce();
    const durations: number[] = [];
    const timed: SqsBatchHandler = async (event: SQSEvent, context: Context) => {
      const t0 = performance.now();
      try {
        return await handler(event, context);
      } finally {
        durations.push(performance.now() - t0);
      }
    };
    const deadline = Date.now() + RUN_BOUND_MS;
    const t0 = performance.now();
    let last = t0;
    const feeder = (async () => {
      while (loaded < count && Date.now() < deadline) {
        if (loaded - deleted < FEED_DEPTH) await feedOnce();
        else await sleep(2);
      }
    })();
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        // Like the event source mapping: poll again at once; on an empty receive (the feeder lagging)
        // wait a moment, as a long poll would.
        while (deleted < count && Date.now() < deadline) {
          // Messages whose receive timed out on the client stay hidden for the visibility timeout
          // (minutes): once all are loaded, stop when nothing has moved for a few seconds.
          if (loaded >= count && performance.now() - last > STALL_MS) break;
          const result = await pollOnce(pollerSqs, target, timed);
          deleted += result.deleted;
          if (result.deleted > 0) last = performance.now();
          if (result.received === 0) await sleep(5);
        }
      }),
    );
    await feeder;
    return { deleted, wallMs: last - t0, durations };
  };

  // Warm-up: connections, JIT, the message table's first writes.
  await runPollers(forwarder, sqs, 40);
  await runPollers(bare, bareSqs, 40);
  await runPollers(floor, floorSqs, 40);
  counter.reset();

  const results: ForwarderRound[] = [];
  let delivered = 0;
  let invocations = 0;
  for (let round = 0; round < rounds; round++) {
    const before = backend.answered();
    // Alternate the order so neither always runs first.
    let real: Awaited<ReturnType<typeof runPollers>>;
    let bareRun: Awaited<ReturnType<typeof runPollers>>;
    if (round % 2 === 0) {
      real = await runPollers(forwarder, sqs, perRound);
      bareRun = await runPollers(bare, bareSqs, perRound);
    } else {
      bareRun = await runPollers(bare, bareSqs, perRound);
      real = await runPollers(forwarder, sqs, perRound);
    }
    const floorRun = await runPollers(floor, floorSqs, perRound);
    delivered += real.deleted;
    invocations += real.durations.length;
    const round_: ForwarderRound = {
      messages: perRound,
      forwarderMsgPerSec: real.deleted / (real.wallMs / 1000),
      bareMsgPerSec: bareRun.deleted / (bareRun.wallMs / 1000),
      floorMsgPerSec: floorRun.deleted / (floorRun.wallMs / 1000),
      invocations: real.durations.length,
      medianInvocationMs: median(real.durations),
    };
    results.push(round_);
    ctx.log(
      `forwarder round ${round + 1}/${rounds}: forwarder ${round_.forwarderMsgPerSec.toFixed(0)} msg/s, bare poll loop ${round_.bareMsgPerSec.toFixed(0)} msg/s (backend got ${backend.answered() - before})`,
    );
  }
  sqs.destroy();
  bareSqs.destroy();
  floorSqs.destroy();
  floorRecords.destroy();
  dynamoDb.destroy();
  await backend.close();

  const idealMsgPerSec = (concurrency * batchSize) / (BACKEND_LATENCY_MS / 1000);
  const medianMsgPerSec = median(results.map((r) => r.forwarderMsgPerSec));
  const perMessage = Object.fromEntries(
    Object.entries(counter.attempts).map(([name, n]) => [name, n / Math.max(1, delivered)]),
  );
  return {
    concurrency,
    batchSize,
    backendLatencyMs: BACKEND_LATENCY_MS,
    idealMsgPerSec,
    rounds: results,
    medianMsgPerSec,
    medianBareMsgPerSec: median(results.map((r) => r.bareMsgPerSec)),
    ratioToIdeal: medianMsgPerSec / idealMsgPerSec,
    ratioToBare: median(results.map((r) => r.forwarderMsgPerSec / r.bareMsgPerSec)),
    medianFloorMsgPerSec: median(results.map((r) => r.floorMsgPerSec)),
    ratioToFloor: median(results.map((r) => r.forwarderMsgPerSec / r.floorMsgPerSec)),
    attemptsPerMessage: perMessage,
    totalAttemptsPerMessage: counter.totalAttempts() / Math.max(1, delivered),
    dynamoDbWritesPerMessage: counter.writeAttempts() / Math.max(1, delivered),
    invocationsPerMessage: invocations / Math.max(1, delivered),
    medianInvocationMs: median(results.map((r) => r.medianInvocationMs)),
  };
}
