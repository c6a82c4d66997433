import { AsyncLocalStorage } from 'node:async_hooks';

/**
 * Records the AWS calls this process makes, and for whom: the checks of `npm run test:aws-rules`
 * evaluate each against the IAM policies the stack gives that function's role. Off unless a test
 * installs a recorder; while off, clients are built exactly as before (no middleware, no cost).
 */

/** Whose calls a client makes: the function (or `gd`), and the route for a function that serves one. */
export interface CallPrincipal {
  /** `ingest`, `forwarder`, `drainer`, `archiver`, `continuing-delivery` or `gd` (COMPONENT in shared/config/component-tags.ts). */
  readonly component: string;
  readonly route?: string;
}

/** One AWS API call as the SDK made it, before it was sent. */
export interface RecordedCall {
  readonly principal: CallPrincipal;
  /** The SDK client's name, e.g. `SQSClient`. */
  readonly client: string;
  /** The operation, e.g. `SendMessage`. */
  readonly operation: string;
  /** The command's input (document client inputs are unmarshalled). */
  readonly input: Record<string, unknown>;
}

/** Receives every call of every client created while it is installed. */
export type CallRecorder = (call: RecordedCall) => void;

let recorder: CallRecorder | undefined;
const principals = new AsyncLocalStorage<CallPrincipal>();

/** Installs `record` (or removes it with undefined); clients created from now on report their calls to it. */
export function installCallRecorder(record: CallRecorder | undefined): void {
  recorder = record;
}

/** Runs `work` (typically building a function's dependencies) with the clients it creates belonging to `principal`. */
export function runAs<T>(principal: CallPrincipal, work: () => T): T {
  return principals.run(principal, work);
}

/** An SDK v3 client: only its middleware stack is used here. */
export interface MiddlewareClient {
  readonly middlewareStack: { add: (...args: never[]) => void };
}

/** An `initialize` step middleware in the SDK's shape (@smithy/types' InitializeMiddleware). */
type Middleware = (
  next: (args: { input: unknown }) => Promise<unknown>,
  context: { clientName?: string; commandName?: string },
) => (args: { input: unknown }) => Promise<unknown>;

/**
 * Adds the recording middleware to `client` when a recorder is installed, for the principal of the
 * surrounding {@link runAs} (`unknown` outside one, which the checks refuse). Returns the client.
 */
export function recordCalls<T extends MiddlewareClient>(client: T): T {
  const record = recorder;
  if (record === undefined) return client;
  const principal = principals.getStore() ?? { component: 'unknown' };
  const add = client.middlewareStack.add.bind(client.middlewareStack) as unknown as (
    middleware: Middleware,
    options: { step: 'initialize'; name: string },
  ) => void;
  add(
    (next, context) => async (args) => {
      record({
        principal,
        client: context.clientName ?? 'unknown',
        operation: (context.commandName ?? 'unknown').replace(/Command$/, ''),
        input: (args.input ?? {}) as Record<string, unknown>,
      });
      return next(args);
    },
    { step: 'initialize', name: 'gdRecordCalls' },
  );
  return client;
}
