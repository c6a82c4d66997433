import type { DrainResult } from './drain.js';
import type { ForwarderResult } from './forwarder.js';
import type { IngestResult } from './ingest.js';
import { FUNCTION_MEMORY_MB, PRICES, STEADY_LOAD } from './prices.js';

/** One line of the bill for a million messages. */
export interface CostLine {
  readonly item: string;
  readonly quantity: number;
  readonly unit: string;
  readonly usd: number;
}

export interface CostResult {
  /** Happy path: accepted into SQS, delivered by the forwarder. */
  readonly perMillionDelivered: { lines: CostLine[]; awsCalls: number; lambdaGbSeconds: number; usd: number };
  /** Extra for each million messages that go through the failover table and the drainer. */
  readonly perMillionFailedOver: {
    lines: CostLine[];
    awsCalls: number;
    lambdaGbSeconds: number;
    usd: number;
  };
  /** EventBridge API Destinations for the same million deliveries. */
  readonly eventBridge: {
    readonly lines: CostLine[];
    readonly usd: number;
    /** With the same API Gateway REST front door, for an HTTP ingress like ours. */
    readonly withApiGatewayUsd: number;
  };
  /** The cost table: each ingest path and front door, with DynamoDB on demand and provisioned. */
  readonly scenarios: CostScenario[];
  readonly assumptions: string[];
}

/** One row of the cost table: a million messages delivered one way, every promise on. */
export interface CostScenario {
  readonly path: 'single POST' | 'batch of 10';
  readonly frontDoor: 'REST' | 'HTTP API';
  readonly dynamoDb: 'on-demand' | 'provisioned';
  readonly lines: CostLine[];
  readonly usd: number;
  /** The API Gateway line alone. */
  readonly frontDoorUsd: number;
  /** Everything but API Gateway: what the goal of $1.20 (EventBridge API Destinations' own price) is about. */
  readonly beyondFrontDoorUsd: number;
  /** EventBridge API Destinations behind the same front door, as many requests per message. */
  readonly eventBridgeUsd: number;
  /** The largest line beyond the front door. */
  readonly largestLine: string;
}

/** What the forwarder and ingest counts say each delivered message costs in AWS requests. */
interface PerMessage {
  readonly ingestRequests: number;
  readonly ingestMs: number;
  readonly ingestSqs: number;
  readonly ingestDynamoDbWrites: number;
}

const SQS_COMMANDS = /Message/;
const DYNAMODB_WRITE_COMMANDS = new Set([
  'PutItemCommand',
  'UpdateItemCommand',
  'DeleteItemCommand',
  'BatchWriteItemCommand',
  'TransactWriteItemsCommand',
]);
const DYNAMODB_READ_COMMANDS = new Set(['GetItemCommand', 'BatchGetItemCommand', 'QueryCommand']);

function sumOf(counts: Record<string, number>, pick: (name: string) => boolean): number {
  return Object.entries(counts)
    .filter(([name]) => pick(name))
    .reduce((total, [, n]) => total + n, 0);
}

const MILLION = 1_000_000;

/** Billed GB-seconds: each invocation's duration rounded up to the next ms, times its memory. */
function gbSeconds(invocations: number, durationMs: number, memoryMb: number): number {
  return invocations * (Math.ceil(durationMs) / 1000) * (memoryMb / 1024);
}

function line(item: string, quantity: number, unit: string, usdPerUnit: number): CostLine {
  return { item, quantity, unit, usd: quantity * usdPerUnit };
}

function total(lines: CostLine[]): number {
  return lines.reduce((sum, l) => sum + l.usd, 0);
}

/**
 * Figure 6: the counts and timings of figures 1, 3 and 4 turned into a bill per million messages
 * with the prices of bench/prices.ts. Durations are the ones measured here, against moto on this
 * machine: on AWS, SQS and DynamoDB answer in single-digit ms, so real GB-seconds would be lower.
 */
export function estimateCost(
  ingest: IngestResult,
  forwarder: ForwarderResult,
  drain: DrainResult,
): CostResult {
  const p = PRICES;
  const perGbS = p.lambdaArmGbSecond.usd;
  const perLambdaReq = p.lambdaRequestsPerMillion.usd / MILLION;
  const perSqs = p.sqsStandardPerMillion.usd / MILLION;
  const perWru = p.dynamoDbWriteRequestUnitPerMillion.usd / MILLION;
  const perRru = p.dynamoDbReadRequestUnitPerMillion.usd / MILLION;

  // Happy path.
  const ingestInvocations = MILLION;
  const ingestGbS = gbSeconds(ingestInvocations, ingest.sequential.p50Ms, FUNCTION_MEMORY_MB.ingest);
  const forwarderInvocations = MILLION * forwarder.invocationsPerMessage;
  const forwarderGbS = gbSeconds(
    forwarderInvocations,
    forwarder.medianInvocationMs,
    FUNCTION_MEMORY_MB.forwarder,
  );
  const ingestSqs = MILLION * sumOf(ingest.attemptsPerMessage, (name) => SQS_COMMANDS.test(name));
  const forwarderSqs =
    MILLION *
    Object.entries(forwarder.attemptsPerMessage)
      .filter(([name]) => /Message/.test(name))
      .reduce((sum, [, n]) => sum + n, 0);
  // Idempotency records hold a short delivery result: under 1 KB, so one WRU per write.
  const forwarderWru = MILLION * forwarder.dynamoDbWritesPerMessage;
  const happy: CostLine[] = [
    line('API Gateway REST requests', MILLION, 'requests', p.apiGatewayRestPerMillion.usd / MILLION),
    line('Lambda ingest invocations', ingestInvocations, 'invocations', perLambdaReq),
    line('Lambda ingest duration', ingestGbS, 'GB-s', perGbS),
    line('SQS SendMessage (ingest)', ingestSqs, 'requests', perSqs),
    line('SQS Receive/Delete (event source mapping)', forwarderSqs, 'requests', perSqs),
    line('Lambda forwarder invocations', forwarderInvocations, 'invocations', perLambdaReq),
    line('Lambda forwarder duration', forwarderGbS, 'GB-s', perGbS),
    line(
      'DynamoDB status-record writes (ingest + forwarder)',
      forwarderWru + MILLION * sumOf(ingest.attemptsPerMessage, (name) => DYNAMODB_WRITE_COMMANDS.has(name)),
      'WRU',
      perWru,
    ),
  ];

  // Failover surcharge: the ingest's PutItem (table + by-age index: 2 WRU), the drainer's index
  // queries (eventually consistent, ~0.6 KB items: 100 per page ≈ 15 × 4 KB → 7.5 RRU per query),
  // SendMessageBatch of ten (one request: 10 × 0.6 KB < 64 KB), deletes (table + index: 2 WRU each).
  const itemKb = 0.6;
  const drainQueries = MILLION * drain.perMessage.dynamoDbReads;
  const rruPerQuery = Math.ceil((100 * itemKb) / 4) / 2;
  const drainerGbS = (MILLION * drain.medianDrainMsPerMessage * (FUNCTION_MEMORY_MB.drainer / 1024)) / 1000;
  const failover: CostLine[] = [
    line('DynamoDB failover PutItem (table + index)', MILLION * 2, 'WRU', perWru),
    line('DynamoDB drainer index queries', drainQueries * rruPerQuery, 'RRU', perRru),
    line('SQS SendMessageBatch (drainer)', MILLION * drain.perMessage.sqs, 'requests', perSqs),
    line('DynamoDB drainer deletes (table + index)', MILLION * 2, 'WRU', perWru),
    line('Lambda drainer duration', drainerGbS, 'GB-s', perGbS),
  ];

  const eventBridge: CostLine[] = [
    line(
      'EventBridge custom events (PutEvents)',
      MILLION,
      'events',
      p.eventBridgeCustomEventsPerMillion.usd / MILLION,
    ),
    line(
      'EventBridge API destination invocations',
      MILLION,
      'invocations',
      p.eventBridgeApiDestinationsPerMillion.usd / MILLION,
    ),
  ];
  const ebUsd = total(eventBridge);

  // The cost table. Forwarder side, the same for every ingest path: its SQS requests (receive,
  // delete, visibility changes), invocations and duration, its status-record writes, and its reads of
  // the records when it makes any (one strongly consistent read of a < 4 KB item per message: 1 RRU,
  // or 1 RCU-second; none since the delivery lease, whose write returns the record).
  const forwarderWrites = MILLION * forwarder.dynamoDbWritesPerMessage;
  const forwarderReads =
    sumOf(forwarder.attemptsPerMessage, (name) => DYNAMODB_READ_COMMANDS.has(name)) > 0 ? MILLION : 0;
  const steadyWrite = p.dynamoDbProvisionedWcuHour.usd / 3600 / STEADY_LOAD.targetUtilization;
  const steadyRead = p.dynamoDbProvisionedRcuHour.usd / 3600 / STEADY_LOAD.targetUtilization;
  const single: PerMessage = {
    ingestRequests: 1,
    ingestMs: ingest.sequential.p50Ms,
    ingestSqs: sumOf(ingest.attemptsPerMessage, (name) => SQS_COMMANDS.test(name)),
    ingestDynamoDbWrites: sumOf(ingest.attemptsPerMessage, (name) => DYNAMODB_WRITE_COMMANDS.has(name)),
  };
  const batch: PerMessage = {
    ingestRequests: 1 / ingest.batch.messagesPerRequest,
    ingestMs: ingest.batch.sequential.p50Ms,
    ingestSqs: sumOf(ingest.batch.attemptsPerMessage, (name) => SQS_COMMANDS.test(name)),
    ingestDynamoDbWrites: sumOf(ingest.batch.attemptsPerMessage, (name) => DYNAMODB_WRITE_COMMANDS.has(name)),
  };
  const scenario = (
    path: CostScenario['path'],
    frontDoor: CostScenario['frontDoor'],
    dynamoDb: CostScenario['dynamoDb'],
    m: PerMessage,
  ): CostScenario => {
    const requests = MILLION * m.ingestRequests;
    const frontDoorPrice = (frontDoor === 'REST' ? p.apiGatewayRestPerMillion : p.apiGatewayHttpPerMillion)
      .usd;
    const writes = MILLION * m.ingestDynamoDbWrites + forwarderWrites;
    const lines: CostLine[] = [
      line(`API Gateway ${frontDoor} requests`, requests, 'requests', frontDoorPrice / MILLION),
      line('Lambda ingest invocations', requests, 'invocations', perLambdaReq),
      line(
        'Lambda ingest duration',
        gbSeconds(requests, m.ingestMs, FUNCTION_MEMORY_MB.ingest),
        'GB-s',
        perGbS,
      ),
      line('SQS ingest writes', MILLION * m.ingestSqs, 'requests', perSqs),
      line('SQS event source mapping (receive, delete)', forwarderSqs, 'requests', perSqs),
      line('Lambda forwarder invocations', forwarderInvocations, 'invocations', perLambdaReq),
      line('Lambda forwarder duration', forwarderGbS, 'GB-s', perGbS),
      dynamoDb === 'on-demand'
        ? line('DynamoDB status-record writes (on demand)', writes, 'WRU', perWru)
        : line('DynamoDB status-record writes (provisioned)', writes, 'writes', steadyWrite),
      dynamoDb === 'on-demand'
        ? line('DynamoDB status-record reads (on demand)', forwarderReads, 'RRU', perRru)
        : line('DynamoDB status-record reads (provisioned)', forwarderReads, 'reads', steadyRead),
    ];
    const [front, ...rest] = lines;
    const largest = [...rest].sort((a, b) => b.usd - a.usd)[0];
    const frontDoorUsd = front?.usd ?? 0;
    return {
      path,
      frontDoor,
      dynamoDb,
      lines,
      usd: total(lines),
      frontDoorUsd,
      beyondFrontDoorUsd: total(rest),
      eventBridgeUsd: ebUsd + frontDoorUsd,
      largestLine: largest ? `${largest.item} ${`$${largest.usd.toFixed(2)}`}` : '',
    };
  };
  const scenarios: CostScenario[] = [];
  for (const dynamoDb of ['on-demand', 'provisioned'] as const) {
    scenarios.push(
      scenario('single POST', 'REST', dynamoDb, single),
      scenario('single POST', 'HTTP API', dynamoDb, single),
      scenario('batch of 10', 'HTTP API', dynamoDb, batch),
    );
  }

  return {
    scenarios,
    perMillionDelivered: {
      lines: happy,
      awsCalls:
        MILLION + ingestSqs + forwarderSqs + forwarderWru / 1 + ingestInvocations + forwarderInvocations,
      lambdaGbSeconds: ingestGbS + forwarderGbS,
      usd: total(happy),
    },
    perMillionFailedOver: {
      lines: failover,
      // The ingest's PutItem, then the drainer's calls.
      awsCalls: MILLION * (1 + drain.medianAttemptsPerMessage),
      lambdaGbSeconds: drainerGbS,
      usd: total(failover),
    },
    eventBridge: {
      lines: eventBridge,
      usd: ebUsd,
      withApiGatewayUsd: ebUsd + p.apiGatewayRestPerMillion.usd,
    },
    assumptions: [
      'Free tiers ignored; first pricing tier of each service.',
      `Memory: ingest ${FUNCTION_MEMORY_MB.ingest} MB, forwarder ${FUNCTION_MEMORY_MB.forwarder} MB, drainer ${FUNCTION_MEMORY_MB.drainer} MB (infra defaults), Arm.`,
      'Ingest duration: p50 of sequential requests (one per instance, as Lambda runs them), rounded up per ms.',
      "Forwarder duration: median batch invocation with full batches of 10; the event source mapping's empty long polls while idle are not counted.",
      'Durations measured against moto on this machine; on AWS the SQS/DynamoDB calls are faster, so GB-s here is an upper estimate.',
      'Messages of ~0.5 KB: one SQS request per call, one WRU per status-record write, one RRU per strongly consistent record read.',
      `Provisioned DynamoDB: a steady ${STEADY_LOAD.messagesPerSecond} msg/s tracked by auto scaling at ${STEADY_LOAD.targetUtilization * 100} % utilization, above the tables' minimum capacity: a write costs WCU-hour / 3,600 / ${STEADY_LOAD.targetUtilization}.`,
      'Batch of 10: one API Gateway request and one ingest invocation per 10 messages; its SQS and DynamoDB requests as measured per message.',
      'AWS calls = API Gateway requests + Lambda invocations + SQS requests + DynamoDB requests.',
      'EventBridge: the producer calls PutEvents directly (signed AWS call); with an HTTP front door like ours add API Gateway.',
    ],
  };
}
