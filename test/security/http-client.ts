import { request } from 'node:http';

/**
 * A raw HTTP/1.1 client for bad-input tests: any method, path, header list (duplicates kept, in
 * order) and body bytes, a fresh connection per request so one bad request cannot poison the next.
 */

export interface RawRequest {
  readonly method?: string;
  readonly path: string;
  /** Header pairs as sent, duplicates included. */
  readonly headers?: readonly (readonly [string, string])[];
  readonly body?: Buffer;
  /** Send the body chunked, without Content-Length. */
  readonly chunked?: boolean;
  /** Declare this Content-Length instead of the body's (the server may answer before reading). */
  readonly declaredLength?: number;
}

export interface RawAnswer {
  readonly status: number;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  readonly text: string;
  /** The body parsed as JSON, or undefined when it is not JSON. */
  readonly json: Record<string, unknown> | undefined;
}

/** Sends one request to `baseUrl`; rejects only when no answer came at all. */
export function send(baseUrl: string, input: RawRequest, timeoutMs = 15_000): Promise<RawAnswer> {
  const url = new URL(baseUrl);
  // A raw header list gets no Host from Node; HTTP/1.1 servers refuse a request without one.
  const headers: string[] = ['host', url.host];
  for (const [name, value] of input.headers ?? []) headers.push(name, value);
  if (input.chunked) headers.push('transfer-encoding', 'chunked');
  else headers.push('content-length', String(input.declaredLength ?? input.body?.length ?? 0));
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: url.hostname,
        port: url.port,
        method: input.method ?? 'POST',
        path: input.path,
        headers,
        agent: false,
        timeout: timeoutMs,
        // Headers as given: the server's own limits are what is under test.
        maxHeaderSize: 1024 * 1024,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('error', reject);
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let json: Record<string, unknown> | undefined;
          try {
            const parsed: unknown = JSON.parse(text);
            json =
              typeof parsed === 'object' && parsed !== null ? (parsed as Record<string, unknown>) : undefined;
          } catch {
            json = undefined;
          }
          resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json });
        });
      },
    );
    req.on('timeout', () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    // A server that answers early (413) and closes may make the rest of the upload fail: the answer
    // already arrived, or the request is rejected with the socket error.
    req.on('error', reject);
    if (input.body && input.body.length > 0) req.write(input.body);
    req.end();
  });
}
