import { describeError } from '../shared/errors.js';
import { type LocalStack, startLocalStack } from './runner.js';

/**
 * `npm start`: the local stack in the foreground. Prints `ready ...` once requests are accepted;
 * Ctrl-C (or SIGTERM) stops taking requests, lets in-flight batches finish, stops what it started
 * and exits 0. A second Ctrl-C exits at once.
 */

/** A terminal's Ctrl-C reaches npm and this process at once, and npm relays it again:
 * signals this close to the first are the same Ctrl-C, not a second one. */
const SAME_SIGNAL_MS = 1_500;

let stack: LocalStack | undefined;
let stoppingSince: number | undefined;

function shutdown(signal: NodeJS.Signals): void {
  if (stoppingSince !== undefined && Date.now() - stoppingSince < SAME_SIGNAL_MS) return;
  if (stoppingSince !== undefined || !stack) {
    // During startup there is nothing in flight yet; a moto started here is killed on exit.
    process.stdout.write(`${signal}: exiting now\n`);
    process.exit(stack ? 130 : 0);
  }
  stoppingSince = Date.now();
  stack.log.note(
    'stopping',
    `${signal}: no new requests; finishing in-flight work (Ctrl-C again to exit now)`,
  );
  stack.stop().then(
    () => process.exit(0),
    (error: unknown) => {
      process.stderr.write(`error while stopping: ${describeError(error)}\n`);
      process.exit(1);
    },
  );
}

process.on('SIGINT', shutdown);
process.on('SIGTERM', shutdown);

try {
  stack = await startLocalStack();
  stack.log.raw(stack.readyLine);
  const api = stack.apiUrl.replace('127.0.0.1', 'localhost');
  const path = stack.config.routes[0]?.path ?? '/catering/register';
  stack.log.raw(
    `      try: curl -X POST '${api}${path}' -H 'Content-Type: application/json' ` +
      `-d '{"passengerId":"241241d","class":"first","train":"RLC-5051"}'`,
  );
  if (stack.demoBackend) {
    stack.log.raw(
      `      make the demo backend fail: curl -X POST ${stack.demoBackend.baseUrl}/control -d '{"failWith":503,"count":3}'`,
    );
  }
} catch (error) {
  process.stderr.write(`could not start the local stack: ${describeError(error)}\n`);
  process.exit(1);
}
