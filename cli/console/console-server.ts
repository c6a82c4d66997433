import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { OperationFailedError } from '../errors.js';
import type { StackTarget } from '../stack/stack-target.js';
import { type ConsoleRequest, consoleApp } from './console-app.js';
import { JobBoard } from './jobs.js';
import { checkRequest } from './request-guard.js';

/**
 * The console's HTTP server: node:http on 127.0.0.1 only. Every request passes the guard
 * (request-guard.ts: token, Host, Origin) before anything else; the pages are console-app.ts's,
 * the two assets (stylesheet, script) are files beside this module, read once.
 */

/** The only address the console listens on. */
export const CONSOLE_HOST = '127.0.0.1';

/** What the console serves, and where. */
export interface ConsoleServerOptions {
  readonly stack: StackTarget;
  /** Port on 127.0.0.1; 0 = any free one. */
  readonly port: number;
  /** How often the routes page refreshes itself. */
  readonly refreshSeconds: number;
  /** Where refused requests are reported (one line each, without anything the request carried). */
  readonly log: (line: string) => void;
  /** The per-run token. @default 32 random bytes, base64url */
  readonly token?: string;
}

/** A running console. */
export interface ConsoleServer {
  /** `http://127.0.0.1:<port>/<token>/`: the URL to open. */
  readonly url: string;
  readonly port: number;
  /** Stops accepting, lets a running job finish (bounded), closes every connection. */
  close(): Promise<void>;
}

/** A form post is a few fields; anything larger is not from the console's pages. */
const MAX_FORM_BYTES = 64 * 1024;

/**
 * Sent with every answer: no script, style or connection but the console's own, no framing, no
 * referrer to another site (the token is in every URL; `no-referrer` would also make the browser
 * send `Origin: null` with the console's own forms), nothing cached.
 */
const SECURITY_HEADERS = {
  'content-security-policy':
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; " +
    "form-action 'self'; frame-ancestors 'none'; base-uri 'self'",
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'same-origin',
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-resource-policy': 'same-origin',
  'cache-control': 'no-store',
} as const;

const ASSETS: Record<string, { file: string; type: string }> = {
  'assets/console.css': { file: 'console.css', type: 'text/css; charset=utf-8' },
  'assets/console.js': { file: 'console.js', type: 'text/javascript; charset=utf-8' },
  // Without an icon of its own, a browser asks for /favicon.ico, which has no token.
  'assets/icon.svg': { file: 'icon.svg', type: 'image/svg+xml' },
};

function readAssets(): Map<string, { body: Buffer; type: string }> {
  return new Map(
    Object.entries(ASSETS).map(([path, { file, type }]) => [
      path,
      { body: readFileSync(new URL(`./assets/${file}`, import.meta.url)), type },
    ]),
  );
}

/** Reads a form body up to {@link MAX_FORM_BYTES}; undefined when it is larger. */
async function readForm(req: IncomingMessage): Promise<URLSearchParams | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_FORM_BYTES) return undefined;
    chunks.push(chunk);
  }
  return new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
}

function send(res: ServerResponse, status: number, type: string, body: string | Buffer, head = false): void {
  res.writeHead(status, {
    ...SECURITY_HEADERS,
    'content-type': type,
    'content-length': Buffer.byteLength(body),
  });
  res.end(head ? undefined : body);
}

/** Starts the console; resolves once it listens. */
export async function startConsoleServer(options: ConsoleServerOptions): Promise<ConsoleServer> {
  const token = options.token ?? randomBytes(32).toString('base64url');
  const assets = readAssets();
  const jobs = new JobBoard();
  let identity = { token, port: options.port };
  const handle = consoleApp({
    stack: options.stack,
    context: { token, stack: options.stack.description },
    jobs,
    refreshSeconds: options.refreshSeconds,
  });

  const answer = async (req: IncomingMessage, res: ServerResponse) => {
    const verdict = checkRequest(
      { method: req.method ?? '', url: req.url ?? '', headers: req.headers },
      identity,
    );
    if (!verdict.allowed) {
      options.log(`console: refused a ${req.method ?? ''} request: ${verdict.reason}`);
      send(res, verdict.status, 'text/plain; charset=utf-8', 'Forbidden\n');
      req.resume();
      return;
    }
    const head = req.method === 'HEAD';
    const asset = assets.get(verdict.path);
    if (asset && req.method !== 'POST') return send(res, 200, asset.type, asset.body, head);
    const form = req.method === 'POST' ? await readForm(req) : new URLSearchParams();
    if (!form) return send(res, 413, 'text/plain; charset=utf-8', 'Form too large\n');
    const reply = await handle({
      method: req.method as ConsoleRequest['method'],
      path: verdict.path,
      query: verdict.query,
      form,
    });
    if ('location' in reply) {
      res.writeHead(303, { ...SECURITY_HEADERS, location: reply.location, 'content-length': 0 });
      res.end();
      return;
    }
    send(res, reply.status, 'text/html; charset=utf-8', reply.html.text, head);
  };
  const server: Server = createServer((req, res) => {
    answer(req, res).catch((error: unknown) => {
      // A request that broke off while its form was read; the pages catch their own errors.
      options.log(`console: a request failed: ${(error as Error).message}`);
      if (!res.headersSent) send(res, 500, 'text/plain; charset=utf-8', 'The console failed to answer\n');
      else res.destroy();
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) =>
      reject(
        error.code === 'EADDRINUSE'
          ? new OperationFailedError(
              `port ${options.port} on ${CONSOLE_HOST} is in use; pass --port N (0 = any free port)`,
              { cause: error },
            )
          : error,
      ),
    );
    server.listen(options.port, CONSOLE_HOST, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  identity = { token, port };
  return {
    url: `http://${CONSOLE_HOST}:${port}/${token}/`,
    port,
    async close() {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      // A redrive under way moves messages one batch at a time; let it end rather than cut it.
      await jobs.settled(10_000);
      server.closeAllConnections();
      await closed;
    },
  };
}
