import { randomUUID } from 'node:crypto';
import { type IncomingMessage, request } from 'node:http';

/** The strict layer's HTTP plumbing (strict-aws.ts): forwarding a call to the emulator, answering one itself. */

export type Json = Record<string, unknown>;
/** What the layer forwards of a request. */
export interface Call {
  readonly method?: string;
  readonly url?: string;
  readonly headers: IncomingMessage['headers'];
}

export interface Answer {
  readonly status: number;
  readonly headers: Record<string, string>;
  readonly body: Buffer;
}

export function jsonAnswer(status: number, body: unknown, extra: Record<string, string> = {}): Answer {
  return {
    status,
    headers: { 'content-type': 'application/x-amz-json-1.0', 'x-amzn-requestid': randomUUID(), ...extra },
    body: Buffer.from(JSON.stringify(body)),
  };
}

/** The queue a call names, host-independent: `/<account>/<name>`. */
export function queueKey(queueUrl: unknown): string {
  try {
    return new URL(String(queueUrl)).pathname;
  } catch {
    return String(queueUrl);
  }
}

/** Sends a call on to `target` (the emulator) and reads its whole answer. */
export function forwarderTo(target: string) {
  const upstream = new URL(target);
  return (incoming: Call, body: Buffer, replace?: Buffer): Promise<Answer> =>
    new Promise((resolve, reject) => {
      const payload = replace ?? body;
      const headers = { ...incoming.headers, host: upstream.host, 'content-length': String(payload.length) };
      delete headers['transfer-encoding'];
      const outgoing = request(
        {
          host: upstream.hostname,
          port: upstream.port,
          method: incoming.method,
          path: incoming.url,
          headers,
        },
        (response) => {
          const chunks: Buffer[] = [];
          response.on('data', (chunk: Buffer) => chunks.push(chunk));
          response.on('end', () => {
            const answerHeaders: Record<string, string> = {};
            for (const [name, value] of Object.entries(response.headers)) {
              if (value !== undefined && name !== 'transfer-encoding' && name !== 'content-length')
                answerHeaders[name] = Array.isArray(value) ? value.join(', ') : value;
            }
            resolve({
              status: response.statusCode ?? 502,
              headers: answerHeaders,
              body: Buffer.concat(chunks),
            });
          });
          response.on('error', reject);
        },
      );
      outgoing.on('error', reject);
      outgoing.end(payload);
    });
}
