import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach } from 'vitest';

/** A request the backend received. */
export interface ReceivedRequest {
  readonly method: string;
  readonly path: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
  /** When the request was complete (Date.now()). */
  readonly receivedAt: number;
}

/** How the backend answers the next request: a status (after an optional delay, with an optional body), or never. */
export type Answer =
  | { status: number; delayMs?: number; headers?: Record<string, string>; body?: string }
  | 'hang';

/**
 * A real HTTP server on 127.0.0.1 standing in for the unreliable backend. It records every request
 * and answers from a script (then from `fallback`), so a test can make it fail, recover or hang.
 */
export class LoopbackBackend {
  readonly requests: ReceivedRequest[] = [];
  private readonly script: Answer[] = [];
  fallback: Answer = { status: 200 };
  /**
   * Looks at each request before the script does, as a receiver's own checks would (a signature,
   * say): an answer returned here is sent instead, and the script is left as it was.
   */
  check: ((request: ReceivedRequest) => Answer | undefined) | undefined;
  private server: Server | undefined;
  private readonly hanging = new Set<import('node:http').ServerResponse>();

  /** Answers the next requests with these, in order. */
  answerNext(...answers: Answer[]): void {
    this.script.push(...answers);
  }

  async start(): Promise<string> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        const request = {
          method: req.method ?? '',
          path: req.url ?? '',
          headers: req.headers,
          body: Buffer.concat(chunks).toString(),
          receivedAt: Date.now(),
        };
        this.requests.push(request);
        const answer = this.check?.(request) ?? this.script.shift() ?? this.fallback;
        if (answer === 'hang') {
          this.hanging.add(res);
          return;
        }
        setTimeout(() => {
          res.writeHead(answer.status, { 'content-type': 'application/json', ...answer.headers });
          res.end(answer.body ?? JSON.stringify({ success: answer.status < 300 }));
        }, answer.delayMs ?? 0);
      });
    });
    await new Promise<void>((resolve) => this.server?.listen(0, '127.0.0.1', resolve));
    const { port } = this.server.address() as AddressInfo;
    return `http://127.0.0.1:${port}/catering`;
  }

  /** Message ids of the requests, in arrival order (with repeats, if any). */
  idsReceived(): string[] {
    return this.requests.map((r) => String(r.headers['idempotency-key']));
  }

  async stop(): Promise<void> {
    for (const res of this.hanging) res.destroy();
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}

/**
 * A fresh {@link LoopbackBackend} for each test of the calling file or `describe`, stopped after it:
 * `backend.current` and `backend.target` (its URL) are the running test's.
 */
export function backendPerTest(): { readonly current: LoopbackBackend; readonly target: string } {
  let current: LoopbackBackend | undefined;
  let target = '';
  beforeEach(async () => {
    current = new LoopbackBackend();
    target = await current.start();
  });
  afterEach(async () => {
    await current?.stop();
  });
  return {
    get current() {
      if (!current) throw new Error('backendPerTest: used outside a test');
      return current;
    },
    get target() {
      return target;
    },
  };
}
