import type { Message } from '@aws-sdk/client-sqs';
import { describe, expect, it } from 'vitest';
import {
  isNarrowing,
  matchesDeadLetter,
  parseStatusMatch,
  parseTimeBound,
} from '../../shared/dead-letter-filter.js';
import { type DeadLetterInfo, toMessageAttributes } from '../../shared/envelope.js';

/** A dead letter as ReceiveMessage returns it, with the attributes the forwarder writes. */
function deadLetter(id: string, info: DeadLetterInfo, at: string): Message {
  return {
    MessageId: `sqs-${id}`,
    Body: '{}',
    MessageAttributes: toMessageAttributes(
      {
        id,
        route: 'catering',
        body: '{}',
        contentType: 'application/json',
        receivedAt: at,
        priorAttempts: 0,
      },
      info,
      new Date(at),
    ),
  };
}

const timeout = deadLetter(
  'a',
  { reason: 'gave up after 4 attempts; last: no answer: timeout', attempts: 4 },
  '2026-11-30T10:00:00.000Z',
);
const unavailable = deadLetter(
  'b',
  { reason: 'gave up after 4 attempts; last: backend answered 503', attempts: 4, lastStatus: 503 },
  '2026-11-30T12:00:00.000Z',
);
const unprocessable = deadLetter(
  'c',
  { reason: 'backend answered 422, which is configured as non-retryable', attempts: 1, lastStatus: 422 },
  '2026-11-30T14:00:00.000Z',
);
const all = [timeout, unavailable, unprocessable];
const ids = (filter: Parameters<typeof matchesDeadLetter>[1]) =>
  all
    .filter((message) => matchesDeadLetter(message, filter))
    .map((m) => m.MessageAttributes?.['message-id']?.StringValue);

describe('dead-letter filter', () => {
  it('matches every dead letter when empty, and says it does not narrow', () => {
    expect(ids({})).toEqual(['a', 'b', 'c']);
    expect(isNarrowing({})).toBe(false);
    expect(isNarrowing({ ids: [] })).toBe(false);
    expect(isNarrowing({ reason: 'x' })).toBe(true);
  });

  it('matches on message id, not on the SQS message id', () => {
    expect(ids({ ids: ['b', 'c'] })).toEqual(['b', 'c']);
    expect(ids({ ids: ['sqs-a'] })).toEqual([]);
  });

  it('matches the reason as case-insensitive text', () => {
    expect(ids({ reason: 'NO ANSWER' })).toEqual(['a']);
    expect(ids({ reason: 'gave up' })).toEqual(['a', 'b']);
  });

  it('matches an exact status or a class, and never a dead letter without a status', () => {
    expect(ids({ status: { code: 503 } })).toEqual(['b']);
    expect(ids({ status: { class: 4 } })).toEqual(['c']);
    expect(ids({ status: { class: 5 } })).toEqual(['b']);
  });

  it('matches the dead-lettered time: since inclusive, until exclusive', () => {
    expect(ids({ since: new Date('2026-11-30T12:00:00Z') })).toEqual(['b', 'c']);
    expect(ids({ until: new Date('2026-11-30T12:00:00Z') })).toEqual(['a']);
    expect(ids({ since: new Date('2026-11-30T11:00:00Z'), until: new Date('2026-11-30T13:00:00Z') })).toEqual(
      ['b'],
    );
  });

  it('falls back to the time SQS got the copy for a dead letter without our attributes', () => {
    const moved: Message = { MessageId: 'x', Body: '{}', Attributes: { SentTimestamp: '1000' } };
    expect(matchesDeadLetter(moved, { since: new Date(999) })).toBe(true);
    expect(matchesDeadLetter(moved, { since: new Date(1001) })).toBe(false);
  });

  it('requires every given field to match', () => {
    expect(ids({ reason: 'gave up', status: { code: 503 } })).toEqual(['b']);
    expect(ids({ reason: 'gave up', ids: ['c'] })).toEqual([]);
  });
});

describe('filter option parsing', () => {
  it('reads durations as that long before now, and ISO 8601 times as given', () => {
    const now = new Date('2026-11-30T12:00:00Z');
    expect(parseTimeBound('90s', now).toISOString()).toBe('2026-11-30T11:58:30.000Z');
    expect(parseTimeBound('2h', now).toISOString()).toBe('2026-11-30T10:00:00.000Z');
    expect(parseTimeBound('7d', now).toISOString()).toBe('2026-11-23T12:00:00.000Z');
    expect(parseTimeBound('2026-11-29T08:30:00Z', now).toISOString()).toBe('2026-11-29T08:30:00.000Z');
    expect(parseTimeBound('2026-11-29', now).toISOString()).toBe('2026-11-29T00:00:00.000Z');
  });

  it('rejects a time that is neither, naming the value', () => {
    expect(() => parseTimeBound('Foo 2099')).toThrow(/got 'Foo 2099'/);
    expect(() => parseTimeBound('5w')).toThrow(/got '5w'/);
  });

  it('reads a status code or class and rejects anything else', () => {
    expect(parseStatusMatch('503')).toEqual({ code: 503 });
    expect(parseStatusMatch('5XX')).toEqual({ class: 5 });
    expect(() => parseStatusMatch('600')).toThrow(/got '600'/);
    expect(() => parseStatusMatch('server-error')).toThrow(/got 'server-error'/);
  });
});
