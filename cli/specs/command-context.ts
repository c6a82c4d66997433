import type { OptionValues } from 'commander';
import type { Output } from '../output.js';
import type { StackTarget } from '../stack/stack-target.js';

/** What every command's `run` gets: the stack it works on and where to write. */
export interface CommandContext {
  readonly stack: StackTarget;
  readonly output: Output;
}

/** `--json` given. */
export const json = (options: OptionValues) => options.json === true;
/** `--route R`, when given. */
export const route = (options: OptionValues) => options.route as string | undefined;
