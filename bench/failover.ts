import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SQSClient } from '@aws-sdk/client-sqs';
import type { APIGatewayProxyResult } from 'aws-lambda';
import { createIngestHandler } from '../functions/ingest/api-gateway-adapter.js';
import { createIngestDeps, mapIngestDeps } from '../functions/ingest/ingest-config.js';
import { apiGatewayEvent, lambdaContext } from '../local/aws-events.js';
import { createDocumentClient } from '../shared/aws/clients.js';
import { DynamoDbFailoverStore } from '../shared/aws/dynamodb-failover-store.js';
import { SqsMessageQueue } from '../shared/aws/sqs-message-queue.js';
import { cateringBody, createBenchRoute, mutedLogger, mutedMetrics } from './bench-route.js';
import type { BenchContext } from './context.js';
import { refusingEndpoint, silentEndpoint } from './loopback.js';
import { type LatencySummary, runConcurrently, summarize } from './stats.js';

/** One variant × one dead-endpoint kind. */
export interface FailoverCase {
  readonly variant: 'as-built' | 'sdk-defaults';
  readonly endpoint: 'refusing' | 'silent';
  readonly requests: number;
  readonly concurrency: number;
  /** Over all requests, with requests that hit the cap counted at the cap. */
  readonly latency: LatencySummary;
  /** Requests still unanswered when the cap ended them (the handler would have hung longer). */
  readonly cappedAt?: number;
  readonly capped: number;
  readonly outcomes: Record<string, number>;
}

export interface FailoverResult {
  readonly cases: FailoverCase[];
  /** Per-request cap for the SDK-defaults variant on the silent endpoint (ms). */
  readonly silentCapMs: number;
}

/**
 * Figure 2: time to a 202 while the delivery queue's SQS endpoint is dead, so the ingest falls over
 * to the failover table (DynamoDB on the emulator stays healthy). "As built" is the real factory
 * (FAST_FAILOVER_TIMEOUTS); "SDK defaults" is the same handler with plain `new SQSClient({ endpoint })`
 * and `new DynamoDBClient({ endpoint })`: no connection or request timeout, 3 attempts.
 */
export async function benchFailover(ctx: BenchContext): Promise<FailoverResult> {
  const silentCapMs = Number(process.env.BENCH_SILENT_CAP_MS ?? 20_000);
  const bench = await createBenchRoute(ctx.endpoint);
  const config = bench.configs.ingest;
  const refusing = await refusingEndpoint();
  const silent = await silentEndpoint();
  const clients: { destroy(): void }[] = [];

  const asBuilt = (sqsEndpoint: string) =>
    createIngestHandler(
      createIngestDeps(config, {
        sqsEndpoint,
        dynamoDbEndpoint: ctx.endpoint,
        logger: mutedLogger('ingest'),
      }),
      mutedMetrics('ingest'),
    );
  const sdkDefaults = (sqsEndpoint: string) => {
    const sqs = new SQSClient({ endpoint: sqsEndpoint });
    const dynamoDb = new DynamoDBClient({ endpoint: ctx.endpoint });
    clients.push(sqs, dynamoDb);
    const base = createIngestDeps(config, { dynamoDbEndpoint: ctx.endpoint, logger: mutedLogger('ingest') });
    const routes = mapIngestDeps(base, (deps) => ({
      ...deps,
      queue: new SqsMessageQueue(sqs, bench.queues.queueUrl),
      failover: new DynamoDbFailoverStore(createDocumentClient(dynamoDb), config.stack.failoverTable),
    }));
    return createIngestHandler(routes, mutedMetrics('ingest'));
  };

  const run = async (
    variant: FailoverCase['variant'],
    endpoint: FailoverCase['endpoint'],
    requests: number,
    concurrency: number,
    capMs?: number,
  ): Promise<FailoverCase> => {
    const handler = (variant === 'as-built' ? asBuilt : sdkDefaults)(
      endpoint === 'refusing' ? refusing : silent.url,
    );
    const outcomes: Record<string, number> = {};
    let capped = 0;
    const result = await runConcurrently(requests, concurrency, async (i) => {
      const call = handler(
        apiGatewayEvent({
          method: 'POST',
          path: bench.route.path,
          headers: { 'Content-Type': 'application/json' },
          body: cateringBody(i),
        }),
        lambdaContext('bench-ingest'),
      );
      let timer: NodeJS.Timeout | undefined;
      const cap =
        capMs === undefined
          ? new Promise<never>(() => undefined)
          : new Promise<'capped'>((resolve) => {
              timer = setTimeout(() => resolve('capped'), capMs);
            });
      // A capped call is abandoned, not cancelled: the handler has no way to be cancelled, which is
      // the point. Its client is destroyed and the silent server closed afterwards, which ends it.
      call.catch(() => undefined);
      const outcome = await Promise.race([call, cap]);
      clearTimeout(timer);
      if (outcome === 'capped') {
        capped++;
        outcomes['no answer within cap'] = (outcomes['no answer within cap'] ?? 0) + 1;
        return;
      }
      const response = outcome as APIGatewayProxyResult;
      const store = response.statusCode === 202 ? JSON.parse(response.body).store : '';
      const key = `${response.statusCode}${store ? ` ${store}` : ''}`;
      outcomes[key] = (outcomes[key] ?? 0) + 1;
    });
    ctx.log(
      `failover ${variant}/${endpoint}: ${JSON.stringify(outcomes)} in ${(result.wallMs / 1000).toFixed(1)} s`,
    );
    return {
      variant,
      endpoint,
      requests,
      concurrency,
      latency: summarize(result.latenciesMs),
      ...(capMs === undefined ? {} : { cappedAt: capMs }),
      capped,
      outcomes,
    };
  };

  const n = ctx.quick ? 8 : 40;
  const cases: FailoverCase[] = [];
  try {
    // The failover path's DynamoDB connection is warmed once so the first case does not pay for it.
    await run('as-built', 'refusing', 4, 4);
    cases.push(await run('as-built', 'refusing', n, 4));
    cases.push(await run('sdk-defaults', 'refusing', n, 4));
    cases.push(await run('as-built', 'silent', ctx.quick ? 8 : 24, 4));
    // Every request of this one is expected to hang until the cap: a few, all at once, bound the time.
    cases.push(await run('sdk-defaults', 'silent', 4, 4, silentCapMs));
  } finally {
    for (const client of clients) client.destroy();
    await silent.close();
  }
  return { cases, silentCapMs };
}
