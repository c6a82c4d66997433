import type { Metrics } from '@aws-lambda-powertools/metrics';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import { countMetric, createMetrics, METRIC, publishMetrics, SERVICE } from '../../shared/metrics.js';
import { acceptMessage, type IngestDeps } from './accept-message.js';
import type { IngestRequest } from './parse-request.js';

/** API Gateway (REST, proxy integration) event → {@link acceptMessage} → proxy result. */
export function createIngestHandler(deps: IngestDeps, metrics: Metrics = createMetrics(SERVICE.INGEST)) {
  return async (event: APIGatewayProxyEvent, context: Context): Promise<APIGatewayProxyResult> => {
    deps.logger.addContext(context);
    const response = await acceptMessage(toIngestRequest(event), deps);
    countMetric(metrics, outcomeMetric(response));
    publishMetrics(metrics, deps.rules.route);
    return response;
  };
}

function outcomeMetric(response: APIGatewayProxyResult) {
  if (response.statusCode === 202) {
    const { store } = JSON.parse(response.body) as { store: string };
    return store === 'failover' ? METRIC.ACCEPTED_TO_FAILOVER : METRIC.ACCEPTED_TO_QUEUE;
  }
  return response.statusCode === 503 ? METRIC.STORES_UNAVAILABLE : METRIC.REJECTED;
}

/** API Gateway keeps header names as the client sent them; HTTP says they are case-insensitive. */
export function toIngestRequest(event: APIGatewayProxyEvent): IngestRequest {
  const headers: Record<string, string | undefined> = {};
  for (const [name, value] of Object.entries(event.headers ?? {})) headers[name.toLowerCase()] = value;
  return { method: event.httpMethod, headers, body: event.body, isBase64Encoded: event.isBase64Encoded };
}
