import {
  type CloudWatchClient,
  GetMetricDataCommand,
  type MetricDataQuery,
} from '@aws-sdk/client-cloudwatch';
import { type DynamoDBClient, ScanCommand } from '@aws-sdk/client-dynamodb';
import {
  METRIC,
  METRIC_SERVICE,
  METRICS_NAMESPACE,
  type MetricName,
  ROUTE_DIMENSION,
  SERVICE_DIMENSION,
} from '../../shared/metrics.js';
import type { RouteTarget } from './stack-target.js';

/**
 * How many messages each route delivered and gave up over a recent window: from the forwarders'
 * CloudWatch metrics on AWS, from the status records of the message table on the local stack
 * (there is no CloudWatch locally, and the local functions write no metrics).
 */

/** One route's outcomes over the window. */
export interface OutcomeCounts {
  /** Messages the backend took (2xx). */
  readonly delivered: number;
  /** Messages given up: sent to the fail-messages DLQ. */
  readonly deadLettered: number;
}

/** Every route's outcomes over the window, and where they were read. */
export interface RecentOutcomes {
  readonly windowSeconds: number;
  /** `cloudwatch`: the forwarders' metrics (a minute or more behind); `status-records`: the message table. */
  readonly method: 'cloudwatch' | 'status-records';
  readonly byRoute: ReadonlyMap<string, OutcomeCounts>;
  /** Locally: the scan stopped at its bound, so the counts are lower bounds. */
  readonly partial?: boolean;
}

/**
 * Queries one GetMetricData call may carry ("as many as 500 MetricDataQuery structures"):
 * https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_GetMetricData.html
 */
const MAX_QUERIES_PER_CALL = 500;

const COUNTED: readonly (readonly [keyof OutcomeCounts, MetricName])[] = [
  ['delivered', METRIC.DELIVERED],
  ['deadLettered', METRIC.DEAD_LETTERED],
];

/**
 * The forwarders' `Delivered` and `DeadLettered` sums per route over the last `windowSeconds`, in
 * one-minute periods (CloudWatch rounds a start under 15 days old down to the minute: same page as
 * above). Each route costs two metrics, so a call covers 250 routes.
 */
export async function cloudWatchOutcomes(
  cloudWatch: CloudWatchClient,
  routes: readonly RouteTarget[],
  windowSeconds: number,
  now: number = Date.now(),
): Promise<RecentOutcomes> {
  const queries: (MetricDataQuery & { Id: string })[] = routes.flatMap((route, index) =>
    COUNTED.map(([field, metric]) => ({
      // Ids must start with a lower-case letter; the route's index keeps any route name valid.
      Id: `${field.toLowerCase()}${index}`,
      MetricStat: {
        Metric: {
          Namespace: METRICS_NAMESPACE,
          MetricName: metric,
          // The dimensions the forwarder publishes with (CloudWatch matches them exactly).
          Dimensions: [
            { Name: SERVICE_DIMENSION, Value: METRIC_SERVICE[metric] },
            { Name: ROUTE_DIMENSION, Value: route.name },
          ],
        },
        Period: 60,
        Stat: 'Sum',
      },
    })),
  );
  const sums = new Map<string, number>();
  for (let start = 0; start < queries.length; start += MAX_QUERIES_PER_CALL) {
    let nextToken: string | undefined;
    do {
      const output = await cloudWatch.send(
        new GetMetricDataCommand({
          StartTime: new Date(now - windowSeconds * 1000),
          EndTime: new Date(now),
          MetricDataQueries: queries.slice(start, start + MAX_QUERIES_PER_CALL),
          NextToken: nextToken,
        }),
      );
      for (const result of output.MetricDataResults ?? []) {
        const total = (result.Values ?? []).reduce((sum, value) => sum + value, 0);
        sums.set(result.Id ?? '', (sums.get(result.Id ?? '') ?? 0) + total);
      }
      nextToken = output.NextToken;
    } while (nextToken);
  }
  const byRoute = new Map(
    routes.map((route, index) => [
      route.name,
      {
        delivered: sums.get(`delivered${index}`) ?? 0,
        deadLettered: sums.get(`deadlettered${index}`) ?? 0,
      },
    ]),
  );
  return { windowSeconds, method: 'cloudwatch', byRoute };
}

/** Status records a local count reads at most; a local stack holds far fewer. */
export const STATUS_RECORD_SCAN_LIMIT = 50_000;

/**
 * Counts the status records delivered or dead-lettered in the window, per route: one paged Scan of
 * the message table that returns only those records and only their route and two times. Meant for
 * the local stack; on AWS the Scan would read (and bill) the whole table, which is why the deployed
 * stack asks CloudWatch instead.
 */
export async function statusRecordOutcomes(
  dynamoDb: DynamoDBClient,
  tableName: string,
  routes: readonly RouteTarget[],
  windowSeconds: number,
  now: number = Date.now(),
): Promise<RecentOutcomes> {
  const since = new Date(now - windowSeconds * 1000).toISOString();
  const counts = new Map(routes.map((route) => [route.name, { delivered: 0, deadLettered: 0 }]));
  let scanned = 0;
  let startKey: ScanCommand['input']['ExclusiveStartKey'];
  do {
    const output = await dynamoDb.send(
      new ScanCommand({
        TableName: tableName,
        // The records' times are ISO 8601 in UTC, so they compare as text.
        FilterExpression: 'deliveredAt >= :since OR deadLetteredAt >= :since',
        ProjectionExpression: '#route, deliveredAt, deadLetteredAt',
        ExpressionAttributeNames: { '#route': 'route' },
        ExpressionAttributeValues: { ':since': { S: since } },
        ExclusiveStartKey: startKey,
      }),
    );
    scanned += output.ScannedCount ?? 0;
    for (const item of output.Items ?? []) {
      const count = counts.get(item.route?.S ?? '');
      if (!count) continue;
      if ((item.deliveredAt?.S ?? '') >= since) count.delivered += 1;
      if ((item.deadLetteredAt?.S ?? '') >= since) count.deadLettered += 1;
    }
    startKey = output.LastEvaluatedKey;
  } while (startKey && scanned < STATUS_RECORD_SCAN_LIMIT);
  return {
    windowSeconds,
    method: 'status-records',
    byRoute: counts,
    ...(startKey ? { partial: true } : {}),
  };
}
