import { ConfigurationError } from '../errors.js';
import { decodeSecret, SECRET_PREFIX } from './webhook-signature.js';

/**
 * What a route's signing secret holds (the Secrets Manager value, as JSON): the current secret and
 * the previous ones still inside their rotation grace. The forwarder signs with all of them, so a
 * receiver holding either the old or the new secret verifies every delivery while it switches.
 */
export interface SigningSecretValue {
  /** Signs every delivery. */
  readonly current: string;
  /** Retired secrets, each signing too until its `expiresAt` (ISO 8601). */
  readonly previous: readonly PreviousSecret[];
}

/** A secret that was current before a rotation. */
export interface PreviousSecret {
  readonly secret: string;
  readonly expiresAt: string;
}

/** Default rotation grace: a day gives every receiver time to deploy the new secret. */
export const DEFAULT_GRACE_SECONDS = 24 * 60 * 60;

/**
 * The stack generates `current` with Secrets Manager's password generator: this many letters and
 * digits, which is valid unpadded base64 of 33 bytes (about 262 bits of entropy).
 */
export const GENERATED_SECRET_LENGTH = 44;

/** Adds the `whsec_` prefix a generated value lacks, and checks the result decodes. */
function normalize(secret: unknown, field: string): string {
  if (typeof secret !== 'string' || secret === '') {
    throw new ConfigurationError(`signing secret value: '${field}' must be a non-empty string`);
  }
  const serialized = secret.startsWith(SECRET_PREFIX) ? secret : `${SECRET_PREFIX}${secret}`;
  try {
    decodeSecret(serialized);
  } catch (error) {
    throw new ConfigurationError(`signing secret value: '${field}': ${(error as Error).message}`);
  }
  return serialized;
}

/**
 * Reads a secret's stored text: this JSON shape, or a bare `whsec_...` string (an existing secret
 * made elsewhere). Errors name the field, never the value.
 */
export function parseSigningSecretValue(text: string): SigningSecretValue {
  const trimmed = text.trim();
  if (trimmed.startsWith(SECRET_PREFIX)) return { current: normalize(trimmed, 'current'), previous: [] };
  let parsed: unknown;
  try {
    parsed = JSON.parse(trimmed);
  } catch {
    throw new ConfigurationError(
      `signing secret value must be '${SECRET_PREFIX}...' or JSON {"current": "${SECRET_PREFIX}...", "previous": [...]}; it is neither`,
    );
  }
  const { current, previous = [] } = (parsed ?? {}) as { current?: unknown; previous?: unknown };
  if (!Array.isArray(previous))
    throw new ConfigurationError("signing secret value: 'previous' must be a list");
  return {
    current: normalize(current, 'current'),
    previous: previous.map((entry: { secret?: unknown; expiresAt?: unknown }, index) => {
      const expiresAt = entry?.expiresAt;
      if (typeof expiresAt !== 'string' || Number.isNaN(Date.parse(expiresAt))) {
        throw new ConfigurationError(
          `signing secret value: 'previous[${index}].expiresAt' must be an ISO date`,
        );
      }
      return { secret: normalize(entry?.secret, `previous[${index}].secret`), expiresAt };
    }),
  };
}

/** The stored text of a value (what `gd signing rotate` writes). */
export function serializeSigningSecretValue(value: SigningSecretValue): string {
  return JSON.stringify({ current: value.current, previous: value.previous });
}

/** The secrets that sign at `now`: the current one first, then each previous one not yet expired. */
export function activeSecrets(value: SigningSecretValue, now: Date): string[] {
  const live = value.previous.filter((p) => Date.parse(p.expiresAt) > now.getTime()).map((p) => p.secret);
  return [value.current, ...live.filter((secret) => secret !== value.current)];
}

/**
 * A rotation: `next` becomes current; the old current signs on for `graceSeconds` (0 retires it at
 * once). Previous secrets already expired are dropped; those still in their grace keep it.
 */
export function rotateSigningSecret(
  value: SigningSecretValue,
  next: string,
  graceSeconds: number,
  now: Date,
): SigningSecretValue {
  const stillLive = value.previous.filter((p) => Date.parse(p.expiresAt) > now.getTime());
  const retired =
    graceSeconds > 0
      ? [{ secret: value.current, expiresAt: new Date(now.getTime() + graceSeconds * 1000).toISOString() }]
      : [];
  return { current: normalize(next, 'current'), previous: [...retired, ...stillLive] };
}

const DURATION = /^(\d+)\s*(s|m|h|d)?$/;
const UNIT_SECONDS = { s: 1, m: 60, h: 3600, d: 86_400 } as const;

/** Parses a grace period such as `24h`, `90m`, `2d`, `0` or `3600` (seconds). */
export function parseGrace(text: string): number {
  const match = DURATION.exec(text.trim());
  if (!match) {
    throw new ConfigurationError(`grace must look like 24h, 90m, 2d or a number of seconds, got '${text}'`);
  }
  const unit = (match[2] ?? 's') as keyof typeof UNIT_SECONDS;
  return Number(match[1]) * UNIT_SECONDS[unit];
}
