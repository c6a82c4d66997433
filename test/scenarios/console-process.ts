import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { childEnv, ROOT } from './runner-process.js';

/**
 * `gd console --local` as an operator starts it (`node bin/gd.js`, what `npx gd` runs), as a child
 * process, with the `console <url>` line it prints.
 */
export interface ConsoleProcess {
  /** The URL of the `console` line, token included. */
  readonly url: string;
  /** Everything it printed so far. */
  output(): string;
  /** Ctrl-C, then its exit code (null if it had to be killed). */
  stop(): Promise<number | null>;
}

/** Starts `gd console --local --port 0` with `env` and waits for its `console` line. */
export async function startConsoleProcess(
  env: Record<string, string>,
  timeoutMs = 30_000,
): Promise<ConsoleProcess> {
  const child = spawn(process.execPath, [join(ROOT, 'bin', 'gd.js'), 'console', '--local', '--port', '0'], {
    cwd: ROOT,
    env: childEnv(env),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`no 'console' line within ${timeoutMs} ms:\n${output}`)),
      timeoutMs,
    );
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      const line = /^console (http:\/\/\S+)$/m.exec(output);
      if (line?.[1]) {
        clearTimeout(timer);
        resolve(line[1]);
      }
    });
    child.stderr.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`gd console exited with ${code} before it printed its URL:\n${output}`));
    });
  }).catch((error: unknown) => {
    child.kill('SIGKILL');
    throw error;
  });
  return {
    url,
    output: () => output,
    stop() {
      if (child.exitCode !== null) return Promise.resolve(child.exitCode);
      return new Promise((resolve) => {
        const timer = setTimeout(() => {
          child.kill('SIGKILL');
          resolve(null);
        }, 15_000);
        child.once('exit', (code) => {
          clearTimeout(timer);
          resolve(code);
        });
        child.kill('SIGINT');
      });
    },
  };
}
