import { type ParseArgsConfig, parseArgs } from 'node:util';
import type { Env } from '../shared/config/env-names.js';
import { type DeadLetterFilter, parseStatusMatch, parseTimeBound } from '../shared/dead-letter-filter.js';
import { describeError, GuaranteedDeliveryError } from '../shared/errors.js';
import { dlqListCommand, dlqShowCommand } from './commands/dlq.js';
import { drainCommand } from './commands/drain.js';
import { keepTryingCommand } from './commands/keep-trying.js';
import { pauseCommand } from './commands/pause.js';
import { redriveCommand } from './commands/redrive.js';
import { sendCommand } from './commands/send.js';
import { statusCommand } from './commands/status.js';
import { EXIT, UsageError } from './errors.js';
import type { Output } from './output.js';
import { DEFAULT_STACK_NAME, type StackTarget } from './stack/stack-target.js';

type Options = NonNullable<ParseArgsConfig['options']>;
type Values = Record<string, string | boolean | string[] | undefined>;

const GLOBAL_OPTIONS = {
  stack: { type: 'string' },
  local: { type: 'boolean' },
  region: { type: 'string' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const satisfies Options;

const GLOBAL_HELP = `Options for every command:
  --stack NAME   deployed stack to work on (default ${DEFAULT_STACK_NAME})
  --local        the local stack (npm start) instead; the default when AWS_ENDPOINT_URL is set
  --region R     AWS region of the deployed stack (default: AWS_REGION / the profile's)
  --json         print one JSON document for scripts instead of text
  -h, --help     this help`;

interface Command {
  /** e.g. `dlq list`. */
  readonly name: string;
  readonly summary: string;
  readonly usage: string;
  readonly details: string;
  readonly options: Options;
  run(stack: StackTarget, values: Values, positionals: readonly string[], output: Output): Promise<number>;
}

const str = (values: Values, name: string) => values[name] as string | undefined;
const flag = (values: Values, name: string) => values[name] === true;

/** An option that must be a whole number within bounds, or undefined when not given. */
function intOption(values: Values, name: string, min: number, max: number): number | undefined {
  const raw = str(values, name);
  if (raw === undefined) return undefined;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new UsageError(`--${name} must be a whole number from ${min} to ${max}, got '${raw}'`);
  }
  return value;
}

/** `gd redrive`'s filter options; a bad time or status is a usage error that shows the value. */
function redriveFilter(values: Values): DeadLetterFilter {
  const ids = ((values.id as string[] | undefined) ?? []).flatMap((id) =>
    id
      .split(',')
      .map((part) => part.trim())
      .filter(Boolean),
  );
  const option = <T>(name: string, parse: (text: string) => T): T | undefined => {
    const raw = str(values, name);
    if (raw === undefined) return undefined;
    try {
      return parse(raw);
    } catch (error) {
      throw new UsageError(`--${name}: ${(error as Error).message}`, { cause: error });
    }
  };
  const since = option('since', (text) => parseTimeBound(text));
  const until = option('until', (text) => parseTimeBound(text));
  const status = option('status', parseStatusMatch);
  const reason = str(values, 'reason');
  return {
    ...(ids.length > 0 ? { ids } : {}),
    ...(since ? { since } : {}),
    ...(until ? { until } : {}),
    ...(status ? { status } : {}),
    ...(reason ? { reason } : {}),
  };
}

const COMMANDS: readonly Command[] = [
  {
    name: 'status',
    summary: 'per route: queue depth, in flight, oldest message age, DLQ depth, failover backlog, paused',
    usage: 'gd status [--route R] [--peek] [--json]',
    details: `  --route R   only this route
  --peek      local stack: measure the oldest message's age from a peek of up to 10 messages
              (counts as one receive, i.e. one delivery attempt, of each). On AWS the age is
              CloudWatch's ApproximateAgeOfOldestMessage and needs no peek.`,
    options: { route: { type: 'string' }, peek: { type: 'boolean' } },
    run: (stack, values, _positionals, output) =>
      statusCommand(
        stack,
        { json: flag(values, 'json'), route: str(values, 'route'), peek: flag(values, 'peek') },
        output,
      ),
  },
  {
    name: 'dlq list',
    summary: 'dead letters with their id, attempts, last status and reason',
    usage: 'gd dlq list [--route R] [--limit N] [--json]',
    details: `  --route R   only this route's DLQ
  --limit N   at most N dead letters (1-1000, default 20)
Peeks without consuming; each listed message's receive count goes up by one.`,
    options: { route: { type: 'string' }, limit: { type: 'string' } },
    run: (stack, values, _positionals, output) =>
      dlqListCommand(
        stack,
        {
          json: flag(values, 'json'),
          route: str(values, 'route'),
          limit: intOption(values, 'limit', 1, 1000) ?? 20,
        },
        output,
      ),
  },
  {
    name: 'dlq show',
    summary: 'one dead letter in full, body included',
    usage: 'gd dlq show <id> [--route R] [--json]',
    details: `  <id>        the message id (Idempotency-Key, as dlq list shows it) or SQS's message id
  --route R   look only in this route's DLQ`,
    options: { route: { type: 'string' } },
    run: (stack, values, positionals, output) => {
      const [id, ...extra] = positionals;
      if (!id || extra.length > 0) throw new UsageError('dlq show takes one message id: gd dlq show <id>');
      return dlqShowCommand(stack, { json: flag(values, 'json'), id, route: str(values, 'route') }, output);
    },
  },
  {
    name: 'redrive',
    summary: 'move dead letters back to the delivery queue (ids kept), all or filtered, with a progress bar',
    usage:
      'gd redrive [--route R] [--id ID]... [--since T] [--until T] [--status S] [--reason TEXT] [--dry-run] [--rate N] [--json]',
    details: `  --route R       only this route (default: every route)
  --id ID         only this message id (repeat, or comma-separate, for several)
  --since T       only dead letters dead-lettered at or after T: ISO 8601 (2026-11-30T12:00:00Z)
                  or a duration ago (30m, 2h, 7d)
  --until T       only dead letters dead-lettered before T (same forms)
  --status S      only those whose last backend status was S: a code (503) or a class (5xx)
  --reason TEXT   only those whose reason contains TEXT (case-insensitive)
  --dry-run       list what would move; nothing is moved
  --rate N        at most N messages per second (1-500; default: as fast as SQS goes)
Filters combine (all must match); dead letters that do not match stay in the DLQ as they were.
Unfiltered, uses SQS's StartMessageMoveTask where the API has it, a batched receive/send/delete
otherwise (moto); filtered, always the latter, looking at each dead letter.
Redrive after the backend is fixed: the forwarder tries each message again, up to its max attempts.`,
    options: {
      route: { type: 'string' },
      rate: { type: 'string' },
      id: { type: 'string', multiple: true },
      since: { type: 'string' },
      until: { type: 'string' },
      status: { type: 'string' },
      reason: { type: 'string' },
      'dry-run': { type: 'boolean' },
    },
    run: (stack, values, _positionals, output) =>
      redriveCommand(
        stack,
        {
          json: flag(values, 'json'),
          route: str(values, 'route'),
          rate: intOption(values, 'rate', 1, 500),
          filter: redriveFilter(values),
          dryRun: flag(values, 'dry-run'),
        },
        output,
      ),
  },
  {
    name: 'keep-trying',
    summary: "redrive a route's DLQ with growing waits until it stays empty (continuing delivery)",
    usage:
      'gd keep-trying [--route R] [--detach] [--initial-wait S] [--max-wait S] [--max-rounds N] [--json]',
    details: `  --route R          the route (default: the first)
  --detach           AWS: return once the execution started instead of following it
  --initial-wait S   local stack: first wait in seconds (default AUTO_REDRIVE_INITIAL_WAIT_SECONDS or 300)
  --max-wait S       local stack: cap of the doubling wait (default AUTO_REDRIVE_MAX_WAIT_SECONDS or 21600)
  --max-rounds N     local stack: redrives before giving up (default AUTO_REDRIVE_MAX_ROUNDS or 10)
On AWS starts the route's continuing-delivery Step Functions execution and follows it; locally runs
the same rounds here. Exits 1 when it gives up with dead letters left.`,
    options: {
      route: { type: 'string' },
      detach: { type: 'boolean' },
      'initial-wait': { type: 'string' },
      'max-wait': { type: 'string' },
      'max-rounds': { type: 'string' },
    },
    run: (stack, values, _positionals, output) =>
      keepTryingCommand(
        stack,
        {
          json: flag(values, 'json'),
          route: str(values, 'route'),
          detach: flag(values, 'detach'),
          initialWaitSeconds: intOption(values, 'initial-wait', 1, 604_800),
          maxWaitSeconds: intOption(values, 'max-wait', 1, 604_800),
          maxRounds: intOption(values, 'max-rounds', 1, 100),
        },
        output,
      ),
  },
  {
    name: 'drain',
    summary: 'run the drainer now: failover table → delivery queues',
    usage: 'gd drain [--json]',
    details: `On AWS invokes the drainer function and prints its report; locally runs the drainer's logic here.`,
    options: {},
    run: (stack, values, _positionals, output) => drainCommand(stack, { json: flag(values, 'json') }, output),
  },
  {
    name: 'pause',
    summary: "stop a route's deliveries (messages keep arriving and wait in the queue)",
    usage: 'gd pause --route R [--json]',
    details: `On AWS disables the route's event source mapping; locally tags its queue gd:paused=true.`,
    options: { route: { type: 'string' } },
    run: (stack, values, _positionals, output) =>
      pauseCommand(stack, { json: flag(values, 'json'), route: str(values, 'route'), paused: true }, output),
  },
  {
    name: 'resume',
    summary: "restart a route's deliveries",
    usage: 'gd resume --route R [--json]',
    details: `On AWS enables the route's event source mapping; locally removes the gd:paused tag.`,
    options: { route: { type: 'string' } },
    run: (stack, values, _positionals, output) =>
      pauseCommand(stack, { json: flag(values, 'json'), route: str(values, 'route'), paused: false }, output),
  },
  {
    name: 'send',
    summary: 'POST a test message to a route, as a client would',
    usage: 'gd send [--route R] [--body JSON | --file F] [--idempotency-key K] [--json]',
    details: `  --route R              the route (needed when the stack has more than one)
  --body JSON            the body (default: the reference catering registration)
  --file F               read the body from a file
  --idempotency-key K    send an Idempotency-Key header (its retries become one message)
On AWS the API key is fetched from API Gateway when the stack has one.`,
    options: {
      route: { type: 'string' },
      body: { type: 'string' },
      file: { type: 'string' },
      'idempotency-key': { type: 'string' },
    },
    run: (stack, values, _positionals, output) =>
      sendCommand(
        stack,
        {
          json: flag(values, 'json'),
          route: str(values, 'route'),
          body: str(values, 'body'),
          file: str(values, 'file'),
          idempotencyKey: str(values, 'idempotency-key'),
        },
        output,
      ),
  },
];

function mainHelp(): string {
  const width = Math.max(...COMMANDS.map((command) => command.name.length));
  return [
    'gd — operate a guaranteed-delivery stack (deployed on AWS, or the local one)',
    '',
    'Usage: gd <command> [options]',
    '',
    'Commands:',
    ...COMMANDS.map((command) => `  ${command.name.padEnd(width)}  ${command.summary}`),
    '',
    GLOBAL_HELP,
    '',
    'Exit codes: 0 ok, 1 the operation failed, 2 usage error. `gd <command> --help` for details.',
  ].join('\n');
}

function commandHelp(command: Command): string {
  return [`Usage: ${command.usage}`, '', command.summary, '', command.details, '', GLOBAL_HELP].join('\n');
}

/** Picks the command from the leading words, e.g. `dlq show abc` → `dlq show` with `abc` left over. */
function findCommand(positionals: readonly string[]) {
  const two = positionals.slice(0, 2).join(' ');
  const byTwo = COMMANDS.find((command) => command.name === two);
  if (byTwo) return { command: byTwo, rest: positionals.slice(2) };
  const byOne = COMMANDS.find((command) => command.name === positionals[0]);
  return byOne ? { command: byOne, rest: positionals.slice(1) } : undefined;
}

/** How `gd` finds its stack; tests replace it to run commands against a stack they made. */
export type OpenStack = (selection: StackSelection, env: Env) => Promise<StackTarget>;

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

export interface CliContext {
  readonly env: Env;
  readonly output: Output;
  readonly openStack?: OpenStack;
}

/** Parses `argv` (without node and script), runs the command and returns the exit code. Never throws. */
export async function runCli(argv: readonly string[], context: CliContext): Promise<number> {
  const { output } = context;
  try {
    const all: Options = { ...GLOBAL_OPTIONS };
    for (const command of COMMANDS) Object.assign(all, command.options);
    // First pass only to find the command: its options decide what the strict second pass accepts.
    const loose = parseArgs({ args: [...argv], options: all, allowPositionals: true, strict: false });
    const found = findCommand(loose.positionals);
    if (!found) {
      if (loose.positionals.length === 0) {
        output.out(mainHelp());
        return loose.values.help === true ? EXIT.OK : EXIT.USAGE;
      }
      const group = COMMANDS.filter((command) => command.name.startsWith(`${loose.positionals[0]} `));
      if (group.length > 0) {
        const subcommands = group.map((command) => command.name.split(' ')[1]).join(' or ');
        throw new UsageError(`${loose.positionals[0]} needs a subcommand: ${subcommands}; see gd --help`);
      }
      throw new UsageError(`unknown command '${loose.positionals.join(' ')}'; see gd --help`);
    }
    const { command } = found;
    let parsed: ReturnType<typeof parseArgs>;
    try {
      parsed = parseArgs({
        args: [...argv],
        options: { ...GLOBAL_OPTIONS, ...command.options },
        allowPositionals: true,
        strict: true,
      });
    } catch (error) {
      // Node's message goes on about '--' for positionals; its first sentence is what matters here.
      const message = (error as Error).message.split('. ')[0];
      throw new UsageError(`${message}; see gd ${command.name} --help`, { cause: error });
    }
    const values = parsed.values as Values;
    if (values.help === true) {
      output.out(commandHelp(command));
      return EXIT.OK;
    }
    const positionals = findCommand(parsed.positionals)?.rest ?? [];
    if (command.name !== 'dlq show' && positionals.length > 0) {
      throw new UsageError(`unexpected argument '${positionals.join(' ')}'; see gd ${command.name} --help`);
    }
    const stack = await (context.openStack ?? openStack)(
      { stack: str(values, 'stack'), local: flag(values, 'local'), region: str(values, 'region') },
      context.env,
    );
    return await command.run(stack, values, positionals, output);
  } catch (error) {
    output.endProgress();
    output.err(`gd: ${error instanceof GuaranteedDeliveryError ? error.message : describeError(error)}`);
    return error instanceof UsageError ? EXIT.USAGE : EXIT.FAILED;
  }
}
