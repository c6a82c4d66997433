import { request } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { TagQueueCommand, UntagQueueCommand } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PAUSE_TAG } from '../../local/local-stack-contract.js';
import { type LocalStack, startLocalStack } from '../../local/runner.js';
import { createSqsClient } from '../../shared/aws/clients.js';
import { CATERING_PAYLOAD, scenarioEnv, waitFor } from './runner-process.js';

const API_KEY = 'local-test-key';

/**
 * The runner's own contract, in-process: what its API Gateway stand-in answers by
 * itself, the demo backend and its failure switch, and the pause tag shared with the CLI.
 */
describe('local runner', () => {
  let stack: LocalStack;
  const lines: string[] = [];
  let route = '';

  const post = (body: unknown, headers: Record<string, string> = { 'x-api-key': API_KEY }) =>
    fetch(route, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: typeof body === 'string' ? body : JSON.stringify(body),
      signal: AbortSignal.timeout(15_000),
    });

  /** Declares an 11 MB body, sends a few bytes of it and reads the answer: the API must not wait for the rest. */
  const declareHugeBody = () =>
    new Promise<number>((resolve, reject) => {
      const req = request(route, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'content-length': String(11 * 1024 * 1024),
          'x-api-key': API_KEY,
        },
        timeout: 10_000,
      });
      req.on('response', (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
        req.destroy();
      });
      req.on('timeout', () => req.destroy(new Error('no answer before the body was complete')));
      req.on('error', reject);
      req.write('{"passengerId":"');
    });

  beforeAll(async () => {
    // Prepare: no CATERING_SERVICE_EP, so the demo backend is the target; an API key is required
    const env = await scenarioEnv({ LOCAL_API_KEY: API_KEY });
    stack = await startLocalStack({ env, sink: (line) => lines.push(line) });
    route = `${stack.apiUrl}/catering/register`;
  });

  afterAll(async () => {
    await stack?.stop();
  });

  it('rejects a request without the right x-api-key with 403, like a usage plan', async () => {
    // Act
    const missing = await post(CATERING_PAYLOAD, {});
    const wrong = await post(CATERING_PAYLOAD, { 'x-api-key': 'nope' });

    // Assess
    expect(missing.status).toBe(403);
    expect(await missing.json()).toEqual({ error: expect.stringMatching(/x-api-key/) });
    expect(wrong.status).toBe(403);
  });

  it('rejects an unknown path with 404, another method with 405 and a body over 10 MB with 413', async () => {
    // Act (the key first, as on AWS: every path reaches the ingest through one keyed proxy method)
    const unknown = await fetch(`${stack.apiUrl}/nope`, {
      method: 'POST',
      body: '{}',
      headers: { 'x-api-key': API_KEY },
    });
    const unknownWithoutKey = await fetch(`${stack.apiUrl}/nope`, { method: 'POST', body: '{}' });
    const get = await fetch(route, { headers: { 'x-api-key': API_KEY } });
    const huge = await declareHugeBody();

    // Assess
    expect(unknown.status).toBe(404);
    expect(await unknown.json()).toEqual({ error: 'no route for /nope', routes: ['/catering/register'] });
    expect(unknownWithoutKey.status).toBe(403);
    expect(get.status).toBe(405);
    expect(get.headers.get('allow')).toBe('POST');
    expect(huge).toBe(413);
    expect((await post(CATERING_PAYLOAD)).status).toBe(202); // still serving
  });

  it('delivers to the demo backend, retrying while its control endpoint makes it fail', async () => {
    // Prepare
    const demo = stack.demoBackend;
    const setFailure = (failWith: number | null) =>
      fetch(`${demo?.baseUrl}/control`, { method: 'POST', body: JSON.stringify({ failWith }) });
    const deliveriesOf = (id: string) => demo?.received.filter((d) => d.messageId === id) ?? [];
    const failing = await setFailure(503);

    // Act
    const accepted = (await (await post(CATERING_PAYLOAD)).json()) as { messageId: string };
    await waitFor(
      () => deliveriesOf(accepted.messageId),
      (deliveries) => deliveries.length > 0,
      10_000,
    );
    const recovered = await setFailure(null);
    const received = await waitFor(
      () => deliveriesOf(accepted.messageId),
      (deliveries) => deliveries.some((d) => d.status === 200),
      15_000,
    );

    // Assess
    expect(demo).toBeDefined();
    expect([failing.status, recovered.status]).toEqual([200, 200]);
    expect(received).toEqual([
      { messageId: accepted.messageId, attempt: 1, status: 503 },
      { messageId: accepted.messageId, attempt: 2, status: 200 },
    ]);
    expect(lines.join('\n')).toMatch(/attempt 1 +\S+ → 503, retry in \ds/);
  });

  it('holds a route while its queue carries the gd:paused tag and delivers once it is cleared', async () => {
    // Prepare
    const sqs = createSqsClient({ endpoint: stack.sqsEndpoint });
    const queueUrl = stack.routes[0]?.queues.queueUrl ?? '';
    await sqs.send(new TagQueueCommand({ QueueUrl: queueUrl, Tags: { [PAUSE_TAG]: 'true' } }));
    await waitFor(
      () => stack.routes[0]?.mapping.paused,
      (paused) => paused === true,
      5_000,
    );

    // Act
    const accepted = (await (await post(CATERING_PAYLOAD)).json()) as { messageId: string };
    await sleep(2_500);
    const whilePaused = stack.demoBackend?.received.filter((d) => d.messageId === accepted.messageId) ?? [];
    await sqs.send(new UntagQueueCommand({ QueueUrl: queueUrl, TagKeys: [PAUSE_TAG] }));
    const afterResume = await waitFor(
      () => stack.demoBackend?.received.filter((d) => d.messageId === accepted.messageId) ?? [],
      (deliveries) => deliveries.length > 0,
      10_000,
    );
    sqs.destroy();

    // Assess
    expect(whilePaused).toEqual([]);
    expect(afterResume).toEqual([{ messageId: accepted.messageId, attempt: 1, status: 200 }]);
    expect(lines.join('\n')).toMatch(/paused +catering: queue tag gd:paused=true/);
  });
});
