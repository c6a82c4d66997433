import type { ClaimAndSendResult } from './claim-and-send.js';
import type { ColdStartResult } from './cold-start.js';
import type { CostResult } from './cost.js';
import type { DrainResult } from './drain.js';
import type { FailoverCase, FailoverResult } from './failover.js';
import type { ForwarderResult } from './forwarder.js';
import type { IngestResult } from './ingest.js';
import { type LargePayloadResult, largePayloadRows } from './large-payloads.js';
import type { OrderingResult } from './ordering.js';
import type { LatencySummary } from './stats.js';

/** Everything one run measured; a figure that failed carries its error instead. */
export interface BenchResults {
  ingest?: IngestResult;
  failover?: FailoverResult;
  drain?: DrainResult;
  forwarder?: ForwarderResult;
  coldStart?: ColdStartResult;
  cost?: CostResult;
  ordering?: OrderingResult;
  claimAndSend?: ClaimAndSendResult;
  largePayloads?: LargePayloadResult;
  errors: Record<string, string>;
}

const ms = (value: number) => (value >= 1000 ? `${(value / 1000).toFixed(2)} s` : `${value.toFixed(0)} ms`);
const rate = (value: number) => `${value.toFixed(0)} msg/s`;
const ratio = (value: number) => `${value.toFixed(2)}×`;
const usd = (value: number) => `$${value.toFixed(2)}`;
const kb = (bytes: number) => `${(bytes / 1024).toFixed(0)} KB`;

function failoverCell(c: FailoverCase | undefined): string {
  if (!c) return 'n/a';
  if (c.capped > 0 && c.cappedAt !== undefined) {
    return `≥ ${ms(c.cappedAt)} cap: ${c.capped}/${c.requests} got no answer`;
  }
  const outcome = Object.entries(c.outcomes)
    .map(([k, n]) => `${n}× ${k}`)
    .join(', ');
  return `p50 ${ms(c.latency.p50Ms)} / p99 ${ms(c.latency.p99Ms)} (${outcome})`;
}

/** The summary table, as Markdown (printed, stored in the JSON, pasted into BENCHMARKS.md). */
export function renderTable(r: BenchResults): string {
  const rows: string[][] = [];
  const { ingest, failover, drain, forwarder, coldStart, cost, ordering, claimAndSend } = r;
  if (ingest) {
    rows.push([
      `1 Ingest, ${ingest.concurrency} concurrent, ${ingest.rounds}×${ingest.messagesPerRound} msgs`,
      `handler ${rate(ingest.handler.medianRate)}; p50 ${ms(ingest.handler.latency.p50Ms)} / p99 ${ms(ingest.handler.latency.p99Ms)}`,
      `raw SendMessage ${rate(ingest.rawSendMessage.medianRate)}; p50 ${ms(ingest.rawSendMessage.latency.p50Ms)} / p99 ${ms(ingest.rawSendMessage.latency.p99Ms)}`,
      ratio(ingest.medianRatio),
      `1 request at a time: p50 ${ms(ingest.sequential.p50Ms)}; AWS calls/msg ${ingest.awsAttemptsPerMessage.toFixed(2)}`,
    ]);
    rows.push([
      `1 Ingest against the design's floor, ${ingest.concurrency} concurrent`,
      `handler ${rate(ingest.handler.medianRate)}`,
      `raw PutItem claim then SendMessage ${rate(ingest.floor.medianRate)}; p50 ${ms(ingest.floor.latency.p50Ms)} / p99 ${ms(ingest.floor.latency.p99Ms)}`,
      ratio(ingest.medianFloorRatio),
      'goal ≥ 0.9×; the floor writes the status record as the ingest does, then sends',
    ]);
  }
  if (failover) {
    for (const kind of ['refusing', 'silent'] as const) {
      const built = failover.cases.find((c) => c.variant === 'as-built' && c.endpoint === kind);
      const plain = failover.cases.find((c) => c.variant === 'sdk-defaults' && c.endpoint === kind);
      const cappedRatio =
        plain && built && plain.capped > 0 ? `≥ ${ratio(plain.latency.p50Ms / built.latency.p99Ms)}` : '';
      rows.push([
        `2 Failover to 202, SQS ${kind === 'refusing' ? 'refusing (closed port)' : 'silent (accepts, never answers)'}`,
        `as built: ${failoverCell(built)}`,
        `SDK defaults: ${failoverCell(plain)}`,
        cappedRatio || (plain && built ? `${ratio(plain.latency.p99Ms / built.latency.p99Ms)} (p99)` : 'n/a'),
        kind === 'silent'
          ? 'as built: 2 attempts × 700 ms request timeout'
          : 'connection refused fails fast with or without timeouts',
      ]);
    }
  }
  if (drain) {
    const round = drain.rounds[0];
    rows.push([
      `3 Drain ${drain.itemsPerRound} failover items, ${drain.concurrency} batches in flight`,
      `${round ? ms(round.drainMs) : 'n/a'}, ${rate(drain.medianDrainMsgPerSec)}; ${drain.medianAttemptsPerMessage.toFixed(3)} AWS calls/msg`,
      `raw SendMessageBatch ×10, ${drain.concurrency} in flight: ${rate(drain.medianRawMsgPerSec)}`,
      ratio(drain.medianRatio),
      `calls/msg: SQS ${drain.perMessage.sqs.toFixed(3)}, DDB query ${drain.perMessage.dynamoDbReads.toFixed(4)}, DDB write ${drain.perMessage.dynamoDbWrites.toFixed(3)} (target < 0.3)`,
    ]);
  }
  if (forwarder) {
    rows.push([
      `4 Forwarder, ${forwarder.concurrency} pollers × batch ${forwarder.batchSize}, backend ${forwarder.backendLatencyMs} ms`,
      `${rate(forwarder.medianMsgPerSec)}; invocation p50 ${ms(forwarder.medianInvocationMs)}`,
      `ideal ${rate(forwarder.idealMsgPerSec)} (bare poll loop ${rate(forwarder.medianBareMsgPerSec)})`,
      `${ratio(forwarder.ratioToIdeal)} of ideal (${ratio(forwarder.ratioToBare)} of bare)`,
      `AWS calls/msg ${forwarder.totalAttemptsPerMessage.toFixed(2)} (${forwarder.dynamoDbWritesPerMessage.toFixed(2)} DDB writes)`,
    ]);
    rows.push([
      `4 Forwarder against the design's floor, ${forwarder.concurrency} pollers × batch ${forwarder.batchSize}`,
      `${rate(forwarder.medianMsgPerSec)}`,
      `bare poll loop with the record read-and-claim and result write: ${rate(forwarder.medianFloorMsgPerSec)}`,
      ratio(forwarder.ratioToFloor),
      'goal ≥ 0.9×; per record: UpdateItem returning the record, POST, UpdateItem',
    ]);
  }
  if (coldStart) {
    for (const pair of coldStart.pairs) {
      rows.push([
        `5 Cold start proxy: ${pair.function}`,
        `${kb(pair.handler.bytes)}, init ${ms(pair.handler.medianInitMs)} (CPU ${ms(pair.handler.medianInitCpuMs)})`,
        `SDK clients only: ${kb(pair.baseline.bytes)}, init ${ms(pair.baseline.medianInitMs)} (CPU ${ms(pair.baseline.medianInitCpuMs)})`,
        `${ratio(pair.initCpuRatio)} init CPU (${ratio(pair.initRatio)} wall), ${ratio(pair.sizeRatio)} size`,
        `median of ${coldStart.runs} fresh node processes`,
      ]);
    }
    for (const figure of coldStart.ingestRouteTables) {
      rows.push([
        `5 Ingest init, route table of ${figure.routes} route(s)`,
        `init ${ms(figure.medianInitMs)} (the table read and checked; body schemas compile on a route's first request)`,
        '',
        '',
        `median of ${coldStart.runs} fresh node processes`,
      ]);
    }
  }
  if (cost) {
    const happy = cost.perMillionDelivered;
    const batch = cost.scenarios.find((c) => c.path === 'batch of 10' && c.dynamoDb === 'provisioned');
    if (batch) {
      rows.push([
        '6 Cost beyond the front door, batch of 10 over HTTP API, provisioned DynamoDB',
        `${usd(batch.beyondFrontDoorUsd)} per 1M delivered (${usd(batch.usd)} with the API)`,
        `EventBridge API Destinations ${usd(cost.eventBridge.usd)}`,
        ratio(batch.beyondFrontDoorUsd / cost.eventBridge.usd),
        `goal ≤ $1.20; largest line: ${batch.largestLine}`,
      ]);
    }
    const rest = cost.scenarios.find(
      (c) => c.path === 'single POST' && c.frontDoor === 'REST' && c.dynamoDb === 'on-demand',
    );
    if (rest) {
      rows.push([
        '6 Cost per 1M delivered, single POST over REST, on-demand DynamoDB',
        `${usd(rest.usd)}; ${(happy.awsCalls / 1e6).toFixed(2)}M AWS calls`,
        `EventBridge API Destinations behind API Gateway REST ${usd(rest.eventBridgeUsd)}`,
        ratio(rest.usd / rest.eventBridgeUsd),
        `+${usd(cost.perMillionFailedOver.usd)} per 1M that go through failover; the cost table below has every path`,
      ]);
    }
  }
  if (ordering) {
    rows.push([
      `7 Ordered route vs unordered, ${ordering.messages} msgs over ${ordering.keys} keys, ${ordering.concurrency} pollers × batch ${ordering.batchSize}, backend ${ordering.backendLatencyMs} ms`,
      `ordered: ingest ${rate(ordering.ordered.ingestMsgPerSec)}, forwarder ${rate(ordering.ordered.forwarderMsgPerSec)}`,
      `unordered: ingest ${rate(ordering.unordered.ingestMsgPerSec)}, forwarder ${rate(ordering.unordered.forwarderMsgPerSec)}`,
      `${ratio(ordering.ingestRatio)} ingest, ${ratio(ordering.forwarderRatio)} forwarder`,
      'ingest: keys at once, one message at a time per key; forwarder: from a full queue',
    ]);
  }
  if (claimAndSend) {
    const { latency } = claimAndSend;
    const p50 = (summary: LatencySummary) => `${summary.p50Ms.toFixed(1)} ms`;
    rows.push([
      `8 Status-record claim and SQS send, 1 message at a time, ${claimAndSend.rounds}×${claimAndSend.messagesPerRound} msgs each way`,
      `claim then send: p50 ${p50(latency['claim-then-send'])}; both at once: p50 ${p50(latency.together)}`,
      `claim alone p50 ${p50(latency.claim)}, send alone p50 ${p50(latency.send)}`,
      `${claimAndSend.savedP50Ms.toFixed(1)} ms saved (${(claimAndSend.savedShare * 100).toFixed(0)} %)`,
      'what starting both at once would save per POST; the ingest claims, then sends',
    ]);
  }
  if (r.largePayloads) rows.push(...largePayloadRows(r.largePayloads));
  for (const [figure, error] of Object.entries(r.errors)) rows.push([figure, `FAILED: ${error}`, '', '', '']);
  const header = ['figure', 'measured', 'reference (same run)', 'ratio', 'note'];
  const escapeCell = (cell: string) => cell.replaceAll('|', '\\|');
  return [header, header.map(() => '---'), ...rows]
    .map((row) => `| ${row.map(escapeCell).join(' | ')} |`)
    .join('\n');
}

/** The cost table: per million delivered, each ingest path and front door, DynamoDB both ways. */
export function renderCostTable(cost: CostResult): string {
  const header = [
    'path',
    'front door',
    'DynamoDB',
    'total per 1M',
    'beyond the front door',
    'EventBridge API Destinations, same front door',
    'ratio',
    'largest line beyond the front door',
  ];
  const rows = cost.scenarios.map((c) => [
    c.path,
    c.frontDoor,
    c.dynamoDb,
    usd(c.usd),
    usd(c.beyondFrontDoorUsd),
    usd(c.eventBridgeUsd),
    ratio(c.usd / c.eventBridgeUsd),
    c.largestLine,
  ]);
  return [header, header.map(() => '---'), ...rows].map((row) => `| ${row.join(' | ')} |`).join('\n');
}
