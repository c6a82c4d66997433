import type { OptionValues } from 'commander';
import {
  type DeadLetterFilter,
  parseStatusMatch,
  parseTimeBound,
  type StatusMatch,
} from '../../shared/dead-letter-filter.js';
import { archiveRedriveCommand } from '../commands/archive.js';
import { dlqListCommand, dlqShowCommand } from '../commands/dlq.js';
import { messageCommand } from '../commands/message.js';
import { redriveCommand } from '../commands/redrive.js';
import { statusCommand } from '../commands/status.js';
import { UsageError } from '../errors.js';
import type { Output } from '../output.js';
import { type CommandSpec, option, parsedOption, wholeNumberOption } from '../program.js';
import type { StackTarget } from '../stack/stack-target.js';
import { type CommandContext, json, route } from './command-context.js';

/**
 * The specs of the commands that look at messages and move them back (`status`, `dlq list`,
 * `dlq show`, `message`, `redrive`), in `gd --help`'s order; cli/cli.ts lists them with the rest.
 */

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
export const messageSpecs = (): CommandSpec<CommandContext>[] => [
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
    options: [
      option('--route <R>', "look only in this route's DLQ"),
      option('--save <FILE>', "write the body's exact bytes to FILE instead of printing it"),
    ],
    checkArguments: (args) => {
      if (args.length !== 1 || !args[0])
        throw new UsageError('dlq show takes one message id: gd dlq show <id>');
    },
    run: ({ stack, output }, options, [id = '']) =>
      dlqShowCommand(
        stack,
        {
          json: json(options),
          id,
          route: route(options),
          ...(typeof options.save === 'string' ? { save: options.save } : {}),
        },
        output,
      ),
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
];
