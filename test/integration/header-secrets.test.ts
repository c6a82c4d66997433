import { randomUUID } from 'node:crypto';
import { CreateSecretCommand } from '@aws-sdk/client-secrets-manager';
import { describe, expect, inject, it } from 'vitest';
import { createSecretsManagerClient } from '../../shared/aws/clients.js';
import { LOG_EVENT } from '../../shared/log-events.js';
import { backendPerTest } from '../support/loopback-backend.js';
import { createTestRoute, forwardUntil } from '../support/test-route.js';

const MESSAGE = { orderId: 'o-1' };

describe('route headers read from Secrets Manager (moto)', () => {
  const server = backendPerTest();
  const secrets = createSecretsManagerClient({ endpoint: inject('awsEndpoint') });

  it('sends the secret’s value (whole, or one JSON field, after its prefix) with every attempt, and never logs it', async () => {
    // Prepare: a token secret and a JSON secret, as a user would create them.
    const token = `tok-${randomUUID()}`;
    const apiKey = `key-${randomUUID()}`;
    const tokenName = `t-${randomUUID().slice(0, 8)}/backend-token`;
    const keysName = `t-${randomUUID().slice(0, 8)}/api-keys`;
    await secrets.send(new CreateSecretCommand({ Name: tokenName, SecretString: token }));
    const keys = await secrets.send(
      new CreateSecretCommand({ Name: keysName, SecretString: JSON.stringify({ key: apiKey, id: 'k1' }) }),
    );
    const route = await createTestRoute({
      target: server.target,
      route: {
        maxAttempts: 3,
        retry: { baseSeconds: 1, maxSeconds: 1 },
        headers: {
          Authorization: { secret: tokenName, prefix: 'Bearer ' },
          'X-Api-Key': { secret: keys.ARN ?? '', field: 'key' },
          'X-Tenant': 'acme',
        },
      },
    });
    server.current.answerNext({ status: 503 });
    const { messageId } = JSON.parse((await route.post(MESSAGE)).body);

    // Act: a failed attempt, then its retry.
    await forwardUntil(route, server.current, 2, 5_000);

    // Assess
    expect(server.current.idsReceived()).toEqual([messageId, messageId]);
    for (const request of server.current.requests) {
      expect(request.headers.authorization).toBe(`Bearer ${token}`);
      expect(request.headers['x-api-key']).toBe(apiKey);
      expect(request.headers['x-tenant']).toBe('acme');
    }
    const logs = route.logs.forwarder.lines.join('\n');
    expect(logs).toContain(LOG_EVENT.DELIVERED);
    expect(logs).not.toContain(token);
    expect(logs).not.toContain(apiKey);
  });

  it('fails the attempt as retryable, naming the secret, and sends nothing when the secret cannot be read', async () => {
    // Prepare: a route naming a secret that does not exist, and one whose JSON lacks the field.
    const missing = `t-${randomUUID().slice(0, 8)}/missing`;
    const noField = `t-${randomUUID().slice(0, 8)}/no-field`;
    await secrets.send(new CreateSecretCommand({ Name: noField, SecretString: '{"other":"x"}' }));
    for (const [header, value] of [
      ['Authorization', { secret: missing }],
      ['X-Api-Key', { secret: noField, field: 'key' }],
    ] as const) {
      const route = await createTestRoute({
        target: server.target,
        route: { maxAttempts: 3, headers: { [header]: value } },
      });
      await route.post(MESSAGE);

      // Act
      const poll = await route.forwardOnce();

      // Assess: retried later (not dead-lettered), nothing reached the backend, the reason names the secret.
      expect(poll).toEqual({ received: 1, deleted: 0, failed: 1 });
      expect(server.current.requests).toEqual([]);
      expect(await route.deadLetters()).toEqual([]);
      expect(await route.queueCounts()).toEqual({ visible: 0, inFlight: 1 });
      const failed = route.logs.forwarder.entries().find((entry) => entry.event === LOG_EVENT.ATTEMPT_FAILED);
      expect(String(failed?.reason)).toContain(value.secret);
      expect(String(failed?.reason)).toContain(header);
    }
  });
});
