import { randomUUID } from 'node:crypto';
import { SendMessageCommand } from '@aws-sdk/client-sqs';
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import type { APIGatewayProxyEvent } from 'aws-lambda';
import { createIngestHandler } from '../functions/ingest/api-gateway-adapter.js';
import { createIngestDeps, mapIngestDeps } from '../functions/ingest/ingest-config.js';
import { apiGatewayEvent, lambdaContext } from '../local/aws-events.js';
import {
  createDocumentClient,
  createDynamoDbClient,
  createSqsClient,
  FAST_FAILOVER_TIMEOUTS,
} from '../shared/aws/clients.js';
import { DynamoDbFailoverStore } from '../shared/aws/dynamodb-failover-store.js';
import { DynamoDbMessageRecords } from '../shared/aws/dynamodb-message-records.js';
import { SqsMessageQueue } from '../shared/aws/sqs-message-queue.js';
import { batchPath } from '../shared/config/batch-ingest.js';
import { type MessageEnvelope, toMessageAttributes } from '../shared/envelope.js';
import { AwsCallCounter, type CallCounts } from './aws-call-counter.js';
import {
  benchEnvelope,
  cateringBody,
  createBenchRoute,
  keepQueueShallow,
  mutedLogger,
  mutedMetrics,
  purge,
} from './bench-route.js';
import type { BenchContext } from './context.js';
import { type LatencySummary, median, runConcurrently, summarize } from './stats.js';

/** Figure 1's settings. */
export const INGEST_CONCURRENCY = 16;

export interface IngestVariantResult {
  /** Messages per second, per round. */
  readonly ratesPerRound: number[];
  readonly medianRate: number;
  /** Latencies of all measured rounds together. */
  readonly latency: LatencySummary;
  /** Outcomes: '202 queue', '202 failover', 'error', ... */
  readonly outcomes: Record<string, number>;
}

export interface IngestResult {
  readonly concurrency: number;
  readonly messagesPerRound: number;
  readonly rounds: number;
  readonly handler: IngestVariantResult;
  readonly rawSendMessage: IngestVariantResult;
  /** Median over rounds of handler rate / raw rate measured back to back. */
  readonly medianRatio: number;
  /**
   * The design's floor: per message the status-record claim (the conditional PutItem the ingest
   * writes) and then the SendMessage, raw, as the ingest issues them, same concurrency.
   */
  readonly floor: IngestVariantResult;
  /** Median over rounds of handler rate / floor rate. */
  readonly medianFloorRatio: number;
  /** AWS HTTP attempts per accepted message, through the handler (queue, failover and status record). */
  readonly awsAttemptsPerMessage: number;
  /** The same, by command (SendMessage, PutItem, ...). */
  readonly attemptsPerMessage: CallCounts;
  /** `POST <path>/batch` with {@link BATCH_SIZE} messages per request, one request at a time. */
  readonly batch: BatchIngestResult;
  /**
   * One request at a time, as one Lambda instance serves them: the duration Lambda would bill for a
   * warm invocation against this endpoint (the concurrent latencies include queueing in this process).
   */
  readonly sequential: LatencySummary;
}

/** Messages per batch request in the batch measurement (the cost table's "batch of 10"). */
export const BATCH_SIZE = 10;

export interface BatchIngestResult {
  readonly messagesPerRequest: number;
  readonly requests: number;
  /** Duration of one batch request (what Lambda bills per invocation). */
  readonly sequential: LatencySummary;
  /** AWS HTTP attempts per accepted message, by command. */
  readonly attemptsPerMessage: CallCounts;
  readonly accepted: number;
}

/**
 * Figure 1: the real ingest handler (API Gateway proxy events in, SQS SendMessage out) against raw
 * SendMessage calls of the same message (same body and attributes) through an SQS client with the
 * same settings, to the same queue, at the same concurrency. Rounds alternate between the two so
 * that machine noise hits both alike.
 */
export async function benchIngest(ctx: BenchContext): Promise<IngestResult> {
  const rounds = ctx.quick ? 2 : 5;
  const perRound = ctx.quick ? 100 : 400;
  const bench = await createBenchRoute(ctx.endpoint);
  const config = bench.configs.ingest;
  const queueUrl = bench.queues.queueUrl;

  // The handler's deps come from the real factory; queue and failover store are rebuilt the same way
  // (same client factory, same FAST_FAILOVER_TIMEOUTS) on clients that carry the call counter.
  const counter = new AwsCallCounter();
  const handlerSqs = counter.attach(
    createSqsClient({ timeouts: FAST_FAILOVER_TIMEOUTS, endpoint: ctx.endpoint }),
  );
  const handlerDynamoDb = counter.attach(
    createDynamoDbClient({ timeouts: FAST_FAILOVER_TIMEOUTS, endpoint: ctx.endpoint }),
  );
  const handler = createIngestHandler(
    mapIngestDeps(
      createIngestDeps(config, {
        sqsEndpoint: ctx.endpoint,
        dynamoDbEndpoint: ctx.endpoint,
        logger: mutedLogger('ingest'),
      }),
      (deps) => ({
        ...deps,
        queue: new SqsMessageQueue(handlerSqs, queueUrl),
        failover: new DynamoDbFailoverStore(
          createDocumentClient(handlerDynamoDb),
          config.stack.failoverTable,
        ),
        records: new DynamoDbMessageRecords(
          createDocumentClient(handlerDynamoDb),
          config.stack.messageTable,
          config.stack.recordRetentionSeconds,
        ),
      }),
    ),
    mutedMetrics('ingest'),
  );
  const rawSqs = createSqsClient({ timeouts: FAST_FAILOVER_TIMEOUTS, endpoint: ctx.endpoint });
  const floorSqs = createSqsClient({ timeouts: FAST_FAILOVER_TIMEOUTS, endpoint: ctx.endpoint });
  const floorDynamoDb = createDocumentClient(
    createDynamoDbClient({ timeouts: FAST_FAILOVER_TIMEOUTS, endpoint: ctx.endpoint }),
  );
  keepQueueShallow(handlerSqs, bench.sqs, queueUrl);
  keepQueueShallow(rawSqs, bench.sqs, queueUrl);
  keepQueueShallow(floorSqs, bench.sqs, queueUrl);

  const eventsFor = (round: number, count: number): APIGatewayProxyEvent[] =>
    // Built before timing: making the event is API Gateway's work, not the function's.
    Array.from({ length: count }, (_, i) =>
      apiGatewayEvent({
        method: 'POST',
        path: bench.route.path,
        headers: { 'Content-Type': 'application/json', 'X-Forwarded-For': '127.0.0.1' },
        body: cateringBody(round * perRound + i),
      }),
    );

  const runHandler = async (
    events: APIGatewayProxyEvent[],
    outcomes: Record<string, number>,
    concurrency = INGEST_CONCURRENCY,
  ) =>
    runConcurrently(events.length, concurrency, async (i) => {
      const event = events[i] as APIGatewayProxyEvent;
      const result = await handler(event, lambdaContext('bench-ingest'));
      const store = result.statusCode === 202 ? JSON.parse(result.body).store : '';
      const key = `${result.statusCode}${store ? ` ${store}` : ''}`;
      outcomes[key] = (outcomes[key] ?? 0) + 1;
    });

  const runRaw = async (round: number, count: number, outcomes: Record<string, number>) => {
    const commands = Array.from({ length: count }, (_, i) => {
      const envelope = benchEnvelope(bench.route.name, round * perRound + i, 'raw');
      return new SendMessageCommand({
        QueueUrl: queueUrl,
        MessageBody: envelope.body,
        MessageAttributes: toMessageAttributes(envelope),
      });
    });
    return runConcurrently(count, INGEST_CONCURRENCY, async (i) => {
      try {
        await rawSqs.send(commands[i] as SendMessageCommand);
        outcomes.ok = (outcomes.ok ?? 0) + 1;
      } catch {
        outcomes.error = (outcomes.error ?? 0) + 1;
      }
    });
  };

  const runFloor = async (round: number, count: number, outcomes: Record<string, number>) => {
    const envelopes = Array.from({ length: count }, (_, i) =>
      benchEnvelope(bench.route.name, round * perRound + i, `floor-${randomUUID().slice(0, 8)}`),
    );
    return runConcurrently(count, INGEST_CONCURRENCY, async (i) => {
      const envelope = envelopes[i] as MessageEnvelope;
      try {
        // The item DynamoDbMessageRecords.claim writes, with its condition; then the send.
        await floorDynamoDb.send(
          new PutCommand({
            TableName: config.stack.messageTable,
            Item: {
              route: envelope.route,
              messageId: envelope.id,
              fingerprint: 'f',
              acceptedAt: envelope.receivedAt,
              store: 'queue',
              state: 'queued',
              bodyBytes: envelope.body.length,
              attempts: [],
              expiresAt: Math.floor(Date.now() / 1000) + config.stack.recordRetentionSeconds,
            },
            ConditionExpression: 'attribute_not_exists(messageId)',
          }),
        );
        await floorSqs.send(
          new SendMessageCommand({
            QueueUrl: queueUrl,
            MessageBody: envelope.body,
            MessageAttributes: toMessageAttributes(envelope),
          }),
        );
        outcomes.ok = (outcomes.ok ?? 0) + 1;
      } catch {
        outcomes.error = (outcomes.error ?? 0) + 1;
      }
    });
  };

  // Warm-up (not measured): connections, JIT, moto's first-call costs.
  await runHandler(eventsFor(1000, 48), {});
  await runRaw(1000, 48, {});
  await runFloor(1000, 48, {});

  const handlerRates: number[] = [];
  const rawRates: number[] = [];
  const ratios: number[] = [];
  const handlerLatencies: number[] = [];
  const rawLatencies: number[] = [];
  const handlerOutcomes: Record<string, number> = {};
  const rawOutcomes: Record<string, number> = {};
  const floorRates: number[] = [];
  const floorRatios: number[] = [];
  const floorLatencies: number[] = [];
  const floorOutcomes: Record<string, number> = {};
  counter.reset();
  for (let round = 0; round < rounds; round++) {
    // Alternate which goes first, so neither always runs on a just-purged (or fuller) queue.
    const order = round % 2 === 0 ? ['handler', 'raw', 'floor'] : ['floor', 'raw', 'handler'];
    let handlerRate = 0;
    let rawRate = 0;
    let floorRate = 0;
    for (const which of order) {
      await purge(bench.sqs, queueUrl);
      if (which === 'handler') {
        const events = eventsFor(round, perRound);
        const run = await runHandler(events, handlerOutcomes);
        handlerRate = perRound / (run.wallMs / 1000);
        handlerLatencies.push(...run.latenciesMs);
      } else if (which === 'raw') {
        const run = await runRaw(round, perRound, rawOutcomes);
        rawRate = perRound / (run.wallMs / 1000);
        rawLatencies.push(...run.latenciesMs);
      } else {
        const run = await runFloor(round, perRound, floorOutcomes);
        floorRate = perRound / (run.wallMs / 1000);
        floorLatencies.push(...run.latenciesMs);
      }
    }
    floorRates.push(floorRate);
    floorRatios.push(handlerRate / floorRate);
    handlerRates.push(handlerRate);
    rawRates.push(rawRate);
    ratios.push(handlerRate / rawRate);
    ctx.log(
      `ingest round ${round + 1}/${rounds}: handler ${handlerRate.toFixed(0)} msg/s, raw ${rawRate.toFixed(0)} msg/s`,
    );
  }
  const sequentialEvents = eventsFor(2000, ctx.quick ? 20 : 60);
  const sequential = await runHandler(sequentialEvents, handlerOutcomes, 1);
  const accepted = (handlerOutcomes['202 queue'] ?? 0) + (handlerOutcomes['202 failover'] ?? 0);
  const singleAttempts = perMessage(counter.attempts, accepted);
  const singleTotal = counter.totalAttempts();

  // Batches of ten, one request at a time as one Lambda instance serves them.
  counter.reset();
  const batchRequests = ctx.quick ? 10 : 40;
  const batchEvents = Array.from({ length: batchRequests }, (_, r) =>
    apiGatewayEvent({
      method: 'POST',
      path: batchPath(bench.route.path),
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({
        messages: Array.from({ length: BATCH_SIZE }, (_, i) => ({
          body: JSON.parse(cateringBody(3000 + r * BATCH_SIZE + i)),
        })),
      }),
    }),
  );
  let batchAccepted = 0;
  await purge(bench.sqs, queueUrl);
  const batchRun = await runConcurrently(batchEvents.length, 1, async (i) => {
    const result = await handler(batchEvents[i] as APIGatewayProxyEvent, lambdaContext('bench-ingest'));
    batchAccepted += (JSON.parse(result.body) as { accepted?: number }).accepted ?? 0;
  });
  const batch: BatchIngestResult = {
    messagesPerRequest: BATCH_SIZE,
    requests: batchRequests,
    sequential: summarize(batchRun.latenciesMs),
    attemptsPerMessage: perMessage(counter.attempts, batchAccepted),
    accepted: batchAccepted,
  };
  ctx.log(
    `ingest batch: ${batchAccepted}/${batchRequests * BATCH_SIZE} accepted, p50 ${batch.sequential.p50Ms.toFixed(0)} ms per request`,
  );
  handlerSqs.destroy();
  handlerDynamoDb.destroy();
  rawSqs.destroy();
  floorSqs.destroy();
  floorDynamoDb.destroy();
  return {
    concurrency: INGEST_CONCURRENCY,
    messagesPerRound: perRound,
    rounds,
    handler: {
      ratesPerRound: handlerRates,
      medianRate: median(handlerRates),
      latency: summarize(handlerLatencies),
      outcomes: handlerOutcomes,
    },
    rawSendMessage: {
      ratesPerRound: rawRates,
      medianRate: median(rawRates),
      latency: summarize(rawLatencies),
      outcomes: rawOutcomes,
    },
    medianRatio: median(ratios),
    floor: {
      ratesPerRound: floorRates,
      medianRate: median(floorRates),
      latency: summarize(floorLatencies),
      outcomes: floorOutcomes,
    },
    medianFloorRatio: median(floorRatios),
    awsAttemptsPerMessage: accepted > 0 ? singleTotal / accepted : Number.NaN,
    attemptsPerMessage: singleAttempts,
    sequential: summarize(sequential.latenciesMs),
    batch,
  };
}

/** Counts divided by the messages they served. */
function perMessage(counts: CallCounts, messages: number): CallCounts {
  return Object.fromEntries(Object.entries(counts).map(([name, n]) => [name, n / Math.max(1, messages)]));
}
