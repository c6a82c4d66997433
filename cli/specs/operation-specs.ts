import { BREAKER_TAG, PAUSE_TAG } from '../../local/local-stack-contract.js';
import { parseGrace } from '../../shared/signing/signing-secret-value.js';
import { archiveListCommand } from '../commands/archive.js';
import { drainCommand } from '../commands/drain.js';
import { keepTryingCommand } from '../commands/keep-trying.js';
import { pauseCommand } from '../commands/pause.js';
import { sendCommand } from '../commands/send.js';
import { signingRotateCommand, signingShowCommand } from '../commands/signing.js';
import { type CommandSpec, option, parsedOption, wholeNumberOption } from '../program.js';
import { type CommandContext, json, route } from './command-context.js';

/**
 * The specs of the commands that operate a route or the stack (`archive list`, `keep-trying`,
 * `drain`, `signing`, `pause`, `resume`, `console`, `send`), in `gd --help`'s order after
 * message-specs.ts's.
 */

/** `gd console`'s port on 127.0.0.1 unless --port says otherwise: next to the local API's 8290 and 8291. */
const DEFAULT_CONSOLE_PORT = 8292;

/** Fresh specs per run: commander's Option objects belong to one program. */
export const operationSpecs = (): CommandSpec<CommandContext>[] => [
  {
    name: 'archive list',
    summary: 'messages archived to S3 before SQS retention would have deleted them',
    options: [
      option('--route <R>', "only this route's archive"),
      wholeNumberOption('--limit <N>', 'at most N messages (1-10000, default 100)', 1, 10_000),
    ],
    notes: 'Bring them back with: gd redrive --from-archive --route R [--id ID]',
    run: ({ stack, output }, options) =>
      archiveListCommand(
        stack,
        { json: json(options), route: route(options), limit: (options.limit as number | undefined) ?? 100 },
        output,
      ),
  },
  {
    name: 'keep-trying',
    summary: "redrive a route's DLQ with growing waits until it stays empty (continuing delivery)",
    options: [
      option('--route <R>', 'only this route (default: every route, side by side)'),
      option('--detach', 'AWS: return once the execution started instead of following it'),
      wholeNumberOption(
        '--initial-wait <S>',
        'local stack: first wait in seconds (default AUTO_REDRIVE_INITIAL_WAIT_SECONDS or 300)',
        1,
        604_800,
      ),
      wholeNumberOption(
        '--max-wait <S>',
        'local stack: cap of the doubling wait (default AUTO_REDRIVE_MAX_WAIT_SECONDS or 21600)',
        1,
        604_800,
      ),
      wholeNumberOption(
        '--max-rounds <N>',
        'local stack: redrives before giving up (default AUTO_REDRIVE_MAX_ROUNDS or 10)',
        1,
        100,
      ),
    ],
    notes: `On AWS starts the route's continuing-delivery Step Functions execution and follows it; locally runs
the same rounds here. Exits 1 when it gives up with dead letters left.`,
    run: ({ stack, output }, options) =>
      keepTryingCommand(
        stack,
        {
          json: json(options),
          route: route(options),
          detach: options.detach === true,
          initialWaitSeconds: options.initialWait as number | undefined,
          maxWaitSeconds: options.maxWait as number | undefined,
          maxRounds: options.maxRounds as number | undefined,
        },
        output,
      ),
  },
  {
    name: 'drain',
    summary: 'run the drainer now: failover table → delivery queues',
    notes: `On AWS invokes the drainer function and prints its report; locally runs the drainer's logic here.`,
    run: ({ stack, output }, options) => drainCommand(stack, { json: json(options) }, output),
  },
  {
    name: 'signing show',
    summary: "print a signed route's secret(s), as its receivers must configure them",
    usage: '--route R [--json]',
    options: [option('--route <R>', 'the route').hideHelp()],
    notes: `Prints the current whsec_ secret and, during a rotation's grace, the previous one and when it
stops signing. The output holds secrets: hand it to the receiver, do not paste it into logs.`,
    run: ({ stack, output }, options) =>
      signingShowCommand(stack, { json: json(options), route: route(options) }, output),
  },
  {
    name: 'signing rotate',
    summary: 'make a new signing secret current; the old one keeps signing for a grace period',
    usage: '--route R [--grace D] [--json]',
    options: [
      option('--route <R>', 'the route').hideHelp(),
      parsedOption(
        '--grace <D>',
        'how long the old secret keeps signing too: 24h (default), 90m, 2d, 0',
        parseGrace,
      ),
    ],
    notes: `During the grace every delivery's webhook-signature carries both signatures, so receivers switch
to the new secret (gd signing show) without a failed delivery.`,
    run: ({ stack, output }, options) =>
      signingRotateCommand(
        stack,
        { json: json(options), route: route(options), graceSeconds: options.grace as number | undefined },
        output,
      ),
  },
  {
    name: 'pause',
    summary: "stop a route's deliveries (messages keep arriving and wait in the queue)",
    usage: '--route R [--json]',
    // Its usage line already shows --route as required; the help lists no other option.
    options: [option('--route <R>', 'the route').hideHelp()],
    notes: `On AWS disables the route's event source mapping (and, for a route with a circuit breaker,
records the pause so a probe that closes the breaker leaves deliveries stopped); locally tags its
queue ${PAUSE_TAG}=true. A pause outlasts the breaker closing: only gd resume ends it.`,
    run: ({ stack, output }, options) =>
      pauseCommand(stack, { json: json(options), route: route(options), paused: true }, output),
  },
  {
    name: 'resume',
    summary: "restart a route's deliveries",
    usage: '--route R [--json]',
    // Its usage line already shows --route as required; the help lists no other option.
    options: [option('--route <R>', 'the route').hideHelp()],
    notes: `On AWS enables the route's event source mapping; locally removes the ${PAUSE_TAG} tag. While
the route's circuit breaker is open, deliveries stay stopped: they resume when its next probe
succeeds (on AWS the mapping is left to the probe; locally the breaker's ${BREAKER_TAG} tag stays;
with the breaker closed, a ${BREAKER_TAG} tag left behind is cleared too).`,
    run: ({ stack, output }, options) =>
      pauseCommand(stack, { json: json(options), route: route(options), paused: false }, output),
  },
  {
    name: 'console',
    summary:
      "a web console on 127.0.0.1: routes live, a message's attempts, dead letters to redrive, pause, resume, drain",
    options: [
      wholeNumberOption(
        '--port <N>',
        `port on 127.0.0.1 (default ${DEFAULT_CONSOLE_PORT}; 0 = any free port)`,
        0,
        65_535,
      ),
    ],
    notes: `Prints one line, console <url>: open that URL in a browser. It holds a secret made for this run, and
the console refuses every request without it, or from another site. Ctrl-C stops it.`,
    run: async ({ stack, output }, options) => {
      // Loaded here: the other commands start without the console's code.
      const { consoleCommand } = await import('../console/console-command.js');
      return consoleCommand(
        stack,
        { json: json(options), port: (options.port as number | undefined) ?? DEFAULT_CONSOLE_PORT },
        output,
      );
    },
  },
  {
    name: 'send',
    summary: 'POST a test message to a route, as a client would',
    usage: '[--route R] [--body JSON | --file F] [--idempotency-key K] [--json]',
    options: [
      option('--route <R>', 'the route (needed when the stack has more than one)'),
      option('--body <JSON>', 'the body (default: the reference catering registration)'),
      option('--file <F>', 'read the body from a file'),
      option('--idempotency-key <K>', 'send an Idempotency-Key header (its retries become one message)'),
    ],
    notes: 'On AWS the API key is fetched from API Gateway when the stack has one.',
    run: ({ stack, output }, options) =>
      sendCommand(
        stack,
        {
          json: json(options),
          route: route(options),
          body: options.body as string | undefined,
          file: options.file as string | undefined,
          idempotencyKey: options.idempotencyKey as string | undefined,
        },
        output,
      ),
  },
];
