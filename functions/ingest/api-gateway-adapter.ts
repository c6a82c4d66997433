import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import { acceptMessage, type IngestDeps } from './accept-message.js';
import type { IngestRequest } from './parse-request.js';

/** API Gateway (REST, proxy integration) event → {@link acceptMessage} → proxy result. */
export function createIngestHandler(deps: IngestDeps) {
  return async (event: APIGatewayProxyEvent, context: Context): Promise<APIGatewayProxyResult> => {
    deps.logger.addContext(context);
    return acceptMessage(toIngestRequest(event), deps);
  };
}

/** API Gateway keeps header names as the client sent them; HTTP says they are case-insensitive. */
export function toIngestRequest(event: APIGatewayProxyEvent): IngestRequest {
  const headers: Record<string, string | undefined> = {};
  for (const [name, value] of Object.entries(event.headers ?? {})) headers[name.toLowerCase()] = value;
  return { method: event.httpMethod, headers, body: event.body, isBase64Encoded: event.isBase64Encoded };
}
