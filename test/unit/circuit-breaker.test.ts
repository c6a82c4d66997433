import { describe, expect, it } from 'vitest';
import { isBackendFailure } from '../../functions/forwarder/circuit-breaker.js';
import { createForwarderDeps, forwarderConfig } from '../../functions/forwarder/forwarder-config.js';
import { isProbeEvent } from '../../functions/forwarder/probe-breaker.js';
import { breakerSummary, CLOSED_BREAKER } from '../../shared/circuit-breaker.js';
import { forwarderDocument } from '../../shared/config/function-config.js';
import { parseRoute } from '../../shared/config/routes.js';
import { ATTR, fromSdkAttributes, toMessageAttributes } from '../../shared/envelope.js';
import { configurationError } from '../support/configuration-error.js';
import { anEnvelope } from '../support/factories.js';
import { ORDERS_ROUTE } from '../support/route-fixtures.js';

describe('isBackendFailure (what the breaker counts)', () => {
  it.each([
    [{ kind: 'no-answer', error: 'timed out after 10000 ms' } as const, true],
    [{ kind: 'answered', status: 500 } as const, true],
    [{ kind: 'answered', status: 503 } as const, true],
    [{ kind: 'answered', status: 429 } as const, true],
    [{ kind: 'answered', status: 408 } as const, true],
    [{ kind: 'answered', status: 200 } as const, false],
    [{ kind: 'answered', status: 400 } as const, false],
    [{ kind: 'answered', status: 401 } as const, false],
    [{ kind: 'answered', status: 302 } as const, false],
  ])('%o → %s', (response, counted) => {
    expect(isBackendFailure(response)).toBe(counted);
  });
});

describe('breakerSummary (gd status --json)', () => {
  it('says since when it is open, kept through its probes, and since when it is closed', () => {
    const opened = { ...CLOSED_BREAKER, state: 'half-open' as const, openedAt: '2026-11-30T10:00:00.000Z' };
    expect(breakerSummary(opened)).toEqual({ state: 'half-open', since: '2026-11-30T10:00:00.000Z' });
    expect(breakerSummary(CLOSED_BREAKER)).toEqual({ state: 'closed', since: null });
  });
});

describe('a probe invocation', () => {
  it('is told apart from an SQS event', () => {
    expect(isProbeEvent({ probe: 'circuit-breaker' })).toBe(true);
    expect(isProbeEvent({ Records: [] })).toBe(false);
    expect(isProbeEvent(null)).toBe(false);
  });
});

describe('a put-back copy', () => {
  it('carries the attempts made on its queue and its arrival; a dead letter carries neither', () => {
    // Prepare
    const envelope = anEnvelope({ queueAttempts: 2, queuedAt: '2026-11-30T10:00:00.000Z' });

    // Act
    const copy = toMessageAttributes(envelope);
    const deadLetter = toMessageAttributes(envelope, { reason: 'gave up', attempts: 3 });

    // Assess
    expect(fromSdkAttributes(copy, 'sqs-id', envelope.body, envelope.route)).toMatchObject({
      queueAttempts: 2,
      queuedAt: '2026-11-30T10:00:00.000Z',
    });
    expect(deadLetter[ATTR.QUEUE_ATTEMPTS]).toBeUndefined();
    expect(deadLetter[ATTR.QUEUED_AT]).toBeUndefined();
  });
});

describe("a breaker route's forwarder", () => {
  it('fails at cold start without a delivery switch, naming the handler that has one', () => {
    // Prepare
    const route = parseRoute({ ...ORDERS_ROUTE, breaker: { failures: 5, probeSeconds: 30 } });
    const document = forwarderDocument(
      {
        failoverTable: 'failover',
        messageTable: 'messages',
        queues: { namePrefix: 't', urlBase: 'http://sqs.local/000000000000/' },
      },
      route,
    );

    // Act
    const { message } = configurationError(() => createForwarderDeps(forwarderConfig(document)));

    // Assess
    expect(message).toBe(
      'route.delivery.breaker is set but this forwarder has no delivery switch: a route with a circuit breaker runs functions/forwarder/breaker-handler.ts',
    );
  });
});

describe('the breaker option', () => {
  it('is refused on an ordered route, saying what to change', () => {
    expect(() =>
      parseRoute({
        ...ORDERS_ROUTE,
        ordering: { keyHeader: 'Ordering-Key' },
        breaker: { failures: 5, probeSeconds: 30 },
      }),
    ).toThrow(
      /breaker: a circuit breaker is not available on an ordered route yet; remove breaker or ordering/,
    );
  });

  it('names the bounds of a bad value', () => {
    expect(() => parseRoute({ ...ORDERS_ROUTE, breaker: { failures: 0, probeSeconds: 30 } })).toThrow(
      /breaker.failures: use a whole number from 1 to 1000/,
    );
  });
});
