import { randomUUID } from 'node:crypto';
import {
  Agent,
  createServer,
  request as httpRequest,
  type IncomingHttpHeaders,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

/**
 * An HTTP-aware fault-injection proxy on 127.0.0.1, put in front of one plain-HTTP endpoint: the
 * emulator's SQS API, its DynamoDB API, or a backend. Its mode is switched while traffic flows:
 * - `pass`: requests go to the target and answers come back unchanged;
 * - `refuse`: the port stops listening (ECONNREFUSED) and open connections are reset;
 * - `silent`: requests are read and never answered (a black-holed path; clients must time out);
 * - `http500`: a 500 with the service's own error shape (AWS JSON `__type`, query-compat header);
 * - `throttle`: the service's throttling error (SQS `ThrottlingException`, DynamoDB
 *   `ProvisionedThroughputExceededException`, HTTP 429 + Retry-After), names the SDK's retry
 *   strategy classifies as throttling;
 * - `latency`: forwarded after `latencyMs`;
 * - `drop-mid-response`: forwarded, then the connection is cut after the first bytes of the answer,
 *   so the write happened and the client cannot know (the ambiguous case).
 * toxiproxy would need its own server (not available here) and http-proxy has no fault modes, so
 * this is node:http alone. Bounded: at most `maxConnections` sockets and `maxBodyBytes` per request;
 * loopback only; `stop()` closes everything.
 */
export type FaultMode =
  | 'pass'
  | 'refuse'
  | 'silent'
  | 'http500'
  | 'throttle'
  | 'latency'
  | 'drop-mid-response';

/** Every mode, e.g. for counters. */
export const FAULT_MODES: readonly FaultMode[] = [
  'pass',
  'refuse',
  'silent',
  'http500',
  'throttle',
  'latency',
  'drop-mid-response',
];

/** Which error shapes the proxy answers with. */
export type FaultService = 'sqs' | 'dynamodb' | 'http';

/** A request as the proxy saw it (for a test that needs to know what an ambiguous write carried). */
export interface ProxiedRequest {
  readonly mode: FaultMode;
  readonly method: string;
  readonly path: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: Buffer;
}

export interface FaultProxyOptions {
  /** Base URL of the target, plain HTTP on loopback, e.g. `http://127.0.0.1:4566`. */
  readonly target: string;
  readonly service: FaultService;
  /** @default 'pass' */
  readonly mode?: FaultMode;
  /** Delay of the `latency` mode. @default 300 */
  readonly latencyMs?: number;
  /** Sockets open at once, client side. @default 256 */
  readonly maxConnections?: number;
  /** Largest request body read; a bigger one is cut off. @default 8 MiB */
  readonly maxBodyBytes?: number;
  /** Called for every request once its body is read, before the mode acts on it. */
  readonly inspect?: (request: ProxiedRequest) => void;
  /**
   * Called for a request that was sent to the target but whose answer did not reach the client in
   * full (drop-mid-response, a reset by a switch to `refuse`, a client that gave up during
   * `latency`): the target may have acted on it while the client saw a failure.
   */
  readonly onAmbiguous?: (request: ProxiedRequest) => void;
  /** Called with each answer the target gave (whether or not the client then got it in full). */
  readonly inspectAnswer?: (request: ProxiedRequest, status: number, body: Buffer) => void;
  /**
   * An answer from the target that takes this long may reach a client that has already timed out:
   * it counts as ambiguous too. The client and this proxy share one event loop in the tests, so on a
   * busy machine the client's timeout can fire just before the answer is written, and the write
   * still "finishes" into the closed socket's buffer: only the elapsed time tells. Set it a little
   * under the client's request timeout. @default no bound
   */
  readonly ambiguousAfterMs?: number;
}

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]', '::1']);

/** Body and headers of an injected AWS JSON-protocol error (SQS via AWS JSON 1.0, DynamoDB JSON 1.0). */
function awsJsonError(
  status: number,
  type: string,
  message: string,
  queryError?: string,
): { status: number; headers: Record<string, string>; body: string } {
  return {
    status,
    headers: {
      'content-type': 'application/x-amz-json-1.0',
      'x-amzn-requestid': randomUUID(),
      // SQS is "awsQueryCompatible": the SDK takes the code from this header when present.
      ...(queryError ? { 'x-amzn-query-error': queryError } : {}),
    },
    body: JSON.stringify({ __type: type, message }),
  };
}

/** The answer of the `http500` or `throttle` mode for a service. */
export function injectedError(
  service: FaultService,
  kind: 'http500' | 'throttle',
): { status: number; headers: Record<string, string>; body: string } {
  switch (service) {
    case 'sqs':
      return kind === 'throttle'
        ? awsJsonError(
            400,
            'com.amazonaws.sqs#ThrottlingException',
            'Rate exceeded (injected by the fault proxy)',
            'ThrottlingException;Sender',
          )
        : awsJsonError(
            500,
            'com.amazonaws.sqs#InternalFailure',
            'internal failure (injected by the fault proxy)',
            'InternalFailure;Receiver',
          );
    case 'dynamodb':
      return kind === 'throttle'
        ? awsJsonError(
            400,
            'com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException',
            'The level of configured provisioned throughput for the table was exceeded (injected by the fault proxy)',
          )
        : awsJsonError(
            500,
            'com.amazonaws.dynamodb.v20120810#InternalServerError',
            'Internal server error (injected by the fault proxy)',
          );
    case 'http':
      return kind === 'throttle'
        ? {
            status: 429,
            headers: { 'content-type': 'application/json', 'retry-after': '1' },
            body: JSON.stringify({ error: 'too many requests (injected by the fault proxy)' }),
          }
        : {
            status: 500,
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify({ error: 'internal error (injected by the fault proxy)' }),
          };
  }
}

/** Hop-by-hop headers a proxy must not pass on. */
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'transfer-encoding', 'upgrade', 'proxy-connection']);

function endToEnd(headers: IncomingHttpHeaders): Record<string, string | string[]> {
  const kept: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value !== undefined && !HOP_BY_HOP.has(name)) kept[name] = value;
  }
  return kept;
}

/** A running fault proxy. Create with {@link FaultProxy.start}. */
export class FaultProxy {
  /** Requests (or, in `refuse`, connections turned away) per mode since the start. */
  readonly counts: Record<FaultMode, number> = Object.fromEntries(FAULT_MODES.map((m) => [m, 0])) as Record<
    FaultMode,
    number
  >;
  private current: FaultMode;
  private latency: number;
  private server: Server | undefined;
  private port = 0;
  private readonly sockets = new Set<Socket>();
  private readonly held = new Set<ServerResponse>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly agent = new Agent({ keepAlive: true, maxSockets: 64 });
  private readonly target: URL;
  private stopped = false;

  private constructor(private readonly options: FaultProxyOptions) {
    this.target = new URL(options.target);
    if (this.target.protocol !== 'http:' || !LOOPBACK.has(this.target.hostname)) {
      throw new Error(`the fault proxy only fronts plain HTTP on loopback, got ${options.target}`);
    }
    this.current = options.mode ?? 'pass';
    this.latency = options.latencyMs ?? 300;
  }

  /** Starts a proxy; its URL stays the same across mode switches (also out of `refuse`). */
  static async start(options: FaultProxyOptions): Promise<FaultProxy> {
    const proxy = new FaultProxy(options);
    await proxy.listen();
    if (proxy.current === 'refuse') await proxy.closeListener();
    return proxy;
  }

  /** `http://127.0.0.1:<port>`. */
  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  get mode(): FaultMode {
    return this.current;
  }

  get latencyMs(): number {
    return this.latency;
  }

  /** Total requests seen in every mode. */
  get total(): number {
    return FAULT_MODES.reduce((sum, mode) => sum + this.counts[mode], 0);
  }

  /**
   * Switches mode; requests arriving from now on get the new one. Requests held by `silent` are
   * cut (their clients have given up already), and `refuse` resets every open connection.
   */
  async setMode(mode: FaultMode, options: { latencyMs?: number } = {}): Promise<void> {
    if (this.stopped) throw new Error('the fault proxy is stopped');
    if (options.latencyMs !== undefined) this.latency = options.latencyMs;
    if (mode === this.current) return;
    const previous = this.current;
    this.current = mode;
    for (const res of this.held) res.destroy();
    this.held.clear();
    if (mode === 'refuse') {
      await this.closeListener();
      for (const socket of this.sockets) socket.resetAndDestroy();
    } else if (previous === 'refuse') {
      await this.listen();
    }
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    this.current = 'refuse';
    for (const timer of this.timers) clearTimeout(timer);
    for (const res of this.held) res.destroy();
    for (const socket of this.sockets) socket.destroy();
    await this.closeListener();
    this.agent.destroy();
  }

  private async listen(): Promise<void> {
    const server = createServer((req, res) => this.handle(req, res));
    server.maxConnections = this.options.maxConnections ?? 256;
    server.keepAliveTimeout = 5_000;
    server.on('connection', (socket: Socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
      socket.on('error', () => undefined);
    });
    server.on('clientError', (_error, socket) => socket.destroy());
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, '127.0.0.1', () => {
        server.off('error', reject);
        resolve();
      });
    });
    this.port = (server.address() as AddressInfo).port;
    this.server = server;
  }

  private closeListener(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    return new Promise((resolve) => (server ? server.close(() => resolve()) : resolve()));
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const receivedAt = performance.now();
    const limit = this.options.maxBodyBytes ?? 8 * 1024 * 1024;
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) req.socket.destroy();
      else chunks.push(chunk);
    });
    req.on('error', () => undefined);
    req.on('end', () => this.act(req, res, Buffer.concat(chunks), receivedAt));
  }

  private act(req: IncomingMessage, res: ServerResponse, body: Buffer, receivedAt: number): void {
    const mode = this.current;
    this.counts[mode]++;
    const seen: ProxiedRequest = {
      mode,
      method: req.method ?? 'GET',
      path: req.url ?? '/',
      headers: req.headers,
      body,
    };
    this.options.inspect?.(seen);
    switch (mode) {
      case 'refuse':
        // Arrived on a connection opened just before the switch.
        req.socket.resetAndDestroy();
        return;
      case 'silent':
        this.held.add(res);
        res.on('close', () => this.held.delete(res));
        return;
      case 'http500':
      case 'throttle': {
        const answer = injectedError(this.options.service, mode);
        res.writeHead(answer.status, { ...answer.headers, 'content-length': Buffer.byteLength(answer.body) });
        res.end(answer.body);
        return;
      }
      case 'latency': {
        const timer = setTimeout(() => {
          this.timers.delete(timer);
          this.forward(req, res, seen, false, receivedAt);
        }, this.latency);
        this.timers.add(timer);
        return;
      }
      case 'pass':
      case 'drop-mid-response':
        this.forward(req, res, seen, mode === 'drop-mid-response', receivedAt);
        return;
    }
  }

  /** Sends the request upstream; with `cut`, answers only the head and a few bytes, then resets. */
  private forward(
    req: IncomingMessage,
    res: ServerResponse,
    seen: ProxiedRequest,
    cut: boolean,
    receivedAt: number,
  ): void {
    const { body } = seen;
    const ambiguous = () => this.options.onAmbiguous?.(seen);
    if (res.destroyed) ambiguous();
    else res.once('close', () => res.writableFinished || ambiguous());
    const upstream = httpRequest(
      {
        host: this.target.hostname.replace(/^\[|\]$/g, ''),
        port: Number(this.target.port || 80),
        method: req.method,
        path: req.url,
        headers: { ...endToEnd(req.headers), 'content-length': String(body.length) },
        agent: this.agent,
      },
      (answer) => {
        const chunks: Buffer[] = [];
        answer.on('data', (chunk: Buffer) => chunks.push(chunk));
        answer.on('error', () => res.destroy());
        answer.on('end', () => {
          const data = Buffer.concat(chunks);
          this.options.inspectAnswer?.(seen, answer.statusCode ?? 0, data);
          const late = performance.now() - receivedAt >= (this.options.ambiguousAfterMs ?? Infinity);
          if (late) ambiguous();
          if (res.destroyed) return;
          res.writeHead(answer.statusCode ?? 502, {
            ...endToEnd(answer.headers),
            'content-length': String(data.length),
          });
          if (!cut) return void res.end(data);
          // The upstream took the request; the client gets the status line and a few bytes only.
          const head = data.subarray(0, Math.min(8, Math.max(1, Math.floor(data.length / 2))));
          res.write(head, () => res.socket?.resetAndDestroy());
        });
      },
    );
    upstream.on('error', () => res.destroy());
    upstream.end(body);
  }
}
