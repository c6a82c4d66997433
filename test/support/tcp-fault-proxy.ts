import { connect, createServer, type Server, type Socket } from 'node:net';

/**
 * A TCP proxy on 127.0.0.1 in front of one endpoint (the emulator's SQS or DynamoDB API), whose
 * behaviour a test switches while it runs:
 * - `pass`: connections are piped to the target;
 * - `refuse`: the port stops listening, so new connections are refused (ECONNREFUSED) and open
 *   ones are reset, as when the service is down;
 * - `silent`: connections are accepted and requests swallowed, never answered, as with a
 *   black-holed network path. Open connections go silent too (a pooled keep-alive socket must
 *   not carry requests through).
 * Bounded: at most `maxConnections` at once; `stop()` closes everything.
 */
export type ProxyMode = 'pass' | 'refuse' | 'silent';

interface Connection {
  readonly client: Socket;
  upstream?: Socket;
}

export class TcpFaultProxy {
  private server: Server | undefined;
  private port = 0;
  private current: ProxyMode = 'pass';
  private readonly connections = new Set<Connection>();
  /** Connections accepted since the start, for a test's own checks. */
  accepted = 0;

  constructor(
    private readonly target: { readonly host: string; readonly port: number },
    private readonly maxConnections = 128,
  ) {}

  /** A proxy in front of a URL such as `http://127.0.0.1:4566`. */
  static forUrl(url: string): TcpFaultProxy {
    const parsed = new URL(url);
    return new TcpFaultProxy({ host: parsed.hostname, port: Number(parsed.port || 80) });
  }

  get mode(): ProxyMode {
    return this.current;
  }

  /** The proxy's URL (`http://127.0.0.1:<port>`), stable across mode switches. */
  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  async start(mode: ProxyMode = 'pass'): Promise<string> {
    this.current = mode;
    if (mode !== 'refuse') await this.listen();
    else {
      // Take a port and let it go, so the URL is known before anything listens on it.
      await this.listen();
      await this.closeListener();
    }
    return this.url;
  }

  /** Switches behaviour; open connections follow at once. */
  async setMode(mode: ProxyMode): Promise<void> {
    if (mode === this.current) return;
    const previous = this.current;
    this.current = mode;
    if (mode === 'refuse') {
      await this.closeListener();
      for (const connection of this.connections) this.drop(connection, true);
      return;
    }
    if (previous === 'refuse') await this.listen();
    if (mode === 'silent') {
      for (const connection of this.connections) this.silence(connection);
    } else {
      // Silent connections stay dead (their requests were swallowed): close them so clients reconnect.
      for (const connection of this.connections) if (!connection.upstream) this.drop(connection, false);
    }
  }

  async stop(): Promise<void> {
    this.current = 'refuse';
    for (const connection of this.connections) this.drop(connection, false);
    await this.closeListener();
  }

  private async listen(): Promise<void> {
    const server = createServer((client) => this.accept(client));
    server.on('error', () => undefined);
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, '127.0.0.1', () => resolve());
    });
    const address = server.address();
    if (typeof address === 'object' && address) this.port = address.port;
    this.server = server;
  }

  private closeListener(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    return new Promise((resolve) => (server ? server.close(() => resolve()) : resolve()));
  }

  private accept(client: Socket): void {
    client.on('error', () => undefined);
    if (this.connections.size >= this.maxConnections || this.current === 'refuse') {
      client.resetAndDestroy();
      return;
    }
    this.accepted++;
    const connection: Connection = { client };
    this.connections.add(connection);
    client.on('close', () => {
      connection.upstream?.destroy();
      this.connections.delete(connection);
    });
    if (this.current === 'silent') {
      client.resume(); // swallow whatever is sent
      return;
    }
    const upstream = connect(this.target.port, this.target.host);
    connection.upstream = upstream;
    upstream.on('error', () => client.destroy());
    upstream.on('close', () => client.destroy());
    client.pipe(upstream);
    upstream.pipe(client);
  }

  /** Stops forwarding both ways but keeps the client's socket open, never answering. */
  private silence(connection: Connection): void {
    const { client, upstream } = connection;
    if (!upstream) return;
    connection.upstream = undefined;
    client.unpipe(upstream);
    upstream.unpipe(client);
    upstream.removeAllListeners('close');
    upstream.removeAllListeners('error');
    upstream.on('error', () => undefined);
    upstream.destroy();
    client.resume();
  }

  private drop(connection: Connection, reset: boolean): void {
    connection.upstream?.destroy();
    if (reset) connection.client.resetAndDestroy();
    else connection.client.destroy();
    this.connections.delete(connection);
  }
}
