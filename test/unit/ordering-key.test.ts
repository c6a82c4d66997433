import { describe, expect, it } from 'vitest';
import { extractOrderingKey, resolvePointer } from '../../functions/ingest/ordering-key.js';
import { type ParseResult, parseRequest } from '../../functions/ingest/parse-request.js';
import { DEFAULT_ROUTE, parseRoute } from '../../shared/config/routes.js';
import { deduplicationId } from '../../shared/ordering.js';
import { anIngestRequest, cateringRegistration, ingestRules } from '../support/factories.js';

const NOW = new Date('2025-01-02T03:04:05.000Z');
const byHeader = ingestRules({ ordering: { keyHeader: 'Ordering-Key' } });
const byPointer = ingestRules({ ordering: { keyPointer: '/passengerId' } });

function refusal(result: ParseResult) {
  if (result.ok) throw new Error(`expected a refusal, got ${JSON.stringify(result.envelope)}`);
  return {
    status: result.response.statusCode,
    json: JSON.parse(result.response.body) as Record<string, unknown>,
  };
}

describe('ordering key from a header', () => {
  it('puts the header value on the envelope as its ordering key', () => {
    // Act
    const result = parseRequest(
      anIngestRequest(undefined, {
        headers: { 'content-type': 'application/json', 'ordering-key': 'order-7' },
      }),
      byHeader,
      () => 'id-1',
      NOW,
    );

    // Assess
    expect(result.ok && result.envelope.orderingKey).toBe('order-7');
  });

  it('rejects a POST without the header with 400 naming the header', () => {
    // Act
    const answer = refusal(parseRequest(anIngestRequest(), byHeader, () => 'id-1', NOW));

    // Assess
    expect(answer.status).toBe(400);
    expect(answer.json.error).toContain('Ordering-Key header');
    expect(answer.json.missing).toBe('header Ordering-Key');
  });

  it('rejects an empty header value with 400', () => {
    // Act
    const answer = refusal(
      parseRequest(
        anIngestRequest(undefined, { headers: { 'content-type': 'application/json', 'ordering-key': '' } }),
        byHeader,
        () => 'id-1',
        NOW,
      ),
    );

    // Assess
    expect(answer.status).toBe(400);
    expect(answer.json.missing).toBe('header Ordering-Key');
  });

  it('rejects a key SQS cannot take as a message group (space, over 128 characters) with 400', () => {
    for (const key of ['order 7', 'k'.repeat(129), 'caf\u00e9']) {
      // Act
      const answer = refusal(
        parseRequest(
          anIngestRequest(undefined, {
            headers: { 'content-type': 'application/json', 'ordering-key': key },
          }),
          byHeader,
          () => 'id-1',
          NOW,
        ),
      );

      // Assess
      expect(answer.status).toBe(400);
      expect(answer.json.error).toContain('1-128 printable ASCII characters');
      expect(answer.json.invalid).toBe('header Ordering-Key');
    }
  });

  it('leaves an unordered route unchanged: no key, no refusal', () => {
    // Act
    const result = parseRequest(anIngestRequest(), ingestRules(), () => 'id-1', NOW);

    // Assess
    expect(result.ok).toBe(true);
    expect(result.ok && 'orderingKey' in result.envelope).toBe(false);
  });
});

describe('ordering key from a JSON pointer into the body', () => {
  it('reads a string at the pointer', () => {
    // Act
    const result = parseRequest(anIngestRequest(cateringRegistration()), byPointer, () => 'id-1', NOW);

    // Assess
    expect(result.ok && result.envelope.orderingKey).toBe('241241d');
  });

  it('reads a number at the pointer as its decimal text', () => {
    // Act
    const result = extractOrderingKey({ keyPointer: '/order/id' }, {}, { order: { id: 1042 } });

    // Assess
    expect(result).toEqual({ ok: true, key: '1042' });
  });

  it('rejects a body without the field with 400 naming the pointer', () => {
    // Act
    const answer = refusal(
      parseRequest(
        anIngestRequest(cateringRegistration({ passengerId: undefined })),
        byPointer,
        () => 'id',
        NOW,
      ),
    );

    // Assess
    expect(answer.status).toBe(400);
    expect(answer.json.error).toContain('no key at /passengerId');
    expect(answer.json.missing).toBe('body /passengerId');
  });

  it('rejects null, an empty string, an object, an array or a boolean at the pointer with 400', () => {
    for (const value of [null, '', { id: 1 }, [1], true]) {
      // Act
      const result = extractOrderingKey({ keyPointer: '/passengerId' }, {}, { passengerId: value });

      // Assess
      expect(result.ok).toBe(false);
    }
  });

  it('follows RFC 6901: ~1 is a slash, ~0 a tilde, digits index arrays', () => {
    // Prepare
    const document = { 'a/b': { 'c~d': ['x', 'y'] } };

    // Act / Assess
    expect(resolvePointer(document, '/a~1b/c~0d/1')).toBe('y');
    expect(resolvePointer(document, '/a~1b/c~0d/2')).toBeUndefined();
    expect(resolvePointer(document, '/a~1b/c~0d/01')).toBeUndefined();
    expect(resolvePointer(document, '/missing/deeper')).toBeUndefined();
    // Inherited properties are not fields of the document.
    expect(resolvePointer({}, '/toString')).toBeUndefined();
  });
});

describe('deduplicationId', () => {
  it('keeps an id SQS accepts, and hashes a longer one to a stable accepted one', () => {
    // Prepare
    const long = 'k'.repeat(200);

    // Act / Assess
    expect(deduplicationId('msg-0001')).toBe('msg-0001');
    expect(deduplicationId(long)).toBe(deduplicationId(long));
    expect(deduplicationId(long)).toMatch(/^sha256-[0-9a-f]{64}$/);
    expect(deduplicationId(`${long}x`)).not.toBe(deduplicationId(long));
  });
});

describe('the ordering route option', () => {
  it('fails for a key pointer that is not a JSON pointer, or a header name with a space, naming the field', () => {
    // Act / Assess
    expect(() => parseRoute({ ...DEFAULT_ROUTE, ordering: { keyPointer: 'passengerId' } })).toThrow(
      /ordering\.keyPointer: use a JSON pointer into the body such as \/passengerId \(got "passengerId"\)/,
    );
    expect(() => parseRoute({ ...DEFAULT_ROUTE, ordering: { keyHeader: 'Ordering Key' } })).toThrow(
      /ordering\.keyHeader: use an HTTP header name/,
    );
    expect(() =>
      parseRoute({ ...DEFAULT_ROUTE, ordering: { keyHeader: 'Ordering-Key', keyPointer: '/id' } }),
    ).toThrow(/ordering/);
  });
});
