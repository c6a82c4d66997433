import { type ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { delimiter, join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { GetQueueUrlCommand, type Message, ReceiveMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { inject } from 'vitest';
import { freePort } from '../../local/moto-server.js';
import { createDynamoDbClient, createSqsClient } from '../../shared/aws/clients.js';
import { queueCounts } from '../../shared/aws/sqs-message-queue.js';
import { DEFAULT_ROUTE } from '../../shared/config/routes.js';
import { localTableNames, queueNames } from '../../shared/resource-names.js';
import { REFERENCE_CATERING_REGISTRATION } from '../../shared/schemas/body-schemas.js';
import { failoverIds } from '../support/failover-items.js';

/**
 * The local runner as a user starts it (`npm start` = `node --import tsx local/start.ts`), as a child process the
 * scenario tests drive over HTTP only, plus direct views of the emulator to check where messages are.
 */

/** The repository's root. */
export const ROOT = resolve(import.meta.dirname, '../..');
const BIN = join(ROOT, 'node_modules', '.bin');

/** The reference scenario's request body (docs/reference-mapping.md). */
export const CATERING_PAYLOAD = REFERENCE_CATERING_REGISTRATION;

/** Variables a developer's shell might hold that would change what a scenario tests. */
const CLEARED = [
  'AWS_ENDPOINT_URL_SQS',
  'AWS_ENDPOINT_URL_DYNAMODB',
  'CATERING_SERVICE_EP',
  'DEMO_BACKEND_FAIL',
  'LOCAL_API_KEY',
  'LOG_FORMAT',
  'POWERTOOLS_LOG_LEVEL',
  'NODE_OPTIONS',
];

/**
 * This process's environment without what would change a scenario, `env` on top, and
 * node_modules/.bin first on the PATH (as npm scripts have it, so tsx runs on the project's Node).
 */
export function childEnv(env: Record<string, string>): Record<string, string | undefined> {
  const inherited: Record<string, string | undefined> = { ...process.env };
  for (const name of CLEARED) delete inherited[name];
  inherited.PATH = `${BIN}${delimiter}${process.env.PATH ?? ''}`;
  return { ...inherited, ...env };
}

/** A unique prefix, free ports and fast retry settings; `overrides` win. */
export async function scenarioEnv(overrides: Record<string, string> = {}): Promise<Record<string, string>> {
  return {
    AWS_ENDPOINT_URL: inject('awsEndpoint'),
    LOCAL_PREFIX: `sc-${randomUUID().slice(0, 8)}`,
    PORT: String(await freePort()),
    DEMO_BACKEND_PORT: String(await freePort()),
    MAX_ATTEMPTS: '3',
    RETRY_BASE_SECONDS: '1',
    RETRY_MAX_SECONDS: '2',
    DRAIN_INTERVAL_SECONDS: '1',
    // The journey lines are the runner's output; the test project silences Powertools by default.
    POWERTOOLS_LOG_LEVEL: 'INFO',
    ...overrides,
  };
}

/** An HTTP answer of the local API. */
export interface ApiAnswer {
  readonly status: number;
  readonly headers: Headers;
  readonly body: Record<string, unknown>;
  /** How long the request took, in ms. */
  readonly ms: number;
}

export interface RunnerProcess {
  /** `http://127.0.0.1:<PORT>`, read from the `ready` line. */
  readonly apiUrl: string;
  readonly readyLine: string;
  /** Everything printed so far (stdout and stderr). */
  output(): string;
  /** POSTs JSON to the default route (or to `path`). */
  post(body: unknown, headers?: Record<string, string>, path?: string): Promise<ApiAnswer>;
  /** Ctrl-C: SIGINT, then the exit code (null if it had to be killed after `timeoutMs`). */
  stop(timeoutMs?: number): Promise<number | null>;
  /** SIGKILL to its process group if still running (test clean-up). */
  kill(): void;
  /**
   * A crash: SIGKILL to the runner's whole process group (tsx runs the script in a node child that a
   * SIGKILL of tsx alone would leave serving), then resolves once tsx is gone. Nothing gets to clean up.
   */
  crash(): Promise<void>;
}

function waitForExit(child: ChildProcess, timeoutMs: number): Promise<number | null> {
  if (child.exitCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      resolve(null);
    }, timeoutMs);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve(code);
    });
  });
}

/** Spawns `node --import tsx local/start.ts` with `env` (on top of this process's) and waits for its `ready` line. */
export async function startRunnerProcess(
  env: Record<string, string>,
  timeoutMs = 45_000,
): Promise<RunnerProcess> {
  // One process, as `npm start` runs it; not through the tsx command, whose parent SIGKILLs its
  // child and exits 130 when the child has not acknowledged a relayed Ctrl-C within 30 ms, which
  // a loaded machine misses.
  const child = spawn(process.execPath, ['--import', 'tsx', 'local/start.ts'], {
    cwd: ROOT,
    env: childEnv(env),
    stdio: ['ignore', 'pipe', 'pipe'],
    // Its own process group, so crash() reaches tsx's node child too.
    detached: true,
  });
  let output = '';
  const ready = new Promise<string>((resolveReady, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`no 'ready' line within ${timeoutMs} ms:\n${output}`)),
      timeoutMs,
    );
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const line = output.split('\n').find((l) => l.startsWith('ready '));
      if (line) {
        clearTimeout(timer);
        resolveReady(line);
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`the runner exited with code ${code} before it was ready:\n${output}`));
    });
  });
  let readyLine: string;
  try {
    readyLine = await ready;
  } catch (error) {
    child.kill('SIGKILL');
    throw error;
  }
  const killGroup = () => {
    if (child.pid !== undefined && child.exitCode === null && child.signalCode === null)
      process.kill(-child.pid, 'SIGKILL');
  };
  const apiUrl = /^ready (http:\/\/\S+)/.exec(readyLine)?.[1] ?? '';
  return {
    apiUrl,
    readyLine,
    output: () => output,
    async post(body, headers = {}, path = DEFAULT_ROUTE.path) {
      const started = Date.now();
      const response = await fetch(`${apiUrl}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(15_000),
      });
      const text = await response.text();
      return {
        status: response.status,
        headers: response.headers,
        body: JSON.parse(text) as Record<string, unknown>,
        ms: Date.now() - started,
      };
    },
    stop(stopTimeoutMs = 20_000) {
      const exited = waitForExit(child, stopTimeoutMs);
      child.kill('SIGINT');
      return exited;
    },
    kill: killGroup,
    async crash() {
      const exited = waitForExit(child, 10_000);
      killGroup();
      await exited;
    },
  };
}

/** Prints the runner's log after a failed test, or always with SCENARIO_LOG=1. */
export function showRunnerOutput(runner: RunnerProcess, failed: boolean): void {
  if (failed || process.env.SCENARIO_LOG === '1') console.log(`--- runner output ---\n${runner.output()}`);
}

/** Polls `read` until `done` holds for its value; the last value otherwise, after `timeoutMs`. */
export async function waitFor<T>(
  read: () => Promise<T> | T,
  done: (value: T) => boolean,
  timeoutMs: number,
  everyMs = 200,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let value = await read();
  while (!done(value) && Date.now() < deadline) {
    await sleep(everyMs);
    value = await read();
  }
  return value;
}

/** Direct access to the runner's queues and failover table on the emulator (not through any proxy). */
export async function emulatorView(prefix: string) {
  const endpoint = inject('awsEndpoint');
  const sqs: SQSClient = createSqsClient({ endpoint });
  const dynamoDb = createDynamoDbClient({ endpoint });
  const names = queueNames(prefix, DEFAULT_ROUTE);
  const urlOf = async (name: string) =>
    (await sqs.send(new GetQueueUrlCommand({ QueueName: name }))).QueueUrl ?? '';
  const queueUrl = await urlOf(names.deliveryQueue);
  const dlqUrl = await urlOf(names.deadLetterQueue);
  const failoverTable = localTableNames(prefix).failoverTable;
  return {
    sqs,
    queueUrl,
    dlqUrl,
    /** Visible + in-flight messages of a queue. */
    async count(url: string): Promise<number> {
      const { visible, inFlight } = await queueCounts(sqs, url);
      return visible + inFlight;
    },
    /** Messages of a queue, left visible (VisibilityTimeout 0). */
    async peek(url: string): Promise<Message[]> {
      const output = await sqs.send(
        new ReceiveMessageCommand({
          QueueUrl: url,
          MaxNumberOfMessages: 10,
          VisibilityTimeout: 0,
          MessageAttributeNames: ['All'],
          MessageSystemAttributeNames: ['All'],
        }),
      );
      return output.Messages ?? [];
    },
    /** Message ids in the failover table (the drainer's lease item left out). */
    async failoverIds(): Promise<string[]> {
      return failoverIds(dynamoDb, failoverTable);
    },
    close() {
      sqs.destroy();
      dynamoDb.destroy();
    },
  };
}
