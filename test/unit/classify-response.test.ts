import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { classifyResponse } from '../../functions/forwarder/classify-response.js';
import { DEFAULT_ROUTE } from '../../shared/config/routes.js';

const NON_RETRYABLE = new Set(DEFAULT_ROUTE.nonRetryableStatuses);

describe('classifyResponse', () => {
  it('counts every 2xx as delivered', () => {
    fc.assert(
      fc.property(fc.integer({ min: 200, max: 299 }), (status) => {
        // Act
        const verdict = classifyResponse({ kind: 'answered', status }, NON_RETRYABLE);

        // Assess
        expect(verdict).toEqual({ kind: 'delivered', status });
      }),
    );
  });

  it('sends a configured status straight to the DLQ with a reason naming it', () => {
    // Act
    const verdict = classifyResponse({ kind: 'answered', status: 422 }, NON_RETRYABLE);

    // Assess
    expect(verdict).toEqual({
      kind: 'non-retryable',
      status: 422,
      reason: 'backend answered 422, which is configured as non-retryable',
    });
  });

  it('retries a status that is not configured, even a 4xx', () => {
    // Act
    const verdict = classifyResponse({ kind: 'answered', status: 404 }, new Set([422]));

    // Assess
    expect(verdict).toEqual({ kind: 'retryable', status: 404, reason: 'backend answered 404' });
  });

  it.each([301, 302, 307, 308, 408, 429, 500, 502, 503, 504])('retries %i', (status) => {
    // Act
    const verdict = classifyResponse({ kind: 'answered', status }, NON_RETRYABLE);

    // Assess
    expect(verdict).toEqual({ kind: 'retryable', status, reason: `backend answered ${status}` });
  });

  it('retries no answer at all, with the error as the reason and no status', () => {
    // Act
    const verdict = classifyResponse({ kind: 'no-answer', error: 'TimeoutError: aborted' }, NON_RETRYABLE);

    // Assess
    expect(verdict).toEqual({ kind: 'retryable', reason: 'no answer: TimeoutError: aborted' });
  });

  it('carries the backend Retry-After on a retryable answer', () => {
    // Act
    const verdict = classifyResponse(
      { kind: 'answered', status: 429, retryAfterSeconds: 120 },
      NON_RETRYABLE,
    );

    // Assess
    expect(verdict).toEqual({
      kind: 'retryable',
      status: 429,
      reason: 'backend answered 429',
      retryAfterSeconds: 120,
    });
  });

  it('lets a configured status win over the retry rules, even a 5xx', () => {
    // Act
    const verdict = classifyResponse({ kind: 'answered', status: 501 }, new Set([501]));

    // Assess
    expect(verdict.kind).toBe('non-retryable');
  });
});
