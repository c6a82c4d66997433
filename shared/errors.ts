/**
 * Every error the project throws on purpose. One base class so callers can tell
 * "ours, with a known meaning" from an unexpected failure, and each subclass keeps
 * the underlying SDK or network error as `cause`.
 */
export class GuaranteedDeliveryError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'GuaranteedDeliveryError';
  }
}

/** Configuration is missing or invalid; thrown at cold start (or at synth) so a bad deploy fails loudly. */
export class ConfigurationError extends GuaranteedDeliveryError {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'ConfigurationError';
  }
}

/** The delivery queue did not acknowledge a write (refused, timed out, throttled, ...). */
export class QueueWriteError extends GuaranteedDeliveryError {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'QueueWriteError';
  }
}

/** The failover table did not acknowledge a write. */
export class FailoverWriteError extends GuaranteedDeliveryError {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'FailoverWriteError';
  }
}

/**
 * A delivery attempt did not succeed and may succeed later (network error, timeout, 5xx, 429, ...).
 * Thrown from the forwarder's per-record function so the batch processor reports the record as a
 * batch item failure and SQS redelivers it after the backoff visibility timeout.
 */
export class RetryableDeliveryError extends GuaranteedDeliveryError {
  constructor(
    message: string,
    readonly retryAfterSeconds: number,
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = 'RetryableDeliveryError';
  }
}

/**
 * A secret the forwarder needs for an attempt (a signing secret, a header's value) could not be read:
 * Secrets Manager unreachable, access denied, no such secret, or the value malformed. The attempt
 * is retried, never sent without it. Messages name the secret, never its value.
 */
export class SecretUnavailableError extends GuaranteedDeliveryError {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'SecretUnavailableError';
  }
}

/**
 * A signed route's secret could not be read (Secrets Manager unreachable, denied, or the value
 * malformed). The attempt is retried: a delivery is never sent unsigned on a signed route.
 */
export class SigningSecretUnavailableError extends SecretUnavailableError {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'SigningSecretUnavailableError';
  }
}

/** A short, log-safe description of an SDK or network error: its name, code and message, never a payload. */
export function describeError(error: unknown): string {
  if (error instanceof Error) {
    const code = (error as { code?: string }).code;
    const cause = error.cause instanceof Error ? ` (cause: ${error.cause.message})` : '';
    return code && !error.message.includes(code)
      ? `${error.name} (${code}): ${error.message}${cause}`
      : `${error.name}: ${error.message}${cause}`;
  }
  return String(error);
}
