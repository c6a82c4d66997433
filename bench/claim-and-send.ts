import {
  createDocumentClient,
  createDynamoDbClient,
  createSqsClient,
  FAST_FAILOVER_TIMEOUTS,
} from '../shared/aws/clients.js';
import { DynamoDbMessageRecords } from '../shared/aws/dynamodb-message-records.js';
import { SqsMessageQueue } from '../shared/aws/sqs-message-queue.js';
import { fingerprintOf } from '../shared/message-record.js';
import { benchEnvelope, createBenchRoute, keepQueueShallow, purge } from './bench-route.js';
import type { BenchContext } from './context.js';
import { type LatencySummary, median, summarize } from './stats.js';

/**
 * Figure 7: what the ingest would save by starting its status-record claim (a conditional PutItem)
 * and its SQS SendMessage together instead of one after the other. The two real adapters the ingest
 * uses, on clients with its timeouts, one message at a time (as one Lambda instance serves them):
 * the claim alone, the send alone, claim then send, and both at once, in rounds that take turns.
 */

/** The ways of writing one message that the figure times. */
export const CLAIM_SEND_VARIANTS = ['claim', 'send', 'claim-then-send', 'together'] as const;
export type ClaimSendVariant = (typeof CLAIM_SEND_VARIANTS)[number];

export interface ClaimAndSendResult {
  readonly rounds: number;
  readonly messagesPerRound: number;
  /** Latency of each variant, all rounds together. */
  readonly latency: Readonly<Record<ClaimSendVariant, LatencySummary>>;
  /** Median over rounds of p50(claim then send) - p50(together): what starting both at once saves. */
  readonly savedP50Ms: number;
  /** The same as a share of claim then send's p50. */
  readonly savedShare: number;
}

export async function benchClaimAndSend(ctx: BenchContext): Promise<ClaimAndSendResult> {
  const rounds = ctx.quick ? 2 : 4;
  const perRound = ctx.quick ? 30 : 150;
  const bench = await createBenchRoute(ctx.endpoint);
  const sqs = createSqsClient({ timeouts: FAST_FAILOVER_TIMEOUTS, endpoint: ctx.endpoint });
  const dynamoDb = createDynamoDbClient({ timeouts: FAST_FAILOVER_TIMEOUTS, endpoint: ctx.endpoint });
  keepQueueShallow(sqs, bench.sqs, bench.queues.queueUrl);
  const queue = new SqsMessageQueue(sqs, bench.queues.queueUrl);
  const records = new DynamoDbMessageRecords(
    createDocumentClient(dynamoDb),
    bench.tables.messageTable,
    86_400,
  );

  let next = 0;
  /** One message written the variant's way, with a fresh id (a claim of a new message, as on a 202). */
  const write = async (variant: ClaimSendVariant): Promise<number> => {
    const envelope = benchEnvelope(bench.route.name, next++, `claim-${variant}`);
    const fingerprint = fingerprintOf(envelope);
    const started = performance.now();
    if (variant === 'claim') await records.claim(envelope, fingerprint);
    else if (variant === 'send') await queue.send(envelope);
    else if (variant === 'claim-then-send') {
      await records.claim(envelope, fingerprint);
      await queue.send(envelope);
    } else await Promise.all([records.claim(envelope, fingerprint), queue.send(envelope)]);
    return performance.now() - started;
  };

  // Warm-up (not measured): connections, JIT, moto's first-call costs.
  for (const variant of CLAIM_SEND_VARIANTS) for (let i = 0; i < 20; i++) await write(variant);

  const samples = Object.fromEntries(CLAIM_SEND_VARIANTS.map((v) => [v, [] as number[]])) as Record<
    ClaimSendVariant,
    number[]
  >;
  const saved: number[] = [];
  for (let round = 0; round < rounds; round++) {
    await purge(bench.sqs, bench.queues.queueUrl);
    // Interleaved message by message, the order turning each round, so machine noise hits all alike.
    const order = round % 2 === 0 ? CLAIM_SEND_VARIANTS : [...CLAIM_SEND_VARIANTS].reverse();
    const thisRound = Object.fromEntries(CLAIM_SEND_VARIANTS.map((v) => [v, [] as number[]])) as Record<
      ClaimSendVariant,
      number[]
    >;
    for (let i = 0; i < perRound; i++)
      for (const variant of order) thisRound[variant].push(await write(variant));
    for (const variant of CLAIM_SEND_VARIANTS) samples[variant].push(...thisRound[variant]);
    const roundSaved = median(thisRound['claim-then-send']) - median(thisRound.together);
    saved.push(roundSaved);
    ctx.log(
      `claim and send round ${round + 1}/${rounds}: claim then send p50 ${median(thisRound['claim-then-send']).toFixed(1)} ms, together ${median(thisRound.together).toFixed(1)} ms, saved ${roundSaved.toFixed(1)} ms`,
    );
  }
  sqs.destroy();
  dynamoDb.destroy();
  const latency = Object.fromEntries(CLAIM_SEND_VARIANTS.map((v) => [v, summarize(samples[v])])) as Record<
    ClaimSendVariant,
    LatencySummary
  >;
  const savedP50Ms = median(saved);
  return {
    rounds,
    messagesPerRound: perRound,
    latency,
    savedP50Ms,
    savedShare: savedP50Ms / latency['claim-then-send'].p50Ms,
  };
}
