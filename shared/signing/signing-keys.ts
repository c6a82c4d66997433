import type { SecretsProvider } from '@aws-lambda-powertools/parameters/secrets';
import { describeError, SigningSecretUnavailableError } from '../errors.js';
import { activeSecrets, parseSigningSecretValue, type SigningSecretValue } from './signing-secret-value.js';

/** The secrets that sign a route's deliveries at a given moment, the current one first. */
export interface SigningKeys {
  /** Throws {@link SigningSecretUnavailableError} when they cannot be read. */
  activeSecrets(now: Date): Promise<readonly string[]>;
}

/**
 * How long a container keeps a secret it read. Short, so a rotation reaches every forwarder within
 * half a minute, yet one read serves thousands of deliveries (Secrets Manager bills per call).
 * Expiry of a previous secret is checked at each attempt, not at read time, so it stops signing on time.
 */
export const SIGNING_SECRET_CACHE_SECONDS = 30;

/**
 * {@link SigningKeys} from one Secrets Manager secret through Powertools' SecretsProvider, which
 * caches the value in the container for `maxAgeSeconds`. The value is never logged: errors name
 * the secret id and the failure only.
 */
export class SecretsManagerSigningKeys implements SigningKeys {
  private parsed?: { readonly text: string; readonly value: SigningSecretValue };

  constructor(
    private readonly provider: SecretsProvider,
    readonly secretId: string,
    private readonly maxAgeSeconds: number = SIGNING_SECRET_CACHE_SECONDS,
  ) {}

  async activeSecrets(now: Date): Promise<readonly string[]> {
    let text: string | undefined;
    try {
      const value = await this.provider.get(this.secretId, { maxAge: this.maxAgeSeconds });
      text = typeof value === 'string' ? value : undefined;
    } catch (error) {
      throw new SigningSecretUnavailableError(
        `could not read signing secret ${this.secretId}: ${describeError(error)}`,
        { cause: error },
      );
    }
    if (text === undefined) {
      throw new SigningSecretUnavailableError(`signing secret ${this.secretId} has no string value`);
    }
    // The provider hands back the same cached string until it expires: parse it once per read.
    if (this.parsed?.text !== text) {
      try {
        this.parsed = { text, value: parseSigningSecretValue(text) };
      } catch (error) {
        throw new SigningSecretUnavailableError(
          `signing secret ${this.secretId} is malformed: ${(error as Error).message}`,
          { cause: error },
        );
      }
    }
    return activeSecrets(this.parsed.value, now);
  }
}

/** {@link SigningKeys} over a value held in memory (tests, and a secret given directly). */
export function fixedSigningKeys(value: SigningSecretValue): SigningKeys {
  return { activeSecrets: async (now) => activeSecrets(value, now) };
}
