import { type ChildProcess, spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { delimiter } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';

/** A moto server this process started; `stop()` ends it. */
export interface EmbeddedAwsEndpoint {
  readonly endpoint: string;
  stop(): Promise<void>;
}

/** A free loopback port, found by letting the kernel pick one. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port')),
      );
    });
  });
}

async function waitUntilUp(endpoint: string, child: ChildProcess, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null)
      throw new Error(`moto_server exited with code ${child.exitCode} before it was ready`);
    try {
      const response = await fetch(`${endpoint}/moto-api/`, { signal: AbortSignal.timeout(1_000) });
      if (response.ok) return;
    } catch {
      // not listening yet
    }
    await sleep(100);
  }
  throw new Error(`moto_server did not answer on ${endpoint} within ${timeoutMs} ms`);
}

/** Python modules moto_server loads at start-up (its PYTHONPATH), beside this file. */
const MOTO_PATCHES = fileURLToPath(new URL('./moto-patches', import.meta.url));

/**
 * Starts `moto_server` (moto 5.x, `pip install "moto[server]"`) on 127.0.0.1: the default local AWS
 * endpoint when AWS_ENDPOINT_URL is not set. Only loopback: nothing here listens on other addresses.
 */
export async function startMotoServer(
  options: {
    port?: number;
    command?: string;
    /**
     * Run moto in its own process group, so a terminal's Ctrl-C reaches only the caller, which can
     * finish in-flight work against moto before stopping it. moto is still killed when this
     * process exits. @default false
     */
    detached?: boolean;
  } = {},
): Promise<EmbeddedAwsEndpoint> {
  const port = options.port ?? (await freePort());
  const command = options.command ?? process.env.MOTO_SERVER_COMMAND ?? 'moto_server';
  const child = spawn(command, ['-H', '127.0.0.1', '-p', String(port)], {
    // moto-patches/sitecustomize.py serialises moto's DynamoDB writes, as DynamoDB applies them.
    env: {
      ...process.env,
      PYTHONPATH: [MOTO_PATCHES, process.env.PYTHONPATH].filter(Boolean).join(delimiter),
    },
    stdio: ['ignore', 'ignore', 'pipe'],
    detached: options.detached ?? false,
  });
  if (options.detached) {
    // Out of the terminal's process group, moto would outlive a crash of this process: kill it on exit.
    const killOnExit = () => child.kill('SIGKILL');
    process.once('exit', killOnExit);
    child.once('exit', () => process.off('exit', killOnExit));
  }
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-4_000);
  });
  const spawned = new Promise<void>((resolve, reject) => {
    child.once('spawn', resolve);
    child.once('error', (error: NodeJS.ErrnoException) =>
      reject(
        error.code === 'ENOENT'
          ? new Error(
              `'${command}' was not found. Install moto's server (pip install "moto[server]==5.2.1"), ` +
                'or point AWS_ENDPOINT_URL at a running LocalStack or moto.',
            )
          : error,
      ),
    );
  });
  await spawned;
  const endpoint = `http://127.0.0.1:${port}`;
  try {
    await waitUntilUp(endpoint, child, 30_000);
  } catch (error) {
    child.kill('SIGKILL');
    throw new Error(`${(error as Error).message}\n${stderr}`);
  }
  return {
    endpoint,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
        setTimeout(() => child.kill('SIGKILL'), 3_000).unref();
      }),
  };
}
