import { type Output, printJson } from '../output.js';
import type { StackTarget } from '../stack/stack-target.js';
import { startConsoleServer } from './console-server.js';

/**
 * `gd console`: the operator console in a browser, on 127.0.0.1, over the stack `gd` opened (the
 * local one, or a deployed one with the operator's own credentials). Loaded only when this command
 * runs, so the other commands start without it.
 */

/** `gd console`'s options. */
export interface ConsoleOptions {
  readonly json: boolean;
  /** Port on 127.0.0.1; 0 = any free one. */
  readonly port: number;
  /** Ends the console (a test's); Ctrl-C or SIGTERM otherwise. */
  readonly signal?: AbortSignal;
}

/**
 * Seconds between refreshes of the routes page: locally its reads are free; on AWS each one calls
 * SQS, Lambda and CloudWatch per route (CloudWatch is billed per metric read, and its figures move
 * once a minute anyway).
 */
export const REFRESH_SECONDS = { local: 3, deployed: 15 } as const;

/** Resolves on Ctrl-C, SIGTERM or the signal. */
function stopRequested(signal: AbortSignal | undefined): Promise<string> {
  return new Promise((resolve) => {
    const done = (reason: string) => {
      process.off('SIGINT', onInt);
      process.off('SIGTERM', onTerm);
      resolve(reason);
    };
    const onInt = () => done('SIGINT');
    const onTerm = () => done('SIGTERM');
    process.once('SIGINT', onInt);
    process.once('SIGTERM', onTerm);
    if (signal?.aborted) done('stopped');
    signal?.addEventListener('abort', () => done('stopped'), { once: true });
  });
}

/**
 * Serves the console until stopped. Prints one line, `console <url>` (a JSON document with --json),
 * the URL with this run's token: the only way in.
 */
export async function consoleCommand(
  stack: StackTarget,
  options: ConsoleOptions,
  output: Output,
): Promise<number> {
  const server = await startConsoleServer({
    stack,
    port: options.port,
    refreshSeconds: REFRESH_SECONDS[stack.kind],
    log: (line) => output.err(line),
  });
  if (options.json) printJson(output, { console: server.url });
  else output.out(`console ${server.url}`);
  output.err(`${stack.description}; listening on 127.0.0.1 only. Ctrl-C stops the console.`);
  const reason = await stopRequested(options.signal);
  output.err(`console: ${reason}, stopping`);
  await server.close();
  return 0;
}
