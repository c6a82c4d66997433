import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, inject, it } from 'vitest';
import { type LocalStack, startLocalStack } from '../../local/runner.js';
import { LoopbackBackend } from '../support/loopback-backend.js';
import { send } from './http-client.js';

/**
 * Security checks against the local runner in-process: the API key (LOCAL_API_KEY, as a usage plan
 * on AWS), and payloads kept out of the logs unless LOG_PAYLOADS=true. IAM least privilege per
 * function is asserted on the synthesized template by test/infra/least-privilege.test.ts.
 */

const PATH = '/catering/register';
const JSON_TYPE: [string, string] = ['content-type', 'application/json'];

describe('security of the local stack', () => {
  const endpoint = inject('awsEndpoint');
  let stack: LocalStack | undefined;
  let backend: LoopbackBackend | undefined;

  // The functions' EMF metrics print to stdout in the JSON log format; they are not under test here.
  process.env.POWERTOOLS_METRICS_DISABLED = 'true';

  afterEach(async () => {
    await stack?.stop();
    await backend?.stop();
    stack = undefined;
    backend = undefined;
  });

  /** Starts the stack with `env` on top of test defaults; returns it with every line it printed. */
  const start = async (env: Record<string, string>) => {
    backend = new LoopbackBackend();
    const lines: string[] = [];
    stack = await startLocalStack({
      env: {
        AWS_ENDPOINT_URL: endpoint,
        CATERING_SERVICE_EP: await backend.start(),
        LOCAL_PREFIX: `sec-${randomUUID().slice(0, 8)}`,
        PORT: '0',
        DRAIN_INTERVAL_SECONDS: '1',
        POWERTOOLS_LOG_LEVEL: 'DEBUG',
        ...env,
      },
      sink: (line) => lines.push(line),
    });
    return { stack, backend, lines };
  };

  /** Sends a valid, an invalid-JSON and a schema-failing body, each carrying `marker`; waits for the delivery. */
  const sendMarked = async (api: string, received: LoopbackBackend, marker: string) => {
    const valid = await send(api, {
      path: PATH,
      headers: [JSON_TYPE],
      body: Buffer.from(JSON.stringify({ passengerId: marker, train: 'RLC-5051' })),
    });
    const broken = await send(api, {
      path: PATH,
      headers: [JSON_TYPE],
      body: Buffer.from(`{"passengerId": ${marker}`),
    });
    const schema = await send(api, {
      path: PATH,
      headers: [JSON_TYPE],
      body: Buffer.from(JSON.stringify({ passengerId: 7, train: marker })),
    });
    const deadline = Date.now() + 15_000;
    while (received.requests.length === 0 && Date.now() < deadline) await sleep(100);
    // The forwarder logs after the backend answered: a moment for its record to be written.
    await sleep(300);
    return [valid.status, broken.status, schema.status];
  };

  it('rejects requests without or with a wrong API key with 403 JSON, and accepts the right key', async () => {
    // Prepare
    const key = `k-${randomUUID()}`;
    const { stack: running, backend: received } = await start({ LOCAL_API_KEY: key });
    const body = Buffer.from(JSON.stringify({ passengerId: 'auth', train: 'RLC-5051' }));

    // Act
    const missing = await send(running.apiUrl, { path: PATH, headers: [JSON_TYPE], body });
    const wrong = await send(running.apiUrl, {
      path: PATH,
      headers: [JSON_TYPE, ['x-api-key', 'nope']],
      body,
    });
    const sameLength = await send(running.apiUrl, {
      path: PATH,
      headers: [JSON_TYPE, ['x-api-key', `${key.slice(0, -1)}x`]],
      body,
    });
    const right = await send(running.apiUrl, { path: PATH, headers: [JSON_TYPE, ['x-api-key', key]], body });

    // Assess
    for (const refused of [missing, wrong, sameLength]) {
      expect(refused.status).toBe(403);
      expect(refused.json?.error).toEqual(expect.any(String));
    }
    expect(right.status).toBe(202);
    expect(running.readyLine).toContain('x-api-key required');
    const deadline = Date.now() + 15_000;
    while (received.requests.length === 0 && Date.now() < deadline) await sleep(100);
    expect(received.idsReceived()).toEqual([right.json?.messageId]);
  });

  it('keeps payloads out of the logs by default, in both log formats', async () => {
    for (const format of ['json', 'journey']) {
      // Prepare
      const marker = `secret-${randomUUID()}`;
      const { stack: running, backend: received, lines } = await start({ LOG_FORMAT: format });

      // Act
      const statuses = await sendMarked(running.apiUrl, received, marker);

      // Assess: the messages went through and were logged, their content was not
      expect(statuses).toEqual([202, 400, 400]);
      expect(received.requests[0]?.body).toContain(marker);
      expect(lines.some((line) => /accepted/.test(line))).toBe(true);
      expect(lines.filter((line) => line.includes(marker))).toEqual([]);
      await stack?.stop();
      await backend?.stop();
    }
  });

  it('writes payloads to the logs when LOG_PAYLOADS=true', async () => {
    // Prepare
    const marker = `visible-${randomUUID()}`;
    const {
      stack: running,
      backend: received,
      lines,
    } = await start({ LOG_FORMAT: 'json', LOG_PAYLOADS: 'true' });

    // Act
    await sendMarked(running.apiUrl, received, marker);

    // Assess: the accepted and the delivered records carry the body
    const marked = lines.filter((line) => line.includes(marker)).map((line) => JSON.parse(line).message);
    expect(marked).toEqual(expect.arrayContaining(['accepted', 'delivered']));
  });
});
