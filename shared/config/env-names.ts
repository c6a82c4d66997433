import { ConfigurationError } from '../errors.js';
import { parseWholeNumber } from './numbers.js';

/**
 * Names of the environment variables the functions read. Each function reads one: its configuration
 * as a JSON document (shared/config/function-config.ts). The stack sets it through this constant,
 * so it cannot set a name a function does not read.
 */
export const ENV = {
  /** The function's configuration document (JSON), checked by its zod schema at cold start. */
  FUNCTION_CONFIG: 'FUNCTION_CONFIG',
} as const;

/**
 * Variables a user sets, locally and at synth time. Without a routes file the default route's
 * variables (CATERING_SERVICE_EP, MAX_ATTEMPTS, RETRY_*, TARGET_TIMEOUT_SECONDS) shape it.
 */
export const USER_ENV = {
  /** Path of the routes file; unset = the one default catering route. */
  DELIVERY_CONFIG: 'DELIVERY_CONFIG',
  CATERING_SERVICE_EP: 'CATERING_SERVICE_EP',
  PORT: 'PORT',
  MAX_ATTEMPTS: 'MAX_ATTEMPTS',
  RETRY_BASE_SECONDS: 'RETRY_BASE_SECONDS',
  RETRY_MAX_SECONDS: 'RETRY_MAX_SECONDS',
  /** Per-attempt backend timeout of the default route: the same name the forwarder reads. */
  TARGET_TIMEOUT_SECONDS: 'TARGET_TIMEOUT_SECONDS',
  DRAIN_INTERVAL_SECONDS: 'DRAIN_INTERVAL_SECONDS',
  API_KEY_REQUIRED: 'API_KEY_REQUIRED',
  /** Days a message's status record is kept (at least the queue's plus the DLQ's retention). */
  RECORD_RETENTION_DAYS: 'RECORD_RETENTION_DAYS',
  /** Locally: `true` logs message bodies too (off: payloads may hold personal data). */
  LOG_PAYLOADS: 'LOG_PAYLOADS',
  /** Locally: seconds a forwarder caches its secrets (Powertools parameters' own variable). @default 30 */
  SIGNING_SECRET_CACHE_SECONDS: 'POWERTOOLS_PARAMETERS_MAX_AGE',
} as const;

/** An environment as the functions, the stack and the runner read it (`process.env`, or a test's). */
export type Env = Readonly<Record<string, string | undefined>>;

/** Reads a variable that must be set; the message names it so a misconfigured deploy is obvious. */
export function requireEnv(env: Env, name: string): string {
  const value = env[name];
  if (value === undefined || value.trim() === '') {
    throw new ConfigurationError(`${name} environment variable is not set`);
  }
  return value;
}

/** Reads an integer variable within bounds, or the fallback when it is unset. */
export function intEnv(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw.trim() === '') return fallback;
  const value = parseWholeNumber(raw, min, max);
  if (value === undefined) {
    throw new ConfigurationError(`${name} must be a whole number from ${min} to ${max}, got '${raw}'`);
  }
  return value;
}
