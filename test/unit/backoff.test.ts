import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  backoffSeconds,
  type ExponentialRetryPolicy,
  MAX_VISIBILITY_SECONDS,
  visibilityLeftSeconds,
} from '../../functions/forwarder/backoff.js';
import { receivedNoEarlierThan } from '../../functions/forwarder/received-message.js';
import { anSqsRecord } from '../support/factories.js';

/** Policies a route may have (routes.ts: 1 ≤ base ≤ max ≤ 43,200). */
const policyArbitrary: fc.Arbitrary<ExponentialRetryPolicy> = fc
  .tuple(fc.integer({ min: 1, max: 43_200 }), fc.integer({ min: 1, max: 43_200 }))
  .map(([a, b]) => ({ baseSeconds: Math.min(a, b), maxSeconds: Math.max(a, b) }));
const attemptArbitrary = fc.integer({ min: 1, max: 1_000 });
const randomArbitrary = fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true });

/** The un-jittered delay: base * 2^(attempt-1), capped. */
const ceilingOf = (attempt: number, policy: ExponentialRetryPolicy) =>
  Math.min(policy.maxSeconds, policy.baseSeconds * 2 ** (attempt - 1));

describe('backoffSeconds', () => {
  it('doubles from the base until the cap, at the top of the jitter range', () => {
    // Prepare
    const policy = { baseSeconds: 2, maxSeconds: 30 };
    const top = () => 0.999_999;

    // Act
    const delays = [1, 2, 3, 4, 5, 6].map((attempt) => backoffSeconds(attempt, policy, undefined, top));

    // Assess
    expect(delays).toEqual([2, 4, 8, 16, 30, 30]);
  });

  it('never falls below half the ceiling (equal jitter), at the bottom of the jitter range', () => {
    // Prepare
    const policy = { baseSeconds: 10, maxSeconds: 300 };

    // Act
    const delays = [1, 2, 3].map((attempt) => backoffSeconds(attempt, policy, undefined, () => 0));

    // Assess
    expect(delays).toEqual([5, 10, 20]);
  });

  it('waits at least one second even with a one-second base and no jitter', () => {
    // Act
    const delay = backoffSeconds(1, { baseSeconds: 1, maxSeconds: 1 }, undefined, () => 0);

    // Assess
    expect(delay).toBe(1);
  });

  it('treats attempt 0 or below like the first attempt', () => {
    // Act
    const delays = [0, -3].map((attempt) =>
      backoffSeconds(attempt, { baseSeconds: 8, maxSeconds: 100 }, undefined, () => 0.999_999),
    );

    // Assess
    expect(delays).toEqual([8, 8]);
  });

  it('stays within [ceiling/2, ceiling], a whole number of seconds and at least 1', () => {
    fc.assert(
      fc.property(attemptArbitrary, policyArbitrary, randomArbitrary, (attempt, policy, random) => {
        // Act
        const delay = backoffSeconds(attempt, policy, undefined, () => random);

        // Assess
        const ceiling = ceilingOf(attempt, policy);
        expect(Number.isInteger(delay)).toBe(true);
        expect(delay).toBeGreaterThanOrEqual(Math.max(1, Math.floor(ceiling / 2)));
        expect(delay).toBeLessThanOrEqual(ceiling);
      }),
    );
  });

  it('never exceeds the policy cap without Retry-After, nor SQS 12 hours with it', () => {
    fc.assert(
      fc.property(
        attemptArbitrary,
        policyArbitrary,
        randomArbitrary,
        fc.nat({ max: 10_000_000 }),
        (attempt, policy, random, retryAfter) => {
          // Act
          const plain = backoffSeconds(attempt, policy, undefined, () => random);
          const asked = backoffSeconds(attempt, policy, retryAfter, () => random);

          // Assess
          expect(plain).toBeLessThanOrEqual(policy.maxSeconds);
          expect(asked).toBeLessThanOrEqual(MAX_VISIBILITY_SECONDS);
          expect(MAX_VISIBILITY_SECONDS).toBe(43_200);
        },
      ),
    );
  });

  it('grows monotonically with the attempt for the same jitter draw', () => {
    fc.assert(
      fc.property(
        attemptArbitrary,
        attemptArbitrary,
        policyArbitrary,
        randomArbitrary,
        (a, b, policy, random) => {
          // Prepare
          const [earlier, later] = a <= b ? [a, b] : [b, a];

          // Act
          const first = backoffSeconds(earlier, policy, undefined, () => random);
          const second = backoffSeconds(later, policy, undefined, () => random);

          // Assess
          expect(ceilingOf(earlier, policy)).toBeLessThanOrEqual(ceilingOf(later, policy));
          expect(first).toBeLessThanOrEqual(second);
        },
      ),
    );
  });

  it('honours a Retry-After longer than the backoff, and ignores a shorter one', () => {
    fc.assert(
      fc.property(
        attemptArbitrary,
        policyArbitrary,
        randomArbitrary,
        fc.nat({ max: 100_000 }),
        (attempt, policy, random, retryAfter) => {
          // Act
          const jittered = backoffSeconds(attempt, policy, undefined, () => random);
          const delay = backoffSeconds(attempt, policy, retryAfter, () => random);

          // Assess
          const expected = retryAfter > jittered ? Math.min(retryAfter, MAX_VISIBILITY_SECONDS) : jittered;
          expect(delay).toBe(expected);
        },
      ),
    );
  });

  it('jitters: different draws give different delays once the ceiling is wide enough', () => {
    // Act
    const low = backoffSeconds(5, { baseSeconds: 2, maxSeconds: 300 }, undefined, () => 0);
    const high = backoffSeconds(5, { baseSeconds: 2, maxSeconds: 300 }, undefined, () => 0.999_999);

    // Assess
    expect([low, high]).toEqual([16, 32]);
  });
});

describe('backoffSeconds with a retry schedule', () => {
  const policy = { schedule: [5, 300, 1800, 7200] };

  it('waits the listed delay before each retry, without jitter', () => {
    // Act
    const delays = [1, 2, 3, 4].map((attempt) => backoffSeconds(attempt, policy, undefined, () => 0.5));

    // Assess
    expect(delays).toEqual([5, 300, 1800, 7200]);
  });

  it('keeps the last delay should attempts outlast the list (a redriven message)', () => {
    // Act
    const delay = backoffSeconds(9, policy);

    // Assess
    expect(delay).toBe(7200);
  });

  it("lets a backend's longer Retry-After win, and ignores a shorter one", () => {
    // Act
    const longer = backoffSeconds(1, policy, 60);
    const shorter = backoffSeconds(2, policy, 60);
    const beyondSqs = backoffSeconds(4, policy, 100_000);

    // Assess
    expect([longer, shorter, beyondSqs]).toEqual([60, 300, MAX_VISIBILITY_SECONDS]);
  });
});

describe('the 12 hours of visibility SQS counts from a receive', () => {
  const receive = (count: number, firstReceive: number) => {
    const record = anSqsRecord();
    return {
      ...record,
      attributes: {
        ...record.attributes,
        ApproximateReceiveCount: String(count),
        ApproximateFirstReceiveTimestamp: String(firstReceive),
      },
    };
  };

  it('starts at the first receive timestamp on a first receive, at most a batching window before the invocation later', () => {
    const invokedAt = 10_000_000_000;
    expect(receivedNoEarlierThan(receive(1, invokedAt - 2_000), invokedAt)).toBe(invokedAt - 2_000);
    expect(receivedNoEarlierThan(receive(3, invokedAt - 86_400_000), invokedAt)).toBe(invokedAt - 300_000);
    expect(receivedNoEarlierThan(receive(2, invokedAt - 60_000), invokedAt)).toBe(invokedAt - 60_000);
  });

  it('leaves 12 hours less the time used since the receive and a clock margin, never below 0', () => {
    const receivedAt = 1_000_000;
    expect(visibilityLeftSeconds(receivedAt, new Date(receivedAt + 1_500))).toBe(43_200 - 2 - 60);
    expect(visibilityLeftSeconds(receivedAt, new Date(receivedAt + 43_200_000))).toBe(0);
  });
});
