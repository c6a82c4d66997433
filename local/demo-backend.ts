import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ConfigurationError } from '../shared/errors.js';
import { shortId } from './journey-log.js';

/**
 * A stand-in catering service for `npm start` without CATERING_SERVICE_EP, so the first curl of
 * docs/local-stack.md shows a delivery. It can be told to fail (DEMO_BACKEND_FAIL, or POST
 * /control) to show retries, backoff and the fail-messages DLQ, and it logs every message id it
 * receives.
 */

/** How the backend answers: 2xx, or `failWith` for the next `remaining` messages (or all). */
export interface FailureMode {
  /** Status to answer with, or null to answer 200. */
  readonly failWith: number | null;
  /** How many more messages get `failWith`; undefined = until told otherwise. */
  readonly remaining?: number;
}

/** What the demo backend received (one entry per delivery attempt). */
export interface DemoDelivery {
  readonly messageId: string;
  readonly attempt: number;
  readonly status: number;
}

/** A running demo backend: its URL, its failure switch and how to stop it. */
export interface DemoBackend {
  /** The URL to deliver to (the default route's target). */
  readonly url: string;
  /** Base URL, for `/control`. */
  readonly baseUrl: string;
  readonly received: readonly DemoDelivery[];
  setFailure(mode: FailureMode): void;
  stop(): Promise<void>;
}

/** Where the demo backend listens and how it starts (healthy or failing). */
export interface DemoBackendOptions {
  /** Port on 127.0.0.1; 0 = any free one. */
  readonly port: number;
  readonly failure?: FailureMode;
  /** Called for each delivery attempt and each control change, for the journey log. */
  readonly onEvent?: (text: string) => void;
}

/** Bodies above this are not kept (the demo only needs the headers). */
const MAX_CONTROL_BYTES = 64 * 1024;

/** Parses DEMO_BACKEND_FAIL: `503` (fail until told otherwise) or `503:3` (fail the next 3). */
export function parseFailureSpec(spec: string | undefined): FailureMode {
  if (spec === undefined || spec.trim() === '') return { failWith: null };
  const match = /^(\d{3})(?::(\d+))?$/.exec(spec.trim());
  const status = Number(match?.[1]);
  if (!match || status < 100 || status > 599) {
    throw new ConfigurationError(
      `DEMO_BACKEND_FAIL must be a status like 503, or 503:3 to fail the next 3 messages; got '${spec}'`,
    );
  }
  return match[2] === undefined ? { failWith: status } : { failWith: status, remaining: Number(match[2]) };
}

function describeMode(mode: FailureMode): string {
  if (mode.failWith === null) return 'answering 200';
  return mode.remaining === undefined
    ? `answering ${mode.failWith} until told otherwise`
    : `answering ${mode.failWith} to the next ${mode.remaining}`;
}

function readBody(req: IncomingMessage, limit: number): Promise<string | undefined> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= limit) chunks.push(chunk);
    });
    req.on('end', () => resolve(size <= limit ? Buffer.concat(chunks).toString() : undefined));
    req.on('error', () => resolve(undefined));
  });
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

/** Reads `{"failWith": 503, "count": 3}` / `{"failWith": null}` from a control request. */
function parseControl(text: string | undefined): FailureMode | string {
  let input: unknown;
  try {
    input = JSON.parse(text ?? '');
  } catch {
    return 'body must be JSON like {"failWith":503,"count":3} or {"failWith":null}';
  }
  const { failWith, count } = (input ?? {}) as { failWith?: unknown; count?: unknown };
  if (failWith === null) return { failWith: null };
  if (typeof failWith !== 'number' || !Number.isInteger(failWith) || failWith < 100 || failWith > 599)
    return 'failWith must be an HTTP status (100-599) or null';
  if (count === undefined || count === null) return { failWith };
  if (typeof count !== 'number' || !Number.isInteger(count) || count < 1)
    return 'count must be a whole number >= 1 (or left out: fail until told otherwise)';
  return { failWith, remaining: count };
}

/** Starts the demo backend on 127.0.0.1. */
export async function startDemoBackend(options: DemoBackendOptions): Promise<DemoBackend> {
  let mode: FailureMode = options.failure ?? { failWith: null };
  const received: DemoDelivery[] = [];
  const log = options.onEvent ?? (() => undefined);

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const path = new URL(req.url ?? '/', 'http://demo').pathname;
    if (path === '/control') {
      if (req.method === 'GET') return sendJson(res, 200, mode);
      if (req.method !== 'POST') return sendJson(res, 405, { error: 'use GET or POST /control' });
      const parsed = parseControl(await readBody(req, MAX_CONTROL_BYTES));
      if (typeof parsed === 'string') return sendJson(res, 400, { error: parsed });
      mode = parsed;
      log(`now ${describeMode(mode)}`);
      return sendJson(res, 200, mode);
    }
    if (req.method !== 'POST') return sendJson(res, 405, { error: 'deliveries are POSTed' });
    // The body itself is not needed: the demo shows ids and attempts, not payloads.
    await readBody(req, 0);
    const messageId = String(req.headers['idempotency-key'] ?? req.headers['x-message-id'] ?? '?');
    const attempt = Number(req.headers['x-delivery-attempt'] ?? 0);
    let status = 200;
    if (mode.failWith !== null) {
      status = mode.failWith;
      if (mode.remaining !== undefined) {
        const remaining = mode.remaining - 1;
        mode = remaining > 0 ? { failWith: mode.failWith, remaining } : { failWith: null };
      }
    }
    received.push({ messageId, attempt, status });
    log(`${shortId(messageId)} got attempt ${attempt}, answered ${status}`);
    sendJson(res, status, status < 300 ? { success: true } : { success: false, error: 'demo failure' });
  };

  const server: Server = createServer((req, res) => {
    handle(req, res).catch(() => {
      if (!res.headersSent) sendJson(res, 500, { error: 'demo backend error' });
      else res.destroy();
    });
  });
  server.on('clientError', (_error, socket) => socket.destroy());
  await new Promise<void>((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) =>
      reject(
        error.code === 'EADDRINUSE'
          ? new ConfigurationError(
              `demo backend port ${options.port} is in use; set DEMO_BACKEND_PORT (0 = any free port)`,
            )
          : error,
      ),
    );
    server.listen(options.port, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const baseUrl = `http://127.0.0.1:${port}`;
  if (mode.failWith !== null) log(describeMode(mode));
  return {
    url: `${baseUrl}/catering`,
    baseUrl,
    received,
    setFailure(next) {
      mode = next;
    },
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
