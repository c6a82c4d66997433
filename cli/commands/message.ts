import { createDocumentClient } from '../../shared/aws/clients.js';
import { DynamoDbFailoverStore } from '../../shared/aws/dynamodb-failover-store.js';
import { DynamoDbMessageRecords } from '../../shared/aws/dynamodb-message-records.js';
import { findMessage, findParked } from '../../shared/find-message.js';
import { type MessageRecord, toRecordView } from '../../shared/message-record.js';
import { OperationFailedError, UsageError } from '../errors.js';
import { type Output, printJson } from '../output.js';
import { findRoute, type StackTarget } from '../stack/stack-target.js';

export interface MessageOptions {
  readonly json: boolean;
  /** The message id (the client's Idempotency-Key, or the id a 202 answered). */
  readonly id: string;
  /** The route; without it every route's record of the id is looked up. */
  readonly route?: string;
}

/** The command that shows a message's status: `gd dlq show` and the runbook point to it. */
export function messageCommandLine(id: string, route: string): string {
  return `gd message ${id} --route ${route}`;
}

/**
 * `gd message <id> [--route R] [--json]`: the message's status record as a timeline (or as the
 * `GET <route path>/{messageId}` JSON), read straight from the message table. Without --route, every
 * route's record of the id (ids are per route).
 */
export async function messageCommand(
  stack: StackTarget,
  options: MessageOptions,
  output: Output,
): Promise<number> {
  const found = await lookUpMessage(stack, options);
  if (options.json) {
    printJson(output, found.length === 1 ? found[0] : found);
    return 0;
  }
  found.forEach((record, index) => {
    if (index > 0) output.out('');
    for (const line of timeline(record)) output.out(line);
  });
  return 0;
}

/**
 * The message's status records: on its route, or every route's record of the id without one.
 * Fails, naming where it looked, when no route accepted the id.
 */
export async function lookUpMessage(
  stack: StackTarget,
  options: Pick<MessageOptions, 'id' | 'route'>,
): Promise<MessageRecord[]> {
  const found = await readRecords(stack, options);
  if (found.length === 0) {
    const where = options.route
      ? `route ${options.route}`
      : `any route (${stack.routes.map((r) => r.name).join(', ')})`;
    throw new OperationFailedError(`no message ${options.id} was accepted on ${where}`);
  }
  return found;
}

async function readRecords(
  stack: StackTarget,
  options: Pick<MessageOptions, 'id' | 'route'>,
): Promise<MessageRecord[]> {
  if (!options.id) throw new UsageError('message takes one message id: gd message <id> [--route R]');
  const documents = createDocumentClient(stack.dynamoDb);
  // Reads only: the retention matters to writes alone.
  const records = new DynamoDbMessageRecords(documents, stack.messageTableName, 0);
  const failover = new DynamoDbFailoverStore(documents, stack.failoverTableName);
  if (options.route) {
    const route = findRoute(stack, options.route);
    const found = await findMessage(options.id, { records, failover, rules: { route: route.name } });
    return found ? [found] : [];
  }
  const recorded = (await records.findAllRoutes(options.id)).map(toRecordView);
  // Ids are per route: a route without a record of the id may still hold it in the failover table.
  const known = new Set(recorded.map((record) => record.route));
  const parked = await Promise.all(
    stack.routes
      .filter((route) => !known.has(route.name))
      .map((route) => findParked(options.id, route.name, failover)),
  );
  return [...recorded, ...parked.filter((record) => record !== undefined)];
}

/** One moment of a message's life: when, and what happened, in `gd message`'s words. */
export interface TimelineEvent {
  /** ISO 8601. */
  readonly at: string;
  readonly text: string;
}

/**
 * What happened to the message after it was accepted, oldest first: each attempt (status or error,
 * duration, the start of the answer), redrive, drain, dead-lettering, delivery.
 */
export function timelineEvents(record: MessageRecord): TimelineEvent[] {
  // Markers first: at the same instant, "redriven" reads before the attempt it led to (the sort is stable).
  const events: TimelineEvent[] = [];
  if (record.redrivenAt) events.push({ at: record.redrivenAt, text: 'redriven from the DLQ' });
  for (const attempt of record.attempts) {
    const outcome =
      attempt.status !== undefined
        ? `answered ${attempt.status}`
        : `no answer (${attempt.error ?? 'unknown'})`;
    const response = attempt.response ? `  ${JSON.stringify(attempt.response.slice(0, 120))}` : '';
    events.push({
      at: attempt.at,
      text: `attempt ${attempt.attempt}: ${outcome} in ${attempt.durationMs} ms${response}`,
    });
  }
  if (record.drainedAt)
    events.push({ at: record.drainedAt, text: 'moved from the failover table to the delivery queue' });
  if (record.deadLetteredAt)
    events.push({ at: record.deadLetteredAt, text: `dead-lettered: ${record.reason ?? ''}` });
  if (record.deliveredAt) events.push({ at: record.deliveredAt, text: 'delivered' });
  // ISO timestamps sort as text.
  return events.sort((a, b) => a.at.localeCompare(b.at));
}

/** Where the message was accepted, in `gd message`'s words. */
export function acceptedInto(record: MessageRecord): string {
  return `accepted into the ${record.store === 'queue' ? 'delivery queue' : 'failover table'}`;
}

/** The record as lines a person reads top to bottom: accepted, each attempt, where it is now. */
export function timeline(record: MessageRecord): string[] {
  const lines = [
    `message ${record.messageId} on route ${record.route}: ${record.state}`,
    `${record.acceptedAt}  ${acceptedInto(record)}`,
    ...timelineEvents(record).map((event) => `${event.at}  ${event.text}`),
  ];
  if (record.state === 'retrying' && record.nextAttemptAt)
    lines.push(`next attempt at ${record.nextAttemptAt}`);
  return lines;
}
