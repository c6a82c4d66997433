import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { API_GATEWAY_MAX_BYTES } from '../../local/api-server.js';
import { type LocalStack, startLocalStack } from '../../local/runner.js';
import { createDynamoDbClient, createSqsClient } from '../../shared/aws/clients.js';
import { DEFAULT_MAX_BODY_BYTES } from '../../shared/payloads.js';
import { queueDepth, readAllIds } from '../chaos/chaos-support.js';
import { failoverIds } from '../support/failover-items.js';
import { LoopbackBackend } from '../support/loopback-backend.js';
import { type RawAnswer, type RawRequest, send } from './http-client.js';

/**
 * Promise 5 (docs/http-contract.md) over real HTTP: fast-check throws bad input at the local runner's API server
 * (the real ingest behind it, the real emulator behind that). Every answer is a 4xx with a JSON
 * `{"error": ...}` body, or a 202 for valid input; the process keeps answering; and what reaches the
 * stores (and so the backend) is exactly the set of ids answered 202. FUZZ_RUNS sets the runs per
 * property (default 40, the CI size).
 */

const RUNS = Number(process.env.FUZZ_RUNS) > 0 ? Number(process.env.FUZZ_RUNS) : 40;
const PATH = '/catering/register';
/** The default route's body limit; bodies over 250,000 bytes of it go by S3. */
const ROUTE_LIMIT = DEFAULT_MAX_BODY_BYTES;
const JSON_TYPE: [string, string] = ['content-type', 'application/json'];

const validBody = (n: number | string) =>
  Buffer.from(JSON.stringify({ passengerId: `fz-${n}`, train: 'RLC-5051', class: 'first' }));

describe('bad input over HTTP (fast-check)', () => {
  const endpoint = inject('awsEndpoint');
  const backend = new LoopbackBackend();
  const prefix = `fz-${randomUUID().slice(0, 8)}`;
  const accepted = new Set<string>();
  const statuses = new Map<number, number>();
  let inputs = 0;
  let stack: LocalStack;

  beforeAll(async () => {
    stack = await startLocalStack({
      env: {
        AWS_ENDPOINT_URL: endpoint,
        CATERING_SERVICE_EP: await backend.start(),
        LOCAL_PREFIX: prefix,
        PORT: '0',
        DRAIN_INTERVAL_SECONDS: '1',
        POWERTOOLS_LOG_LEVEL: 'WARN',
      },
      sink: () => undefined,
    });
  }, 60_000);

  afterAll(async () => {
    await stack?.stop();
    await backend.stop();
    console.log(
      `bad input: ${inputs} inputs over HTTP (${RUNS} runs per property); answers ` +
        [...statuses]
          .sort(([a], [b]) => a - b)
          .map(([s, n]) => `${s}×${n}`)
          .join(', '),
    );
  }, 60_000);

  /** Sends one input and checks the contract every answer must meet; returns the answer. */
  const check = async (input: RawRequest, allowed: readonly number[]): Promise<RawAnswer> => {
    inputs++;
    const answer = await send(stack.apiUrl, input);
    statuses.set(answer.status, (statuses.get(answer.status) ?? 0) + 1);
    expect(
      allowed,
      `${input.method ?? 'POST'} ${input.path} → ${answer.status} ${answer.text.slice(0, 200)}`,
    ).toContain(answer.status);
    expect(answer.headers['content-type']).toMatch(/^application\/json/);
    if (answer.status === 202) {
      expect(answer.json?.messageId).toEqual(expect.any(String));
      accepted.add(String(answer.json?.messageId));
    } else {
      expect(answer.status).toBeGreaterThanOrEqual(400);
      expect(answer.status).toBeLessThan(500);
      expect(answer.json?.error).toEqual(expect.any(String));
    }
    return answer;
  };

  it('answers random bytes under any content type with 400/415 JSON, never a 5xx', async () => {
    const contentType = fc.option(
      fc.constantFrom(
        'application/json',
        'text/plain',
        'application/json; charset=latin1',
        'application/x-www-form-urlencoded',
        'application/vnd.api+json',
      ),
      { nil: undefined },
    );
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ minLength: 0, maxLength: 4096 }), contentType, async (bytes, type) => {
        await check(
          { path: PATH, headers: type ? [['content-type', type]] : [], body: Buffer.from(bytes) },
          [202, 400, 415],
        );
      }),
      { numRuns: RUNS },
    );
  });

  it('rejects a JSON body broken by invalid UTF-8 with 400', async () => {
    const invalid = fc.constantFrom(
      [0xff],
      [0xc0, 0x80],
      [0xed, 0xa0, 0x80],
      [0xf8, 0x88, 0x80, 0x80, 0x80],
      [0xe2, 0x82],
    );
    await fc.assert(
      fc.asyncProperty(fc.nat(40), invalid, async (at, bad) => {
        const text = validBody('utf8');
        const cut = Math.min(at, text.length);
        const body = Buffer.concat([text.subarray(0, cut), Buffer.from(bad), text.subarray(cut)]);
        const answer = await check({ path: PATH, headers: [JSON_TYPE], body }, [400]);
        expect(answer.json?.error).toMatch(/UTF-8|JSON/);
      }),
      { numRuns: RUNS },
    );
  });

  it('rejects deep JSON with 400 and answers any JSON value with 202 or a 400 naming the problem', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 65, max: 20_000 }),
        fc.constantFrom('[', '{"a":'),
        async (depth, open) => {
          const close = open === '[' ? ']' : '}';
          const body = Buffer.from(`${open.repeat(depth)}1${close.repeat(depth)}`);
          const answer = await check({ path: PATH, headers: [JSON_TYPE], body }, [400]);
          expect(answer.json?.error).toMatch(/levels deep/);
        },
      ),
      { numRuns: RUNS },
    );
    await fc.assert(
      fc.asyncProperty(fc.jsonValue({ maxDepth: 6 }), async (value) => {
        await check(
          { path: PATH, headers: [JSON_TYPE], body: Buffer.from(JSON.stringify(value) ?? 'null') },
          [202, 400],
        );
      }),
      { numRuns: RUNS },
    );
  });

  it('accepts catering registrations with odd but valid content, and rejects schema failures with issues', async () => {
    const registration = fc.record(
      {
        passengerId: fc.string({ unit: 'grapheme', minLength: 0, maxLength: 40 }),
        train: fc.oneof(fc.string({ minLength: 0, maxLength: 20 }), fc.integer()),
        class: fc.string({ unit: 'binary', maxLength: 20 }),
        food: fc.array(fc.record({ serving: fc.string(), type: fc.string() }), { maxLength: 3 }),
      },
      { requiredKeys: [] },
    );
    await fc.assert(
      fc.asyncProperty(registration, async (value) => {
        const answer = await check(
          { path: PATH, headers: [JSON_TYPE], body: Buffer.from(JSON.stringify(value)) },
          [202, 400],
        );
        if (answer.status === 400) expect(answer.json?.issues ?? answer.json?.error).toBeDefined();
      }),
      { numRuns: RUNS },
    );
  });

  it('rejects wrong content types with 415 and takes JSON ones', async () => {
    const type = fc.oneof(
      fc.string({ maxLength: 60 }).filter((t) => !/json/i.test(t)),
      fc.constantFrom(
        'text/json',
        'application/json; charset=utf-16',
        'application/jsonx',
        'multipart/form-data; boundary=x',
      ),
    );
    await fc.assert(
      fc.asyncProperty(type, async (contentType) => {
        // Header values cannot hold control characters; such a request is not HTTP at all.
        const value = contentType.replace(/[^\x20-\x7e]/g, '') || 'x/y';
        await check({ path: PATH, headers: [['content-type', value]], body: validBody('ct') }, [415]);
      }),
      { numRuns: RUNS },
    );
    for (const value of [
      'application/json',
      'Application/JSON; charset=UTF-8',
      'application/cloudevents+json',
    ]) {
      await check({ path: PATH, headers: [['content-type', value]], body: validBody(value) }, [202]);
    }
  });

  it('rejects bodies over the route limit and over the server cap with 413, whatever their size', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: ROUTE_LIMIT - 200, max: ROUTE_LIMIT + 5_000 }), async (size) => {
        const filler = 'x'.repeat(Math.max(0, size - validBody('big').length - 12));
        const body = Buffer.from(JSON.stringify({ passengerId: 'fz-big', train: 'T', pad: filler }));
        const answer = await check({ path: PATH, headers: [JSON_TYPE], body }, [202, 413]);
        expect(answer.status).toBe(body.length > ROUTE_LIMIT ? 413 : 202);
      }),
      { numRuns: Math.max(5, Math.floor(RUNS / 4)) },
    );
    // Declared over API Gateway's 10 MB: refused before a byte of the body is read.
    const declared = await check(
      { path: PATH, headers: [JSON_TYPE], body: Buffer.alloc(0), declaredLength: API_GATEWAY_MAX_BYTES + 1 },
      [413],
    );
    expect(declared.headers.connection).toBe('close');
    // Chunked, so only counting tells: refused once it grows past the cap.
    const streamed = await check(
      {
        path: PATH,
        headers: [JSON_TYPE],
        body: Buffer.alloc(API_GATEWAY_MAX_BYTES + 1024, 0x20),
        chunked: true,
      },
      [413],
    ).catch((error: unknown) => error);
    // The server may close while the upload is still going: then no answer is all a client sees.
    if (streamed instanceof Error) expect(String(streamed)).toMatch(/EPIPE|ECONNRESET|socket hang up/);
  });

  it('answers odd headers with a JSON 4xx or 202: duplicates, huge values, weird Idempotency-Keys', async () => {
    const key = fc.oneof(
      fc.string({ minLength: 0, maxLength: 300 }),
      fc.string({ unit: fc.constantFrom(...'abcXYZ019-_.:~!'.split('')), minLength: 1, maxLength: 255 }),
      fc.constantFrom(' ', 'a b', 'ключ', '\t', 'x'.repeat(256), 'x'.repeat(255)),
    );
    // A key fast-check draws again is a client retry, so it carries the same body as the first time
    // (another body under a used key is a 409, which the key-reuse tests cover).
    const bodyOfKey = new Map<string, Buffer>();
    await fc.assert(
      fc.asyncProperty(key, async (raw) => {
        // What HTTP can carry at all (latin1, no control characters); the server must judge the rest.
        const value = raw.replace(/[^\x20-\x7e\x80-\xff]/g, '?');
        const valid = /^[\x21-\x7e]{1,255}$/.test(value);
        const trimmed = value.trim();
        const body = bodyOfKey.get(trimmed) ?? validBody(`key-${inputs}`);
        bodyOfKey.set(trimmed, body);
        const answer = await check(
          { path: PATH, headers: [JSON_TYPE, ['idempotency-key', value]], body },
          [202, 400],
        );
        // Node trims a header value's surrounding spaces before anyone sees it.
        if (value.trim() === value) expect(answer.status).toBe(valid ? 202 : 400);
      }),
      { numRuns: RUNS },
    );
    // Two content types: Node keeps the first; a wrong first one is a 415, never a crash.
    await check(
      { path: PATH, headers: [JSON_TYPE, ['content-type', 'text/plain']], body: validBody('dup') },
      [202],
    );
    await check(
      { path: PATH, headers: [['content-type', 'text/plain'], JSON_TYPE], body: validBody('dup') },
      [415],
    );
    // A large header within the server's limit (16 KiB in total) is just a header.
    await check(
      { path: PATH, headers: [JSON_TYPE, ['x-padding', 'p'.repeat(8_000)]], body: validBody('pad') },
      [202],
    );
  });

  it('refuses what is not HTTP at all (header over 16 KiB, unknown method) with a JSON 4xx, and keeps serving', async () => {
    // Node's parser refuses these before any handler runs; the runner still answers in the error shape.
    const notHttp: [RawRequest, number][] = [
      [{ path: PATH, headers: [JSON_TYPE, ['x-huge', 'h'.repeat(20_000)]], body: validBody('huge') }, 431],
      [{ method: 'FOO', path: PATH, headers: [JSON_TYPE], body: validBody('foo') }, 400],
    ];
    for (const [input, status] of notHttp) {
      inputs++;
      const answer = await send(stack.apiUrl, input);
      statuses.set(answer.status, (statuses.get(answer.status) ?? 0) + 1);
      expect(answer.status).toBe(status);
      expect(answer.json?.error).toEqual(expect.any(String));
    }
    await check({ path: PATH, headers: [JSON_TYPE], body: validBody('after-malformed') }, [202]);
  });

  it('answers unknown routes with 404 and other methods with 405, in JSON', async () => {
    const method = fc.constantFrom('GET', 'PUT', 'DELETE', 'PATCH', 'OPTIONS', 'HEAD', 'POST', 'PROPFIND');
    const segment = fc.string({
      unit: fc.constantFrom(...'abcz09-_.~%'.split('')),
      minLength: 1,
      maxLength: 12,
    });
    const path = fc.oneof(
      fc.array(segment, { minLength: 1, maxLength: 4 }).map((parts) => `/${parts.join('/')}`),
      fc.constant(PATH),
      fc.constant(`${PATH}/`),
      fc.constant(`${PATH}?x=1`),
    );
    await fc.assert(
      fc.asyncProperty(method, path, async (verb, target) => {
        const known = new URL(target, 'http://x').pathname.replace(/\/+$/, '') === PATH;
        if (verb === 'HEAD') {
          // A HEAD answer has no body by definition; its status still has to be a 4xx.
          inputs++;
          const answer = await send(stack.apiUrl, { method: verb, path: target, headers: [JSON_TYPE] });
          expect(answer.status).toBe(known ? 405 : 404);
          return;
        }
        const expected = !known ? 404 : verb === 'POST' ? 202 : 405;
        await check(
          { method: verb, path: target, headers: [JSON_TYPE], body: validBody(`${verb}-${inputs}`) },
          [expected],
        );
      }),
      { numRuns: RUNS },
    );
  });

  it('answers a lookup id with malformed percent-encoding with a 400 JSON naming it', async () => {
    // Not hex, an overlong UTF-8 '/', a UTF-16 surrogate, a cut sequence, a lone '%'
    for (const segment of ['%ZZ', '%C0%AF', '%ED%A0%80', '%E2%82', '%']) {
      const answer = await check({ method: 'GET', path: `${PATH}/${segment}`, headers: [] }, [400]);
      expect(answer.json?.error).toContain('percent-encoding');
    }
  });

  it('still answers a valid request, and stores exactly the ids it answered 202 for', async () => {
    // Act: the server is alive after all of the above
    const alive = await check({ path: PATH, headers: [JSON_TYPE], body: validBody('alive') }, [202]);
    const sqs = createSqsClient({ endpoint });
    const dynamoDb = createDynamoDbClient({ endpoint });
    const route = stack.routes[0];
    if (!route) throw new Error('the local stack has no route');
    const deadline = Date.now() + 45_000;
    while (Date.now() < deadline) {
      const received = new Set(backend.idsReceived());
      if (
        [...accepted].every((id) => received.has(id)) &&
        (await queueDepth(sqs, route.queues.queueUrl)) === 0
      )
        break;
      await sleep(500);
    }

    // Assess: what reached the stores is what went to the backend: the accepted ids and nothing else
    expect(alive.status).toBe(202);
    expect(new Set(backend.idsReceived())).toEqual(accepted);
    expect(await failoverIds(dynamoDb, stack.tables.failoverTable)).toEqual([]);
    expect(await readAllIds(sqs, route.queues.dlqUrl)).toEqual([]);
    for (const request of backend.requests) expect(() => JSON.parse(request.body)).not.toThrow();
    sqs.destroy();
    dynamoDb.destroy();
  });
});
