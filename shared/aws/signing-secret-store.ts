import {
  CreateSecretCommand,
  GetSecretValueCommand,
  PutSecretValueCommand,
  ResourceExistsException,
  ResourceNotFoundException,
  type SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import {
  parseSigningSecretValue,
  rotateSigningSecret,
  type SigningSecretValue,
  serializeSigningSecretValue,
} from '../signing/signing-secret-value.js';
import { generateSecret } from '../signing/webhook-signature.js';

/**
 * Reads and writes routes' signing secrets in Secrets Manager (AWS, or the local emulator's), for
 * `gd signing` and the local runner. The forwarder reads through Powertools' cached provider instead.
 */
export class SigningSecretStore {
  constructor(private readonly client: SecretsManagerClient) {}

  /** The secret's value, read fresh; undefined when there is no such secret. */
  async read(secretId: string): Promise<SigningSecretValue | undefined> {
    try {
      const output = await this.client.send(new GetSecretValueCommand({ SecretId: secretId }));
      return output.SecretString === undefined ? undefined : parseSigningSecretValue(output.SecretString);
    } catch (error) {
      if (error instanceof ResourceNotFoundException) return undefined;
      throw error;
    }
  }

  /** Creates the secret with this value; leaves an existing one as it is (it may have been rotated). */
  async create(name: string, value: SigningSecretValue, description: string): Promise<'created' | 'exists'> {
    try {
      await this.client.send(
        new CreateSecretCommand({
          Name: name,
          Description: description,
          SecretString: serializeSigningSecretValue(value),
        }),
      );
      return 'created';
    } catch (error) {
      if (error instanceof ResourceExistsException) return 'exists';
      throw error;
    }
  }

  /**
   * Makes a new secret current and keeps the old one signing for `graceSeconds`. Returns the new
   * value, or undefined when there is no such secret (the route is not signed).
   */
  async rotate(
    secretId: string,
    graceSeconds: number,
    now: Date,
    next: string = generateSecret(),
  ): Promise<SigningSecretValue | undefined> {
    const value = await this.read(secretId);
    if (!value) return undefined;
    const rotated = rotateSigningSecret(value, next, graceSeconds, now);
    await this.client.send(
      new PutSecretValueCommand({ SecretId: secretId, SecretString: serializeSigningSecretValue(rotated) }),
    );
    return rotated;
  }
}
