import { type Argument, Command, type CommanderError, Help, Option, type OptionValues } from 'commander';
import { parseWholeNumber } from '../shared/config/numbers.js';
import { EXIT, UsageError } from './errors.js';
import type { Output } from './output.js';

/**
 * The `gd` command line on commander: commander parses, dispatches and writes the help; this module
 * declares the commands from {@link CommandSpec}s, sets commander's help layout to gd's, and turns
 * commander's errors into {@link UsageError}s (exit code 2) with gd's wording.
 */

/** One `gd` command. Adding a command is one more spec in the list handed to {@link buildProgram}. */
export interface CommandSpec<Context> {
  /**
   * The words after `gd`, e.g. `status` or `dlq list`. Commands sharing a first word form a group:
   * `gd dlq` alone is a usage error naming the group's subcommands.
   */
  readonly name: string;
  /** One line for `gd --help` and under the usage line of `gd <name> --help`. */
  readonly summary: string;
  /**
   * What follows `gd <name>` on the usage line when the default (`<arguments> [--option V]... [--json]`)
   * does not fit.
   */
  readonly usage?: string;
  /**
   * Positional arguments, e.g. `[['<id>', 'the message id']]`, declared to commander (usage, help) and
   * checked by {@link checkArguments} (a missing one too). A command without them rejects any
   * positional argument.
   */
  readonly arguments?: readonly (readonly [name: string, description: string])[];
  /** Throws a {@link UsageError} when the positional arguments are wrong; runs before any stack is opened. */
  checkArguments?(args: readonly string[]): void;
  /** This command's options, made with {@link option} or {@link wholeNumberOption}. */
  readonly options?: readonly Option[];
  /** Lines printed after the option list of `gd <name> --help`. */
  readonly notes?: string;
  /**
   * Runs the command. `options` holds this command's and the global options by commander's
   * camelCase names (`--idempotency-key` → `idempotencyKey`); resolves to the exit code.
   */
  run(context: Context, options: OptionValues, args: readonly string[]): Promise<number>;
}

/** An option with a description; `--name <V>` takes a value, `--name` alone is a switch. */
export const option = (flags: string, description: string) => new Option(flags, description);

/** An option whose value must be a whole number from `min` to `max` (else exit 2 naming the flag). */
export function wholeNumberOption(flags: string, description: string, min: number, max: number): Option {
  const made = new Option(flags, description);
  const flag = made.long ?? flags;
  return made.argParser((raw: string) => {
    const parsed = parseWholeNumber(raw, min, max);
    if (parsed === undefined)
      throw new UsageError(`${flag} must be a whole number from ${min} to ${max}, got '${raw}'`);
    return parsed;
  });
}

/**
 * An option whose value `parse` turns into what `run` gets; a value it throws on is a usage error
 * (`--since: <parse's message>`). With `repeatable`, each use adds to a list (`--id a --id b`).
 */
export function parsedOption<T>(
  flags: string,
  description: string,
  parse: (text: string) => T,
  settings: { repeatable?: boolean } = {},
): Option {
  const made = new Option(flags, description);
  const flag = made.long ?? flags;
  return made.argParser((raw: string, previous: unknown) => {
    let value: T;
    try {
      value = parse(raw);
    } catch (error) {
      throw new UsageError(`${flag}: ${(error as Error).message}`, { cause: error });
    }
    return settings.repeatable ? [...((previous as T[] | undefined) ?? []), value] : value;
  });
}

/** What {@link buildProgram} needs besides the commands. */
export interface ProgramSettings<Context> {
  /** First line of `gd --help`. */
  readonly title: string;
  /** The options every command takes (`--json`, `--stack`, ...); help is added as `-h, --help`. */
  readonly globalOptions: readonly Option[];
  /** Last line of `gd --help`. */
  readonly footer: string;
  readonly output: Output;
  /** Makes what `run` gets from the parsed global options (e.g. opens the stack). */
  readonly context: (globals: OptionValues) => Promise<Context>;
}

/** Thrown from commander's exit hook: commander is done and `gd` exits with this code. */
class ProgramExit extends Error {
  constructor(readonly exitCode: number) {
    super(`exit ${exitCode}`);
    this.name = 'ProgramExit';
  }
}

/** The exit code each program's command resolved to (commander's parseAsync resolves to the program). */
const exitCodes = new WeakMap<Command, number>();

/** Commander's message, `error: unknown option '--x'`, as gd words it: a capital first, and where help is. */
function commanderUsageError(error: CommanderError, path: string): UsageError {
  const text = error.message.replace(/^error: /, '');
  const message = `${text.charAt(0).toUpperCase()}${text.slice(1)}`;
  return new UsageError(`${message}; see gd ${path ? `${path} ` : ''}--help`, { cause: error });
}

/** `--route <R>` → `--route R`, as gd's help has always written option values. */
const displayFlags = (flags: string) => flags.replace(/<([^>]+)>/g, '$1').replace(/\[([^\]]+)\]/g, '$1');

/** The words of a command after `gd`, e.g. `dlq list`. */
function commandPath(command: Command): string {
  const words: string[] = [];
  for (let at: Command | null = command; at?.parent; at = at.parent) words.unshift(at.name());
  return words.join(' ');
}

/** The help option of every command: `-h, --help`, left out of the lists (the global section names it). */
const helpOption = () => new Option('-h, --help', 'this help').hideHelp();

/** Commander's headings of a command's own lists; gd's help lists arguments and options under its usage line. */
const UNTITLED_LISTS = new Set(['Arguments:', 'Options:']);

/**
 * Commander's help, in gd's layout: option values written `--route R`, a command's arguments and
 * options in one untitled list with three spaces before the descriptions, groups (`dlq`) listed by
 * their subcommands (`dlq list`, `dlq show`) in the overview, and lines never re-wrapped (the
 * descriptions carry their own line breaks).
 */
const helpLayout = {
  helpWidth: Number.POSITIVE_INFINITY,
  optionTerm: (option: Option) => displayFlags(option.flags),
  argumentTerm: (argument: Argument) => (argument.required ? `<${argument.name()}>` : `[${argument.name()}]`),
  subcommandTerm: (command: Command) => commandPath(command),
  visibleCommands(this: Help, command: Command) {
    return Help.prototype.visibleCommands
      .call(this, command)
      .flatMap((sub) => (sub.commands.length > 0 ? this.visibleCommands(sub) : [sub]));
  },
  padWidth(this: Help, command: Command, helper: Help) {
    // Commander puts two spaces after the longest term; gd's option lists have always had three.
    return Help.prototype.padWidth.call(this, command, helper) + (command.parent ? 1 : 0);
  },
  formatItemList(this: Help, heading: string, items: string[], helper: Help) {
    if (items.length === 0 || !UNTITLED_LISTS.has(heading))
      return Help.prototype.formatItemList.call(this, heading, items, helper);
    return items;
  },
};

/**
 * Builds a fresh commander program for one `gd` run (a program keeps parsed values, so it is never
 * reused). Parse it with {@link runProgram}. Commander writes the help: usage, summary, the lists of
 * arguments, options and commands; `addHelpText` adds gd's title, notes, global options and footer.
 */
export function buildProgram<Context>(
  specs: readonly CommandSpec<Context>[],
  settings: ProgramSettings<Context>,
): Command {
  const { output } = settings;
  const globals = settings.globalOptions.map((global) => global.hideHelp());
  const globalHelp = () => {
    // The same layout as a command's own list, with its own width.
    const helper = Object.assign(new Help(), helpLayout);
    const items = [...globals, helpOption()];
    const width = Math.max(...items.map((item) => helper.optionTerm(item).length)) + 1;
    return helper
      .formatItemList(
        'Options for every command:',
        items.map((item) => helper.formatItem(helper.optionTerm(item), width, item.description, helper)),
        helper,
      )
      .join('\n')
      .trimEnd();
  };
  const specOf = new Map<Command, CommandSpec<Context>>();

  /** Commander's errors in gd's words; each command says where its own help is. */
  const onExit = (command: Command) => (error: CommanderError) => {
    const path = commandPath(command);
    const group = specs.filter((spec) => path !== '' && spec.name.startsWith(`${path} `));
    switch (error.code) {
      case 'commander.helpDisplayed':
      case 'commander.version':
        throw new ProgramExit(EXIT.OK);
      case 'commander.help':
      case 'commander.unknownCommand': {
        if (group.length > 0) {
          const subcommands = group.map((spec) => spec.name.slice(path.length + 1)).join(' or ');
          throw new UsageError(`${path} needs a subcommand: ${subcommands}; see gd --help`);
        }
        if (error.code === 'commander.help') {
          // `gd` alone: the overview, on stdout as always, but as a usage error.
          command.outputHelp();
          throw new ProgramExit(EXIT.USAGE);
        }
        const words = command.args.filter((arg) => !arg.startsWith('-'));
        throw new UsageError(`unknown command '${words.join(' ')}'; see gd --help`);
      }
      case 'commander.missingArgument':
        // The command's own words for it (`dlq show takes one message id: ...`), else commander's.
        specOf.get(command)?.checkArguments?.([]);
        throw commanderUsageError(error, path);
      default:
        throw commanderUsageError(error, path);
    }
  };

  const configure = (command: Command) =>
    command
      .helpCommand(false)
      .addHelpOption(helpOption())
      .showSuggestionAfterError(false)
      .allowExcessArguments(true)
      .configureOutput({
        // Every write ends with a newline, which `out` adds back.
        writeOut: (text) => output.out(text.replace(/\n$/, '')),
        // Errors reach the caller as exceptions (onExit); commander prints nothing itself.
        writeErr: () => undefined,
        outputError: () => undefined,
      })
      .configureHelp(helpLayout)
      .exitOverride(onExit(command));

  const program = configure(new Command('gd'))
    .usage('<command> [options]')
    .addHelpText('before', `${settings.title}\n`)
    .addHelpText('after', () => `\n${globalHelp()}\n\n${settings.footer}`);
  for (const global of globals) program.addOption(global);

  for (const spec of specs) {
    const [first = '', ...more] = spec.name.split(' ');
    let parent = program;
    if (more.length > 0) {
      // A group (`dlq`) is a command without an action: commander asks for one of its subcommands.
      parent = program.commands.find((each) => each.name() === first) ?? configure(program.command(first));
    }
    const command = configure(parent.command(more.length > 0 ? more.join(' ') : first));
    for (const [name, description] of spec.arguments ?? []) command.argument(name, description);
    for (const each of spec.options ?? []) command.addOption(each);
    const listed = (spec.arguments ?? []).length > 0 || (spec.options ?? []).some((each) => !each.hidden);
    command
      .summary(spec.summary)
      .description(spec.summary)
      .usage(
        spec.usage ??
          [
            ...(spec.arguments ?? []).map(([name]) => name),
            ...(spec.options ?? []).map((each) => `[${displayFlags(each.flags)}]`),
            '[--json]',
          ].join(' '),
      )
      // Notes follow the list directly (after a blank line when there is none), then the global options.
      .addHelpText('after', () =>
        [...(spec.notes ? [`${listed ? '' : '\n'}${spec.notes}`] : []), '', globalHelp()].join('\n'),
      );
    specOf.set(command, spec);
    // Commander passes the declared arguments, then the options, then the command itself.
    command.action(async (...params: unknown[]) => {
      const self = params.at(-1) as Command;
      const args = self.args;
      if (!spec.arguments && args.length > 0) {
        throw new UsageError(`unexpected argument '${args.join(' ')}'; see gd ${spec.name} --help`);
      }
      spec.checkArguments?.(args);
      const globals = self.optsWithGlobals();
      exitCodes.set(program, await spec.run(await settings.context(globals), globals, args));
    });
  }
  return program;
}

/** Parses `argv` (without node and script) and runs the command; resolves to its exit code. */
export async function runProgram(program: Command, argv: readonly string[]): Promise<number> {
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return exitCodes.get(program) ?? EXIT.OK;
  } catch (error) {
    if (error instanceof ProgramExit) return error.exitCode;
    throw error;
  }
}
