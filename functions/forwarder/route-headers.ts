import type { SecretsProvider } from '@aws-lambda-powertools/parameters/secrets';
import { HEADER_VALUE, type HeaderValue, isSecretHeaderValue } from '../../shared/config/header-value.js';
import { describeError, SecretUnavailableError } from '../../shared/errors.js';

/** Reads a secret's string; throws {@link SecretUnavailableError} when it cannot. */
export interface SecretReader {
  read(secretId: string): Promise<string>;
}

/**
 * A {@link SecretReader} over Powertools' SecretsProvider, which keeps each value in the container
 * for `maxAgeSeconds`. The forwarder hands it the same provider its signing keys use, so one cache
 * (and one Secrets Manager call per secret per period) serves both.
 */
export function cachedSecretReader(provider: SecretsProvider, maxAgeSeconds: number): SecretReader {
  return {
    async read(secretId) {
      let value: unknown;
      try {
        value = await provider.get(secretId, { maxAge: maxAgeSeconds });
      } catch (error) {
        throw new SecretUnavailableError(`could not read secret ${secretId}: ${describeError(error)}`, {
          cause: error,
        });
      }
      if (typeof value !== 'string')
        throw new SecretUnavailableError(`secret ${secretId} has no string value`);
      return value;
    },
  };
}

/**
 * The route's static headers with each secret reference replaced by its value (`prefix` + the
 * secret's string, or its JSON object's `field`). Throws {@link SecretUnavailableError} naming the
 * header and the secret, never a value, so the caller retries rather than send without the header.
 */
export async function resolveHeaders(
  headers: Readonly<Record<string, HeaderValue>> | undefined,
  secrets: SecretReader | undefined,
): Promise<Record<string, string>> {
  const resolved: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers ?? {})) {
    if (!isSecretHeaderValue(value)) {
      resolved[name] = value;
      continue;
    }
    if (!secrets)
      throw new SecretUnavailableError(`header ${name}: no Secrets Manager reader to read ${value.secret}`);
    const text = await secrets.read(value.secret).catch((error: unknown) => {
      throw error instanceof SecretUnavailableError
        ? new SecretUnavailableError(`header ${name}: ${error.message}`, { cause: error })
        : error;
    });
    const secretValue = value.field === undefined ? text : fieldOf(text, value.field, name, value.secret);
    const sent = `${value.prefix ?? ''}${secretValue}`;
    if (!HEADER_VALUE.test(sent)) {
      throw new SecretUnavailableError(
        `header ${name}: the value read from secret ${value.secret} is empty, multi-line or too long`,
      );
    }
    resolved[name] = sent;
  }
  return resolved;
}

/** The text under `field` of a secret holding a JSON object. */
function fieldOf(text: string, field: string, header: string, secretId: string): string {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    parsed = undefined;
  }
  const value =
    typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)
      ? (parsed as Record<string, unknown>)[field]
      : undefined;
  if (typeof value !== 'string') {
    throw new SecretUnavailableError(
      `header ${header}: secret ${secretId} is not a JSON object with a text field "${field}"`,
    );
  }
  return value;
}
