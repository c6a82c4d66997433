import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import { type AddressInfo, createServer, type Socket } from 'node:net';
import { freePort } from '../local/moto-server.js';

/**
 * Loopback stand-ins for the benchmark: endpoints that fail the way a dead AWS endpoint does, and a
 * backend with a fixed latency. Everything listens on 127.0.0.1 only and is closed by its owner.
 * (test/support has similar helpers; bench/ keeps its own so nothing imports from test/.)
 */

/** A loopback URL where nothing listens: every connection is refused at once. */
export async function refusingEndpoint(): Promise<string> {
  return `http://127.0.0.1:${await freePort()}`;
}

/** A server that accepts connections and never answers. */
export interface SilentEndpoint {
  readonly url: string;
  /** Connections accepted so far. */
  connections(): number;
  close(): Promise<void>;
}

export async function silentEndpoint(): Promise<SilentEndpoint> {
  const sockets = new Set<Socket>();
  let accepted = 0;
  const server = createServer((socket) => {
    accepted++;
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    connections: () => accepted,
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** An HTTP backend that answers every POST with 200 after a fixed delay, and counts them. */
export interface FixedLatencyBackend {
  readonly url: string;
  readonly latencyMs: number;
  /** Requests answered so far. */
  answered(): number;
  close(): Promise<void>;
}

export async function fixedLatencyBackend(latencyMs: number): Promise<FixedLatencyBackend> {
  let answered = 0;
  const server: HttpServer = createHttpServer((req, res) => {
    // Drain the body before answering, as a real backend would read it.
    req.resume();
    req.on('end', () => {
      setTimeout(() => {
        answered++;
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end('{"success":true}');
      }, latencyMs);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/catering`,
    latencyMs,
    answered: () => answered,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
