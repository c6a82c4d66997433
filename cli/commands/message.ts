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
  const found = await lookUp(stack, options);
  if (found.length === 0) {
    const where = options.route
      ? `route ${options.route}`
      : `any route (${stack.routes.map((r) => r.name).join(', ')})`;
    throw new OperationFailedError(`no message ${options.id} was accepted on ${where}`);
  }
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

async function lookUp(stack: StackTarget, options: MessageOptions): Promise<MessageRecord[]> {
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

/** The record as lines a person reads top to bottom: accepted, each attempt, where it is now. */
export function timeline(record: MessageRecord): string[] {
  const lines = [
    `message ${record.messageId} on route ${record.route}: ${record.state}`,
    `${record.acceptedAt}  accepted into the ${record.store === 'queue' ? 'delivery queue' : 'failover table'}`,
  ];
  // Markers first: at the same instant, "redriven" reads before the attempt it led to (the sort is stable).
  const events: [string, string][] = [];
  if (record.redrivenAt) events.push([record.redrivenAt, 'redriven from the DLQ']);
  for (const attempt of record.attempts) {
    const outcome =
      attempt.status !== undefined
        ? `answered ${attempt.status}`
        : `no answer (${attempt.error ?? 'unknown'})`;
    const response = attempt.response ? `  ${JSON.stringify(attempt.response.slice(0, 120))}` : '';
    events.push([
      attempt.at,
      `attempt ${attempt.attempt}: ${outcome} in ${attempt.durationMs} ms${response}`,
    ]);
  }
  if (record.drainedAt)
    events.push([record.drainedAt, 'moved from the failover table to the delivery queue']);
  if (record.deadLetteredAt) events.push([record.deadLetteredAt, `dead-lettered: ${record.reason ?? ''}`]);
  if (record.deliveredAt) events.push([record.deliveredAt, 'delivered']);
  // ISO timestamps sort as text.
  events.sort(([a], [b]) => a.localeCompare(b));
  for (const [at, text] of events) lines.push(`${at}  ${text}`);
  if (record.state === 'retrying' && record.nextAttemptAt)
    lines.push(`next attempt at ${record.nextAttemptAt}`);
  return lines;
}
