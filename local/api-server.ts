import { timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import { PROXY_PATH_PARAMETER } from '../shared/config/message-lookup.js';
import { ConfigurationError } from '../shared/errors.js';
import { apiGatewayEvent, lambdaContext } from './aws-events.js';

/**
 * The local API Gateway: node:http on 127.0.0.1, each request turned into a REST proxy event of the
 * greedy `/{proxy+}` resource for the real ingest handler, which routes it by path (as on AWS, where
 * every route's paths reach the one ingest through that resource). What API Gateway itself answers
 * (body over its 10 MB limit, missing API key, malformed HTTP) is answered here, before the handler runs.
 */

/** An API Gateway proxy handler (the ingest's). */
export type ProxyHandler = (event: APIGatewayProxyEvent, context: Context) => Promise<APIGatewayProxyResult>;

/** The local API's port, its one ingest handler and optional API key. */
export interface ApiServerOptions {
  /** Port on 127.0.0.1; 0 = any free one. */
  readonly port: number;
  /** The ingest, which serves every route's paths. */
  readonly handler: ProxyHandler;
  /** The ingest's function name in the Lambda context. */
  readonly functionName: string;
  /** When set, `x-api-key` must equal it (403 otherwise), as with a usage plan. */
  readonly apiKey?: string;
  /** Hard cap on a request body, refused with 413 before it is read. @default 10 MB (API Gateway's) */
  readonly maxRequestBytes?: number;
  /** Called when a handler throws (a bug: the client gets a 500). */
  readonly onError?: (error: unknown) => void;
}

/** A running local API: its URL and how to stop it. */
export interface ApiServer {
  readonly url: string;
  readonly port: number;
  /** Stops accepting, waits for requests in progress (at most `graceMs`), then closes every connection. */
  stop(graceMs?: number): Promise<void>;
}

/** API Gateway's payload limit. */
export const API_GATEWAY_MAX_BYTES = 10 * 1024 * 1024;
/** Ingest's Lambda timeout locally: long enough for both fast-failover writes. */
const INGEST_TIMEOUT_MS = 10_000;

class BodyTooLargeError extends Error {}

function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  if (res.headersSent) return void res.end();
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify(body));
}

/** Reads the body up to `limit` bytes; rejects as soon as it grows past it. */
function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        req.off('data', onData);
        chunks.length = 0;
        // Keep draining (and dropping) what is still coming so the client can read the 413.
        req.resume();
        reject(new BodyTooLargeError());
        return;
      }
      chunks.push(chunk);
    };
    req.on('data', onData);
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function sameKey(given: string | undefined, expected: string): boolean {
  if (given === undefined) return false;
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

function flatHeaders(req: IncomingMessage): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(req.headers)) {
    if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  return headers;
}

/** Starts the API on 127.0.0.1. */
export async function startApiServer(options: ApiServerOptions): Promise<ApiServer> {
  const maxBytes = options.maxRequestBytes ?? API_GATEWAY_MAX_BYTES;
  let inFlight = 0;
  let idle: (() => void) | undefined;

  const tooLarge = (res: ServerResponse) =>
    sendJson(
      res,
      413,
      { error: `request body is over the API's ${maxBytes}-byte limit`, limitBytes: maxBytes },
      // The rest of an oversized body is not worth reading: end the connection after this answer.
      { connection: 'close' },
    );

  /** As a usage plan does: with an API key configured, every method of every route needs it. */
  const authorized = (req: IncomingMessage) =>
    options.apiKey === undefined || sameKey(req.headers['x-api-key'] as string | undefined, options.apiKey);
  const forbidden = (res: ServerResponse) =>
    sendJson(res, 403, { error: 'Forbidden: missing or wrong x-api-key header' });
  const answer = (res: ServerResponse, result: APIGatewayProxyResult) => {
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(result.headers ?? {})) headers[name] = String(value);
    res.writeHead(result.statusCode, headers);
    res.end(result.isBase64Encoded ? Buffer.from(result.body, 'base64') : result.body);
  };

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (!authorized(req)) {
      req.resume();
      return forbidden(res);
    }
    const declared = Number(req.headers['content-length'] ?? 0);
    if (declared > maxBytes) {
      req.resume();
      return tooLarge(res);
    }
    let body: Buffer;
    try {
      body = await readBody(req, maxBytes);
    } catch (error) {
      if (error instanceof BodyTooLargeError) return tooLarge(res);
      // The client went away mid-body: nobody is left to answer.
      return void res.destroy();
    }
    // The path as the client sent it (still percent-encoded): the ingest decodes a message id itself.
    const event = apiGatewayEvent({
      method: req.method ?? 'GET',
      path: url.pathname,
      resource: `/{${PROXY_PATH_PARAMETER}+}`,
      pathParameters: { [PROXY_PATH_PARAMETER]: url.pathname.replace(/^\/+/, '') },
      headers: flatHeaders(req),
      body: body.length > 0 ? body : null,
      sourceIp: req.socket.remoteAddress ?? '127.0.0.1',
    });
    answer(res, await options.handler(event, lambdaContext(options.functionName, INGEST_TIMEOUT_MS)));
  };

  const server: Server = createServer((req, res) => {
    inFlight++;
    res.on('close', () => {
      inFlight--;
      if (inFlight === 0) idle?.();
    });
    handle(req, res).catch((error: unknown) => {
      options.onError?.(error);
      sendJson(res, 500, { error: 'internal error in the local runner; see its log' });
    });
  });
  // Malformed HTTP never reaches a handler: answer it in the same JSON error shape, and never crash.
  server.on('clientError', (error: NodeJS.ErrnoException, socket) => {
    const tooLarge = error.code === 'HPE_HEADER_OVERFLOW';
    const body = JSON.stringify({
      error: tooLarge ? 'request headers are too large' : 'malformed HTTP request',
    });
    if (socket.writable) {
      socket.end(
        `HTTP/1.1 ${tooLarge ? '431 Request Header Fields Too Large' : '400 Bad Request'}\r\n` +
          `content-type: application/json\r\nconnection: close\r\ncontent-length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
      );
    }
    socket.destroy();
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) =>
      reject(
        error.code === 'EADDRINUSE'
          ? new ConfigurationError(
              `port ${options.port} is in use; set PORT to another one (0 = any free port)`,
            )
          : error,
      ),
    );
    server.listen(options.port, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    port,
    async stop(graceMs = 5_000) {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      if (inFlight > 0) {
        await Promise.race([
          new Promise<void>((resolve) => {
            idle = resolve;
          }),
          sleep(graceMs, undefined, { ref: false }),
        ]);
      }
      server.closeAllConnections();
      await closed;
    },
  };
}
