import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One request the backend answered. */
export interface OrderedDelivery {
  readonly id: string;
  readonly key: string;
  readonly attempt: number;
  readonly status: number;
}

/**
 * A backend on loopback for ordered-delivery tests: it answers each attempt with the status
 * `decide` gives, and keeps every answer in arrival order, so a test can read, per key, the order
 * of first successful deliveries. The key is read from the body's `key` field, the id from
 * Idempotency-Key.
 */
export class OrderingBackend {
  readonly deliveries: OrderedDelivery[] = [];
  private server: Server | undefined;

  constructor(private readonly decide: (id: string, attempt: number) => number = () => 200) {}

  async start(): Promise<string> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        const id = String(req.headers['idempotency-key']);
        const attempt = Number(req.headers['x-delivery-attempt']);
        let key = '';
        try {
          key = String((JSON.parse(Buffer.concat(chunks).toString()) as { key?: unknown }).key ?? '');
        } catch {
          // not a test message: no key
        }
        const status = this.decide(id, attempt);
        this.deliveries.push({ id, key, attempt, status });
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ ok: status < 300 }));
      });
    });
    await new Promise<void>((resolve) => this.server?.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/ordered`;
  }

  /** Per key, the ids of first 2xx deliveries, in the order they happened. */
  firstDeliveriesByKey(): Map<string, string[]> {
    const seen = new Set<string>();
    const byKey = new Map<string, string[]>();
    for (const delivery of this.deliveries) {
      if (delivery.status >= 300 || seen.has(delivery.id)) continue;
      seen.add(delivery.id);
      byKey.set(delivery.key, [...(byKey.get(delivery.key) ?? []), delivery.id]);
    }
    return byKey;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}
