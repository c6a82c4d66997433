import type { DrainResult } from './drain.js';
import type { ForwarderResult } from './forwarder.js';
import type { IngestResult } from './ingest.js';
import { FUNCTION_MEMORY_MB, PRICES } from './prices.js';

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
  readonly assumptions: string[];
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
  const ingestSqs = MILLION * ingest.awsAttemptsPerMessage;
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
    line('DynamoDB idempotency writes', forwarderWru, 'WRU', perWru),
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
  return {
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
      'Messages of ~0.5 KB: one SQS request per call, one WRU per idempotency write.',
      'AWS calls = API Gateway requests + Lambda invocations + SQS requests + DynamoDB requests.',
      'EventBridge: the producer calls PutEvents directly (signed AWS call); with an HTTP front door like ours add API Gateway.',
    ],
  };
}
