import type { Metrics } from '@aws-lambda-powertools/metrics';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import { PROXY_PATH_PARAMETER } from '../../shared/config/message-lookup.js';
import {
  countMetric,
  createMetrics,
  METRIC,
  type MetricName,
  publishMetrics,
  SERVICE,
} from '../../shared/metrics.js';
import { TRACE_HEADER } from '../../shared/trace-context.js';
import { acceptBatch, type BatchResult } from './accept-batch.js';
import { type AcceptOutcome, acceptMessage } from './accept-message.js';
import type { IngestRoutes } from './ingest-config.js';
import { lookupPathSegment } from './lookup-message.js';
import type { IngestRequest } from './parse-request.js';

/**
 * API Gateway proxy event (REST, or HTTP API with payload format 1.0, from the greedy `/{proxy+}`
 * resource that serves every route) → the route its path names (match-route.ts) → {@link acceptMessage}
 * for `POST <route path>`, {@link acceptBatch} for `POST <route path>/batch`, {@link lookupPathSegment} for
 * `GET <route path>/{messageId}` → proxy result. A path no route has, or a method a path does not
 * take, is answered without touching a store.
 */
export function createIngestHandler(routes: IngestRoutes, metrics: Metrics = createMetrics(SERVICE.INGEST)) {
  return async (event: APIGatewayProxyEvent, context: Context): Promise<APIGatewayProxyResult> => {
    const matched = routes.match(event.httpMethod, requestPath(event));
    if ('answer' in matched) return matched.answer;
    const deps = routes.depsOf(matched.route);
    deps.logger.addContext(context);
    const { endpoint } = matched;
    // `GET <route path>/{messageId}`: the message's status record (no metric: not an ingest outcome).
    if (endpoint.kind === 'lookup')
      return lookupPathSegment(endpoint.segment, decodedByFrontDoor(event), deps);
    const request = toIngestRequest(event);
    if (endpoint.kind === 'batch') {
      const { response, results } = await acceptBatch(request, deps);
      if (results.length === 0) countMetric(metrics, METRIC.REJECTED);
      for (const [name, count] of countByMetric(results)) countMetric(metrics, name, count);
      publishMetrics(metrics, deps.rules.route);
      return response;
    }
    const { response, outcome } = await acceptMessage(request, deps);
    countMetric(metrics, OUTCOME_METRIC[outcome]);
    publishMetrics(metrics, deps.rules.route);
    return response;
  };
}

/**
/**
 * Whether the front door decoded the path parameters before the event was made. An HTTP API does,
 * and its payload format 1.0 events carry `"version": "1.0"`
 * (https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-develop-integrations-lambda.html);
 * a REST API's proxy events have no `version` and carry the path and its parameters as the client
 * sent them, percent-encoded
 * (https://docs.aws.amazon.com/apigateway/latest/developerguide/set-up-lambda-proxy-integrations.html),
 * as the local API does.
 */
function decodedByFrontDoor(event: APIGatewayProxyEvent): boolean {
  return 'version' in event && (event as { version?: unknown }).version !== undefined;
}

/**
 * The request's path below the stage: the greedy path parameter of `/{proxy+}` (the same on both
 * front doors, whatever the stage or a custom domain's mapping adds to `path`), else `path`.
 */
function requestPath(event: APIGatewayProxyEvent): string {
  const proxy = event.pathParameters?.[PROXY_PATH_PARAMETER];
  return proxy === undefined ? event.path : `/${proxy}`;
}

/** The dashboard's count for each outcome of a message, single POST or batch entry. */
const OUTCOME_METRIC: Readonly<Record<AcceptOutcome, MetricName>> = {
  queue: METRIC.ACCEPTED_TO_QUEUE,
  failover: METRIC.ACCEPTED_TO_FAILOVER,
  'not-stored': METRIC.STORES_UNAVAILABLE,
  rejected: METRIC.REJECTED,
};

function batchOutcome(result: BatchResult): AcceptOutcome {
  if ('status' in result) return result.status === 503 ? 'not-stored' : 'rejected';
  return result.store;
}

/** Per-message counts of a batch, so a batch of 100 counts as 100 messages on the dashboard. */
function countByMetric(results: readonly BatchResult[]): Map<MetricName, number> {
  const counts = new Map<MetricName, number>();
  for (const result of results) {
    const name = OUTCOME_METRIC[batchOutcome(result)];
    counts.set(name, (counts.get(name) ?? 0) + 1);
  }
  return counts;
}

/**
 * API Gateway keeps header names as the client sent them; HTTP says they are case-insensitive.
 * `headers` holds the last of a repeated header; W3C Trace Context says repeated `tracestate`
 * headers are one list, so those are joined from `multiValueHeaders`.
 */
export function toIngestRequest(event: APIGatewayProxyEvent): IngestRequest {
  const headers: Record<string, string | undefined> = {};
  for (const [name, value] of Object.entries(event.headers ?? {})) headers[name.toLowerCase()] = value;
  for (const [name, values] of Object.entries(event.multiValueHeaders ?? {})) {
    if (name.toLowerCase() === TRACE_HEADER.TRACESTATE && values && values.length > 1) {
      headers[TRACE_HEADER.TRACESTATE] = values.join(',');
    }
  }
  return { method: event.httpMethod, headers, body: event.body, isBase64Encoded: event.isBase64Encoded };
}
