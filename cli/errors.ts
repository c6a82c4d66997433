import { GuaranteedDeliveryError } from '../shared/errors.js';

/**
 * Errors of the `gd` CLI. The exit code follows the class: a {@link UsageError} (the command line is
 * wrong) exits 2, anything else that fails an operation exits 1.
 */

/** The command line is wrong: unknown command, option or route, a missing or bad argument. */
export class UsageError extends GuaranteedDeliveryError {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'UsageError';
  }
}

/** The stack the CLI should work on cannot be found or read (no such stack, no credentials, ...). */
export class StackAccessError extends GuaranteedDeliveryError {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'StackAccessError';
  }
}

/** An operation ran but did not do what was asked (a redrive left messages behind, a send got a 5xx, ...). */
export class OperationFailedError extends GuaranteedDeliveryError {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'OperationFailedError';
  }
}

/** Exit codes of `gd`. */
export const EXIT = { OK: 0, FAILED: 1, USAGE: 2 } as const;
