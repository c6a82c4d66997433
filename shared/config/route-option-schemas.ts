import { z } from 'zod';

/**
 * The schemas of a route's structured options (ordering, breaker, retry) and the whole-number rule
 * every bounded field uses, for route-schema.ts's route fields.
 */

/** An HTTP header name (an RFC 9110 token). */
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,128}$/;

/**
 * Where an ordered route finds a message's ordering key: a request header, or a JSON pointer
 * (RFC 6901) into the body. Exactly one of the two.
 */
export const orderingSchema = z.union(
  [
    z.strictObject({
      keyHeader: z
        .string()
        .regex(HEADER_NAME, { error: 'use an HTTP header name such as Ordering-Key' })
        .describe('Request header that carries the key.'),
    }),
    z.strictObject({
      keyPointer: z
        .string()
        .regex(/^(\/[^/]*)+$/, { error: 'use a JSON pointer into the body such as /passengerId' })
        .describe('JSON pointer (RFC 6901) to the key in the body.'),
    }),
  ],
  { error: 'use {"keyHeader": "Ordering-Key"} or {"keyPointer": "/passengerId"}' },
);

/** A whole number within bounds, with one message that says what to use. */
export const wholeNumber = (min: number, max: number, unit = '') => {
  const error = `use a whole number${unit} from ${min} to ${max}`;
  return z.number({ error }).int({ error }).min(min, { error }).max(max, { error });
};

/** A route's circuit breaker: when it opens, and how often it tries one message while open. */
export const breakerSchema = z.strictObject(
  {
    failures: wholeNumber(1, 1000).describe(
      'Consecutive failed attempts (no answer, timeout, 408, 429, 5xx) that open the breaker.',
    ),
    probeSeconds: wholeNumber(1, 3600, ' of seconds').describe(
      'Seconds between tries of one message while open (on AWS, rounded up to a whole minute).',
    ),
  },
  { error: 'use {"failures": 5, "probeSeconds": 30}' },
);

/** SQS's ceiling on a message's visibility timeout, which bounds every retry delay (12 hours). */
const MAX_RETRY_DELAY_SECONDS = 43_200;

/** What a `retry` that is neither form should look like. */
const RETRY_FORMS = 'use {"baseSeconds": 2, "maxSeconds": 300} or {"schedule": [5, 300, 1800]}';

/** Exponential backoff: `baseSeconds * 2^(attempt-1)`, capped at `maxSeconds`, with jitter. */
export const exponentialRetrySchema = z
  .strictObject(
    {
      baseSeconds: wholeNumber(1, MAX_RETRY_DELAY_SECONDS, ' of seconds').describe(
        'Delay before the second attempt, in seconds; each later delay doubles.',
      ),
      maxSeconds: wholeNumber(1, MAX_RETRY_DELAY_SECONDS, ' of seconds').describe(
        'Cap of the doubling delay, in seconds.',
      ),
    },
    { error: RETRY_FORMS },
  )
  .refine((r) => r.maxSeconds >= r.baseSeconds, {
    error: 'retry.maxSeconds must be >= retry.baseSeconds; raise maxSeconds or lower baseSeconds',
  });

/**
 * An explicit list of delays, as Svix and Outpost offer: the delay before attempt n+1 is
 * `schedule[n-1]`. The route's maxAttempts follows the list (its length + 1) unless given.
 */
export const scheduleRetrySchema = z.strictObject(
  {
    schedule: z
      .array(wholeNumber(1, MAX_RETRY_DELAY_SECONDS, ' of seconds'), {
        error: 'use a list of delays in seconds, e.g. [5, 300, 1800]',
      })
      .min(1, { error: 'list at least one delay, e.g. [5, 300, 1800]' })
      .max(999, { error: 'list at most 999 delays (SQS allows 1000 attempts)' })
      .describe('Seconds to wait before each retry, in order: [5, 300, 1800] means 4 attempts.'),
  },
  { error: RETRY_FORMS },
);

/**
 * The fields of a route: one path in, one backend out, with its own queue, dead-letter queue and
 * forwarder. New route settings go here (see the steps at the top of this file).
 */
