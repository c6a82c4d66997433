import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { SQSClient } from '@aws-sdk/client-sqs';

/** Calls per command name, e.g. `{ SendMessageCommand: 10 }`. */
export type CallCounts = Record<string, number>;

/** Commands that cost DynamoDB write request units (the rest of what the project calls reads). */
const DYNAMODB_WRITES = new Set([
  'PutItemCommand',
  'UpdateItemCommand',
  'DeleteItemCommand',
  'BatchWriteItemCommand',
  // The document client's names, in case the SDK reports those.
  'PutCommand',
  'UpdateCommand',
  'DeleteCommand',
  'BatchWriteCommand',
]);

/**
 * Counts AWS calls made through the clients it is attached to, with SDK middleware, so the project's
 * own code needs no counting hook. `calls` counts each logical call once (initialize step); `attempts`
 * counts each HTTP attempt, retries included (deserialize step, inside the retry middleware): AWS
 * bills attempts that reach it.
 */
export class AwsCallCounter {
  readonly calls: CallCounts = {};
  readonly attempts: CallCounts = {};

  /** Adds the counting middleware to a client this benchmark constructed. */
  attach<C extends SQSClient | DynamoDBClient>(client: C): C {
    const count =
      (into: CallCounts) =>
      <Next extends (args: never) => Promise<unknown>>(next: Next, context: { commandName?: string }) =>
      (args: Parameters<Next>[0]) => {
        const name = context.commandName ?? 'unknown';
        into[name] = (into[name] ?? 0) + 1;
        return next(args) as ReturnType<Next>;
      };
    // The two clients' stacks differ only in their input/output unions; the middleware ignores both.
    const stack = (client as DynamoDBClient).middlewareStack;
    stack.add(count(this.calls), { step: 'initialize', name: 'benchCountCalls' });
    stack.add(count(this.attempts), { step: 'deserialize', name: 'benchCountAttempts' });
    return client;
  }

  /** Total logical calls. */
  totalCalls(): number {
    return sum(this.calls);
  }

  /** Total HTTP attempts (what AWS would bill). */
  totalAttempts(): number {
    return sum(this.attempts);
  }

  /** DynamoDB attempts that consume write units (use one counter per service to keep this meaningful). */
  writeAttempts(): number {
    return Object.entries(this.attempts)
      .filter(([name]) => DYNAMODB_WRITES.has(name))
      .reduce((total, [, n]) => total + n, 0);
  }

  reset(): void {
    for (const key of Object.keys(this.calls)) delete this.calls[key];
    for (const key of Object.keys(this.attempts)) delete this.attempts[key];
  }
}

function sum(counts: CallCounts): number {
  return Object.values(counts).reduce((total, n) => total + n, 0);
}
