import { expect } from 'vitest';
import { ConfigurationError } from '../../shared/errors.js';

/** The ConfigurationError a call throws (the test fails when it throws nothing or something else). */
export function configurationError(call: () => unknown): ConfigurationError {
  try {
    call();
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigurationError);
    return error as ConfigurationError;
  }
  throw new Error('expected a ConfigurationError, nothing was thrown');
}
