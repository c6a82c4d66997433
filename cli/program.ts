import { Command, type CommanderError, Option, type OptionValues } from 'commander';
import { parseWholeNumber } from '../shared/config/numbers.js';
import { EXIT, UsageError } from './errors.js';
import type { Output } from './output.js';

/**
 * The `gd` command line on commander: commander parses and dispatches, this module declares the
 * commands from {@link CommandSpec}s, renders the help texts in gd's own layout, and turns
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
  /** The usage line when the default (`gd <name> <arguments> [--option V]... [--json]`) does not fit. */
  readonly usage?: string;
  /**
   * Positional arguments for the help, e.g. `[['<id>', 'the message id']]`, checked by
   * {@link checkArguments}. A command without them rejects any positional argument.
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

/** `--route <R>` → `--route R`, as gd's help has always written option values. */
const displayFlags = (flags: string) => flags.replace(/<([^>]+)>/g, '$1').replace(/\[([^\]]+)\]/g, '$1');

/** Two-column list of flags (or arguments) and descriptions; continuation lines align with the descriptions. */
function optionList(entries: readonly (readonly [string, string])[]): string[] {
  const width = Math.max(...entries.map(([name]) => name.length));
  const indent = ' '.repeat(2 + width + 3);
  return entries.map(
    ([name, description]) => `  ${name.padEnd(width)}   ${description.split('\n').join(`\n${indent}`)}`,
  );
}

/** The words of a command after `gd`, e.g. `dlq list`. */
function commandPath(command: Command): string {
  const words: string[] = [];
  for (let at: Command | null = command; at?.parent; at = at.parent) words.unshift(at.name());
  return words.join(' ');
}

/**
 * Builds a fresh commander program for one `gd` run (a program keeps parsed values, so it is never
 * reused). Parse it with {@link runProgram}.
 */
export function buildProgram<Context>(
  specs: readonly CommandSpec<Context>[],
  settings: ProgramSettings<Context>,
): Command {
  const { output } = settings;
  const globalHelp = [
    'Options for every command:',
    ...optionList([
      ...settings.globalOptions.map((global) => [displayFlags(global.flags), global.description] as const),
      ['-h, --help', 'this help'],
    ]),
  ].join('\n');
  const specOf = new Map<Command, CommandSpec<Context>>();

  const mainHelp = () => {
    const width = Math.max(...specs.map((spec) => spec.name.length));
    return [
      settings.title,
      '',
      'Usage: gd <command> [options]',
      '',
      'Commands:',
      ...specs.map((spec) => `  ${spec.name.padEnd(width)}  ${spec.summary}`),
      '',
      globalHelp,
      '',
      settings.footer,
    ].join('\n');
  };

  const commandHelp = (spec: CommandSpec<Context>) => {
    const entries = [
      ...(spec.arguments ?? []),
      ...(spec.options ?? [])
        .filter((each) => !each.hidden)
        .map((each) => [displayFlags(each.flags), each.description] as const),
    ];
    const details = [...(entries.length > 0 ? optionList(entries) : []), ...(spec.notes ? [spec.notes] : [])];
    const usage =
      spec.usage ??
      [
        `gd ${spec.name}`,
        ...(spec.arguments ?? []).map(([name]) => name),
        ...(spec.options ?? []).map((each) => `[${displayFlags(each.flags)}]`),
        '[--json]',
      ].join(' ');
    return [`Usage: ${usage}`, '', spec.summary, '', details.join('\n'), '', globalHelp].join('\n');
  };

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
          output.out(mainHelp());
          throw new ProgramExit(EXIT.USAGE);
        }
        const words = command.args.filter((arg) => !arg.startsWith('-'));
        throw new UsageError(`unknown command '${words.join(' ')}'; see gd --help`);
      }
      default: {
        // Commander writes `error: unknown option '--x'`; gd's messages start with a capital and point to help.
        const text = error.message.replace(/^error: /, '');
        const message = `${text.charAt(0).toUpperCase()}${text.slice(1)}`;
        throw new UsageError(`${message}; see gd ${path ? `${path} ` : ''}--help`, { cause: error });
      }
    }
  };

  const configure = (command: Command) =>
    command
      .helpCommand(false)
      .helpOption('-h, --help', 'this help')
      .showSuggestionAfterError(false)
      .allowExcessArguments(true)
      .configureOutput({
        writeOut: (text) => output.out(text.trimEnd()),
        // Errors reach the caller as exceptions (onExit); commander prints nothing itself.
        writeErr: () => undefined,
        outputError: () => undefined,
      })
      .configureHelp({
        formatHelp: (shown) => {
          const spec = specOf.get(shown);
          return spec ? commandHelp(spec) : mainHelp();
        },
      })
      .exitOverride(onExit(command));

  const program = configure(new Command('gd'));
  for (const global of settings.globalOptions) program.addOption(global);

  for (const spec of specs) {
    const [first = '', ...more] = spec.name.split(' ');
    let parent = program;
    if (more.length > 0) {
      // A group (`dlq`) is a command without an action: commander asks for one of its subcommands.
      parent = program.commands.find((each) => each.name() === first) ?? configure(program.command(first));
    }
    const command = configure(parent.command(more.length > 0 ? more.join(' ') : first));
    for (const each of spec.options ?? []) command.addOption(each);
    specOf.set(command, spec);
    command.action(async (_options: OptionValues, self: Command) => {
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
