import { describe, expect, it } from 'vitest';
import { resolveHeaders, type SecretReader } from '../../functions/forwarder/route-headers.js';
import { SecretUnavailableError } from '../../shared/errors.js';

/** Secrets held in memory; an id not held is unreadable, as Secrets Manager's "not found". */
function secretsOf(values: Record<string, string>): SecretReader & { reads: string[] } {
  const reads: string[] = [];
  return {
    reads,
    async read(secretId) {
      reads.push(secretId);
      const value = values[secretId];
      if (value === undefined)
        throw new SecretUnavailableError(`could not read secret ${secretId}: not found`);
      return value;
    },
  };
}

describe('resolveHeaders (a route’s static headers, secret references read)', () => {
  it('keeps text values and replaces each reference by its prefix and the secret’s string or JSON field', async () => {
    // Prepare
    const secrets = secretsOf({ token: 'abc', keys: '{"key":"k-1","id":7}' });

    // Act
    const headers = await resolveHeaders(
      {
        Authorization: { secret: 'token', prefix: 'Bearer ' },
        'X-Api-Key': { secret: 'keys', field: 'key' },
        'X-Tenant': 'acme',
      },
      secrets,
    );

    // Assess
    expect(headers).toEqual({ Authorization: 'Bearer abc', 'X-Api-Key': 'k-1', 'X-Tenant': 'acme' });
  });

  it.each([
    ['a missing secret', { secret: 'gone' }, /^header X-H: could not read secret gone: not found$/],
    ['a field of a non-JSON secret', { secret: 'token', field: 'key' }, /secret token is not a JSON object/],
    ['a field that is not text', { secret: 'keys', field: 'id' }, /with a text field "id"/],
    ['a value over two lines', { secret: 'split' }, /is empty, multi-line or too long/],
  ])(
    'refuses %s with a reason naming the header and the secret, never the value',
    async (_case, value, reason) => {
      // Prepare
      const secrets = secretsOf({ token: 'abc', keys: '{"id":7}', split: 'a\r\nX-Injected: 1' });

      // Act
      const failure = await resolveHeaders({ 'X-H': value }, secrets).catch((error: unknown) => error);

      // Assess
      expect(failure).toBeInstanceOf(SecretUnavailableError);
      expect((failure as Error).message).toMatch(reason);
      expect((failure as Error).message).not.toContain('X-Injected');
    },
  );
});
