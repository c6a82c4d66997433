import type { Message } from '@aws-sdk/client-sqs';
import { ATTR, deadLetterInfoFrom } from './envelope.js';
import { ConfigurationError } from './errors.js';

/**
 * Which dead letters a filtered redrive moves. Every field that is set must match (AND); a filter
 * with no field set matches everything. Dead letters are matched on what the forwarder recorded on
 * them (shared/envelope.ts): the message id, when it was dead-lettered, the backend's last status
 * and the reason.
 */
export interface DeadLetterFilter {
  /** Only these message ids (the Idempotency-Key, not SQS's MessageId). */
  readonly ids?: readonly string[];
  /** Only dead letters dead-lettered at or after this time. */
  readonly since?: Date;
  /** Only dead letters dead-lettered before this time. */
  readonly until?: Date;
  /** Only this last backend status: an exact code (`503`) or a class (`5xx`). */
  readonly status?: StatusMatch;
  /** Only dead letters whose reason contains this text (case-insensitive). */
  readonly reason?: string;
}

/** An exact status, or a class of statuses (`{ class: 5 }` for 5xx). */
export type StatusMatch = { readonly code: number } | { readonly class: number };

/** Whether a filter narrows anything (an empty one moves every dead letter, as an unfiltered redrive). */
export function isNarrowing(filter: DeadLetterFilter | undefined): filter is DeadLetterFilter {
  return (
    filter !== undefined &&
    ((filter.ids?.length ?? 0) > 0 ||
      filter.since !== undefined ||
      filter.until !== undefined ||
      filter.status !== undefined ||
      (filter.reason ?? '') !== '')
  );
}

/**
 * When a dead letter was given up: the `dead-lettered-at` attribute the forwarder writes, else (a
 * message SQS moved by itself after maxReceiveCount) the time this copy was sent.
 */
export function deadLetteredAt(message: Message): Date | undefined {
  const recorded = message.MessageAttributes?.[ATTR.DEAD_LETTERED_AT]?.StringValue;
  const ms = recorded === undefined ? Number(message.Attributes?.SentTimestamp) : Date.parse(recorded);
  return Number.isFinite(ms) ? new Date(ms) : undefined;
}

/** Whether a dead letter, as ReceiveMessage returned it (all attributes), matches the filter. */
export function matchesDeadLetter(message: Message, filter: DeadLetterFilter): boolean {
  const attributes = message.MessageAttributes;
  if (filter.ids && filter.ids.length > 0) {
    const id = attributes?.[ATTR.MESSAGE_ID]?.StringValue ?? message.MessageId ?? '';
    if (!filter.ids.includes(id)) return false;
  }
  if (filter.since !== undefined || filter.until !== undefined) {
    const at = deadLetteredAt(message)?.getTime();
    if (at === undefined) return false;
    if (filter.since !== undefined && at < filter.since.getTime()) return false;
    if (filter.until !== undefined && at >= filter.until.getTime()) return false;
  }
  const info = deadLetterInfoFrom(attributes);
  if (filter.status !== undefined) {
    const status = info.lastStatus;
    if (status === undefined) return false;
    const wanted = filter.status;
    if ('code' in wanted ? status !== wanted.code : Math.floor(status / 100) !== wanted.class) return false;
  }
  if (filter.reason) {
    if (!(info.reason ?? '').toLowerCase().includes(filter.reason.toLowerCase())) return false;
  }
  return true;
}

/** `503` → `{code: 503}`; `5xx` → `{class: 5}`. Throws with the bad value otherwise. */
export function parseStatusMatch(text: string): StatusMatch {
  const value = text.trim().toLowerCase();
  const classMatch = /^([1-5])xx$/.exec(value);
  if (classMatch) return { class: Number(classMatch[1]) };
  if (/^[1-5]\d\d$/.test(value)) return { code: Number(value) };
  throw new ConfigurationError(`a status must be an HTTP status like 503 or a class like 5xx, got '${text}'`);
}

const UNIT_SECONDS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86_400 };

/**
 * A time bound: an ISO 8601 date-time (`2026-11-30T12:00:00Z`, or a date `2026-11-30`), or a
 * duration before `now` (`90s`, `30m`, `2h`, `7d`). Throws with the bad value otherwise.
 */
export function parseTimeBound(text: string, now: Date = new Date()): Date {
  const value = text.trim();
  const relative = /^(\d+)([smhd])$/.exec(value);
  if (relative) {
    return new Date(now.getTime() - Number(relative[1]) * (UNIT_SECONDS[relative[2] ?? 's'] ?? 1) * 1000);
  }
  // Only ISO-looking text: Date.parse reads almost anything (`Foo 2099`) as some date.
  if (/^\d{4}-\d{2}-\d{2}([T ][\d:.]+(Z|[+-]\d{2}:?\d{2})?)?$/.test(value)) {
    const ms = Date.parse(value);
    if (Number.isFinite(ms)) return new Date(ms);
  }
  throw new ConfigurationError(
    `a time must be ISO 8601 (2026-11-30T12:00:00Z) or a duration ago (30m, 2h, 7d), got '${text}'`,
  );
}
