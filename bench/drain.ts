import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { SendMessageBatchCommand } from '@aws-sdk/client-sqs';
import { BatchWriteCommand } from '@aws-sdk/lib-dynamodb';
import { type DrainerDeps, drainFailover } from '../functions/drainer/drain-failover.js';
import { createDrainerDeps } from '../functions/drainer/drainer-config.js';
import { startMotoServer } from '../local/moto-server.js';
import { provisionTables } from '../local/provision.js';
import { createDocumentClient, createDynamoDbClient, createSqsClient } from '../shared/aws/clients.js';
import { DynamoDbFailoverStore, toStoredItem } from '../shared/aws/dynamodb-failover-store.js';
import { SqsMessageQueue } from '../shared/aws/sqs-message-queue.js';
import { DEFAULT_DRAIN_CONCURRENCY } from '../shared/drain-budget.js';
import { toMessageAttributes } from '../shared/envelope.js';
import { AwsCallCounter, type CallCounts } from './aws-call-counter.js';
import { benchEnvelope, createBenchRoute, keepQueueShallow, mutedLogger, purge } from './bench-route.js';
import type { BenchContext } from './context.js';
import { median, runConcurrently } from './stats.js';

export interface DrainRound {
  readonly items: number;
  readonly drainMs: number;
  readonly rawMs: number;
  readonly drainRunsUsed: number;
  readonly moved: number;
  /** HTTP attempts by command, during the drain. */
  readonly attempts: CallCounts;
  readonly attemptsPerMessage: number;
}

export interface DrainResult {
  readonly itemsPerRound: number;
  /** SendMessageBatch calls in flight, the drainer's and the reference's. */
  readonly concurrency: number;
  /** Whether the tables had a moto of their own (AWS runs SQS and DynamoDB apart). */
  readonly separateDynamoDb: boolean;
  readonly rounds: DrainRound[];
  readonly medianDrainMsgPerSec: number;
  readonly medianRawMsgPerSec: number;
  /** Median over rounds of drain throughput / raw SendMessageBatch throughput. */
  readonly medianRatio: number;
  readonly medianAttemptsPerMessage: number;
  /** Of those: SQS sends, DynamoDB reads (index queries), DynamoDB writes (deletes, lease). */
  readonly perMessage: { sqs: number; dynamoDbReads: number; dynamoDbWrites: number };
  readonly medianDrainMsPerMessage: number;
}

/** The drainer's own time budget per run in the benchmark; more runs follow if one is not enough. */
const RUN_BUDGET_MS = 240_000;
/** Upper bound on scheduled runs per round, so a broken drain cannot loop for ever. */
const MAX_RUNS = 5;

/**
 * Figure 3: drain N failover items (default 10,000) with the real drainFailover, its deps built as
 * createDrainerDeps builds them (same client factory and settings) on clients carrying a call
 * counter; then, as the reference, send the same N messages with raw SendMessageBatch calls in tens,
 * as many in flight as the drainer keeps (BENCH_DRAIN_CONCURRENCY, default the drainer's), through
 * a client with the same settings.
 */
export async function benchDrain(ctx: BenchContext): Promise<DrainResult> {
  // AWS runs SQS and DynamoDB apart; one moto process serving both would make the drainer's
  // DynamoDB calls (queries, record marks, deletes) take the CPU its SendMessageBatch calls need,
  // which the reference does not pay. So the tables live on a moto of their own, unless the run
  // was given an endpoint or BENCH_DRAIN_SHARED_EMULATOR=1.
  const ownDynamoDb =
    process.env.AWS_ENDPOINT_URL || process.env.BENCH_DRAIN_SHARED_EMULATOR === '1'
      ? undefined
      : await startMotoServer();
  try {
    return await drainAgainst(ctx, ownDynamoDb?.endpoint);
  } finally {
    await ownDynamoDb?.stop();
  }
}

async function drainAgainst(ctx: BenchContext, ownTablesEndpoint: string | undefined): Promise<DrainResult> {
  const items = Number(process.env.BENCH_DRAIN_ITEMS ?? (ctx.quick ? 1_000 : 10_000));
  const roundCount = ctx.quick ? 1 : Number(process.env.BENCH_DRAIN_ROUNDS ?? 1);
  const concurrency = Number(process.env.BENCH_DRAIN_CONCURRENCY ?? DEFAULT_DRAIN_CONCURRENCY);
  const bench = await createBenchRoute(ctx.endpoint);
  const tablesEndpoint = ownTablesEndpoint ?? ctx.endpoint;
  if (ownTablesEndpoint)
    await provisionTables(createDynamoDbClient({ endpoint: tablesEndpoint }), bench.prefix);
  const config = bench.configs.drainer;
  const counter = new AwsCallCounter();
  const sqs = counter.attach(createSqsClient({ endpoint: ctx.endpoint }));
  const dynamoDb = counter.attach(createDynamoDbClient({ endpoint: tablesEndpoint }));
  const base = createDrainerDeps(config, {
    sqsEndpoint: ctx.endpoint,
    dynamoDbEndpoint: tablesEndpoint,
    logger: mutedLogger('drainer'),
  });
  const queue = new SqsMessageQueue(sqs, bench.queues.queueUrl);
  const deps: DrainerDeps = {
    ...base,
    failover: new DynamoDbFailoverStore(createDocumentClient(dynamoDb), config.stack.failoverTable),
    queueFor: (route) => (route === bench.route.name ? queue : undefined),
  };
  // What the record marks cost here (one UpdateItem per message): BENCH_DRAIN_WITHOUT_RECORD_MARKS=1 skips them.
  if (process.env.BENCH_DRAIN_WITHOUT_RECORD_MARKS === '1')
    (deps as { records: Pick<DrainerDeps['records'], 'markDrained'> }).records = {
      markDrained: async () => {},
    };
  const loader = createDocumentClient(createDynamoDbClient({ endpoint: tablesEndpoint }));
  const rawSqs = createSqsClient({ endpoint: ctx.endpoint });
  keepQueueShallow(sqs, bench.sqs, bench.queues.queueUrl);
  keepQueueShallow(rawSqs, bench.sqs, bench.queues.queueUrl);

  const rounds: DrainRound[] = [];
  for (let round = 0; round < roundCount; round++) {
    const runId = randomUUID().slice(0, 8);
    const envelopes = Array.from({ length: items }, (_, i) => benchEnvelope(bench.route.name, i, runId));

    // Load: the items DynamoDbFailoverStore.put writes (toStoredItem), in BatchWriteItem 25s.
    ctx.log(`drain round ${round + 1}/${roundCount}: loading ${items} failover items`);
    const storedAt = Date.now();
    await runConcurrently(Math.ceil(items / 25), 4, async (batch) => {
      const slice = envelopes.slice(batch * 25, batch * 25 + 25);
      await loader.send(
        new BatchWriteCommand({
          RequestItems: {
            [config.stack.failoverTable]: slice.map((envelope, i) => ({
              PutRequest: { Item: toStoredItem(envelope, storedAt + batch * 25 + i) },
            })),
          },
        }),
      );
    });

    // Reference: the same messages, raw SendMessageBatch in tens, sequential like the drainer. Half
    // before the drain and half after, so the reference brackets the drain in time on a noisy machine.
    const sendRaw = async (from: number, to: number) => {
      const r0 = performance.now();
      await runConcurrently(Math.ceil((to - from) / 10), concurrency, async (batch) => {
        const start = from + batch * 10;
        await rawSqs.send(
          new SendMessageBatchCommand({
            QueueUrl: bench.queues.queueUrl,
            Entries: envelopes.slice(start, Math.min(start + 10, to)).map((envelope, i) => ({
              Id: String(i),
              MessageBody: envelope.body,
              MessageAttributes: toMessageAttributes(envelope),
            })),
          }),
        );
      });
      return performance.now() - r0;
    };
    const half = Math.floor(items / 20) * 10;
    await purge(bench.sqs, bench.queues.queueUrl);
    const rawBeforeMs = await sendRaw(0, half);

    // Drain: scheduled runs until the table is empty (one run should do).
    await purge(bench.sqs, bench.queues.queueUrl);
    counter.reset();
    let moved = 0;
    let runs = 0;
    const t0 = performance.now();
    while (moved < items && runs < MAX_RUNS) {
      runs++;
      const report = await drainFailover(deps, {
        deadline: Date.now() + RUN_BUDGET_MS,
        owner: `bench-${runId}-${runs}`,
        leaseSeconds: RUN_BUDGET_MS / 1000 + 10,
        concurrency,
      });
      moved += report.moved;
      if (report.moved === 0) break;
    }
    const drainMs = performance.now() - t0;
    const attempts = { ...counter.attempts };
    const totalAttempts = counter.totalAttempts();
    ctx.log(
      `drain round ${round + 1}: moved ${moved} in ${(drainMs / 1000).toFixed(1)} s, ${totalAttempts} calls`,
    );

    await purge(bench.sqs, bench.queues.queueUrl);
    const rawMs = rawBeforeMs + (await sendRaw(half, items));
    ctx.log(`drain round ${round + 1}: raw SendMessageBatch ${items} in ${(rawMs / 1000).toFixed(1)} s`);
    rounds.push({
      items,
      drainMs,
      rawMs,
      drainRunsUsed: runs,
      moved,
      attempts,
      attemptsPerMessage: totalAttempts / Math.max(1, moved),
    });
  }
  sqs.destroy();
  dynamoDb.destroy();
  rawSqs.destroy();

  const last = rounds.at(-1);
  const count = (names: string[]) =>
    names.reduce((total, name) => total + (last?.attempts[name] ?? 0), 0) / Math.max(1, last?.moved ?? 1);
  return {
    itemsPerRound: items,
    concurrency,
    separateDynamoDb: ownTablesEndpoint !== undefined,
    rounds,
    medianDrainMsgPerSec: median(rounds.map((r) => r.moved / (r.drainMs / 1000))),
    medianRawMsgPerSec: median(rounds.map((r) => r.items / (r.rawMs / 1000))),
    medianRatio: median(rounds.map((r) => r.moved / r.drainMs / (r.items / r.rawMs))),
    medianAttemptsPerMessage: median(rounds.map((r) => r.attemptsPerMessage)),
    perMessage: {
      sqs: count(['SendMessageBatchCommand']),
      dynamoDbReads: count(['QueryCommand']),
      dynamoDbWrites: count(['BatchWriteCommand', 'BatchWriteItemCommand', 'UpdateCommand', 'DeleteCommand']),
    },
    medianDrainMsPerMessage: median(rounds.map((r) => r.drainMs / Math.max(1, r.moved))),
  };
}
