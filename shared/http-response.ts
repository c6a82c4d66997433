/** An HTTP answer in API Gateway's proxy-integration shape, built the same way by every function. */
export interface HttpResponse {
  readonly statusCode: number;
  readonly headers: Record<string, string>;
  readonly body: string;
}

/** A JSON answer. */
export function jsonResponse(
  statusCode: number,
  body: unknown,
  headers: Record<string, string> = {},
): HttpResponse {
  return {
    statusCode,
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  };
}

/** A JSON error answer: `{"error": message, ...details}` (docs/http-contract.md). */
export function errorResponse(
  statusCode: number,
  error: string,
  details: Record<string, unknown> = {},
  headers: Record<string, string> = {},
): HttpResponse {
  return jsonResponse(statusCode, { error, ...details }, headers);
}
