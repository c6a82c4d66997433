import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, inject } from 'vitest';
import { LoopbackBackend } from '../support/loopback-backend.js';
import { TcpFaultProxy } from '../support/tcp-fault-proxy.js';
import { emulatorView, type RunnerProcess, showRunnerOutput, startRunnerProcess } from './runner-process.js';

/** What a scenario's backend must offer the scaffold. */
interface Stoppable {
  stop(): Promise<void>;
}

/** What a scenario file needs besides `npm start`'s runner. */
export interface ScaffoldOptions<B extends Stoppable> {
  /** A fresh backend for each test. @default a LoopbackBackend */
  readonly backend?: () => B;
  /** Fault proxies in front of the emulator, one per name (`sqs`, `dynamoDb`), fresh for each test. */
  readonly proxies?: readonly ('sqs' | 'dynamoDb')[];
  /** A temporary directory for each test (routes files), removed after it; its name starts so. */
  readonly tempDir?: string;
}

/**
 * The scaffolding of a scenario file that runs one `npm start` per test: registers, in the calling
 * `describe`, a `beforeEach` that makes the test's backend (and fault proxies and temporary
 * directory, when asked) and an `afterEach` that prints the runner's output when the test failed,
 * kills the runner and stops or removes everything the test made. Read the parts in a test, after
 * `beforeEach` ran: `const { backend } = scenario`; start the runner with `scenario.start(env)`.
 */
export function scenarioScaffold<B extends Stoppable = LoopbackBackend>(options: ScaffoldOptions<B> = {}) {
  let backend: B | undefined;
  let runner: RunnerProcess | undefined;
  let view: Awaited<ReturnType<typeof emulatorView>> | undefined;
  let proxies: Partial<Record<'sqs' | 'dynamoDb', TcpFaultProxy>> = {};
  let dir: string | undefined;

  beforeEach(() => {
    backend = options.backend ? options.backend() : (new LoopbackBackend() as unknown as B);
    proxies = Object.fromEntries(
      (options.proxies ?? []).map((name) => [name, TcpFaultProxy.forUrl(inject('awsEndpoint'))]),
    );
    dir = options.tempDir === undefined ? undefined : mkdtempSync(join(tmpdir(), options.tempDir));
  });

  afterEach(async (context) => {
    if (runner) showRunnerOutput(runner, context.task.result?.state === 'fail');
    runner?.kill();
    view?.close();
    await Promise.all(Object.values(proxies).map((proxy) => proxy.stop()));
    await backend?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
    runner = undefined;
    view = undefined;
  });

  const made = <T>(value: T | undefined, what: string): T => {
    if (value === undefined) throw new Error(`no ${what}: read it inside a test`);
    return value;
  };
  return {
    get backend(): B {
      return made(backend, 'backend');
    },
    get sqsProxy(): TcpFaultProxy {
      return made(proxies.sqs, 'SQS proxy (proxies: ["sqs"])');
    },
    get dynamoDbProxy(): TcpFaultProxy {
      return made(proxies.dynamoDb, 'DynamoDB proxy (proxies: ["dynamoDb"])');
    },
    get dir(): string {
      return made(dir, 'temporary directory (tempDir)');
    },
    /** Starts `npm start`'s runner with `env` (stopped after the test). */
    async start(env: Record<string, string>): Promise<RunnerProcess> {
      runner = await startRunnerProcess(env);
      return runner;
    },
    /** Starts the runner and opens the emulator view of its prefix (both closed after the test). */
    async startWithView(env: Record<string, string>) {
      const started = await this.start(env);
      view = await emulatorView(env.LOCAL_PREFIX as string);
      return { runner: started, view };
    },
  };
}
