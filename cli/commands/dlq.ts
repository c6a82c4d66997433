import { writeFile } from 'node:fs/promises';
import type { MessageEnvelope } from '../../shared/envelope.js';
import { payloadReferenceOf, resolveBody } from '../../shared/payloads.js';
import { OperationFailedError } from '../errors.js';
import { type Column, formatTable, type Output, printJson } from '../output.js';
import { type DeadLetter, peekMessages, toDeadLetter } from '../stack/queue-inspection.js';
import { type StackTarget, selectRoutes } from '../stack/stack-target.js';
import { messageCommandLine } from './message.js';

/** Dead letters `gd dlq show` looks through per route before it gives up. */
const SHOW_SEARCH_LIMIT = 1_000;
const PEEK_NOTE =
  'Peeked without consuming: every dead letter listed was received once (its receive count went up) ' +
  'and made visible again at once.';

/** `gd dlq list`'s options. */
export interface DlqListOptions {
  readonly json: boolean;
  readonly route?: string;
  /** Most dead letters to list, over all selected routes. */
  readonly limit: number;
}

/** The columns of a dead-letter listing (`gd dlq list`, `gd redrive --dry-run`). */
export const DEAD_LETTER_COLUMNS: readonly Column<DeadLetter>[] = [
  { header: 'ROUTE', value: (row) => row.route },
  { header: 'ID', value: (row) => row.id },
  { header: 'ATTEMPTS', value: (row) => row.attempts ?? '-', align: 'right' },
  { header: 'STATUS', value: (row) => row.lastStatus ?? '-', align: 'right' },
  { header: 'DEAD-LETTERED', value: (row) => row.deadLetteredAt ?? '-' },
  { header: 'REASON', value: (row) => truncate(row.reason ?? '-', 70) },
];

function truncate(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

/** `gd dlq list`: the dead letters with their id, attempts and why they were given up. */
export async function dlqListCommand(
  stack: StackTarget,
  options: DlqListOptions,
  output: Output,
): Promise<number> {
  const letters: DeadLetter[] = [];
  for (const route of selectRoutes(stack, options.route)) {
    if (letters.length >= options.limit) break;
    const messages = await peekMessages(stack.sqs, route.dlqUrl, { limit: options.limit - letters.length });
    letters.push(...messages.map((message) => toDeadLetter(route.name, message)));
  }
  const rows = onePerId(letters);
  if (options.json) {
    // Bodies can be large and personal; `dlq show` prints one on purpose.
    printJson(
      output,
      rows.map(({ letter: { body: _body, ...letter }, copies }) => ({
        ...letter,
        ...(copies > 1 ? { copies } : {}),
      })),
    );
    return 0;
  }
  if (rows.length === 0) {
    output.out('No dead letters.');
    return 0;
  }
  output.out(
    formatTable(
      DEAD_LETTER_COLUMNS,
      rows.map((row) => row.letter),
    ),
  );
  const extra = letters.length - rows.length;
  if (extra > 0) {
    output.err(
      `${extra} further copie(s) of listed ids not shown: a redrive delivers an id once, and drops its other copies.`,
    );
  }
  output.err(PEEK_NOTE);
  return 0;
}

/**
 * One row per id and route: the copy dead-lettered last, with how many copies of the id the DLQ
 * holds (a second copy of an id is a duplicate; the forwarder drops it when it is redriven).
 */
function onePerId(letters: readonly DeadLetter[]): { letter: DeadLetter; copies: number }[] {
  const rows = new Map<string, { letter: DeadLetter; copies: number }>();
  for (const letter of letters) {
    const key = `${letter.route} ${letter.id}`;
    const row = rows.get(key);
    if (!row) {
      rows.set(key, { letter, copies: 1 });
      continue;
    }
    const later = (letter.deadLetteredAt ?? '') > (row.letter.deadLetteredAt ?? '');
    rows.set(key, { letter: later ? letter : row.letter, copies: row.copies + 1 });
  }
  return [...rows.values()];
}

/** `gd dlq show`'s options. */
export interface DlqShowOptions {
  readonly json: boolean;
  /** The message id (Idempotency-Key) or SQS's message id of the dead letter. */
  readonly id: string;
  readonly route?: string;
  /** Write the body's exact bytes to this file instead of printing it. */
  readonly save?: string;
}

/** `gd dlq show <id>`: one dead letter in full, body included (a large one fetched from the payload bucket). */
export async function dlqShowCommand(
  stack: StackTarget,
  options: DlqShowOptions,
  output: Output,
): Promise<number> {
  const routes = selectRoutes(stack, options.route);
  for (const route of routes) {
    const matches = (letter: DeadLetter) => letter.id === options.id || letter.sqsMessageId === options.id;
    const messages = await peekMessages(stack.sqs, route.dlqUrl, {
      limit: SHOW_SEARCH_LIMIT,
      until: (message) => matches(toDeadLetter(route.name, message)),
    });
    const letter = messages.map((message) => toDeadLetter(route.name, message)).find(matches);
    if (!letter) continue;
    const reference = payloadReferenceOf(letter.body);
    const body = await resolveBody(letterEnvelope(letter), stack.payloads);
    if (options.save !== undefined) {
      if (body.kind !== 'body')
        throw new OperationFailedError(`body of ${letter.id} not saved: ${body.reason}`);
      await writeFile(options.save, body.body, 'utf8');
    }
    const bodyBytes = reference?.size ?? Buffer.byteLength(letter.body);
    const shown = {
      ...letter,
      bodyBytes,
      ...(reference ? { payloadKey: reference.key } : {}),
      history: messageCommandLine(letter.id, letter.route),
    };
    if (options.json) {
      const { body: _reference, ...rest } = shown;
      printJson(output, {
        ...rest,
        ...(options.save !== undefined
          ? { savedTo: options.save }
          : body.kind === 'body'
            ? { body: body.body }
            : { bodyUnavailable: body.reason }),
      });
      return 0;
    }
    const field = (name: string, value: string | number | undefined) =>
      output.out(`${`${name}:`.padEnd(16)}${value ?? '-'}`);
    field('id', letter.id);
    field('route', letter.route);
    field('sqs message id', letter.sqsMessageId);
    field('attempts', letter.attempts);
    field('last status', letter.lastStatus);
    field('reason', letter.reason);
    field('dead-lettered', letter.deadLetteredAt);
    field('received', letter.receivedAt);
    field('receive count', `${letter.receiveCount} (peeks by gd count too)`);
    field('content type', letter.contentType);
    field('body bytes', bodyBytes);
    if (reference) field('payload', `${reference.key} (sha256 ${reference.sha256})`);
    field('history', messageCommandLine(letter.id, letter.route));
    if (options.save !== undefined) {
      field('body', `saved to ${options.save}`);
    } else if (body.kind === 'body') {
      output.out('body:');
      output.out(prettyBody(body.body));
    } else {
      field('body', `not available: ${body.reason}`);
    }
    return 0;
  }
  throw new OperationFailedError(
    `no dead letter with id ${options.id} in the DLQ of ${routes.map((route) => route.name).join(', ')}`,
  );
}

function prettyBody(body: string): string {
  try {
    return JSON.stringify(JSON.parse(body), null, 2);
  } catch {
    return body;
  }
}

/** The envelope parts {@link resolveBody} reads, from a dead letter. */
function letterEnvelope(letter: DeadLetter): MessageEnvelope {
  return {
    id: letter.id,
    route: letter.route,
    body: letter.body,
    contentType: letter.contentType ?? 'application/json',
    receivedAt: letter.receivedAt ?? '',
    priorAttempts: 0,
  };
}
