import { type Env, USER_ENV } from '../shared/config/env-names.js';
import { DEFAULT_STACK_NAME } from '../shared/config/stack-outputs.js';
import { describeError, GuaranteedDeliveryError } from '../shared/errors.js';
import { EXIT, UsageError } from './errors.js';
import type { Output } from './output.js';
import { buildProgram, type CommandSpec, option, runProgram } from './program.js';
import type { CommandContext } from './specs/command-context.js';
import { messageSpecs } from './specs/message-specs.js';
import { operationSpecs } from './specs/operation-specs.js';
import type { StackTarget } from './stack/stack-target.js';

/**
 * The `gd` commands. To add one: write its function in `commands/`, then add a spec to specs/
 * (name, summary, options, run); `gd --help`, `gd <name> --help`, parsing and exit codes follow
 * from it.
 */

/** Options every command takes; commander accepts them before or after the command's name. */
const globalOptions = () => [
  option('--stack <NAME>', `deployed stack to work on (default ${DEFAULT_STACK_NAME})`),
  option('--local', 'the local stack (npm start) instead; the default when AWS_ENDPOINT_URL is set'),
  option('--region <R>', "AWS region of the deployed stack (default: AWS_REGION / the profile's)"),
  option('--json', 'print one JSON document for scripts instead of text'),
];

/** Every command, in `gd --help`'s order. */
const commands = (): CommandSpec<CommandContext>[] => [...messageSpecs(), ...operationSpecs()];

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
