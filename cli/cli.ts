// Over 250 lines: one spec per `gd` command (summary, options with their help, notes, run), kept in
// one list so `gd --help` and this file read in the same order; the commands' work is in commands/.
import type { OptionValues } from 'commander';
import { BREAKER_TAG, PAUSE_TAG } from '../local/local-stack-contract.js';
import { type Env, USER_ENV } from '../shared/config/env-names.js';
import { DEFAULT_STACK_NAME } from '../shared/config/stack-outputs.js';
import {
  type DeadLetterFilter,
  parseStatusMatch,
  parseTimeBound,
  type StatusMatch,
} from '../shared/dead-letter-filter.js';
import { describeError, GuaranteedDeliveryError } from '../shared/errors.js';
import { parseGrace } from '../shared/signing/signing-secret-value.js';
import { archiveListCommand, archiveRedriveCommand } from './commands/archive.js';
import { dlqListCommand, dlqShowCommand } from './commands/dlq.js';
import { drainCommand } from './commands/drain.js';
import { keepTryingCommand } from './commands/keep-trying.js';
import { messageCommand } from './commands/message.js';
import { pauseCommand } from './commands/pause.js';
import { redriveCommand } from './commands/redrive.js';
import { sendCommand } from './commands/send.js';
import { signingRotateCommand, signingShowCommand } from './commands/signing.js';
import { statusCommand } from './commands/status.js';
import { EXIT, UsageError } from './errors.js';
import type { Output } from './output.js';
import {
  buildProgram,
  type CommandSpec,
  option,
  parsedOption,
  runProgram,
  wholeNumberOption,
} from './program.js';
import type { StackTarget } from './stack/stack-target.js';

/**
 * The `gd` commands. To add one: write its function in `commands/`, then add a spec here (name,
 * summary, options, run); `gd --help`, `gd <name> --help`, parsing and exit codes follow from it.
 */

/** What every command's `run` gets: the stack it works on and where to write. */
interface CommandContext {
  readonly stack: StackTarget;
  readonly output: Output;
}

/** `gd console`'s port on 127.0.0.1 unless --port says otherwise: next to the local API's 8290 and 8291. */
const DEFAULT_CONSOLE_PORT = 8292;

/** Options every command takes; commander accepts them before or after the command's name. */
const globalOptions = () => [
  option('--stack <NAME>', `deployed stack to work on (default ${DEFAULT_STACK_NAME})`),
  option('--local', 'the local stack (npm start) instead; the default when AWS_ENDPOINT_URL is set'),
  option('--region <R>', "AWS region of the deployed stack (default: AWS_REGION / the profile's)"),
  option('--json', 'print one JSON document for scripts instead of text'),
];

const json = (options: OptionValues) => options.json === true;
const route = (options: OptionValues) => options.route as string | undefined;

/** `--id a,b` → `['a', 'b']`. */
const messageIds = (text: string) =>
  text
    .split(',')
    .map((part) => part.trim())
    .filter(Boolean);

/** `gd redrive`'s filter from its parsed options; absent filters stay out of the object. */
function redriveFilter(options: OptionValues): DeadLetterFilter {
  const ids = ((options.id as string[][] | undefined) ?? []).flat();
  const { since, until, status, reason } = options as {
    since?: Date;
    until?: Date;
    status?: StatusMatch;
    reason?: string;
  };
  return {
    ...(ids.length > 0 ? { ids } : {}),
    ...(since ? { since } : {}),
    ...(until ? { until } : {}),
    ...(status ? { status } : {}),
    ...(reason ? { reason } : {}),
  };
}

/** `gd redrive --from-archive`: only --id and --rate apply; a DLQ filter is a usage error. */
function archiveRedrive(stack: StackTarget, options: OptionValues, output: Output): Promise<number> {
  const dlqOnly = ['since', 'until', 'status', 'reason', 'dryRun'].filter(
    (name) => options[name] !== undefined,
  );
  if (dlqOnly.length > 0) {
    const flags = dlqOnly.map((name) => (name === 'dryRun' ? '--dry-run' : `--${name}`));
    throw new UsageError(`--from-archive takes --id and --rate, not ${flags.join(', ')}`);
  }
  const { ids } = redriveFilter(options);
  return archiveRedriveCommand(
    stack,
    {
      json: json(options),
      route: route(options),
      rate: options.rate as number | undefined,
      ...(ids ? { ids } : {}),
    },
    output,
  );
}

/** Fresh specs per run: commander's Option objects belong to one program. */
const commands = (): CommandSpec<CommandContext>[] => [
  {
    name: 'status',
    summary:
      'per route: queue depth, in flight, oldest message age, DLQ depth, failover backlog, paused, circuit breaker',
    options: [
      option('--route <R>', 'only this route'),
      option(
        '--peek',
        `local stack: measure the oldest message's age from a peek of up to 10 messages
(counts as one receive, i.e. one delivery attempt, of each). On AWS the age is
CloudWatch's ApproximateAgeOfOldestMessage and needs no peek.`,
      ),
    ],
    run: ({ stack, output }, options) =>
      statusCommand(
        stack,
        { json: json(options), route: route(options), peek: options.peek === true },
        output,
      ),
  },
  {
    name: 'dlq list',
    summary: 'dead letters with their id, attempts, last status and reason',
    options: [
      option('--route <R>', "only this route's DLQ"),
      wholeNumberOption('--limit <N>', 'at most N dead letters (1-1000, default 20)', 1, 1000),
    ],
    notes: "Peeks without consuming; each listed message's receive count goes up by one.",
    run: ({ stack, output }, options) =>
      dlqListCommand(
        stack,
        { json: json(options), route: route(options), limit: (options.limit as number | undefined) ?? 20 },
        output,
      ),
  },
  {
    name: 'dlq show',
    summary: 'one dead letter in full, body included',
    arguments: [['<id>', "the message id (Idempotency-Key, as dlq list shows it) or SQS's message id"]],
    options: [option('--route <R>', "look only in this route's DLQ")],
    checkArguments: (args) => {
      if (args.length !== 1 || !args[0])
        throw new UsageError('dlq show takes one message id: gd dlq show <id>');
    },
    run: ({ stack, output }, options, [id = '']) =>
      dlqShowCommand(stack, { json: json(options), id, route: route(options) }, output),
  },
  {
    name: 'message',
    summary: "one message's status: accepted, every attempt (status, duration, answer), where it is now",
    arguments: [['<id>', 'the message id (the Idempotency-Key, or the messageId a 202 answered)']],
    options: [option('--route <R>', "the message's route (default: every route's record of the id)")],
    checkArguments: (args) => {
      if (args.length !== 1 || !args[0])
        throw new UsageError('message takes one message id: gd message <id>');
    },
    run: ({ stack, output }, options, [id = '']) =>
      messageCommand(stack, { json: json(options), id, route: route(options) }, output),
  },
  {
    name: 'redrive',
    summary: 'move dead letters back to the delivery queue (ids kept), all or filtered, with a progress bar',
    usage:
      '[--route R] [--id ID]... [--since T] [--until T] [--status S] [--reason TEXT] [--dry-run] [--from-archive] [--rate N] [--json]',
    options: [
      option('--route <R>', 'only this route (default: every route)'),
      parsedOption('--id <ID>', 'only this message id (repeat, or comma-separate, for several)', messageIds, {
        repeatable: true,
      }),
      parsedOption(
        '--since <T>',
        `only dead letters dead-lettered at or after T: ISO 8601 (2026-11-30T12:00:00Z)
or a duration ago (30m, 2h, 7d)`,
        (text) => parseTimeBound(text),
      ),
      parsedOption('--until <T>', 'only dead letters dead-lettered before T (same forms)', (text) =>
        parseTimeBound(text),
      ),
      parsedOption(
        '--status <S>',
        'only those whose last backend status was S: a code (503) or a class (5xx)',
        parseStatusMatch,
      ),
      option('--reason <TEXT>', 'only those whose reason contains TEXT (case-insensitive)'),
      option('--dry-run', 'list what would move; nothing is moved'),
      option(
        '--from-archive',
        `instead of the DLQ, put archived messages (gd archive list) back on the delivery
queue with their ids; takes --id and --rate only`,
      ),
      wholeNumberOption(
        '--rate <N>',
        'at most N messages per second (1-500; default: as fast as SQS goes)',
        1,
        500,
      ),
    ],
    notes: `Filters combine (all must match); dead letters that do not match stay in the DLQ as they were.
Unfiltered, uses SQS's StartMessageMoveTask where the API has it, a batched receive/send/delete
otherwise (moto); filtered, always the latter, looking at each dead letter.
Redrive after the backend is fixed: the forwarder tries each message again, up to its max attempts.`,
    run: ({ stack, output }, options) =>
      options.fromArchive === true
        ? archiveRedrive(stack, options, output)
        : redriveCommand(
            stack,
            {
              json: json(options),
              route: route(options),
              rate: options.rate as number | undefined,
              filter: redriveFilter(options),
              dryRun: options.dryRun === true,
            },
            output,
          ),
  },
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
      const { consoleCommand } = await import('./console/console-command.js');
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

/** How `gd` finds its stack; tests replace it to run commands against a stack they made. */
export type OpenStack = (selection: StackSelection, env: Env) => Promise<StackTarget>;

/** Which stack the global options name (`--stack`, `--local`, `--region`). */
export interface StackSelection {
  readonly stack?: string;
  readonly local: boolean;
  readonly region?: string;
}

/**
 * `--local` → the local stack; `--stack NAME` → that deployed stack; neither → the local stack when
 * AWS_ENDPOINT_URL is set (a shell set up for the emulator), else the default deployed stack.
 */
export const openStack: OpenStack = async (selection, env) => {
  if (selection.local && selection.stack !== undefined) {
    throw new UsageError('--local and --stack exclude each other');
  }
  // A routes file is checked before any command runs, whichever stack it targets: a bad file is
  // reported at once, with the file, route, field and value, as cdk synth and npm start do.
  if (env[USER_ENV.DELIVERY_CONFIG]?.trim()) {
    const { loadDeliveryConfig } = await import('../shared/config/routes.js');
    loadDeliveryConfig(env);
  }
  if (selection.local || (selection.stack === undefined && env.AWS_ENDPOINT_URL?.trim())) {
    // Loaded on demand: each side pulls in its own SDK clients, and `gd --help` needs neither.
    const { openLocalStack } = await import('./stack/local-stack.js');
    return openLocalStack(env);
  }
  const { openDeployedStack } = await import('./stack/deployed-stack.js');
  return openDeployedStack({
    stackName: selection.stack ?? DEFAULT_STACK_NAME,
    ...(selection.region ? { region: selection.region } : {}),
  });
};

/** What `runCli` runs with: the environment, where to write, and how to open the stack. */
export interface CliContext {
  readonly env: Env;
  readonly output: Output;
  readonly openStack?: OpenStack;
}

/** Parses `argv` (without node and script), runs the command and returns the exit code. Never throws. */
export async function runCli(argv: readonly string[], context: CliContext): Promise<number> {
  const { output } = context;
  try {
    const program = buildProgram(commands(), {
      title: 'gd — operate a guaranteed-delivery stack (deployed on AWS, or the local one)',
      globalOptions: globalOptions(),
      footer: 'Exit codes: 0 ok, 1 the operation failed, 2 usage error. `gd <command> --help` for details.',
      output,
      context: async (globals) => ({
        output,
        stack: await (context.openStack ?? openStack)(
          {
            stack: globals.stack as string | undefined,
            local: globals.local === true,
            region: globals.region as string | undefined,
          },
          context.env,
        ),
      }),
    });
    return await runProgram(program, argv);
  } catch (error) {
    output.endProgress();
    output.err(`gd: ${error instanceof GuaranteedDeliveryError ? error.message : describeError(error)}`);
    return error instanceof UsageError ? EXIT.USAGE : EXIT.FAILED;
  }
}
