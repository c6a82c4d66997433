import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type IngestRequest,
  isJsonContentType,
  jsonDepth,
  MAX_JSON_DEPTH,
  type ParseResult,
  parseRequest,
} from '../../functions/ingest/parse-request.js';
import { builtInBodySchema } from '../../shared/schemas/body-schemas.js';
import {
  aBinaryIngestRequest,
  anIngestRequest,
  cateringRegistration,
  ingestRules,
} from '../support/factories.js';

const NOW = new Date('2025-01-02T03:04:05.000Z');
const newId = () => 'generated-id';
const parse = (request: IngestRequest, rules = ingestRules()) => parseRequest(request, rules, newId, NOW);

/** The answer of a refused request, with its JSON body parsed. */
function refusal(result: ParseResult) {
  if (result.ok) throw new Error(`expected a refusal, got envelope ${JSON.stringify(result.envelope)}`);
  return { ...result.response, json: JSON.parse(result.response.body) as Record<string, unknown> };
}

function accepted(result: ParseResult) {
  if (!result.ok)
    throw new Error(`expected an envelope, got ${result.response.statusCode} ${result.response.body}`);
  return result.envelope;
}

/** Arrays and objects nested, counted the obvious (recursive) way. */
function depthOf(value: unknown): number {
  if (Array.isArray(value)) return 1 + Math.max(0, ...value.map(depthOf));
  if (value !== null && typeof value === 'object')
    return 1 + Math.max(0, ...Object.values(value).map(depthOf));
  return 0;
}

/** Characters SQS refuses in a message body (outside XML's character range). */
const isSqsSafe = (text: string) =>
  [...text].every((char) => {
    const c = char.codePointAt(0) ?? 0;
    return (
      c === 0x09 ||
      c === 0x0a ||
      c === 0x0d ||
      (c >= 0x20 && c <= 0xd7ff) ||
      (c >= 0xe000 && c <= 0xfffd) ||
      c >= 0x10000
    );
  });

describe('parseRequest: method and content type', () => {
  it('rejects a method other than POST with 405 and an Allow header', () => {
    // Act
    const answer = refusal(parse(anIngestRequest(undefined, { method: 'GET' })));

    // Assess
    expect(answer.statusCode).toBe(405);
    expect(answer.headers).toEqual({ 'content-type': 'application/json', allow: 'POST' });
    expect(answer.json.error).toBe('method GET is not allowed; use POST');
  });

  it('accepts the method in any case', () => {
    // Act
    const result = parse(anIngestRequest(undefined, { method: 'post' }));

    // Assess
    expect(result.ok).toBe(true);
  });

  it.each([
    ['missing', undefined, null],
    ['text/plain', 'text/plain', 'text/plain'],
    ['a non-UTF-8 charset', 'application/json; charset=iso-8859-1', 'application/json; charset=iso-8859-1'],
    ['form data', 'application/x-www-form-urlencoded', 'application/x-www-form-urlencoded'],
  ])('rejects a %s content type with 415', (_label, contentType, reported) => {
    // Act
    const answer = refusal(parse(anIngestRequest(undefined, { headers: { 'content-type': contentType } })));

    // Assess
    expect(answer.statusCode).toBe(415);
    expect(answer.json).toEqual({
      error: 'Content-Type must be application/json (UTF-8)',
      contentType: reported,
    });
  });

  it.each([
    'application/json',
    'application/json; charset=utf-8',
    'Application/JSON;Charset=UTF-8',
    'application/json; charset="utf-8"',
    'application/x+json',
    'application/vnd.catering.v1+json; charset=utf8',
  ])('accepts %s and passes it on in the envelope', (contentType) => {
    // Act
    const envelope = accepted(
      parse(anIngestRequest(undefined, { headers: { 'content-type': contentType } })),
    );

    // Assess
    expect(envelope.contentType).toBe(contentType);
    expect(isJsonContentType(contentType)).toBe(true);
  });

  it('rejects json as a mere suffix of another media type', () => {
    // Act
    const results = ['application/jsonx', 'text/x+json', 'application/+json'].map(isJsonContentType);

    // Assess
    expect(results).toEqual([false, false, false]);
  });
});

describe('parseRequest: size', () => {
  it('accepts a body of exactly the limit and rejects one byte more with 413', () => {
    // Prepare: multi-byte characters, so a count of characters instead of bytes would pass both.
    const text = JSON.stringify({ name: 'Zoë Ångström 🚆', pad: 'é'.repeat(40) });
    const bytes = Buffer.byteLength(text);
    expect(bytes).toBeGreaterThan(text.length);

    // Act
    const atLimit = parse(anIngestRequest(text), ingestRules({ maxBodyBytes: bytes }));
    const overLimit = parse(anIngestRequest(text), ingestRules({ maxBodyBytes: bytes - 1 }));

    // Assess
    expect(accepted(atLimit).body).toBe(text);
    const answer = refusal(overLimit);
    expect(answer.statusCode).toBe(413);
    expect(answer.json).toEqual({
      error: `body is ${bytes} bytes; the limit is ${bytes - 1}`,
      limitBytes: bytes - 1,
    });
  });

  it('counts the decoded bytes of a base64 body, not its encoded length', () => {
    // Prepare
    const text = JSON.stringify({ a: 'x'.repeat(90) });
    const bytes = Buffer.byteLength(text);

    // Act
    const result = parse(aBinaryIngestRequest(Buffer.from(text)), ingestRules({ maxBodyBytes: bytes }));

    // Assess
    expect(accepted(result).body).toBe(text);
  });

  it.each([
    ['null', null],
    ['empty', ''],
  ])('rejects a %s body with 400', (_label, body) => {
    // Act
    const answer = refusal(parse({ ...anIngestRequest(), body }));

    // Assess
    expect(answer.statusCode).toBe(400);
    expect(answer.json.error).toBe('body is empty; send a JSON document');
  });
});

describe('parseRequest: encoding and characters', () => {
  it('rejects bytes that are not UTF-8 with 400', () => {
    // Prepare: 0xff never occurs in UTF-8.
    const bytes = Uint8Array.from([...Buffer.from('{"a":"'), 0xff, ...Buffer.from('"}')]);

    // Act
    const answer = refusal(parse(aBinaryIngestRequest(bytes)));

    // Assess
    expect(answer.statusCode).toBe(400);
    expect(answer.json.error).toBe('body is not valid UTF-8');
  });

  it('accepts multi-byte UTF-8 sent base64-encoded and keeps it exactly', () => {
    // Prepare
    const text = JSON.stringify({ station: 'Kraków Główny', emoji: '🍱' });

    // Act
    const envelope = accepted(parse(aBinaryIngestRequest(Buffer.from(text))));

    // Assess
    expect(envelope.body).toBe(text);
  });

  it.each([
    ['U+0000', '\u0000', '0000'],
    ['U+FFFF', '\uffff', 'FFFF'],
    ['U+0008', '\b', '0008'],
  ])('rejects a raw %s, which SQS cannot queue, naming it and its offset', (_label, char, hex) => {
    // Prepare
    const text = `{"a":"x${char}y"}`;

    // Act
    const answer = refusal(parse(anIngestRequest(text)));

    // Assess
    expect(answer.statusCode).toBe(400);
    expect(answer.json).toEqual({
      error: `body contains the character U+${hex}, which cannot be queued; escape it in a JSON string`,
      offset: 7,
    });
  });

  it('accepts the same characters escaped in a JSON string', () => {
    // Prepare
    const text = '{"a":"x\\u0000\\uffffy"}';

    // Act
    const envelope = accepted(parse(anIngestRequest(text)));

    // Assess
    expect(envelope.body).toBe(text);
  });
});

describe('parseRequest: JSON', () => {
  it(`accepts nesting of exactly ${MAX_JSON_DEPTH} levels and rejects one more with 400`, () => {
    // Prepare: the object itself is one level.
    const nested = (levels: number) => `{"a":${'['.repeat(levels - 1)}${']'.repeat(levels - 1)}}`;

    // Act
    const atLimit = parse(anIngestRequest(nested(MAX_JSON_DEPTH)));
    const overLimit = parse(anIngestRequest(nested(MAX_JSON_DEPTH + 1)));

    // Assess
    expect(atLimit.ok).toBe(true);
    const answer = refusal(overLimit);
    expect(answer.statusCode).toBe(400);
    expect(answer.json.error).toBe(
      `body nests ${MAX_JSON_DEPTH + 1} levels deep; the limit is ${MAX_JSON_DEPTH}`,
    );
  });

  it('refuses a hostile depth without recursion and without a stack overflow', () => {
    // Prepare
    const deep = '['.repeat(200_000);

    // Act
    const answer = refusal(parse(anIngestRequest(deep)));

    // Assess
    expect(answer.statusCode).toBe(400);
    expect(answer.json.error).toBe(`body nests 200000 levels deep; the limit is ${MAX_JSON_DEPTH}`);
  });

  it('rejects malformed JSON with 400 and the parser detail', () => {
    // Act
    const answer = refusal(parse(anIngestRequest('{"passengerId": ')));

    // Assess
    expect(answer.statusCode).toBe(400);
    expect(answer.json).toEqual({ error: 'body is not valid JSON', detail: expect.any(String) });
    expect(String(answer.json.detail).length).toBeGreaterThan(0);
  });

  it('rejects a body that breaks the route schema with 400 and the issues', () => {
    // Prepare
    const rules = ingestRules({
      schemaName: 'catering-registration',
      schema: builtInBodySchema('catering-registration'),
    });
    const { passengerId: _, ...withoutPassenger } = cateringRegistration();

    // Act
    const answer = refusal(parse(anIngestRequest(withoutPassenger), rules));

    // Assess
    expect(answer.statusCode).toBe(400);
    expect(answer.json).toEqual({
      error: 'body does not match the catering-registration schema',
      issues: [{ path: 'passengerId', message: expect.any(String) }],
    });
  });

  it('names the path of a nested schema failure', () => {
    // Prepare
    const rules = ingestRules({
      schemaName: 'catering-registration',
      schema: builtInBodySchema('catering-registration'),
    });
    const body = cateringRegistration({ food: [{ serving: 'lunch', type: '' }] });

    // Act
    const answer = refusal(parse(anIngestRequest(body), rules));

    // Assess
    expect(answer.json.issues).toEqual([{ path: 'food.0.type', message: expect.any(String) }]);
  });

  it('accepts a catering registration and keeps unknown fields in the body', () => {
    // Prepare
    const rules = ingestRules({
      schemaName: 'catering-registration',
      schema: builtInBodySchema('catering-registration'),
    });
    const text = JSON.stringify(cateringRegistration({ loyaltyCard: 'gold' }));

    // Act
    const envelope = accepted(parse(anIngestRequest(text), rules));

    // Assess
    expect(envelope.body).toBe(text);
  });

  it('rejects a JSON array where the route wants an object', () => {
    // Act
    const answer = refusal(parse(anIngestRequest('[1,2]')));

    // Assess
    expect(answer.statusCode).toBe(400);
    expect(answer.json.error).toBe('body does not match the json-object schema');
  });
});

describe('parseRequest: the envelope', () => {
  it('builds the envelope from the request, the rules, a new id and the clock', () => {
    // Prepare
    const text = JSON.stringify(cateringRegistration());

    // Act
    const envelope = accepted(parse(anIngestRequest(text)));

    // Assess
    expect(envelope).toEqual({
      id: 'generated-id',
      route: 'catering',
      body: text,
      contentType: 'application/json',
      receivedAt: '2025-01-02T03:04:05.000Z',
      priorAttempts: 0,
      // No traceparent from the client: a new trace.
      traceparent: expect.stringMatching(/^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/),
    });
  });

  it("keeps the client's traceparent and tracestate with the message", () => {
    // Prepare
    const traceparent = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
    const request = anIngestRequest(JSON.stringify(cateringRegistration()));

    // Act
    const envelope = accepted(
      parse({
        ...request,
        headers: { ...request.headers, traceparent, tracestate: 'rojo=00f067aa0ba902b7' },
      }),
    );

    // Assess
    expect(envelope.traceparent).toBe(traceparent);
    expect(envelope.tracestate).toBe('rojo=00f067aa0ba902b7');
  });

  it("uses the client's Idempotency-Key as the message id", () => {
    // Prepare
    const key = `order-${'7'.repeat(249)}`;
    expect(key).toHaveLength(255);

    // Act
    const envelope = accepted(
      parse(
        anIngestRequest(undefined, {
          headers: { 'content-type': 'application/json', 'idempotency-key': key },
        }),
      ),
    );

    // Assess
    expect(envelope.id).toBe(key);
  });

  it.each([
    ['empty', ''],
    ['with a space', 'order 1'],
    ['non-ASCII', 'commande-é'],
    ['256 characters long', 'k'.repeat(256)],
    ['with a control character', 'a\tb'],
  ])('rejects an Idempotency-Key that is %s with 400', (_label, key) => {
    // Act
    const answer = refusal(
      parse(
        anIngestRequest(undefined, {
          headers: { 'content-type': 'application/json', 'idempotency-key': key },
        }),
      ),
    );

    // Assess
    expect(answer.statusCode).toBe(400);
    expect(answer.json.error).toBe('Idempotency-Key must be 1-255 printable ASCII characters without spaces');
  });
});

describe('jsonDepth', () => {
  it.each([
    ['a scalar', '42', 0],
    ['an empty object', '{}', 1],
    ['nested arrays', '[[[]],[]]', 3],
    ['brackets inside a string', '{"a":"[[[[{{{{"}', 1],
    ['an escaped quote before brackets', '{"a":"\\"[[[["}', 1],
    ['an escaped backslash ending a string', '["\\\\",[1]]', 2],
    ['closing brackets inside a string', '[["]]]]"]]', 2],
  ])('counts %s', (_label, text, depth) => {
    // Act
    const counted = jsonDepth(text);

    // Assess
    expect(counted).toBe(depth);
  });

  it('agrees with a recursive count on any JSON document', () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 6, stringUnit: 'binary' }), (value) => {
        // Act
        const counted = jsonDepth(JSON.stringify(value));

        // Assess
        expect(counted).toBe(depthOf(value));
      }),
    );
  });
});

describe('parseRequest: properties', () => {
  it('accepts any JSON object SQS can carry, with the exact text as the envelope body', () => {
    fc.assert(
      fc.property(
        fc.dictionary(
          fc.string({ unit: 'binary', maxLength: 10 }),
          fc.jsonValue({ maxDepth: 6, stringUnit: 'binary' }),
        ),
        (object) => {
          // Prepare
          const text = JSON.stringify(object);

          // Act
          const result = parse(anIngestRequest(text));

          // Assess: JSON.stringify escapes controls and lone surrogates, not U+FFFE/U+FFFF.
          if (isSqsSafe(text)) {
            expect(accepted(result).body).toBe(text);
          } else {
            expect(refusal(result).json.error).toMatch(/^body contains the character U\+FFF[EF]/);
          }
        },
      ),
    );
  });

  it('never throws on arbitrary bytes: an envelope or a 4xx JSON error', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.uint8Array({ maxLength: 300 }),
          fc.jsonValue({ maxDepth: 4 }).map((value) => new TextEncoder().encode(JSON.stringify(value))),
        ),
        fc.boolean(),
        (bytes, base64) => {
          // Prepare
          const request = base64
            ? aBinaryIngestRequest(bytes)
            : anIngestRequest(Buffer.from(bytes).toString('latin1'));

          // Act
          const result = parse(request, ingestRules({ maxBodyBytes: 200 }));

          // Assess
          if (result.ok) {
            expect(JSON.parse(result.envelope.body)).toBeTypeOf('object');
            expect(result.envelope.id).toBe('generated-id');
          } else {
            expect(result.response.statusCode).toBeGreaterThanOrEqual(400);
            expect(result.response.statusCode).toBeLessThan(500);
            expect(result.response.headers['content-type']).toBe('application/json');
            expect(JSON.parse(result.response.body)).toEqual(
              expect.objectContaining({ error: expect.any(String) }),
            );
          }
        },
      ),
    );
  });
});
