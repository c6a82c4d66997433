import { Logger } from '@aws-lambda-powertools/logger';
import { LOG_EVENT } from '../shared/log-events.js';

/**
 * The local runner's console: one short line per step of a message's journey (accepted, stored
 * where, attempt n, delivered / dead-lettered, drained), derived from the Powertools records the
 * real functions write. Nothing is added to functions/ for this: each function gets a Logger whose
 * output is formatted here instead of printed as JSON (LOG_FORMAT=json keeps the raw records).
 */

/** Where finished lines go (stdout by default). */
export type LineSink = (line: string) => void;

/** `journey`: lines a person can follow; `json`: Powertools' records unchanged. */
export type LogFormat = 'journey' | 'json';

/** A Powertools record, as parsed from the JSON line the Logger writes. */
export type LogRecord = Readonly<Record<string, unknown>>;

/** Keys every Powertools record carries; the generic formatter leaves them out. */
const STANDARD_KEYS = new Set([
  'event',
  'level',
  'message',
  'timestamp',
  'service',
  'cold_start',
  'function_arn',
  'function_memory_size',
  'function_name',
  'function_request_id',
  'sampling_rate',
  'xray_trace_id',
  'lambda_function',
]);

/** Width of the verb column, so ids line up under each other. */
const VERB_WIDTH = 13;
/** Longest detail kept on a line: SDK errors with causes can run to a paragraph. */
const MAX_DETAIL = 200;

/** `3f2a1b2c-…` → `3f2a1b2c…`: enough to tell messages apart, short enough to scan. */
export function shortId(id: unknown): string {
  const text = String(id ?? '?');
  return text.length > 12 ? `${text.slice(0, 8)}…` : text;
}

function clock(timestamp: unknown): string {
  const date = typeof timestamp === 'string' ? new Date(timestamp) : new Date();
  const valid = Number.isNaN(date.getTime()) ? new Date() : date;
  return valid.toTimeString().slice(0, 8);
}

function clip(text: string): string {
  const oneLine = text.replace(/\s+/g, ' ').trim();
  return oneLine.length > MAX_DETAIL ? `${oneLine.slice(0, MAX_DETAIL - 1)}…` : oneLine;
}

function line(timestamp: unknown, verb: string, rest: string): string {
  return `${clock(timestamp)} ${verb.padEnd(VERB_WIDTH)} ${rest}`.trimEnd();
}

/**
 * The useful end of an SDK error as describeError renders it: `QueueWriteError: SendMessage to
 * <url> failed: Error: connect ECONNREFUSED 127.0.0.1:4599 (cause: ...)` → `connect ECONNREFUSED
 * 127.0.0.1:4599`; the SDK's request timeout → `no answer within 700 ms`.
 */
export function briefError(error: unknown): string {
  const text = String(error ?? '');
  const timeout = /exceeded the configured (\d+) ms (\w+)/.exec(text);
  if (timeout) return `no answer within ${timeout[1]} ms (${timeout[2]})`;
  const tail = text.includes(' failed: ') ? text.slice(text.lastIndexOf(' failed: ') + 9) : text;
  return clip(tail.replace(/ \(cause: .*\)$/, '').replace(/^Error: /, ''));
}

/** `backend answered 503` → `503`; any other reason is kept as it is. */
function outcome(reason: unknown): string {
  const text = String(reason ?? 'failed');
  const match = /^backend answered (\d{3})$/.exec(text);
  return match?.[1] ?? clip(text);
}

function extras(record: LogRecord, skip: readonly string[] = []): string {
  return Object.entries(record)
    .filter(([key]) => !STANDARD_KEYS.has(key) && !skip.includes(key))
    .map(([key, value]) => `${key}=${clip(typeof value === 'string' ? value : JSON.stringify(value))}`)
    .join(' ');
}

/**
 * One journey line for a function's log record. Records with a known {@link LOG_EVENT} get their
 * own wording (their `message` text is not read); anything else is shown as
 * `service [level] message key=value ...`.
 */
export function formatRecord(record: LogRecord): string {
  const t = record.timestamp;
  const id = shortId(record.messageId);
  switch (record.event) {
    case LOG_EVENT.ACCEPTED:
      return line(t, 'accepted', `${id} store=${record.store} route=${record.route}`);
    case LOG_EVENT.QUEUE_WRITE_FAILED:
      return line(t, 'queue down', `${id} SQS: ${briefError(record.error)}; trying the failover table`);
    case LOG_EVENT.NOT_STORED:
      return line(t, 'rejected', `${id} 503, neither store took it (DynamoDB: ${briefError(record.error)})`);
    case LOG_EVENT.FAILOVER_DUPLICATE:
      return line(t, 'duplicate', `${id} already in the failover table (client retry)`);
    case LOG_EVENT.REJECTED:
      return line(t, 'rejected', `${record.status} ${clip(String(record.reason))}`);
    case LOG_EVENT.ATTEMPT_FAILED:
      return line(
        t,
        `attempt ${record.attempt}`,
        `${id} → ${outcome(record.reason)}, retry in ${record.retryInSeconds}s`,
      );
    case LOG_EVENT.DELIVERED:
      return line(t, 'delivered', `${id} attempt ${record.attempt} (${record.status})`);
    case LOG_EVENT.DEAD_LETTERED: {
      const reason = String(record.reason ?? '').replace(/^gave up after \d+ attempts; last: /, '');
      return line(t, 'dead-lettered', `${id} after ${record.attempt} attempts: ${clip(reason)}`);
    }
    case LOG_EVENT.BREAKER_OPENED:
      return line(
        t,
        'breaker open',
        `${record.route}: ${record.failures} failed attempts in a row; deliveries stop, messages wait (probe every ${record.probeSeconds}s)`,
      );
    case LOG_EVENT.BREAKER_HELD:
      return line(t, 'breaker held', `${record.route}: ${record.held} received while open, put back untried`);
    case LOG_EVENT.BREAKER_PROBING:
      return line(t, 'breaker probe', `${record.route}: half-open, trying one message`);
    case LOG_EVENT.BREAKER_PROBE_FAILED:
      return line(t, 'breaker probe', `${record.route}: still open (${clip(String(record.detail))})`);
    case LOG_EVENT.BREAKER_CLOSED:
      return line(t, 'breaker closed', `${record.route}: deliveries ${record.deliveries}`);
    case LOG_EVENT.DUPLICATE_SUPPRESSED:
      return line(t, 'duplicate', `${id} already delivered at ${record.deliveredAt}; not sent again`);
    case LOG_EVENT.DRAIN_FINISHED: {
      const failed = Number(record.failed ?? 0);
      const refused = Number(record.refused ?? 0);
      const unroutable = Number(record.unroutable ?? 0);
      return line(
        t,
        `drained ${record.moved} from failover`,
        [
          failed > 0 ? `(${failed} left: SQS unavailable)` : '',
          refused > 0 ? `(${refused} refused by SQS for themselves, left in the table)` : '',
          unroutable > 0 ? `(${unroutable} with no route)` : '',
        ]
          .join(' ')
          .trim(),
      );
    }
    default: {
      const level = String(record.level ?? 'INFO').toLowerCase();
      const tag = level === 'info' ? '' : `${level}: `;
      return line(
        t,
        String(record.service ?? 'log'),
        `${tag}${clip(String(record.message))} ${extras(record)}`,
      );
    }
  }
}

/** The runner's logging: Powertools loggers for the functions, plus the runner's own lines. */
export interface JourneyLog {
  readonly format: LogFormat;
  /** A Powertools Logger for a function; its records become journey lines (or stay JSON). */
  logger(service: string): Logger;
  /** A line from the runner itself (poller, drainer timer, demo backend, startup). */
  note(verb: string, text: string, level?: 'info' | 'warn' | 'error'): void;
  /** A line printed exactly as given in both formats (the `ready` line scripts wait for). */
  raw(text: string): void;
}

/** The journey log's format, sink, level and repeat window. */
export interface JourneyLogOptions {
  readonly format?: LogFormat;
  readonly sink?: LineSink;
  /** Powertools log level of the functions' loggers. @default 'INFO' */
  readonly logLevel?: string;
  /** Identical warnings within this window are printed once, then counted. @default 30_000 */
  readonly repeatWindowMs?: number;
}

type Level = 'info' | 'warn' | 'error';

/** Routine records that repeat on every schedule tick while they hold: folded like warnings. */
const NOISY = new Set<unknown>([LOG_EVENT.DRAIN_LEASE_HELD]);

/**
 * Creates the runner's log. Warnings and errors that repeat word for word (a drainer finding SQS
 * still down every second) are printed once per window with a count, so an outage does not bury
 * the journey lines.
 */
export function createJourneyLog(options: JourneyLogOptions = {}): JourneyLog {
  const format = options.format ?? 'journey';
  const sink: LineSink = options.sink ?? ((text) => process.stdout.write(`${text}\n`));
  const window = options.repeatWindowMs ?? 30_000;
  const lastShown = new Map<string, { at: number; suppressed: number }>();

  const emit = (text: string, level: Level, dedupeKey: string) => {
    if (level === 'info') return sink(text);
    const now = Date.now();
    const seen = lastShown.get(dedupeKey);
    if (seen && now - seen.at < window) {
      seen.suppressed++;
      return;
    }
    const note = seen && seen.suppressed > 0 ? ` (${seen.suppressed} more like this before)` : '';
    lastShown.set(dedupeKey, { at: now, suppressed: 0 });
    sink(`${text}${note}`);
  };

  const printRecord = (json: string) => {
    let record: LogRecord;
    try {
      record = JSON.parse(json) as LogRecord;
    } catch {
      return sink(json);
    }
    const recordLevel = String(record.level ?? 'INFO').toLowerCase();
    const asLevel: Level =
      recordLevel === 'warn'
        ? 'warn'
        : recordLevel === 'error' || recordLevel === 'critical'
          ? 'error'
          : 'info';
    const key = `${record.service}|${record.event ?? record.message}|${record.error ?? record.reason ?? ''}`;
    // Message-level records (with an id) are the journey itself: never folded together.
    const level = record.messageId ? 'info' : NOISY.has(record.event) ? 'warn' : asLevel;
    emit(format === 'json' ? json : formatRecord(record), level, key);
  };

  return {
    format,
    logger(service) {
      const logger = new Logger({ serviceName: service, logLevel: (options.logLevel ?? 'INFO') as 'INFO' });
      // Powertools prints through its `console` property (see recordingLogger in test/support):
      // route every level to the formatter instead.
      const write = (text: unknown) => printRecord(String(text));
      (logger as unknown as { console: Partial<Console> }).console = {
        log: write,
        info: write,
        warn: write,
        error: write,
        debug: write,
        trace: write,
      };
      return logger;
    },
    note(verb, text, level = 'info') {
      const rendered =
        format === 'json'
          ? JSON.stringify({
              level: level.toUpperCase(),
              message: text,
              service: 'local-runner',
              step: verb,
              timestamp: new Date().toISOString(),
            })
          : line(undefined, verb, clip(text));
      emit(rendered, level, `runner|${verb}|${text}`);
    },
    raw: sink,
  };
}
